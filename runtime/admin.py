"""Admin UI instrumentation: ``sio.instrument()`` for the Socket.IO Admin UI.

The Admin UI (https://admin.socket.io, npm ``@socket.io/admin-ui``) connects to the
``/admin`` namespace and expects the events python-socketio's ``InstrumentedServer``
sends: ``config``, ``server_stats`` every few seconds and, in development mode, the
live sockets, rooms and events. It can also emit, join, leave and disconnect on the
server's behalf unless ``read_only``.

python-socketio patches classes of its engine to see traffic; here the server calls an
observer (``BaseServer.observer``) at the few points that matter, so instrumenting one
server leaves every other server in the process untouched, and an uninstrumented
server pays one ``is None`` test per hook. Everything this module sends goes through
``BaseManager.emit_local``, which queues frames without awaiting, so one observer
serves ``Server`` and ``AsyncServer`` alike.
"""

from __future__ import annotations

import inspect
import os
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from runtime.exceptions import ConnectionRefusedError

if TYPE_CHECKING:
    from runtime.base_server import BaseServer, ClientState

__all__ = ["AdminAuth", "Instrumentation", "Mode"]

AdminAuth = (
    bool
    | Mapping[str, Any]
    | list[Mapping[str, Any]]
    | Callable[[Any], bool]
    | Callable[[Any], Awaitable[bool]]
    | None
)
Mode = Literal["development", "production"]

# Aggregated counters the UI charts (server_stats.aggregatedEvents).
RAW_CONNECTION = "rawConnection"
RAW_DISCONNECTION = "rawDisconnection"
PACKETS_IN = "packetsIn"
PACKETS_OUT = "packetsOut"
BYTES_IN = "bytesIn"
BYTES_OUT = "bytesOut"


def iso_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _size(frame: str | bytes) -> int:
    return len(frame.encode()) if isinstance(frame, str) else len(frame)


