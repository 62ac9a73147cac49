"""Ordered, batched publishing with bounded retries (the asyncio edge of publishing).

One writer task per manager sends whatever has queued up while the previous
send was in flight as one batch (a Redis pipeline, a run of AMQP publishes), so
a burst of emits costs one broker round trip instead of one each, and messages
leave in the order they were emitted. Each caller awaits the batch its message
went out in: when ``put()`` returns, the broker has the message, so a
``write_only`` script may exit right after ``await mgr.emit(...)``.

Failure policy (documented in the package): a batch that cannot be sent is
retried ``attempts - 1`` more times with capped exponential backoff; after that
it is dropped, logged at ERROR with the number of messages lost, counted in
``dropped``, and ``put()`` returns False. Nothing is raised to the emitter: like
python-socketio, an emit whose local part succeeded does not fail because the
broker is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from runtime.pubsub.backoff import Backoff

__all__ = ["Outbox"]

Send = Callable[[list[str]], Awaitable[None]]


class Outbox:
    """Queue payloads for one writer task that sends them in order, in batches."""

    def __init__(
        self,
        send: Send,
        logger: logging.Logger,
        attempts: int = 6,
        backoff: Backoff | None = None,
        name: str = "pubsub",
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._send = send
        self.logger = logger
        self.attempts = attempts
        self.backoff = backoff if backoff is not None else Backoff(0.1, 2.0)
        self.name = name
        self.sent = 0
        self.dropped = 0
        self._pending: list[str] = []
        self._batch: asyncio.Future[bool] | None = None
        self._wakeup: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None

    async def put(self, payload: str) -> bool:
        """Publish ``payload``; True once the broker has it, False if it was dropped."""
        self._pending.append(payload)
        batch = self._batch
        if batch is None:
            batch = self._batch = asyncio.get_running_loop().create_future()
        writer = self._writer
        if writer is None or writer.done():
            self._wakeup = asyncio.Event()
            self._writer = asyncio.get_running_loop().create_task(self._run())
        else:
            assert self._wakeup is not None
            self._wakeup.set()
        # Shielded: a cancelled emitter must not cancel the batch others wait on.
        return await asyncio.shield(batch)

    async def _run(self) -> None:
        wakeup = self._wakeup
        assert wakeup is not None
        while True:
            if not self._pending:
                wakeup.clear()
                await wakeup.wait()
                continue
            payloads, batch = self._pending, self._batch
            self._pending, self._batch = [], None
            ok = False
            try:
                ok = await self._deliver(payloads)
            finally:
                # Cancelled (close()) or not, nobody stays blocked on this batch.
                if batch is not None and not batch.done():
                    batch.set_result(ok)

    async def _deliver(self, payloads: list[str]) -> bool:
        for attempt in range(1, self.attempts + 1):
            try:
                await self._send(payloads)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if attempt == self.attempts:
                    break
                delay = self.backoff.next_delay()
                self.logger.error(
                    "%s: cannot publish %d message(s) (attempt %d/%d): %s; retrying in %.2f s",
                    self.name,
                    len(payloads),
                    attempt,
                    self.attempts,
                    _describe(exc),
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            if attempt > 1:
                self.logger.warning("%s: publishing works again", self.name)
            self.backoff.reset()
            self.sent += len(payloads)
            return True
        self.backoff.reset()
        self.dropped += len(payloads)
        self.logger.error(
            "%s: giving up after %d attempts: %d message(s) DROPPED (%d dropped so far)",
            self.name,
            self.attempts,
            len(payloads),
            self.dropped,
        )
        return False

    async def close(self) -> None:
        """Stop the writer; messages not yet sent are dropped (their callers get False)."""
        writer, self._writer = self._writer, None
        if writer is not None and not writer.done():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        if self._pending:
            self.dropped += len(self._pending)
            self._pending = []
        batch, self._batch = self._batch, None
        if batch is not None and not batch.done():
            batch.set_result(False)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
