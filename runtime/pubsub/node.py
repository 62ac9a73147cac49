"""``PubSubCore``: what the asyncio and sync pub/sub managers share (sans-IO).

Routing of emits (local only, or through the broker), the messages they
publish, the bookkeeping of callbacks for clients of other nodes, the
dispatch of what other nodes publish, and the listener's state. The two
bases (``AsyncPubSubManager``, ``PubSubManager``) add the I/O: how to publish,
how to listen, how to run a callback or a disconnect handler without holding up
the listener.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from runtime.exceptions import RemoteProtocolError
from runtime.manager import BaseManager, Callback
from runtime.pubsub import messages as wire
from runtime.pubsub.backoff import Backoff
from runtime.pubsub.messages import (
    Bye,
    CallbackMessage,
    CloseRoom,
    DisconnectMessage,
    EmitMessage,
    EnterRoom,
    Hello,
    LeaveRoom,
    Query,
    Reply,
)
from runtime.rooms import Room
from runtime.socketio import binary, jsonmod
from runtime.socketio.jsonmod import JsonCodec, json_codec

if TYPE_CHECKING:
    from runtime.base_server import BaseServer
    from runtime.pubsub.cluster import ClusterView
    from runtime.pubsub.queries import QueriesCore

__all__ = ["PubSubCore", "default_logger", "target_of"]

default_logger = logging.getLogger("socketio")


def target_of(room: Any) -> wire.Target:
    """A room argument as it goes on the wire (lists for any iterable of rooms)."""
    if room is None or isinstance(room, str | int):
        return room
    return list(room)


def _skip(skip_sid: str | Iterable[str] | None) -> wire.SkipSid:
    if skip_sid is None or isinstance(skip_sid, str):
        return skip_sid
    return list(skip_sid)


class PubSubCore(BaseManager):
    """State and decisions of a pub/sub manager, whatever its concurrency model."""

    name = "pubsub"

    # Tunables, as class attributes so the constructors keep python-socketio's
    # signatures; set them on an instance before it starts.
    listen_backoff_initial = 1.0  # first reconnect delay of the listener (s)
    listen_backoff_max = 60.0  # cap of the listener's reconnect delay (s)
    publish_attempts = 6  # tries per message batch before it is dropped
    publish_backoff_initial = 0.1  # first delay between publish tries (s)
    publish_backoff_max = 2.0  # cap of the delay between publish tries (s)
    discovery_window = 0.25  # how long after subscribing queries wait for peers (s)
    remote_callback_ttl = 600.0  # how long a callback waits for a client of another node (s)

    queries: Any  # ClusterQueries or SyncClusterQueries: built by the flavour's class
    _queries_class: type[QueriesCore]

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
        self.listening = False
        self._listening_since = 0.0
        self._listen_backoff: Backoff | None = None
        self._remote_acks: deque[tuple[float, str, int]] = deque()  # (expiry, sid, id)
        self._remote_ack_ids = itertools.count(1)
        self._closed = False
        self.queries = self._queries_class(self)
        self.thread: Any = None  # the listener task
        self._outbox: Any = None
        self._setup()

    def _setup(self) -> None:
        """The flavour's own state (called at the end of ``__init__``)."""

    @property
    def cluster(self) -> ClusterView:
        view: ClusterView = self.queries.view
        return view

    # -- python-socketio's manager API ---------------------------------------------
    def set_server(self, server: BaseServer) -> None:
        super().set_server(server)
        self.json = server.json if server.json is not None else jsonmod
        self._codec = json_codec(server.json)

    def _get_logger(self) -> logging.Logger:
        if self.logger is not None:
            return self.logger
        if self.server is not None:
            return self.server.logger
        return default_logger

    # -- emitting ---------------------------------------------------------------------
    def _route_emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        target: Room | Iterable[Room],
        skip_sid: str | Iterable[str] | None,
        callback: Callback | None,
        ignore_queue: bool,
    ) -> dict[str, Any] | None:
        """Emit locally what is due here; the message to publish, if any."""
        server = self.server
        if ignore_queue or (
            server is not None
            and isinstance(target, str)
            and self.registry.is_connected(target, namespace)
        ):
            # A sid of this node exists nowhere else: the broker has nothing to do.
            if server is not None:
                self.emit_local(event, data, namespace, target, skip_sid, callback)
            return None
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
                target_of(target),
                _skip(skip_sid),
                ack,
                self.host_id,
            )
        )
        if server is not None and ack is None:
            self.emit_local(event, data, namespace, target, skip_sid, None)
        return message

    def _generate_remote_ack_id(self, sid: str, callback: Callback) -> int:
        """An ack id for a client of another node, forgotten after ``remote_callback_ttl``.

        This node never sees that client disconnect, so an ack that never comes
        would otherwise keep its callback for ever.
        """
        now = time.monotonic()
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

    def _callback_message(
        self, host_id: str, sid: str, namespace: str, ack_id: int, args: tuple[Any, ...]
    ) -> dict[str, Any] | None:
        """The message returning a client's ack to ``host_id``; None if it cannot go."""
        if host_id not in self.cluster.peers and binary.has_binary(args):
            # python-socketio nodes cannot decode binary acknowledgements.
            self._get_logger().error(
                "%s: binary ack arguments cannot be returned to node %s", self.name, host_id
            )
            return None
        return wire.encode(CallbackMessage(host_id, sid, namespace, ack_id, list(args)))

    def _remote_message(
        self, kind: type[Any], sid: str, namespace: str, room: Any = None
    ) -> dict[str, Any] | None:
        """Apply a room/disconnect operation here, or the message asking its node to."""
        if self.registry.is_connected(sid, namespace):
            if kind is DisconnectMessage:
                self.basic_disconnect(sid, namespace)
            elif kind is EnterRoom:
                self.basic_enter_room(sid, namespace, room)
            else:
                self.basic_leave_room(sid, namespace, room)
            return None
        if kind is DisconnectMessage:
            return wire.encode(DisconnectMessage(sid, namespace, self.host_id))
        return wire.encode(kind(sid, room, namespace, self.host_id))

    # -- listening --------------------------------------------------------------------
    def _start_listener(self) -> None:
        """Start the listener task if it is not running (the bases implement it)."""
        raise NotImplementedError

    def _publish_soon(self, data: dict[str, Any]) -> None:
        """Publish without holding up the caller (the listener must keep reading)."""
        raise NotImplementedError

    def _mark_listening(self) -> bool:
        """The listener is subscribed; True the first time since it was (re)started."""
        if self.listening:
            return False
        self.listening = True
        self._listening_since = time.monotonic()
        backoff = self._listen_backoff
        if backoff is not None and backoff.failures:
            self._get_logger().warning(
                "%s: listening again after %d failure(s)", self.name, backoff.failures
            )
            backoff.reset()
        self._publish_soon(wire.encode(Hello(self.host_id)))
        return True

    def _new_listen_backoff(self) -> Backoff:
        backoff = self._listen_backoff = Backoff(
            self.listen_backoff_initial, self.listen_backoff_max, jitter=0.1
        )
        return backoff

    def _listener_failed(self, problem: str) -> float:
        """The listener lost its subscription: log it; how long to wait before retrying."""
        self.listening = False
        backoff = self._listen_backoff or self._new_listen_backoff()
        delay = backoff.next_delay()
        self._get_logger().error(
            "%s: pub/sub listener failed (%s); reconnecting in %.1f s (failure %d)",
            self.name,
            problem,
            delay,
            backoff.failures,
        )
        return delay

    def _parse(self, raw: Any) -> wire.Message | None:
        """A broker's raw message as a typed message; None if it is not one for us."""
        try:
            return wire.loads(raw, self._codec)
        except RemoteProtocolError as exc:
            self._get_logger().warning("%s: ignoring a message: %s", self.name, exc.message)
            return None

    def _handle_raw(self, raw: Any) -> None:
        """What a listener does with each broker message; never raises into the listener."""
        message = self._parse(raw)
        if message is None:
            return
        try:
            self._dispatch(message)
        except Exception:
            self._get_logger().exception("Handler error in pubsub listening thread")

    def _dispatch(self, message: wire.Message) -> None:
        """Apply a message of another node (or addressed to this one)."""
        # callback and reply carry the destination host in host_id; all the
        # others carry the sender, and a node ignores its own messages.
        if isinstance(message, CallbackMessage):
            if message.host_id == self.host_id:
                self._run_callback(message.sid, message.id, message.args)
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
            if self.server is not None and self.registry.is_connected(
                message.sid, message.namespace
            ):
                self._disconnect_here(message.sid, message.namespace)
        elif isinstance(message, EnterRoom | LeaveRoom):
            if self.registry.is_connected(message.sid, message.namespace):
                if isinstance(message, EnterRoom):
                    self.basic_enter_room(message.sid, message.namespace, message.room)  # type: ignore[arg-type]
                else:
                    self.basic_leave_room(message.sid, message.namespace, message.room)  # type: ignore[arg-type]
        elif isinstance(message, CloseRoom):
            self.basic_close_room(message.room, message.namespace)  # type: ignore[arg-type]
        elif isinstance(message, Hello | Bye | Query):
            self.queries.on_peer(message)

    def _on_emit(self, message: EmitMessage) -> None:
        if self.server is None:
            return
        callback: Callback | None = None
        if message.callback is not None:
            # The client acks here; the answer travels back to the emitting node.
            callback = self._ack_relay(message.host_id, *message.callback)
        self.emit_local(
            message.event,
            wire.args_to_data(message.args),
            message.namespace,
            message.room,  # type: ignore[arg-type]
            message.skip_sid,
            callback,
        )

    # -- the I/O of dispatching, per flavour -------------------------------------------
    def _run_callback(self, sid: str, ack_id: int, args: list[Any]) -> None:
        """Run the callback of an ack that came back from another node."""
        raise NotImplementedError

    def _ack_relay(self, host_id: str, sid: str, namespace: str, ack_id: int) -> Callback:
        """The callback that returns a client's ack to the node that emitted."""
        raise NotImplementedError

    def _disconnect_here(self, sid: str, namespace: str) -> None:
        """Disconnect a local client another node asked to (without holding up the listener)."""
        raise NotImplementedError

    # -- counters ---------------------------------------------------------------------
    @property
    def published(self) -> int:
        """Messages handed to the broker so far."""
        return self._outbox.sent if self._outbox is not None else 0

    @property
    def dropped(self) -> int:
        """Messages given up on after ``publish_attempts`` failed tries."""
        return self._outbox.dropped if self._outbox is not None else 0
