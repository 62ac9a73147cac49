"""Who is connected to which namespace, and in which rooms: pure bookkeeping.

Every Socket.IO sid is also a room of its own, and the room ``None`` of a
namespace holds every connected sid, as in python-socketio. Members are kept in
insertion-ordered dicts (``sid -> eio_sid``) so that a broadcast walks one dict
and needs no lookup per recipient.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

Room = str | None


class RoomRegistry:
    """Namespaces, sids and rooms of the sockets connected to this process."""

    __slots__ = ("_eio_of", "_rooms", "_rooms_of", "_sid_of")

    def __init__(self) -> None:
        # namespace -> room -> {sid: eio_sid}
        self._rooms: dict[str, dict[Room, dict[str, str]]] = {}
        # namespace -> sid -> set of rooms (including the sid itself and None)
        self._rooms_of: dict[str, dict[str, set[Room]]] = {}
        # (namespace, eio_sid) -> sid, and namespace -> sid -> eio_sid
        self._sid_of: dict[tuple[str, str], str] = {}
        self._eio_of: dict[str, dict[str, str]] = {}

    # -- connections ------------------------------------------------------
    def connect(self, sid: str, eio_sid: str, namespace: str) -> bool:
        """Register ``sid`` in ``namespace``; False if the eio session already has one there."""
        if (namespace, eio_sid) in self._sid_of:
            return False
        self._sid_of[namespace, eio_sid] = sid
        self._eio_of.setdefault(namespace, {})[sid] = eio_sid
        self.enter_room(sid, namespace, None, eio_sid)
        self.enter_room(sid, namespace, sid, eio_sid)
        return True

    def disconnect(self, sid: str, namespace: str) -> None:
        """Forget ``sid``: it leaves every room of the namespace."""
        eio_sid = self._eio_of.get(namespace, {}).pop(sid, None)
        if eio_sid is None:
            return
        self._sid_of.pop((namespace, eio_sid), None)
        for room in list(self._rooms_of.get(namespace, {}).get(sid, ())):
            self.leave_room(sid, namespace, room)

    def is_connected(self, sid: str, namespace: str) -> bool:
        return sid in self._eio_of.get(namespace, {})

    def sid_from_eio_sid(self, eio_sid: str, namespace: str) -> str | None:
        return self._sid_of.get((namespace, eio_sid))

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None:
        return self._eio_of.get(namespace, {}).get(sid)

    def namespaces(self) -> list[str]:
        return [ns for ns, members in self._eio_of.items() if members]

    # -- rooms --------------------------------------------------------------
    def enter_room(self, sid: str, namespace: str, room: Room, eio_sid: str | None = None) -> None:
        if eio_sid is None:
            eio_sid = self.eio_sid_from_sid(sid, namespace)
            if eio_sid is None:
                return
        self._rooms.setdefault(namespace, {}).setdefault(room, {})[sid] = eio_sid
        self._rooms_of.setdefault(namespace, {}).setdefault(sid, set()).add(room)

    def leave_room(self, sid: str, namespace: str, room: Room) -> None:
        rooms = self._rooms.get(namespace)
        if rooms is not None:
            members = rooms.get(room)
            if members is not None:
                members.pop(sid, None)
                if not members:
                    del rooms[room]
            if not rooms:
                del self._rooms[namespace]
        rooms_of = self._rooms_of.get(namespace)
        if rooms_of is not None:
            mine = rooms_of.get(sid)
            if mine is not None:
                mine.discard(room)
                if not mine:
                    del rooms_of[sid]
            if not rooms_of:
                del self._rooms_of[namespace]

    def close_room(self, room: Room, namespace: str) -> None:
        for sid in list(self._rooms.get(namespace, {}).get(room, ())):
            self.leave_room(sid, namespace, room)

    def rooms_of(self, sid: str, namespace: str) -> list[str]:
        """The named rooms ``sid`` is in, its own room included (not the ``None`` room)."""
        return [r for r in self._rooms_of.get(namespace, {}).get(sid, ()) if r is not None]

    def members(self, namespace: str, room: Room) -> dict[str, str]:
        """Live view ``sid -> eio_sid`` of one room; do not mutate."""
        return self._rooms.get(namespace, {}).get(room, _EMPTY)

    def participants(
        self,
        namespace: str,
        to: Room | Iterable[Room],
        skip: Iterable[str] = (),
    ) -> Iterator[tuple[str, str]]:
        """``(sid, eio_sid)`` of every member of one room or a union of rooms, minus ``skip``."""
        skip_set = skip if isinstance(skip, set | frozenset) else set(skip)
        rooms = self._rooms.get(namespace)
        if rooms is None:
            return
        if to is None or isinstance(to, str):
            members = rooms.get(to)
            if members is None:
                return
            if not skip_set:
                yield from list(members.items())
                return
            for sid, eio_sid in list(members.items()):
                if sid not in skip_set:
                    yield sid, eio_sid
            return
        seen: set[str] = set(skip_set)
        for room in to:
            for sid, eio_sid in list(rooms.get(room, _EMPTY).items()):
                if sid not in seen:
                    seen.add(sid)
                    yield sid, eio_sid


_EMPTY: dict[str, str] = {}
