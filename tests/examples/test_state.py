"""The chat example's in-memory state, without a server: rooms, paging, mutes, resends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.chat import MessageAccepted
from contracts.common import ChatMessage, TextContent
from examples.chat.state import SENT_LIMIT, ChatState, Room
from runtime.typed import EventError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def connected(state: ChatState, sid: str, name: str) -> None:
    token, _ = state.login(name)
    assert state.connect(sid, token) is not None


def message(room: str, minute: int) -> ChatMessage:
    author = ChatState().login("x")[1].member()
    content = TextContent(text=f"m{minute}")
    return ChatMessage(
        id=uuid4(),
        room=room,
        author=author,
        content=content,
        sent_at=T0 + timedelta(minutes=minute),
    )


def test_unknown_tokens_are_not_connected() -> None:
    state = ChatState()
    token, user = state.login("ann")
    assert len(token) >= 16 and user.name == "ann"
    assert state.connect("s1", "not-" + token) is None
    with pytest.raises(EventError) as caught:
        state.session("s1")
    assert caught.value.code == "not_connected"


def test_the_first_member_sets_the_password() -> None:
    state = ChatState()
    for sid, name in (("a", "ann"), ("b", "bob")):
        connected(state, sid, name)
    state.join("a", "vault", "pw")
    with pytest.raises(EventError) as caught:
        state.join("b", "vault", "guess")
    assert caught.value.code == "wrong_password"
    room = state.join("b", "vault", "pw")
    assert sorted(m.name for m in state.members(room)) == ["ann", "bob"]
    state.leave("a", "vault")
    with pytest.raises(EventError):
        state.member_room("a", "vault")


def test_one_member_per_user_however_many_tabs() -> None:
    state = ChatState()
    token, _ = state.login("ann")
    for sid in ("tab1", "tab2"):
        state.connect(sid, token)
        state.join(sid, "lobby", None)
    assert [m.name for m in state.members(state.rooms["lobby"])] == ["ann"]
    state.disconnect("tab1")
    assert state.rooms["lobby"].sids == {"tab2"}


def test_history_pages_backwards_oldest_first() -> None:
    room = Room("lobby")
    messages = [message("lobby", minute) for minute in range(5)]
    room.history.extend(messages)
    assert room.page(None, 2) == (messages[3:], True)
    assert room.page(messages[3].sent_at, 2) == (messages[1:3], True)
    assert room.page(messages[1].sent_at, 2) == (messages[:1], False)
    assert room.recent(2) == messages[3:] and room.recent(0) == []
    assert room.find(messages[2].id) is messages[2] and room.find(uuid4()) is None


def test_mutes_expire() -> None:
    state = ChatState()
    _, user = state.login("bob")
    state.mutes[("lobby", user.id)] = T0 + timedelta(minutes=1)
    with pytest.raises(EventError) as caught:
        state.check_not_muted("lobby", user, T0)
    assert caught.value.code == "muted"
    state.check_not_muted("elsewhere", user, T0)
    state.check_not_muted("lobby", user, T0 + timedelta(minutes=1))
    assert not state.mutes


def test_remembered_resends_are_bounded() -> None:
    state = ChatState()
    _, user = state.login("ann")
    accepted = MessageAccepted(id=uuid4(), sent_at=T0)
    refs = [uuid4() for _ in range(SENT_LIMIT + 1)]
    for ref in refs:
        state.remember(user, ref, accepted)
    assert len(state.sent) == SENT_LIMIT
    assert (user.id, refs[0]) not in state.sent and (user.id, refs[-1]) in state.sent
