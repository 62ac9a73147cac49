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
``runtime.pubsub.outbox``). Local clients are served throughout.

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
import itertools
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from runtime.eager import start_eagerly
from runtime.exceptions import RemoteProtocolError
from runtime.manager import AsyncManager, Callback
from runtime.pubsub import messages as wire
from runtime.pubsub.backoff import Backoff
from runtime.pubsub.cluster import ClusterAnswer, ClusterView, Item
from runtime.pubsub.messages import (
    Bye,
    CallbackMessage,
    CloseRoom,
    DisconnectMessage,
    EmitMessage,
    EnterRoom,
    Hello,
    LeaveRoom,
    QueryKind,
    Reply,
)
from runtime.pubsub.outbox import Outbox
from runtime.pubsub.queries import ClusterQueries
from runtime.rooms import Room
from runtime.socketio import binary, jsonmod
from runtime.socketio.jsonmod import JsonCodec, json_codec

if TYPE_CHECKING:
    from runtime.base_server import BaseServer

__all__ = ["AsyncPubSubManager"]

default_logger = logging.getLogger("socketio")


def _target(room: Any) -> wire.Target:
    """A room argument as it goes on the wire (lists for any iterable of rooms)."""
    if room is None or isinstance(room, str | int):
        return room
    return list(room)


def _skip(skip_sid: str | Iterable[str] | None) -> wire.SkipSid:
    if skip_sid is None or isinstance(skip_sid, str):
        return skip_sid
    return list(skip_sid)


