"""The sans-IO Engine.IO client on its own, plus the package's public surface."""

from __future__ import annotations

import pytest

import runtime.engineio as engineio
from runtime.engineio.client_session import (
    ClientClosed,
    ClientMessage,
    ClientOpened,
    ClientSession,
    ClientState,
    ClientUpgraded,
)
from runtime.exceptions import LocalProtocolError

OPEN = (
    b'0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,'
    b'"pingTimeout":20000,"maxPayload":1000000}'
)


def opened_client() -> ClientSession:
    client = ClientSession()
    assert client.handshake_query() == "EIO=4&transport=polling"
    events = client.receive_poll_response(OPEN, 0.0)
    assert events == [ClientOpened("abc", ("websocket",), 25.0, 20.0, 1_000_000)]
    return client


def test_queries_carry_sid_and_extra_parameters() -> None:
    client = ClientSession(query={"token": "t"})
    client.receive_poll_response(OPEN, 0.0)
    assert client.poll_query() == "token=t&EIO=4&transport=polling&sid=abc"
    assert client.poll_query() is None  # one poll at a time
    assert client.ws_query() == "token=t&EIO=4&transport=websocket&sid=abc"


def test_answers_pings_and_delivers_messages() -> None:
    client = opened_client()
    client.poll_query()
    events = client.receive_poll_response(b"2\x1e4hi\x1ebAQI=", 1.0)
    assert events == [ClientMessage("hi"), ClientMessage(b"\x01\x02")]
    client.send("up")
    assert client.take_post_body() == b"3\x1e4up"
    assert client.take_post_body() is None  # POST in flight
    client.post_done(1.0)
    client.send("again")
    assert client.take_post_body() == b"4again"


def test_server_silence_is_a_ping_timeout() -> None:
    client = opened_client()
    assert client.next_deadline() == 45.0
    assert client.handle_timer(44.9) == []
    assert client.handle_timer(45.0) == [ClientClosed("ping timeout")]
    assert client.state is ClientState.CLOSED


def test_close_packet_and_garbage_close_the_client() -> None:
    client = opened_client()
    client.poll_query()
    assert client.receive_poll_response(b"4a\x1e1\x1e4b", 0.0) == [
        ClientMessage("a"),
        ClientClosed("transport close"),
    ]
    broken = ClientSession()
    assert broken.receive_poll_response(b"0not json", 0.0) == [ClientClosed("transport error")]
    first_not_open = ClientSession()
    assert first_not_open.receive_poll_response(b"4hi", 0.0) == [ClientClosed("transport error")]


def test_upgrade_waits_for_the_poll_in_flight() -> None:
    client = opened_client()
    client.poll_query()  # a poll is in flight
    client.start_upgrade()
    assert client.take_ws_frames() == ["2probe"]
    client.send("queued")
    assert client.receive_ws("3probe", 0.0) == []  # must wait for the poll
    assert client.take_post_body() is None  # writes wait during the upgrade
    assert client.receive_poll_response(b"6", 0.0) == [ClientUpgraded()]
    assert client.transport == "websocket"
    assert client.take_ws_frames() == ["5", "4queued"]


def test_failed_probe_goes_back_to_polling() -> None:
    client = opened_client()
    client.start_upgrade()
    assert client.ws_closed(0.0) == []
    assert client.state is ClientState.OPEN
    assert client.transport == "polling"


def test_client_close_sends_close_packet() -> None:
    client = opened_client()
    assert client.close() == [ClientClosed("client disconnect")]
    assert client.take_post_body() == b"1"
    with pytest.raises(LocalProtocolError):
        client.send("late")


def test_public_all_is_complete_and_importable() -> None:
    assert engineio.__all__ == sorted(engineio.__all__)
    for name in engineio.__all__:
        assert getattr(engineio, name) is not None
    for needed in ("AsyncEngineServer", "EngineConfig", "EngineCore", "ClientSession", "Session"):
        assert needed in engineio.__all__
