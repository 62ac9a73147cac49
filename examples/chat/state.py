"""What the chat demo remembers, in memory: users, sessions, rooms, history, mutes.

No I/O here: the handlers in `app.py` read and change this state, then emit. Failures
a client should hear about raise `EventError`, which typed dispatch turns into a
structured error ack (or an `sdkgen:error` event for unacked events).
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from contracts.chat import MessageAccepted
from contracts.common import ChatMessage, Member, PresenceStatus
from runtime.typed import EventError

HISTORY_LIMIT = 500  # messages kept per room
SENT_LIMIT = 10_000  # client_refs remembered for idempotent resends
DEFAULT_TOPICS = {"lobby": "Say hello. Everyone lands here first."}


@dataclass(slots=True)
class User:
    """Someone who logged in; one user may have several connections (tabs)."""

    id: UUID
    name: str
    status: PresenceStatus = PresenceStatus.ONLINE
    note: str | None = None

    def member(self) -> Member:
        return Member(id=self.id, name=self.name, status=self.status)


@dataclass(slots=True)
class Session:
    """One connection to /chat."""

    sid: str
    user: User
    rooms: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Room:
    name: str
    topic: str | None = None
    password: str | None = None
    sids: set[str] = field(default_factory=set)
    typing: dict[str, User] = field(default_factory=dict)  # sid -> who is typing there
    history: deque[ChatMessage] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))

    def find(self, message_id: UUID) -> ChatMessage | None:
        return next((m for m in reversed(self.history) if m.id == message_id), None)

    def recent(self, count: int) -> list[ChatMessage]:
        return list(self.history)[-count:] if count > 0 else []

    def page(self, before: datetime | None, limit: int) -> tuple[list[ChatMessage], bool]:
        """Up to `limit` messages sent before `before` (all when None), oldest first."""
        older = [m for m in self.history if before is None or m.sent_at < before]
        return older[-limit:], len(older) > limit


class ChatState:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}  # login token -> user
        self.sessions: dict[str, Session] = {}  # sid -> session
        self.rooms: dict[str, Room] = {}
        self.sent: dict[tuple[UUID, UUID], MessageAccepted] = {}  # (user, client_ref)
        self.mutes: dict[tuple[str, UUID], datetime] = {}  # (room, user) -> until

    # -- users and connections ---------------------------------------------------
    def login(self, name: str) -> tuple[str, User]:
        token = secrets.token_urlsafe(24)  # 32 characters: ChatAuth wants >= 16
        user = User(id=uuid4(), name=name)
        self.users[token] = user
        return token, user

    def connect(self, sid: str, token: str) -> Session | None:
        user = self.users.get(token)
        if user is None:
            return None
        session = self.sessions[sid] = Session(sid, user)
        return session

    def session(self, sid: str) -> Session:
        try:
            return self.sessions[sid]
        except KeyError:
            raise EventError("not_connected", "this connection has no chat session") from None

    def disconnect(self, sid: str) -> Session | None:
        session = self.sessions.pop(sid, None)
        if session is not None:
            for name in session.rooms:
                self._drop(sid, name)
        return session

    # -- rooms -------------------------------------------------------------------
    def join(self, sid: str, name: str, password: str | None) -> Room:
        """Enter (or create) a room; the first one in sets its password."""
        session = self.session(sid)
        room = self.rooms.get(name)
        if room is None:
            room = self.rooms[name] = Room(name, DEFAULT_TOPICS.get(name), password)
        elif room.password is not None and password != room.password and sid not in room.sids:
            raise EventError("wrong_password", f"#{name} needs the right password")
        room.sids.add(sid)
        session.rooms.add(name)
        return room

    def leave(self, sid: str, name: str) -> Room:
        session = self.session(sid)
        room = self.member_room(sid, name)
        session.rooms.discard(name)
        self._drop(sid, name)
        return room

    def _drop(self, sid: str, name: str) -> None:
        room = self.rooms.get(name)
        if room is not None:
            room.sids.discard(sid)
            room.typing.pop(sid, None)

    def member_room(self, sid: str, name: str) -> Room:
        """The room `name`, which `sid` must have joined."""
        room = self.rooms.get(name)
        if room is None or sid not in room.sids:
            raise EventError("not_in_room", f"join #{name} first")
        return room

    def members(self, room: Room) -> list[Member]:
        """Everyone in the room, once per user however many tabs they have open."""
        users = {s.user.id: s.user for sid in room.sids if (s := self.sessions.get(sid))}
        return [user.member() for user in users.values()]

    def rooms_of_user(self, user: User) -> set[str]:
        return {name for s in self.sessions.values() if s.user is user for name in s.rooms}

    def is_online(self, user: User) -> bool:
        return any(s.user is user for s in self.sessions.values())

    # -- messages ----------------------------------------------------------------
    def check_not_muted(self, room: str, user: User, now: datetime) -> None:
        until = self.mutes.get((room, user.id))
        if until is not None:
            if until > now:
                raise EventError("muted", f"you are muted in #{room} until {until.isoformat()}")
            del self.mutes[(room, user.id)]

    def remember(self, user: User, client_ref: UUID, accepted: MessageAccepted) -> None:
        if len(self.sent) >= SENT_LIMIT:
            del self.sent[next(iter(self.sent))]  # dicts keep insertion order: oldest first
        self.sent[(user.id, client_ref)] = accepted

    def find_message(self, message_id: UUID) -> tuple[Room, ChatMessage] | None:
        for room in self.rooms.values():
            if (message := room.find(message_id)) is not None:
                return room, message
        return None
