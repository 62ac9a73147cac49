"""runtime.typed_dispatch: every decision of typed dispatch, as plain function calls.

These functions are what both `TypedNamespace` (AsyncServer) and `SyncTypedNamespace`
(Server) run; here they get inputs and their decisions are checked, with no server.
The end of the file checks that each twin refuses the other kind of handler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel

import runtime
from contracts.chat import (
    ChatAuth,
    DeliveryReceipt,
    MessageAccepted,
    RoomJoined,
    SendMessage,
    Typing,
)
from generated.server.chat import (
    DELIVERY_CHECK,
    SEND_MESSAGE,
    TYPING,
    ChatNamespace,
    ChatNamespaceSync,
)
from runtime.exceptions import ConnectionRefusedError
from runtime.typed_core import EventError, EventSpec, InvalidAckError
from runtime.typed_dispatch import (
    NO_REPLY,
    EventPlan,
    Outcome,
    ack_model_of,
    check_handler_kind,
    connect_arguments,
    failure,
    parse_ack,
    unknown_event_ack,
)

ACKED = EventPlan(SEND_MESSAGE, "/chat")
UNACKED = EventPlan(TYPING, "/chat")
ACCEPTED = MessageAccepted(id=UUID(int=7), sent_at=datetime(2030, 1, 2, tzinfo=UTC))
TEXT = {"room": "lobby", "client_ref": str(UUID(int=1)), "content": {"kind": "text", "text": "hi"}}


def error_of(outcome: BaseModel | Outcome, acked: bool) -> dict[str, Any]:
    """The error an outcome carries where the client looks for it, checked to be there."""
    assert isinstance(outcome, Outcome)
    if acked:
        assert outcome.report is None and outcome.ack["ok"] is False
        error: dict[str, Any] = outcome.ack["error"]
    else:
        assert outcome.ack is None and outcome.report is not None
        error = outcome.report
    assert set(error) == {"code", "message", "event", "details"}
    return error


def test_failure_goes_in_the_envelope_when_acked_else_in_the_error_event() -> None:
    error = {"code": "x", "message": "m", "event": "e", "details": []}
    assert failure(True, error) == Outcome(ack={"ok": False, "error": error})
    assert failure(False, error) == Outcome(report=error)


def test_a_valid_payload_becomes_the_model() -> None:
    payload = ACKED.parse((TEXT,))
    assert isinstance(payload, SendMessage) and payload.room == "lobby"


def test_no_payload_argument_validates_as_an_empty_object() -> None:
    error = error_of(UNACKED.parse(()), acked=False)
    assert error["code"] == "invalid_payload"
    assert {tuple(d["loc"]) for d in error["details"]} == {("room",), ("active",)}


@pytest.mark.parametrize("plan", [ACKED, UNACKED], ids=["acked", "unacked"])
def test_two_payload_arguments_are_refused(plan: EventPlan) -> None:
    error = error_of(plan.parse(({}, {})), acked=plan.acked)
    assert error["code"] == "invalid_payload"
    assert error["message"] == "expected one payload argument, got 2"
    assert error["event"] == plan.spec.name


def test_an_invalid_payload_names_each_field_without_echoing_it() -> None:
    error = error_of(ACKED.parse(({"room": "No Spaces!!", "client_ref": 3},)), acked=True)
    assert (
        error["code"] == "invalid_payload" and error["message"] == "invalid 'message:send' payload"
    )
    assert {d["loc"][0] for d in error["details"]} == {"room", "client_ref", "content"}
    assert "No Spaces!!" not in repr(error)


@pytest.mark.parametrize("plan", [ACKED, UNACKED], ids=["acked", "unacked"])
def test_an_event_error_is_sent_as_raised(plan: EventPlan) -> None:
    raised = EventError("room_full", "the room is full", details=[{"room": "lobby"}])
    error = error_of(plan.raised(raised), acked=plan.acked)
    assert error == {
        "code": "room_full",
        "message": "the room is full",
        "event": plan.spec.name,
        "details": [{"room": "lobby"}],
    }


def test_any_other_exception_is_logged_and_sent_without_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="runtime.typed"):
        outcome = ACKED.raised(RuntimeError("password hunter2"))
    error = error_of(outcome, acked=True)
    assert error["code"] == "internal_error" and "hunter2" not in repr(error)
    (record,) = caplog.records
    assert "message:send" in record.getMessage() and record.exc_info is not None


def test_the_ack_model_is_dumped_into_the_ok_envelope() -> None:
    assert ACKED.returned(ACCEPTED) == Outcome(
        ack={"ok": True, "data": {"id": str(UUID(int=7)), "sent_at": "2030-01-02T00:00:00Z"}}
    )


def test_a_result_of_the_wrong_type_is_an_internal_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="runtime.typed"):
        outcome = ACKED.returned(RoomJoined(room="lobby", members=[]))
    assert error_of(outcome, acked=True)["code"] == "internal_error"
    assert "returned RoomJoined, not MessageAccepted" in caplog.text


def test_an_unacked_event_answers_nothing_whatever_the_handler_returned() -> None:
    assert UNACKED.returned(None) is NO_REPLY
    assert UNACKED.returned(ACCEPTED) is NO_REPLY


@pytest.mark.parametrize("plan", [ACKED, UNACKED], ids=["acked", "unacked"])
def test_an_event_without_handler_is_not_implemented(plan: EventPlan) -> None:
    error = error_of(plan.missing(), acked=plan.acked)
    assert error["code"] == "not_implemented" and error["event"] == plan.spec.name


def test_unknown_events_get_an_error_envelope() -> None:
    assert unknown_event_ack("nope", "/chat") == {
        "ok": False,
        "error": {
            "code": "unknown_event",
            "message": "'nope' is not an event of /chat",
            "event": "nope",
            "details": [],
        },
    }


def test_connect_without_auth_model_passes_sid_and_environ() -> None:
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    assert connect_arguments(None, "s1", environ, {"ignored": 1}) == ("s1", environ)


def test_connect_with_valid_auth_passes_the_model() -> None:
    sid, environ, auth = connect_arguments(ChatAuth, "s1", {}, {"token": "t" * 16})
    assert (sid, environ, auth) == ("s1", {}, ChatAuth(token="t" * 16))


@pytest.mark.parametrize("auth", [None, {"token": "short-secret"}], ids=["missing", "invalid"])
def test_connect_with_bad_auth_is_refused_with_the_details(auth: Any) -> None:
    with pytest.raises(ConnectionRefusedError) as refused:
        connect_arguments(ChatAuth, "s1", {}, auth)
    message, data = refused.value.error_args["message"], refused.value.error_args["data"]
    assert message == "invalid auth" and data["code"] == "invalid_auth"
    assert data["details"][0]["loc"] == ["token"]
    assert "short-secret" not in repr(data)


def test_a_typed_call_needs_an_acked_event() -> None:
    assert ack_model_of(DELIVERY_CHECK) is DeliveryReceipt
    with pytest.raises(TypeError, match="'typing' has no ack: use emit"):
        ack_model_of(TYPING)  # type: ignore[type-var]


def test_the_client_ack_of_a_call_is_validated() -> None:
    receipt = parse_ack(DELIVERY_CHECK, {"received": [str(UUID(int=1))]})
    assert receipt == DeliveryReceipt(received=[UUID(int=1)])
    with pytest.raises(InvalidAckError) as caught:
        parse_ack(DELIVERY_CHECK, {"received": "all of them"})
    assert caught.value.event == "message:delivery_check"
    assert caught.value.errors[0]["loc"] == ["received"]


def test_a_spec_carries_its_ack_flag() -> None:
    spec: EventSpec[Typing, None] = EventSpec("typing", Typing)
    assert EventPlan(spec, "/x").acked is False and ACKED.acked is True


# -- handler kinds -------------------------------------------------------------------


def plain(sid: str, payload: Any) -> None:
    return None


async def coroutine(sid: str, payload: Any) -> None:
    return None


class AsyncCallable:
    async def __call__(self, sid: str, payload: Any) -> None:
        return None


@pytest.mark.parametrize("handler", [coroutine, AsyncCallable()], ids=["def", "__call__"])
def test_async_handlers_are_refused_where_plain_ones_are_needed(handler: object) -> None:
    check_handler_kind(handler, "h", asynchronous=True)
    with pytest.raises(TypeError, match=r"h must be a plain function, not `async def`"):
        check_handler_kind(handler, "h", asynchronous=False)


@pytest.mark.parametrize("handler", [plain, lambda sid, payload: None], ids=["def", "lambda"])
def test_plain_handlers_are_refused_where_async_ones_are_needed(handler: object) -> None:
    check_handler_kind(handler, "h", asynchronous=False)
    with pytest.raises(TypeError, match=r"h must be an async function"):
        check_handler_kind(handler, "h", asynchronous=True)


def test_the_sync_twin_refuses_async_handlers_at_registration() -> None:
    chat = ChatNamespaceSync()

    async def send(sid: str, payload: SendMessage) -> MessageAccepted:
        return ACCEPTED

    async def connect(sid: str, environ: Mapping[str, Any], auth: ChatAuth) -> None:
        return None

    async def disconnect(sid: str, reason: str) -> None:
        return None

    with pytest.raises(TypeError, match="the handler of 'message:send' must be a plain function"):
        chat.on(SendMessage)(send)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="the connect handler must be a plain function"):
        chat.on_connect(connect)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="the disconnect handler must be a plain function"):
        chat.on_disconnect(disconnect)  # type: ignore[arg-type]
    assert chat._handlers == {} and chat._connect is None and chat._disconnect is None


def test_the_async_class_refuses_plain_handlers_at_registration() -> None:
    chat = ChatNamespace()
    with pytest.raises(TypeError, match="the disconnect handler must be an async function"):
        chat.on_disconnect(lambda sid, reason: None)  # type: ignore[arg-type,return-value]


def test_the_sync_twin_binds_one_server() -> None:
    chat = ChatNamespaceSync()
    with pytest.raises(RuntimeError, match="not registered"):
        _ = chat.server
    sio = runtime.Server(async_mode="threading")
    chat.register(sio)
    assert set(sio.handlers["/chat"]) >= {"message:send", "typing", "connect", "disconnect", "*"}
    with pytest.raises(RuntimeError, match="another server"):
        chat.register(runtime.Server(async_mode="threading"))
    with pytest.raises(TypeError, match="has no ack"):
        chat._call(TYPING, Typing(room="a", active=True), to="sid", timeout=1)  # type: ignore[type-var]