class AsyncPubSubManager(AsyncManager):
    """Manage clients across several servers through a pub/sub backend (asyncio).

    Same constructor as python-socketio's. ``json`` is only used when the manager
    has no server (``write_only``); otherwise the server's JSON module is used.
    """

    name = "asyncpubsub"

    # Tunables, as class attributes so the constructor keeps python-socketio's
    # signature; set them on an instance before it starts.
    listen_backoff_initial = 1.0  # first reconnect delay of the listener (s)
    listen_backoff_max = 60.0  # cap of the listener's reconnect delay (s)
    publish_attempts = 6  # tries per message batch before it is dropped
    publish_backoff_initial = 0.1  # first delay between publish tries (s)
    publish_backoff_max = 2.0  # cap of the delay between publish tries (s)
    discovery_window = 0.25  # how long after subscribing queries wait for peers (s)
    remote_callback_ttl = 600.0  # how long a callback waits for a client of another node (s)

    def __init__(
        self,
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
    ) -> None:
        super().__init__()
        self.channel = channel
        self.write_only = write_only
        self.host_id = uuid.uuid4().hex
        self.logger = logger
        self.json: Any = json if json is not None else jsonmod
        self._codec: JsonCodec = json_codec(json)
        self.queries = ClusterQueries(self)
        self.cluster: ClusterView = self.queries.view
        self.thread: asyncio.Task[None] | None = None
        self.listening = False
        self._listening_since = 0.0
        self._listen_backoff: Backoff | None = None
        self._outbox: Outbox | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._remote_acks: deque[tuple[float, str, int]] = deque()  # (expiry, sid, id)
        self._remote_ack_ids = itertools.count(1)
        self._closed = False

    # -- python-socketio's manager API ---------------------------------------------
    def set_server(self, server: BaseServer) -> None:
        super().set_server(server)
        self.json = server.json if server.json is not None else jsonmod
        self._codec = json_codec(server.json)

    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self._start_listener()
        self._get_logger().info("%s backend initialized.", self.name)

    def _get_logger(self) -> logging.Logger:
        if self.logger is not None:
            return self.logger
        if self.server is not None:
            return self.server.logger
        return default_logger

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
        namespace = namespace or "/"
        server = self.server
        if kwargs.get("ignore_queue"):
            if server is not None:
                self.emit_local(event, data, namespace, target, skip_sid, callback)
            return
        if (
            server is not None
            and isinstance(target, str)
            and self.registry.is_connected(target, namespace)
        ):
            # A sid of this node exists nowhere else: the broker has nothing to do.
            self.emit_local(event, data, namespace, target, skip_sid, callback)
            return
        ack: tuple[str, str, int] | None = None
        if callback is not None:
            if server is None:
                raise RuntimeError("Callbacks can only be issued from the context of a server.")
            if target is None:
                raise ValueError("Cannot use callback without a room set.")
            if not isinstance(target, str):
                raise ValueError("Callbacks across servers need a single sid as the room.")
            ack = (target, namespace, self._generate_remote_ack_id(target, callback))
            self._start_listener()  # the answer comes back through the channel
        message = wire.encode(
            EmitMessage(
                event,
                wire.data_to_args(data),
                namespace,
                _target(target),
                _skip(skip_sid),
                ack,
                self.host_id,
            )
        )
        if server is not None and ack is None:
            self.emit_local(event, data, namespace, target, skip_sid, None)
        await self._publish(message)

    def _generate_remote_ack_id(self, sid: str, callback: Callback) -> int:
        """An ack id for a client of another node, forgotten after ``remote_callback_ttl``.

        This node never sees that client disconnect, so an ack that never comes
        would otherwise keep its callback for ever.
        """
        now = asyncio.get_running_loop().time()
        expiring = self._remote_acks
        while expiring and expiring[0][0] <= now:
            _, old_sid, old_id = expiring.popleft()
            callbacks = self._callbacks.get(old_sid)
            if callbacks is not None and callbacks.pop(old_id, None) is not None and not callbacks:
                del self._callbacks[old_sid]
        # One counter for all remote sids: ids stay unique per sid (and never
        # reused, so a late ack cannot reach a newer callback) without a
        # counter per remote client.
        ack_id = next(self._remote_ack_ids)
        self._callbacks.setdefault(sid, {})[ack_id] = callback
        expiring.append((now + self.remote_callback_ttl, sid, ack_id))
        return ack_id

    async def can_disconnect(self, sid: str, namespace: str) -> bool:  # type: ignore[override]
        if self.is_connected(sid, namespace):
            return True
        # The client is on another node: ask it to disconnect the client.
        await self._publish(wire.encode(DisconnectMessage(sid, namespace or "/", self.host_id)))
        return False

    async def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        namespace = namespace or "/"
        if kwargs.get("ignore_queue") or self.registry.is_connected(sid, namespace):
            self.basic_disconnect(sid, namespace)
            return
        await self._publish(wire.encode(DisconnectMessage(sid, namespace, self.host_id)))

    async def enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
        namespace = namespace or "/"
        if eio_sid is not None or self.registry.is_connected(sid, namespace):
            self.basic_enter_room(sid, namespace, room, eio_sid)
            return
        await self._publish(wire.encode(EnterRoom(sid, room, namespace, self.host_id)))

    async def leave_room(self, sid: str, namespace: str, room: str) -> None:
        namespace = namespace or "/"
        if self.registry.is_connected(sid, namespace):
            self.basic_leave_room(sid, namespace, room)
            return
        await self._publish(wire.encode(LeaveRoom(sid, room, namespace, self.host_id)))

    async def close_room(self, room: str, namespace: str | None = None) -> None:
        namespace = namespace or "/"
        self.basic_close_room(room, namespace)
        await self._publish(wire.encode(CloseRoom(room, namespace, self.host_id)))

    async def trigger_callback(self, sid: str, id: int, data: list[Any]) -> None:
        callback = self._pop_callback(sid, id)
        if callback is None:
            return
        try:
            result = callback(*data)
        except Exception:
            self._get_logger().exception("ack callback error")
            return
        # An async callback must not hold up the listener: run it on its own.
        if inspect.iscoroutine(result):
            self._keep(start_eagerly(result))
        elif inspect.isawaitable(result):
            self._keep(asyncio.ensure_future(result))

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
        return await self.queries.ask(kind, namespace, _target(room), sid, timeout)

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

    @property
    def published(self) -> int:
        """Messages handed to the broker so far."""
        return self._outbox.sent if self._outbox is not None else 0

    @property
    def dropped(self) -> int:
        """Messages given up on after ``publish_attempts`` failed tries."""
        return self._outbox.dropped if self._outbox is not None else 0

    # -- listener -------------------------------------------------------------------
    def _start_listener(self) -> None:
        if self.write_only or self._closed:
            return
        if self.thread is None or self.thread.done():
            self.thread = asyncio.get_running_loop().create_task(self._thread())

    async def _listener_up(self) -> None:
        """Called by a backend once subscribed (and by the listener at the first message)."""
        if self.listening:
            return
        self.listening = True
        self._listening_since = asyncio.get_running_loop().time()
        backoff = self._listen_backoff
        if backoff is not None and backoff.failures:
            self._get_logger().warning(
                "%s: listening again after %d failure(s)", self.name, backoff.failures
            )
            backoff.reset()
        self._publish_soon(wire.encode(Hello(self.host_id)))

    def _publish_soon(self, data: dict[str, Any]) -> None:
        """Publish without holding up the caller (the listener must keep reading)."""
        self._keep(asyncio.ensure_future(self._publish(data)))

    async def _thread(self) -> None:
        """Apply what other nodes publish; reconnect for ever with capped backoff."""
        backoff = self._listen_backoff = Backoff(
            self.listen_backoff_initial, self.listen_backoff_max, jitter=0.1
        )
        logger = self._get_logger()
        while not self._closed:
            try:
                source = self._listen()
                try:
                    async for raw in source:
                        if not self.listening:
                            await self._listener_up()
                        await self._handle_raw(raw)
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
            self.listening = False
            if self._closed:
                break
            delay = backoff.next_delay()
            logger.error(
                "%s: pub/sub listener failed (%s); reconnecting in %.1f s (failure %d)",
                self.name,
                problem,
                delay,
                backoff.failures,
            )
            await asyncio.sleep(delay)

    async def _handle_raw(self, raw: Any) -> None:
        try:
            message = wire.loads(raw, self._codec)
        except RemoteProtocolError as exc:
            self._get_logger().warning("%s: ignoring a message: %s", self.name, exc.message)
            return
        if message is None:
            return
        try:
            await self._handle(message)
        except Exception:
            self._get_logger().exception("Handler error in pubsub listening thread")

    async def _handle(self, message: wire.Message) -> None:
        # callback and reply carry the destination host in host_id; all the
        # others carry the sender, and a node ignores its own messages.
        if isinstance(message, CallbackMessage):
            if message.host_id == self.host_id:
                await self.trigger_callback(message.sid, message.id, message.args)
            return
        if isinstance(message, Reply):
            if message.host_id == self.host_id:
                self.queries.on_reply(message)
            return
        if message.host_id == self.host_id:
            return
        if isinstance(message, EmitMessage):
            self._on_emit(message)
        elif isinstance(message, DisconnectMessage):
            self._on_disconnect(message)
        elif isinstance(message, EnterRoom):
            if self.registry.is_connected(message.sid, message.namespace):
                self.basic_enter_room(message.sid, message.namespace, message.room)  # type: ignore[arg-type]
        elif isinstance(message, LeaveRoom):
            if self.registry.is_connected(message.sid, message.namespace):
                self.basic_leave_room(message.sid, message.namespace, message.room)  # type: ignore[arg-type]
        elif isinstance(message, CloseRoom):
            self.basic_close_room(message.room, message.namespace)  # type: ignore[arg-type]
        else:
            self.queries.on_peer(message)

    def _on_emit(self, message: EmitMessage) -> None:
        if self.server is None:
            return
        callback: Callback | None = None
        if message.callback is not None:
            # The client acks here; the answer travels back to the emitting node.
            callback = functools.partial(self._return_callback, message.host_id, *message.callback)
        self.emit_local(
            message.event,
            wire.args_to_data(message.args),
            message.namespace,
            message.room,  # type: ignore[arg-type]
            message.skip_sid,
            callback,
        )

    async def _return_callback(
        self, host_id: str, sid: str, namespace: str, ack_id: int, *args: Any
    ) -> None:
        if host_id == self.host_id:
            await self.trigger_callback(sid, ack_id, list(args))
            return
        if host_id not in self.cluster.peers and binary.has_binary(args):
            # python-socketio nodes cannot decode binary acknowledgements.
            self._get_logger().error(
                "%s: binary ack arguments cannot be returned to node %s", self.name, host_id
            )
            return
        await self._publish(
            wire.encode(CallbackMessage(host_id, sid, namespace, ack_id, list(args)))
        )

    def _on_disconnect(self, message: DisconnectMessage) -> None:
        server = self.server
        if server is None or not self.registry.is_connected(message.sid, message.namespace):
            return
        # The disconnect handler is user code: it must not hold up the listener.
        leaving = server.disconnect(  # type: ignore[attr-defined]
            message.sid, namespace=message.namespace, ignore_queue=True
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
