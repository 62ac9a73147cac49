"""Ordered, batched publishing with bounded retries, for asyncio and sync managers.

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

Sync servers use ``QueuedSyncOutbox``: an emitting handler thread must not wait
out the retries of a dead broker (a Kafka send alone may block for seconds), so
``put()`` only queues (bounded: beyond ``limit`` messages new ones are dropped
and logged) and one sender task of the server's async mode sends; ``close()``
gives it a bounded time to flush. ``SyncOutbox``, which sends in the caller, is
for ``write_only`` emitters: a script may exit right after its ``emit()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from runtime.pubsub.backoff import Backoff

__all__ = ["Attempts", "Outbox", "QueuedSyncOutbox", "SyncOutbox"]

Send = Callable[[list[str]], Awaitable[None]]


class Attempts:
    """The retry policy of publishing, shared by both outboxes: count, log, decide.

    Sans-IO: the outbox sends and sleeps; this says how long to wait, or to give up.
    """

    def __init__(
        self,
        logger: logging.Logger,
        attempts: int = 6,
        backoff: Backoff | None = None,
        name: str = "pubsub",
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.logger = logger
        self.attempts = attempts
        self.backoff = backoff if backoff is not None else Backoff(0.1, 2.0)
        self.name = name
        self.sent = 0
        self.dropped = 0

    def failed(self, count: int, attempt: int, exc: BaseException) -> float | None:
        """Try ``attempt`` of ``count`` messages failed: the delay before the next, or None."""
        if attempt < self.attempts:
            delay = self.backoff.next_delay()
            self.logger.error(
                "%s: cannot publish %d message(s) (attempt %d/%d): %s; retrying in %.2f s",
                self.name,
                count,
                attempt,
                self.attempts,
                _describe(exc),
                delay,
            )
            return delay
        self.backoff.reset()
        self.dropped += count
        self.logger.error(
            "%s: giving up after %d attempts: %d message(s) DROPPED (%d dropped so far)",
            self.name,
            self.attempts,
            count,
            self.dropped,
        )
        return None

    def succeeded(self, count: int, attempt: int) -> None:
        if attempt > 1:
            self.logger.warning("%s: publishing works again", self.name)
        self.backoff.reset()
        self.sent += count


class _Counters:
    policy: Attempts

    @property
    def sent(self) -> int:
        """Messages the broker took."""
        return self.policy.sent

    @property
    def dropped(self) -> int:
        """Messages given up on."""
        return self.policy.dropped


class Outbox(_Counters):
    """Queue payloads for one writer task that sends them in order, in batches."""

    def __init__(
        self,
        send: Send,
        logger: logging.Logger,
        attempts: int = 6,
        backoff: Backoff | None = None,
        name: str = "pubsub",
    ) -> None:
        self._send = send
        self.policy = Attempts(logger, attempts, backoff, name)
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
        attempt = 1
        while True:
            try:
                await self._send(payloads)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = self.policy.failed(len(payloads), attempt, exc)
                if delay is None:
                    return False
                await asyncio.sleep(delay)
                attempt += 1
                continue
            self.policy.succeeded(len(payloads), attempt)
            return True

    async def close(self) -> None:
        """Stop the writer; messages not yet sent are dropped (their callers get False)."""
        writer, self._writer = self._writer, None
        if writer is not None and not writer.done():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        if self._pending:
            self.policy.dropped += len(self._pending)
            self._pending = []
        batch, self._batch = self._batch, None
        if batch is not None and not batch.done():
            batch.set_result(False)


class _SyncBatch:
    __slots__ = ("ok", "payloads")

    def __init__(self) -> None:
        self.payloads: list[str] = []
        self.ok: bool | None = None  # None until sent or dropped


class SyncOutbox(_Counters):
    """The outbox of sync servers: no writer thread, the emitting threads send.

    Whoever holds the send lock sends everything queued so far as one batch
    (its own message and those of threads that queued while it waited), so
    order is kept and a burst costs few round trips. ``put()`` returns once its
    message is sent or dropped. Locks come from the server's async mode, so
    gevent/eventlet greenlets yield instead of blocking the hub.
    """

    def __init__(
        self,
        send: Callable[[list[str]], None],
        logger: logging.Logger,
        attempts: int = 6,
        backoff: Backoff | None = None,
        name: str = "pubsub",
        lock: Callable[[], Any] = threading.Lock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._send = send
        self.policy = Attempts(logger, attempts, backoff, name)
        self._sleep = sleep
        self._state = lock()  # guards _batch
        self._sending = lock()  # one batch on the wire at a time
        self._batch = _SyncBatch()
        self._closed = False

    def put(self, payload: str) -> bool:
        """Publish ``payload``; True once the broker has it, False if it was dropped."""
        with self._state:
            if self._closed:
                self.policy.dropped += 1
                return False
            batch = self._batch
            batch.payloads.append(payload)
        with self._sending:
            if batch.ok is None:
                with self._state:
                    if self._batch is batch:
                        self._batch = _SyncBatch()
                batch.ok = self._deliver(batch.payloads)
        return batch.ok

    def _deliver(self, payloads: list[str]) -> bool:
        attempt = 1
        while not self._closed:
            try:
                self._send(payloads)
            except Exception as exc:
                delay = self.policy.failed(len(payloads), attempt, exc)
                if delay is None:
                    return False
                self._sleep(delay)
                attempt += 1
                continue
            self.policy.succeeded(len(payloads), attempt)
            return True
        self.policy.dropped += len(payloads)
        return False

    def close(self) -> None:
        """Refuse new messages; a batch being retried gives up at its next try."""
        with self._state:
            self._closed = True


class QueuedSyncOutbox(SyncOutbox):
    """A ``SyncOutbox`` whose ``put()`` never waits for the broker: a sender task sends.

    ``spawn`` starts the sender (a thread, or a greenlet under gevent/eventlet);
    ``event`` and ``lock`` come from the same async mode. ``put()`` returns True
    once the message is queued, False if it was refused (queue full or closed).
    """

    max_batch = 500  # messages per send: a bounded pipeline / run of publishes

    def __init__(
        self,
        send: Callable[[list[str]], None],
        logger: logging.Logger,
        attempts: int = 6,
        backoff: Backoff | None = None,
        name: str = "pubsub",
        lock: Callable[[], Any] = threading.Lock,
        sleep: Callable[[float], None] = time.sleep,
        *,
        spawn: Callable[[Callable[[], None]], Any],
        event: Callable[[], Any] = threading.Event,
        limit: int = 10000,
    ) -> None:
        super().__init__(send, logger, attempts, backoff, name, lock, sleep)
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._logger = logger
        self._pending: list[str] = []
        self._wakeup = event()  # set when there is something to send (or to stop)
        self._idle = event()  # set when nothing is queued or being sent
        self._idle.set()
        self._refusing = False  # close() began: no new messages
        self._overflowing = False  # the queue is full: logged once per episode
        self._sender: Any = None
        self._spawn = spawn

    def put(self, payload: str) -> bool:
        """Queue ``payload`` for the sender; False (logged, counted) if it is refused."""
        with self._state:
            if self._refusing or self._closed:
                self.policy.dropped += 1
                return False
            if len(self._pending) >= self.limit:
                self.policy.dropped += 1
                if not self._overflowing:
                    self._overflowing = True
                    self._logger.error(
                        "%s: %d messages wait for the broker: new ones are DROPPED until "
                        "it catches up",
                        self.policy.name,
                        self.limit,
                    )
                return False
            self._pending.append(payload)
            self._idle.clear()
            self._wakeup.set()
            if self._sender is None:
                self._sender = self._spawn(self._run)
        return True

    def _run(self) -> None:
        while True:
            self._wakeup.wait()
            with self._state:
                payloads = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                if not payloads:
                    self._overflowing = False
                    self._idle.set()
                    if self._closed:
                        return
                    self._wakeup.clear()
                    continue
            self._deliver(payloads)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for every queued message to be sent or dropped."""
        return bool(self._idle.wait(timeout))

    def close(self, timeout: float = 0.0) -> None:
        """Refuse new messages, let the sender flush for ``timeout`` s, then stop it.

        What is still queued after that is dropped, counted and logged at ERROR.
        """
        with self._state:
            self._refusing = True
        if timeout > 0:
            self.flush(timeout)
        with self._state:
            self._closed = True  # a batch being retried gives up at its next try
            left, self._pending = self._pending, []
            self._wakeup.set()
        if left:
            self.policy.dropped += len(left)
            self._logger.error(
                "%s: closing: %d unsent message(s) DROPPED", self.policy.name, len(left)
            )


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