class Instrumentation:
    """What ``sio.instrument(...)`` returns: the observer serving one Admin UI namespace."""

    def __init__(
        self,
        server: BaseServer,
        auth: AdminAuth = None,
        mode: Mode = "development",
        read_only: bool = False,
        server_id: str | None = None,
        namespace: str = "/admin",
        server_stats_interval: float = 2,
    ) -> None:
        if auth is None:
            raise ValueError("auth must be specified")
        if mode not in ("development", "production"):
            raise ValueError(f"mode must be 'development' or 'production', not {mode!r}")
        if server_stats_interval <= 0:
            raise ValueError("server_stats_interval must be positive")
        self.server = server
        self.auth = auth
        self.mode: Mode = mode
        self.read_only = read_only
        self.namespace = namespace
        self.server_stats_interval = server_stats_interval
        self.server_id = (
            server_id or getattr(server.manager, "host_id", None) or socket.gethostname()
        )
        self.started = time.monotonic()
        self.events: Counter[tuple[int, str]] = Counter()
        self.transports: dict[str, str] = {}  # eio sid -> last transport reported
        self.admins = 0
        self.running = True
        self._register()
        server.observer = self

    @property
    def development(self) -> bool:
        return self.mode == "development"

    def features(self) -> list[str]:
        features = ["AGGREGATED_EVENTS"]
        if not self.read_only:
            features += ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]
        if self.development:
            features.append("ALL_EVENTS")
        return features

    def shutdown(self) -> None:
        """Stop observing and stop the stats loop; admin clients stay connected."""
        self.running = False
        if self.server.observer is self:
            self.server.observer = None

    uninstrument = shutdown

    # -- the /admin namespace ------------------------------------------------------
    def _register(self) -> None:
        is_async = inspect.iscoroutinefunction(getattr(self.server, "emit", None))
        on = self.server.on
        if is_async:

            async def connect_async(sid: str, environ: Any, auth: Any = None) -> None:
                allowed = self._check_auth(auth)
                if inspect.isawaitable(allowed):
                    allowed = await allowed
                self._admitted(sid, bool(allowed))

            on("connect", connect_async, namespace=self.namespace)
        else:

            def connect_sync(sid: str, environ: Any, auth: Any = None) -> None:
                self._admitted(sid, bool(self._check_auth(auth)))

            on("connect", connect_sync, namespace=self.namespace)
        on("disconnect", self._admin_left, namespace=self.namespace)
        if self.read_only:
            return
        commands: dict[str, Callable[..., list[Any]]] = {
            "emit": self._cmd_emit,
            "join": self._cmd_join,
            "leave": self._cmd_leave,
            "_disconnect": self._cmd_disconnect,
        }
        for event, command in commands.items():
            on(event, self._as_handler(command, is_async), namespace=self.namespace)

    @staticmethod
    def _as_handler(command: Callable[..., list[Any]], is_async: bool) -> Callable[..., Any]:
        """A handler running ``command``; on AsyncServer its coroutines are awaited."""
        if not is_async:

            def sync_handler(sid: str, *args: Any) -> None:
                command(*args)

            return sync_handler

        async def handler(sid: str, *args: Any) -> None:
            for result in command(*args):
                if inspect.isawaitable(result):
                    await result

        return handler

    def _check_auth(self, auth: Any) -> bool | Awaitable[bool]:
        expected = self.auth
        if expected is False:
            return True
        if isinstance(expected, Mapping):
            return bool(auth == expected)
        if isinstance(expected, list):
            return auth in expected
        if callable(expected):
            return expected(auth)
        return False

    def _admitted(self, sid: str, allowed: bool) -> None:
        if not allowed:
            raise ConnectionRefusedError("authentication failed")
        self.admins += 1
        if self.admins == 1:
            self.server.start_background_task(self._stats_loop)  # type: ignore[attr-defined]
        # After the CONNECT packet, which goes out once this handler returns.
        self.server._call_later(0.1, self._greet, sid)

    def _admin_left(self, sid: str, reason: str = "") -> None:
        self.admins = max(0, self.admins - 1)

    def _greet(self, sid: str) -> None:
        self._send("config", {"supportedFeatures": self.features()}, to=sid)
        if self.development:
            sockets = [
                self.serialize(client, namespace, ns_sid)
                for client in list(self.server.clients.values())
                for namespace, ns_sid in list(client.namespaces.items())
                if namespace != self.namespace
            ]
            self._send("all_sockets", sockets, to=sid)

    # Admin -> server commands: each returns what the server's calls returned, so
    # the async handler can await them.
    def _targets(self, namespace: str, room_filter: Any) -> list[str]:
        rooms: Any = room_filter if room_filter else None
        return [sid for sid, _ in self.server.manager.get_participants(namespace, rooms)]

    def _cmd_emit(self, namespace: str, room_filter: Any, event: str, *data: Any) -> list[Any]:
        payload = data[0] if len(data) == 1 else (tuple(data) if data else None)
        to = room_filter if room_filter else None
        return [self.server.emit(event, payload, to=to, namespace=namespace)]  # type: ignore[attr-defined]

    def _cmd_join(self, namespace: str, room: str, room_filter: Any = None) -> list[Any]:
        return [
            self.server.enter_room(sid, room, namespace=namespace)  # type: ignore[attr-defined]
            for sid in self._targets(namespace, room_filter)
        ]

    def _cmd_leave(self, namespace: str, room: str, room_filter: Any = None) -> list[Any]:
        return [
            self.server.leave_room(sid, room, namespace=namespace)  # type: ignore[attr-defined]
            for sid in self._targets(namespace, room_filter)
        ]

    def _cmd_disconnect(
        self, namespace: str, close: Any = None, room_filter: Any = None
    ) -> list[Any]:
        return [
            self.server.disconnect(sid, namespace=namespace)  # type: ignore[attr-defined]
            for sid in self._targets(namespace, room_filter)
        ]

    # -- stats ---------------------------------------------------------------------
    def _stats_loop(self) -> Any:
        """Send ``server_stats`` while admins are connected (a coroutine on AsyncServer)."""
        sleep = self.server.sleep  # type: ignore[attr-defined]
        if inspect.iscoroutinefunction(sleep):

            async def loop_async() -> None:
                while self.running and self.admins:
                    self.tick()
                    await sleep(self.server_stats_interval)

            return loop_async()
        while self.running and self.admins:
            self.tick()
            sleep(self.server_stats_interval)
        return None

    def tick(self) -> None:
        """One ``server_stats`` (and, in development, transport upgrades seen since)."""
        self._send("server_stats", self.stats())
        if not self.development:
            return
        for client in list(self.server.clients.values()):
            transport = self._transport(client.eio_sid)
            if self.transports.get(client.eio_sid, transport) != transport:
                for namespace, sid in list(client.namespaces.items()):
                    if namespace != self.namespace:
                        self._send(
                            "socket_updated", {"id": sid, "nsp": namespace, "transport": transport}
                        )
            self.transports[client.eio_sid] = transport

    def stats(self) -> dict[str, Any]:
        clients = list(self.server.clients.values())
        polling = sum(1 for client in clients if self._transport(client.eio_sid) == "polling")
        events, self.events = self.events, Counter()
        namespaces = Counter(namespace for client in clients for namespace in client.namespaces)
        return {
            "serverId": self.server_id,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "uptime": time.monotonic() - self.started,
            "clientsCount": len(clients),
            "pollingClientsCount": polling,
            "aggregatedEvents": [
                {"timestamp": second * 1000, "type": kind, "count": count}
                for (second, kind), count in sorted(events.items())
            ],
            "namespaces": [
                {"name": name, "socketsCount": namespaces.get(name, 0)}
                for name in sorted(set(self.server.handlers) | set(namespaces))
                if name != "*"
            ],
        }

    def _transport(self, eio_sid: str) -> str:
        try:
            return self.server.eio.transport(eio_sid)
        except KeyError:
            return "polling"

    def _count(self, kind: str, amount: int = 1) -> None:
        self.events[int(time.time()), kind] += amount

    # -- output ---------------------------------------------------------------------
    def _send(self, event: str, data: Any, to: str | None = None) -> None:
        if self.admins:
            self.server.manager.emit_local(event, data, self.namespace, to, None, None)

    def serialize(self, client: ClientState, namespace: str, sid: str) -> dict[str, Any]:
        request = client.request
        address = request.client[0] if request.client else ""
        url = request.path + ("?" + request.query_string if request.query_string else "")
        return {
            "id": sid,
            "clientId": client.eio_sid,
            "transport": self._transport(client.eio_sid),
            "nsp": namespace,
            "data": {},
            "handshake": {
                "address": address,
                "headers": dict(request.headers),
                "query": dict(request.query),
                "secure": request.scheme in ("https", "wss"),
                "url": url,
                "issued": int(time.time() * 1000),
                "time": datetime.now(UTC).strftime("%a %b %d %Y %H:%M:%S GMT+0000 (UTC)"),
            },
            "rooms": self.server.manager.get_rooms(sid, namespace),
        }

    # -- the observer hooks the server calls ----------------------------------------
    def raw_connection(self) -> None:
        self._count(RAW_CONNECTION)

    def raw_disconnection(self, eio_sid: str) -> None:
        self._count(RAW_DISCONNECTION)
        self.transports.pop(eio_sid, None)

    def packet_in(self, data: str | bytes) -> None:
        self._count(PACKETS_IN)
        self._count(BYTES_IN, _size(data))

    def packets_out(self, frames: Iterable[str | bytes]) -> None:
        for frame in frames:
            self._count(PACKETS_OUT)
            self._count(BYTES_OUT, _size(frame))

    def socket_connected(self, client: ClientState, namespace: str, sid: str) -> None:
        if self.development and namespace != self.namespace:
            self._send("socket_connected", (self.serialize(client, namespace, sid), iso_now()))

    def socket_disconnected(self, namespace: str, sid: str, reason: str) -> None:
        if self.development and namespace != self.namespace:
            self._send("socket_disconnected", (namespace, sid, reason, iso_now()))

    def room_changed(self, joined: bool, namespace: str, room: str, sid: str) -> None:
        if self.development and namespace != self.namespace:
            event = "room_joined" if joined else "room_left"
            self._send(event, (namespace, room, sid, iso_now()))

    def event_received(self, namespace: str, sid: str, data: list[Any]) -> None:
        if self.development and namespace != self.namespace:
            self._send("event_received", (namespace, sid, data, iso_now()))

    def event_sent(self, namespace: str, sid: str, event: str, args: list[Any]) -> None:
        if self.development and namespace != self.namespace:
            self._send("event_sent", (namespace, sid, [event, *args], iso_now()))
