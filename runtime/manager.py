"""Client managers: room bookkeeping, fan-out and acknowledgement callbacks.

``AsyncManager`` and ``Manager`` are python-socketio's in-memory managers of
``AsyncServer`` and ``Server``. A broadcast is encoded once and the same frames are
queued to every recipient synchronously: no task, timer or copy per recipient.
Message-queue managers subclass them and add a transport (``_publish`` /
``_listen``). ``Manager`` may be used from many threads at once: its bookkeeping
is guarded by a lock, and a broadcast walks a snapshot of its recipients.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from runtime.rooms import Room, RoomRegistry

if TYPE_CHECKING:
    from runtime.base_server import BaseServer

Callback = Callable[..., Any]


def new_sid() -> str:
    """A Socket.IO sid: 20 URL-safe characters from 15 random bytes."""
    return secrets.token_urlsafe(15)


class BaseManager:
    """Room registry plus ack-id allocation, shared by every manager flavour."""

    name = "base"

    def __init__(self) -> None:
        self.server: BaseServer | None = None
        self.registry = RoomRegistry()
        self._callbacks: dict[str, dict[int, Callback]] = {}
        self._ack_counters: dict[str, Iterator[int]] = {}
        self.pending_disconnect: dict[str, set[str]] = {}

    # -- python-socketio's manager API -------------------------------------
    def set_server(self, server: BaseServer) -> None:
        self.server = server

    def initialize(self) -> None:
        """Called once, on the first connection (pub/sub managers start listening here)."""

    def get_namespaces(self) -> list[str]:
        return self.registry.namespaces()

    def get_participants(
        self, namespace: str, room: Room | Iterable[Room]
    ) -> Iterator[tuple[str, str]]:
        return self.registry.participants(namespace, room)

    def connect(self, eio_sid: str, namespace: str) -> str | None:
        sid = new_sid()
        if not self.registry.connect(sid, eio_sid, namespace):
            return None
        return sid

    def is_connected(self, sid: str, namespace: str) -> bool:
        return self.registry.is_connected(
            sid, namespace
        ) and sid not in self.pending_disconnect.get(namespace, ())

    def sid_from_eio_sid(self, eio_sid: str, namespace: str) -> str | None:
        return self.registry.sid_from_eio_sid(eio_sid, namespace)

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None:
        return self.registry.eio_sid_from_sid(sid, namespace)

    def can_disconnect(self, sid: str, namespace: str) -> bool:
        return self.is_connected(sid, namespace)

    def pre_disconnect(self, sid: str, namespace: str) -> str | None:
        """Mark ``sid`` as leaving, so emits stop reaching it while handlers run."""
        self.pending_disconnect.setdefault(namespace, set()).add(sid)
        return self.registry.eio_sid_from_sid(sid, namespace)

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        self.registry.disconnect(sid, namespace)
        pending = self.pending_disconnect.get(namespace)
        if pending is not None:
            pending.discard(sid)
            if not pending:
                del self.pending_disconnect[namespace]
        self._callbacks.pop(sid, None)
        self._ack_counters.pop(sid, None)

    def basic_enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
        self.registry.enter_room(sid, namespace, room, eio_sid)
        if self.server is not None and self.server.observer is not None:
            self.server.observer.room_changed(True, namespace, room, sid)

    def basic_leave_room(self, sid: str, namespace: str, room: str) -> None:
        self.registry.leave_room(sid, namespace, room)
        if self.server is not None and self.server.observer is not None:
            self.server.observer.room_changed(False, namespace, room, sid)

    def basic_close_room(self, room: str, namespace: str) -> None:
        self.registry.close_room(room, namespace)

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        return self.registry.rooms_of(sid, namespace)

    # -- fan-out (every manager flavour) --------------------------------------
    def _recipients(
        self, namespace: str, to: Room | Iterable[Room], skip: Iterable[str]
    ) -> Iterable[tuple[str, str]]:
        """``(sid, eio_sid)`` of the local recipients of an emit."""
        return self.registry.participants(namespace, to, skip)

    def emit_local(
        self,
        event: str,
        data: Any,
        namespace: str,
        to: Room | Iterable[Room],
        skip_sid: str | Iterable[str] | None,
        callback: Callback | None,
    ) -> None:
        """Queue one event to every local recipient; encode once when no ack is asked."""
        server = self.server
        assert server is not None, "manager used before set_server()"
        args = server.data_to_args(data)
        skip: Iterable[str] = (
            () if skip_sid is None else ((skip_sid,) if isinstance(skip_sid, str) else skip_sid)
        )
        recipients = self._recipients(namespace, to, skip)
        pending = self.pending_disconnect.get(namespace)
        observer = server.observer
        if callback is None:
            frames: list[str | bytes] | None = None
            for sid, eio_sid in recipients:
                if pending and sid in pending:
                    continue
                if frames is None:
                    frames = server.serializer.encode_event(namespace, event, args)
                server.send_frames(eio_sid, frames)
                if observer is not None:
                    observer.event_sent(namespace, sid, event, args)
            return
        for sid, eio_sid in recipients:
            if pending and sid in pending:
                continue
            if observer is not None:
                observer.event_sent(namespace, sid, event, args)
            ack_id = self._generate_ack_id(sid, callback)
            server.send_frames(
                eio_sid, server.serializer.encode_event(namespace, event, args, ack_id)
            )

    # -- acknowledgements ----------------------------------------------------
    def _generate_ack_id(self, sid: str, callback: Callback) -> int:
        counter = self._ack_counters.get(sid)
        if counter is None:
            counter = self._ack_counters[sid] = itertools.count(1)
        ack_id = next(counter)
        self._callbacks.setdefault(sid, {})[ack_id] = callback
        return ack_id

    def _pop_callback(self, sid: str, ack_id: int) -> Callback | None:
        callbacks = self._callbacks.get(sid)
        if callbacks is None:
            return None
        return callbacks.pop(ack_id, None)


class AsyncManager(BaseManager):
    """The in-memory manager of ``AsyncServer`` (single process)."""

    name = "asyncmanager"

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Room | Iterable[Room] = None,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callback | None = None,
        to: Room | Iterable[Room] = None,
        **kwargs: Any,
    ) -> None:
        self.emit_local(event, data, namespace, to if to is not None else room, skip_sid, callback)

    async def can_disconnect(self, sid: str, namespace: str) -> bool:  # type: ignore[override]
        return self.is_connected(sid, namespace)

    async def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        self.basic_disconnect(sid, namespace)

    async def enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
        self.basic_enter_room(sid, namespace, room, eio_sid)

    async def leave_room(self, sid: str, namespace: str, room: str) -> None:
        self.basic_leave_room(sid, namespace, room)

    async def close_room(self, room: str, namespace: str) -> None:
        self.basic_close_room(room, namespace)

    async def trigger_callback(self, sid: str, id: int, data: list[Any]) -> None:
        callback = self._pop_callback(sid, id)
        if callback is None:
            return
        result = callback(*data)
        if hasattr(result, "__await__"):
            await result


class Manager(BaseManager):
    """The in-memory manager of ``Server`` (single process, thread-safe)."""

    name = "manager"

    def __init__(self) -> None:
        super().__init__()
        # Reentrant, and only held around bookkeeping: never around I/O or a handler.
        self._lock = threading.RLock()

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Room | Iterable[Room] = None,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callback | None = None,
        to: Room | Iterable[Room] = None,
        **kwargs: Any,
    ) -> None:
        self.emit_local(event, data, namespace, to if to is not None else room, skip_sid, callback)

    def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        self.basic_disconnect(sid, namespace)

    def enter_room(self, sid: str, namespace: str, room: str, eio_sid: str | None = None) -> None:
        self.basic_enter_room(sid, namespace, room, eio_sid)

    def leave_room(self, sid: str, namespace: str, room: str) -> None:
        self.basic_leave_room(sid, namespace, room)

    def close_room(self, room: str, namespace: str) -> None:
        self.basic_close_room(room, namespace)

    def trigger_callback(self, sid: str, id: int, data: list[Any]) -> None:
        callback = self._pop_callback(sid, id)
        if callback is not None:
            callback(*data)

    # -- the same bookkeeping, under the lock -----------------------------------
    def connect(self, eio_sid: str, namespace: str) -> str | None:
        with self._lock:
            return super().connect(eio_sid, namespace)

    def pre_disconnect(self, sid: str, namespace: str) -> str | None:
        with self._lock:
            return super().pre_disconnect(sid, namespace)

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        with self._lock:
            super().basic_disconnect(sid, namespace, **kwargs)

    def basic_enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
        with self._lock:
            super().basic_enter_room(sid, namespace, room, eio_sid)

    def basic_leave_room(self, sid: str, namespace: str, room: str) -> None:
        with self._lock:
            super().basic_leave_room(sid, namespace, room)

    def basic_close_room(self, room: str, namespace: str) -> None:
        with self._lock:
            super().basic_close_room(room, namespace)

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        with self._lock:
            return super().get_rooms(sid, namespace)

    def _recipients(
        self, namespace: str, to: Room | Iterable[Room], skip: Iterable[str]
    ) -> Iterable[tuple[str, str]]:
        with self._lock:
            return list(self.registry.participants(namespace, to, skip))

    def _generate_ack_id(self, sid: str, callback: Callback) -> int:
        with self._lock:
            return super()._generate_ack_id(sid, callback)

    def _pop_callback(self, sid: str, ack_id: int) -> Callback | None:
        with self._lock:
            return super()._pop_callback(sid, ack_id)
