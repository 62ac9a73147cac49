"""``AsyncPubSubManager``: the in-memory manager plus a broker shared by every node.

Each operation is applied locally and, when other nodes may be concerned,
published on the channel; a listener task applies what other nodes publish.
Backends supply the transport through two seams, as in python-socketio:

* ``_publish(data)`` sends one message dict. The default encodes it once and
  hands the text to an ``Outbox`` (ordered batches, bounded retries) that calls
  ``_send_batch(payloads)``; python-socketio style subclasses may override
  ``_publish`` itself instead.
* ``_listen()`` is an async iterator of raw messages (``bytes``/``str``/``dict``)
  from one subscription. It raises (or ends) when the connection is lost; the
  listener logs that and calls it again after a capped exponential backoff, for
  ever, so it never dies silently. Backends call ``_listener_up()`` once
  subscribed (the backoff is reset then, or at the first message).

Failure policy: publishing never raises to the emitter; a message that cannot be
published after ``publish_attempts`` tries is dropped and logged at ERROR (see
``runtime.pubsub.outbox``). An emit awaits its publish, retries included (about
3 s with the default tunables before a drop); local clients are served throughout.

Beyond python-socketio: emits to a sid connected to this node skip the broker;
acks of cross-node callbacks are scheduled without blocking the listener;
``get_participants_cluster`` / ``get_rooms_cluster`` answer for the whole cluster
(see ``runtime.pubsub.cluster``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Iterable
from typing import Any

from runtime.eager import start_eagerly
from runtime.manager import AsyncManager, Callback
from runtime.pubsub import messages as wire
from runtime.pubsub.backoff import Backoff
from runtime.pubsub.cluster import ClusterAnswer, Item
from runtime.pubsub.messages import (
    Bye,
    CloseRoom,
    DisconnectMessage,
    EnterRoom,
    LeaveRoom,
    QueryKind,
)
from runtime.pubsub.node import PubSubCore, target_of
from runtime.pubsub.outbox import Outbox
from runtime.pubsub.queries import ClusterQueries
from runtime.rooms import Room

__all__ = ["AsyncPubSubManager"]


class AsyncPubSubManager(PubSubCore, AsyncManager):
    """Manage clients across several servers through a pub/sub backend (asyncio).

    Same constructor as python-socketio's. ``json`` is only used when the manager
    has no server (``write_only``); otherwise the server's JSON module is used.
    """

    name = "asyncpubsub"

    _queries_class = ClusterQueries
    queries: ClusterQueries
    thread: asyncio.Task[None] | None
    _outbox: Outbox | None

    def _setup(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    # -- python-socketio's manager API ---------------------------------------------
    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self._start_listener()
        self._get_logger().info("%s backend initialized.", self.name)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Room | Iterable[Room] = None,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callback | None = None,
        to: Room | Iterable[Room] = None,
        **kwargs: Any,
    ) -> None:
        """Emit to local recipients and publish for the other nodes."""
        target = to if to is not None else room
        message = self._route_emit(
            event,
            data,
            namespace or "/",
            target,
            skip_sid,
            callback,
            bool(kwargs.get("ignore_queue")),
        )
        if message is not None:
            await self._publish(message)

    async def can_disconnect(self, sid: str, namespace: str) -> bool:  # type: ignore[override]
        if self.is_connected(sid, namespace):
            return True
        # The client is on another node: ask it to disconnect the client.
        await self._publish(wire.encode(DisconnectMessage(sid, namespace or "/", self.host_id)))
        return False

    async def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        if kwargs.get("ignore_queue"):
            self.basic_disconnect(sid, namespace or "/")
        elif message := self._remote_message(DisconnectMessage, sid, namespace or "/"):
            await self._publish(message)

    async def enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
        if eio_sid is not None:
            self.basic_enter_room(sid, namespace or "/", room, eio_sid)
        elif message := self._remote_message(EnterRoom, sid, namespace or "/", room):
            await self._publish(message)

    async def leave_room(self, sid: str, namespace: str, room: str) -> None:
        if message := self._remote_message(LeaveRoom, sid, namespace or "/", room):
            await self._publish(message)

    async def close_room(self, room: str, namespace: str | None = None) -> None:
        namespace = namespace or "/"
        self.basic_close_room(room, namespace)
        await self._publish(wire.encode(CloseRoom(room, namespace, self.host_id)))

    async def trigger_callback(self, sid: str, id: int, data: list[Any]) -> None:
        self._run_callback(sid, id, data)

    # -- cluster-wide membership (runtime extension) ---------------------------
    async def get_participants_cluster(
        self, namespace: str = "/", room: Room | Iterable[Room] = None, timeout: float = 1.0
    ) -> list[Item]:
        """The sids in ``room`` (a room, a list of rooms, or None for all) on every node.

        Sockets on python-socketio nodes are not included; see ``query_cluster``
        for whether every runtime node answered.
        """
        answer = await self.query_cluster(
            QueryKind.PARTICIPANTS, namespace, room=room, timeout=timeout
        )
        return answer.merged()

    async def get_rooms_cluster(
        self, sid: str, namespace: str = "/", timeout: float = 1.0
    ) -> list[Item]:
        """The rooms of ``sid`` (its own sid room included), wherever it is connected."""
        if self.registry.is_connected(sid, namespace):
            return list(self.get_rooms(sid, namespace))
        answer = await self.query_cluster(QueryKind.ROOMS, namespace, sid=sid, timeout=timeout)
        return answer.merged()

    async def query_cluster(
        self,
        kind: QueryKind,
        namespace: str = "/",
        *,
        room: Room | Iterable[Room] = None,
        sid: str | None = None,
        timeout: float = 1.0,
    ) -> ClusterAnswer:
        """Ask every runtime node; wait until all known nodes answered or ``timeout``.

        ``answer.complete`` is false (and ``answer.missing`` names the nodes) when
        a known node did not answer in time.
        """
        if self.write_only:
            raise RuntimeError("A write-only manager cannot query the cluster.")
        self._start_listener()
        return await self.queries.ask(kind, namespace, target_of(room), sid, timeout)

    # -- transport seams ----------------------------------------------------------
    async def _publish(self, data: dict[str, Any]) -> None:
        """Publish one message dict (override for a python-socketio style backend)."""
        outbox = self._outbox
        if outbox is None:
            outbox = self._outbox = Outbox(
                self._send_batch,
                self._get_logger(),
                attempts=self.publish_attempts,
                backoff=Backoff(self.publish_backoff_initial, self.publish_backoff_max),
                name=f"{self.name} publish",
            )
        await outbox.put(self._codec.dumps(data))

    async def _send_batch(self, payloads: list[str]) -> None:
        """Send encoded messages, in order; raise if the broker did not take them."""
        raise NotImplementedError("This method must be implemented in a subclass.")

    def _listen(self) -> AsyncIterator[Any]:
        """Messages from one subscription to the channel; raise or end when it is lost."""
        raise NotImplementedError("This method must be implemented in a subclass.")

    async def _close_transport(self) -> None:
        """Release broker connections (backends override)."""

    # -- listener -------------------------------------------------------------------
    def _start_listener(self) -> None:
        if self.write_only or self._closed:
            return
        if self.thread is None or self.thread.done():
            self.thread = asyncio.get_running_loop().create_task(self._thread())

    async def _listener_up(self) -> None:
        """Called by a backend once subscribed (and by the listener at the first message)."""
        self._mark_listening()

    def _publish_soon(self, data: dict[str, Any]) -> None:
        self._keep(asyncio.ensure_future(self._publish(data)))

    async def _thread(self) -> None:
        """Apply what other nodes publish; reconnect for ever with capped backoff."""
        self._new_listen_backoff()
        while not self._closed:
            try:
                source = self._listen()
                try:
                    async for raw in source:
                        self._mark_listening()
                        self._handle_raw(raw)
                finally:
                    aclose = getattr(source, "aclose", None)
                    if aclose is not None:
                        await aclose()
                problem = "listen() ended"
            except asyncio.CancelledError:
                self.listening = False
                raise
            except Exception as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if self._closed:
                break
            await asyncio.sleep(self._listener_failed(problem))
        self.listening = False

    def _run_callback(self, sid: str, ack_id: int, args: list[Any]) -> None:
        callback = self._pop_callback(sid, ack_id)
        if callback is None:
            return
        try:
            result = callback(*args)
        except Exception:
            self._get_logger().exception("ack callback error")
            return
        # An async callback must not hold up the listener: run it on its own.
        if inspect.iscoroutine(result):
            self._keep(start_eagerly(result))
        elif inspect.isawaitable(result):
            self._keep(asyncio.ensure_future(result))

    def _ack_relay(self, host_id: str, sid: str, namespace: str, ack_id: int) -> Callback:
        return functools.partial(self._return_callback, host_id, sid, namespace, ack_id)

    async def _return_callback(
        self, host_id: str, sid: str, namespace: str, ack_id: int, *args: Any
    ) -> None:
        if host_id == self.host_id:
            self._run_callback(sid, ack_id, list(args))
        elif message := self._callback_message(host_id, sid, namespace, ack_id, args):
            await self._publish(message)

    def _disconnect_here(self, sid: str, namespace: str) -> None:
        # The disconnect handler is user code: it must not hold up the listener.
        leaving = self.server.disconnect(  # type: ignore[union-attr]
            sid, namespace=namespace, ignore_queue=True
        )
        self._keep(start_eagerly(leaving))

    def _keep(self, task: asyncio.Future[Any] | None) -> None:
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # -- shutdown ---------------------------------------------------------------------
    async def close(self) -> None:
        """Say goodbye to the cluster, stop the listener and release connections."""
        if self._closed:
            return
        if self.listening:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await self._publish(wire.encode(Bye(self.host_id)))
        self._closed = True
        thread, self.thread = self.thread, None
        if thread is not None and not thread.done():
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await thread
        self.listening = False
        if self._outbox is not None:
            await self._outbox.close()
        await self._close_transport()
