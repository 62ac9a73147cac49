"""Eager coroutine start: no task for handlers that never suspend."""

from __future__ import annotations

import asyncio

import pytest

from runtime.eager import start_eagerly


async def test_coroutine_that_never_suspends_needs_no_task() -> None:
    ran: list[int] = []

    async def quick() -> int:
        ran.append(1)
        return 1

    assert start_eagerly(quick()) is None
    assert ran == [1]


async def test_suspending_coroutine_is_resumed_by_a_task_with_its_result() -> None:
    steps: list[str] = []

    async def slow() -> str:
        steps.append("before")
        await asyncio.sleep(0)
        steps.append("middle")
        await asyncio.sleep(0.01)
        steps.append("after")
        return "done"

    task = start_eagerly(slow())
    assert steps == ["before"]
    assert task is not None
    assert await asyncio.wait_for(task, 5) == "done"
    assert steps == ["before", "middle", "after"]


async def test_future_results_flow_into_the_coroutine() -> None:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def waiter() -> int:
        return (await future) * 2

    task = start_eagerly(waiter())
    assert task is not None
    future.set_result(21)
    assert await asyncio.wait_for(task, 5) == 42


async def test_cancellation_reaches_the_coroutine() -> None:
    cleaned: list[str] = []
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.append("finally")

    task = start_eagerly(forever())
    assert task is not None and started.is_set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == ["finally"]


async def test_exceptions_before_and_after_suspension() -> None:
    async def early() -> None:
        raise ValueError("early")

    async def late() -> None:
        await asyncio.sleep(0)
        raise KeyError("late")

    with pytest.raises(ValueError, match="early"):
        start_eagerly(early())
    task = start_eagerly(late())
    assert task is not None
    with pytest.raises(KeyError):
        await task
