"""The asyncio side of cluster queries: ask, wait for the answers, answer others.

The bookkeeping (peers, pending answers, completeness) is ``ClusterView``; this
module publishes the questions and answers through its manager and waits, with
a deadline, for the view to say a query is complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import TYPE_CHECKING

from runtime.pubsub import messages as wire
from runtime.pubsub.cluster import ClusterAnswer, ClusterView, Item
from runtime.pubsub.messages import Bye, Hello, Query, QueryKind, Reply

if TYPE_CHECKING:
    from runtime.pubsub.manager import AsyncPubSubManager

__all__ = ["ClusterQueries"]


class ClusterQueries:
    """Cluster-wide membership questions of one manager."""

    def __init__(self, manager: AsyncPubSubManager) -> None:
        self.manager = manager
        self.view = ClusterView(manager.host_id)
        self._waiting: dict[str, asyncio.Future[None]] = {}

    async def ask(
        self,
        kind: QueryKind,
        namespace: str,
        target: wire.Target,
        sid: str | None,
        timeout: float,
    ) -> ClusterAnswer:
        manager = self.manager
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        local = self.local_items(kind, namespace, target, sid)
        if not await self._wait_discovered(deadline):
            manager._get_logger().warning("cluster query: not subscribed to the channel yet")
            return ClusterAnswer({manager.host_id: local}, complete=False)
        request_id = uuid.uuid4().hex
        query = self.view.open_query(request_id, local, first_hit=kind is QueryKind.ROOMS)
        if query.done:
            return self.view.answer_now(query)
        done = self._waiting[request_id] = loop.create_future()
        try:
            await manager._publish(
                wire.encode(Query(manager.host_id, request_id, kind, namespace, target, sid))
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await done
        finally:
            self._waiting.pop(request_id, None)
            answer = self.view.close_query(request_id)
        assert answer is not None
        if answer.missing:
            manager._get_logger().warning(
                "cluster query: no answer from %s within %.2f s", sorted(answer.missing), timeout
            )
        return answer

    async def _wait_discovered(self, deadline: float) -> bool:
        """Wait until subscribed and peers had time to introduce themselves."""
        manager = self.manager
        loop = asyncio.get_running_loop()
        while (
            not manager.listening
            or loop.time() < manager._listening_since + manager.discovery_window
        ):
            if loop.time() >= deadline:
                return False
            if manager.listening:
                wait = manager._listening_since + manager.discovery_window - loop.time()
            else:
                wait = 0.02  # polled: subscribing has no event of its own
            await asyncio.sleep(max(0.0, min(wait, deadline - loop.time())))
        return True

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

    def on_reply(self, message: Reply) -> None:
        """An answer addressed to this node."""
        now = asyncio.get_running_loop().time()
        finished = self.view.on_reply(message.request_id, message.sender, message.items, now)
        future = self._waiting.get(message.request_id) if finished else None
        if future is not None and not future.done():
            future.set_result(None)

    def on_peer(self, message: Hello | Bye | Query) -> None:
        """Another runtime node announced itself, left, or asks a question."""
        manager = self.manager
        if isinstance(message, Bye):
            self.view.forget(message.host_id)
            return
        self.view.seen(message.host_id, asyncio.get_running_loop().time())
        if isinstance(message, Hello):
            if not message.answer:
                manager._publish_soon(wire.encode(Hello(manager.host_id, answer=True)))
            return
        items = self.local_items(message.kind, message.namespace, message.room, message.sid)
        manager._publish_soon(
            wire.encode(Reply(message.host_id, manager.host_id, message.request_id, items))
        )
