"""Start a coroutine eagerly: run it inline until it first suspends.

Most event handlers finish without ever suspending (``return data``), so they
need no task at all; only a handler that really waits is handed to a task,
which resumes it where it stopped. Python 3.12's ``eager_task_factory`` does the
same for every task; this keeps it local to handler dispatch on 3.11.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


class _Resume:
    """An awaitable continuing a coroutine that already yielded ``pending``."""

    __slots__ = ("_coro", "_pending")

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self._coro = coro
        self._pending = pending

    def __await__(self) -> Generator[Any, None, Any]:
        value = self._pending
        while True:
            try:
                yield value
            except BaseException as exc:
                # Cancellation (or close) while waiting: deliver it to the coroutine.
                try:
                    value = self._coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            # The task resumes us with None, exactly as it would the coroutine itself.
            return (yield from self._coro.__await__())


async def _continue(resume: _Resume) -> Any:
    return await resume


def start_eagerly(
    coro: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop | None = None
) -> asyncio.Task[Any] | None:
    """Run ``coro`` until it suspends; return a task for the rest, or None if it finished.

    Exceptions raised before the first suspension propagate to the caller.
    """
    try:
        pending = coro.send(None)
    except StopIteration:
        return None
    task = asyncio.ensure_future(_continue(_Resume(coro, pending)), loop=loop)
    # A task cancelled before its first step never resumes the coroutine: close it
    # so its ``finally`` blocks still run.
    task.add_done_callback(lambda _: coro.close())
    return task
