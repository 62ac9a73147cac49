"""Cluster queries of a manager: ask, wait for the answers, answer others.

The bookkeeping (peers, pending answers, completeness) is ``ClusterView``;
``QueriesCore`` builds this node's answers and reacts to other nodes' messages
for both manager flavours. ``ClusterQueries`` (asyncio) and
``SyncClusterQueries`` (threads/greenlets) only differ in how they wait, with a
deadline, for the view to say a query is complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from runtime.pubsub import messages as wire
from runtime.pubsub.cluster import ClusterAnswer, ClusterView, Item
from runtime.pubsub.messages import Bye, Hello, Query, QueryKind, Reply

if TYPE_CHECKING:
    from runtime.pubsub.node import PubSubCore

__all__ = ["ClusterQueries", "QueriesCore", "SyncClusterQueries"]

# A step of a query (see QueriesCore.asking).
Step = tuple[str, Any]


class QueriesCore:
    """What both flavours share: local answers, peers' messages, opening and closing."""

    def __init__(self, manager: PubSubCore) -> None:
        self.manager = manager
        self.view = ClusterView(manager.host_id)

    def local_items(
        self, kind: QueryKind, namespace: str, target: wire.Target, sid: str | None
    ) -> list[Item]:
        """This node's answer."""
        manager = self.manager
        if kind is QueryKind.ROOMS:
            if sid is None or not manager.is_connected(sid, namespace):
                return []
            return list(manager.get_rooms(sid, namespace))
        pending = manager.pending_disconnect.get(namespace, ())
        return [
            member
            for member, _ in manager.registry.participants(namespace, target)  # type: ignore[arg-type]
            if member not in pending
        ]

    def asking(
        self, kind: QueryKind, namespace: str, target: wire.Target, sid: str | None, timeout: float
    ) -> Generator[Step, None, ClusterAnswer]:
        """The steps of one query, sans-IO: the caller sleeps, publishes and waits.

        Yields ``("sleep", seconds)`` while waiting for the subscription and the
        discovery window, then ``("ask", (request_id, message, deadline))``: publish
        ``message`` and wait until the query is woken (``_wake``) or ``deadline``.
        Returns the answer.
        """
        manager = self.manager
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if manager.listening:
                wait = manager._listening_since + manager.discovery_window - now
                if wait <= 0:
                    break
            else:
                wait = 0.02  # polled: subscribing has no event of its own
            if now >= deadline:
                return self._not_subscribed(kind, namespace, target, sid)
            yield "sleep", max(0.0, min(wait, deadline - now))
        local = self.local_items(kind, namespace, target, sid)
        request_id = uuid.uuid4().hex
        query = self.view.open_query(request_id, local, first_hit=kind is QueryKind.ROOMS)
        if query.done:
            return self.view.answer_now(query)
        ask = wire.encode(Query(manager.host_id, request_id, kind, namespace, target, sid))
        try:
            yield "ask", (request_id, ask, deadline)
        finally:
            answer = self._close(request_id, timeout)
        return answer

    def pending(self, request_id: str) -> bool:
        """True while ``request_id`` still waits for answers."""
        query = self.view.pending.get(request_id)
        return query is not None and not query.done

    def _not_subscribed(
        self, kind: QueryKind, namespace: str, target: wire.Target, sid: str | None
    ) -> ClusterAnswer:
        manager = self.manager
        manager._get_logger().warning("cluster query: not subscribed to the channel yet")
        local = self.local_items(kind, namespace, target, sid)
        return ClusterAnswer({manager.host_id: local}, complete=False)

    def _close(self, request_id: str, timeout: float) -> ClusterAnswer:
        answer = self.view.close_query(request_id)
        assert answer is not None
        if answer.missing:
            self.manager._get_logger().warning(
                "cluster query: no answer from %s within %.2f s", sorted(answer.missing), timeout
            )
        return answer

    def on_reply(self, message: Reply) -> None:
        """An answer addressed to this node."""
        finished = self.view.on_reply(
            message.request_id, message.sender, message.items, time.monotonic()
        )
        if finished is not None:
            self._wake(message.request_id)

    def _wake(self, request_id: str) -> None:
        """The query ``request_id`` is complete: wake whoever waits for it."""

    def on_peer(self, message: Hello | Bye | Query) -> None:
        """Another runtime node announced itself, left, or asks a question."""
        manager = self.manager
        if isinstance(message, Bye):
            self.view.forget(message.host_id)
            return
        self.view.seen(message.host_id, time.monotonic())
        if isinstance(message, Hello):
            if not message.answer:
                manager._publish_soon(wire.encode(Hello(manager.host_id, answer=True)))
            return
        items = self.local_items(message.kind, message.namespace, message.room, message.sid)
        manager._publish_soon(
            wire.encode(Reply(message.host_id, manager.host_id, message.request_id, items))
        )


class ClusterQueries(QueriesCore):
    """Cluster queries of an asyncio manager."""

    def __init__(self, manager: PubSubCore) -> None:
        super().__init__(manager)
        self._waiting: dict[str, asyncio.Future[None]] = {}

    async def ask(
        self,
        kind: QueryKind,
        namespace: str,
        target: wire.Target,
        sid: str | None,
        timeout: float,
    ) -> ClusterAnswer:
        manager: Any = self.manager
        steps = self.asking(kind, namespace, target, sid, timeout)
        try:
            step, arg = next(steps)
            while True:
                if step == "sleep":
                    await asyncio.sleep(arg)
                else:
                    request_id, message, deadline = arg
                    done = self._waiting[request_id] = asyncio.get_running_loop().create_future()
                    try:
                        await manager._publish(message)
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                                await done
                    finally:
                        self._waiting.pop(request_id, None)
                step, arg = steps.send(None)
        except StopIteration as stop:
            answer: ClusterAnswer = stop.value
            return answer

    def _wake(self, request_id: str) -> None:
        future = self._waiting.get(request_id)
        if future is not None and not future.done():
            future.set_result(None)


class SyncClusterQueries(QueriesCore):
    """Cluster queries of a sync manager (the asker's thread blocks on an event)."""

    def __init__(self, manager: PubSubCore) -> None:
        super().__init__(manager)
        self._waiting: dict[str, Any] = {}  # request_id -> event of the async mode

    def ask(
        self,
        kind: QueryKind,
        namespace: str,
        target: wire.Target,
        sid: str | None,
        timeout: float,
    ) -> ClusterAnswer:
        manager: Any = self.manager
        steps = self.asking(kind, namespace, target, sid, timeout)
        try:
            step, arg = next(steps)
            while True:
                if step == "sleep":
                    manager._sleep(arg)
                else:
                    request_id, message, deadline = arg
                    done = self._waiting[request_id] = manager._event()
                    try:
                        manager._publish(message)
                        if self.pending(request_id):
                            done.wait(max(0.0, deadline - time.monotonic()))
                    finally:
                        self._waiting.pop(request_id, None)
                step, arg = steps.send(None)
        except StopIteration as stop:
            answer: ClusterAnswer = stop.value
            return answer

    def _wake(self, request_id: str) -> None:
        event = self._waiting.get(request_id)
        if event is not None:
            event.set()
