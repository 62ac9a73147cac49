"""EngineCore + Session driven by the sans-IO client over a fake wire (explicit clock)."""

from __future__ import annotations

import gzip
import json
import logging

import pytest
from eio_helpers import EnginePair, make_request

from runtime.engineio.client_session import ClientClosed, ClientOpened, ClientUpgraded
from runtime.engineio.config import EngineConfig
from runtime.engineio.core import AcceptWebSocket, AwaitPoll, EngineCore, Respond, SendStatus
from runtime.engineio.events import (
    CloseWebSocket,
    MessageReceived,
    OutputReady,
    SessionClosed,
    SessionOpened,
    Upgraded,
)
from runtime.engineio.http import HttpResponse
from runtime.engineio.session import SessionState


def error_of(response: HttpResponse) -> dict[str, object]:
    assert response.headers[0] == ("Content-Type", "application/json")
    body: dict[str, object] = json.loads(response.body)
    return body


def respond(outcome: object) -> Respond:
    assert isinstance(outcome, Respond), outcome
    return outcome


# -- handshake -----------------------------------------------------------------------


def test_polling_handshake_response() -> None:
    pair = EnginePair()
    pair.connect()
    response = pair.responses[0]
    headers = dict(response.headers)
    assert headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert headers["Content-Length"] == str(len(response.body))
    assert response.body.startswith(b"0{")
    assert json.loads(response.body[1:]) == {
        "sid": "sid00000000000000001",
        "upgrades": ["websocket"],
        "pingInterval": 25000,
        "pingTimeout": 20000,
        "maxPayload": 1000000,
    }
    opened = pair.server_events[0]
    assert isinstance(opened, SessionOpened)
    assert (opened.sid, opened.transport) == ("sid00000000000000001", "polling")
    assert opened.request.query["transport"] == "polling"
    assert isinstance(pair.client_events[0], ClientOpened)
    assert pair.core.get("sid00000000000000001") is not None


def test_websocket_handshake_sends_open_first_without_upgrades() -> None:
    pair = EnginePair(transport="websocket")
    pair.core.send("sid00000000000000001", "too early")  # no session yet: ignored
    pair.connect()
    opened = pair.client_events[0]
    assert isinstance(opened, ClientOpened)
    assert opened.upgrades == ()
    assert pair.session.transport == "websocket"
    assert isinstance(pair.server_events[0], SessionOpened)


def test_default_sids_are_20_urlsafe_chars() -> None:
    core = EngineCore()
    outcome = respond(core.handle_request(make_request(), 0.0))
    sid = json.loads(outcome.response.body[1:])["sid"]
    assert len(sid) == 20
    assert set(sid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_ping_interval_advertised_with_grace_in_exact_ms() -> None:
    pair = EnginePair(EngineConfig(ping_interval=(0.5, 0.25), ping_timeout=0.3))
    pair.connect()
    info = json.loads(pair.responses[0].body[1:])
    assert (info["pingInterval"], info["pingTimeout"]) == (750, 300)


def test_allow_upgrades_false_advertises_none() -> None:
    pair = EnginePair(EngineConfig(allow_upgrades=False))
    pair.connect()
    assert json.loads(pair.responses[0].body[1:])["upgrades"] == []
    request = make_request("GET", pair.client.ws_query(), websocket=True)
    outcome = respond(pair.core.handle_websocket(request, pair.now))
    assert outcome.response.status == 400


# -- polling traffic -----------------------------------------------------------------


def test_polling_messages_both_ways_text_and_binary() -> None:
    pair = EnginePair()
    pair.connect()
    pair.client.send("hello")
    pair.client.send(b"\x00\x01\xff")
    pair.client.send("123")
    pair.pump()
    assert pair.received_by_server() == ["hello", b"\x00\x01\xff", "123"]
    assert pair.responses[-1].body == b"ok" or pair.parked is not None
    assert pair.parked is not None  # nothing to send: the GET is parked
    assert pair.core.send(pair.session.sid, "hi") is SendStatus.WAKE
    assert pair.core.send(pair.session.sid, b"\x02") is SendStatus.QUEUED
    pair.pump()
    assert pair.received_by_client() == ["hi", b"\x02"]


def test_post_answers_ok_as_text_html() -> None:
    pair = EnginePair()
    pair.connect()
    pair.client.send("x")
    response = pair.post()
    assert response is not None
    assert response.status == 200
    assert response.body == b"ok"
    assert dict(response.headers)["Content-Type"] == "text/html"


def test_many_packets_in_one_post_are_all_delivered() -> None:
    pair = EnginePair()
    pair.connect()
    for n in range(500):  # python-engineio drops everything above 16 and answers 200
        pair.client.send(str(n))
    pair.post()
    assert pair.received_by_server() == [str(n) for n in range(500)]


def test_parked_poll_answers_only_when_there_is_output() -> None:
    pair = EnginePair()
    pair.connect()
    assert pair.poll() is None
    session = pair.parked
    assert session is not None and session.poll_pending
    assert pair.release_parked() is None  # spurious wake: keep waiting
    pair.core.send_many(session.sid, ["a", b"b", "c"])
    response = pair.release_parked()
    assert response is not None
    assert response.body == b"4a\x1ebYg==\x1e4c"


def test_send_to_unknown_session_is_gone() -> None:
    core = EngineCore()
    assert core.send("nope", "x") is SendStatus.GONE
    assert core.send_many("nope", ["x"]) is SendStatus.GONE
    assert core.close("nope", "server disconnect", 0.0) == []


# -- heartbeat -----------------------------------------------------------------------


def test_server_pings_and_pong_keeps_the_session() -> None:
    pair = EnginePair(EngineConfig(ping_interval=10, ping_timeout=5))
    pair.connect()
    pair.poll()
    assert pair.core.next_deadline() == pair.now + 10
    for _ in range(5):
        pair.advance(10)
        assert any(isinstance(e, OutputReady) for e in pair.server_events)
        pair.pump()  # PING delivered, PONG posted
    assert pair.closes() == []
    assert pair.session.state is SessionState.POLLING


def test_ping_timeout_closes_and_linger_delivers_close_packet() -> None:
    pair = EnginePair(EngineConfig(ping_interval=10, ping_timeout=5))
    pair.connect()
    pair.advance(10)  # PING queued; the client never polls, so it never pongs
    assert pair.closes() == []
    pair.advance(4.9)
    assert pair.closes() == []
    pair.advance(0.2)
    assert [c.reason for c in pair.closes()] == ["ping timeout"]
    sid = pair.client.sid
    assert sid is not None and pair.core.get(sid) is None
    assert ClientClosed("ping timeout") in pair.client_events  # the client saw it too
    # A late poll still learns that the session is over, once.
    query = f"EIO=4&transport=polling&sid={sid}"
    response = respond(pair.core.handle_request(make_request("GET", query), pair.now)).response
    assert (response.status, response.body) == (200, b"1")
    late = respond(pair.core.handle_request(make_request("GET", query), pair.now))
    assert error_of(late.response) == {"code": 1, "message": "Session ID unknown"}


def test_lingering_session_is_forgotten_after_30s() -> None:
    pair = EnginePair(EngineConfig(ping_interval=10, ping_timeout=5))
    pair.connect()
    pair.advance(10)
    pair.advance(6)
    assert pair.core.next_deadline() == pytest.approx(pair.now + 30)
    pair.advance(31)
    assert pair.core.next_deadline() is None
    query = f"EIO=4&transport=polling&sid={pair.client.sid}"
    response = respond(pair.core.handle_request(make_request("GET", query), pair.now)).response
    assert response.status == 400


def test_any_traffic_counts_as_liveness_like_js_engine_io() -> None:
    pair = EnginePair(EngineConfig(ping_interval=10, ping_timeout=5))
    pair.connect()
    pair.advance(10)  # PING is queued but never fetched
    pair.advance(3)
    pair.client.send("still here")
    pair.post()
    pair.advance(3)  # 16 s: past the pong deadline, but a packet came 3 s ago
    assert pair.closes() == []
    pair.advance(3)  # 19 s: 6 s since the last packet
    assert [c.reason for c in pair.closes()] == ["ping timeout"]


def test_monitor_clients_false_never_times_out() -> None:
    pair = EnginePair(EngineConfig(ping_interval=10, ping_timeout=5, monitor_clients=False))
    pair.connect()
    pair.advance(10)
    pair.advance(1000)
    assert pair.closes() == []


# -- upgrade -------------------------------------------------------------------------


def test_upgrade_keeps_every_packet_in_order() -> None:
    pair = EnginePair()
    pair.connect()
    sid = pair.session.sid
    pair.core.send(sid, "before")
    pair.pump()
    assert pair.poll() is None  # parked GET while the probe starts
    accept = pair.open_probe()
    assert accept.session.state is SessionState.PROBING
    pair.core.send(sid, "during-probe")  # goes to the parked poll
    pair.release_parked()
    pair.client_to_server_ws()  # 2probe
    assert pair.session.state is SessionState.UPGRADING
    pair.core.send(sid, "while-upgrading-1")
    pair.core.send(sid, b"while-upgrading-2")
    pair.server_to_client_ws()  # 3probe: the client pauses polling and sends 5
    assert any(isinstance(e, ClientUpgraded) for e in pair.client_events)
    pair.client_to_server_ws()
    assert any(isinstance(e, Upgraded) for e in pair.server_events)
    assert pair.session.transport == "websocket"
    pair.core.send(sid, "after")
    pair.server_to_client_ws()
    assert pair.received_by_client() == [
        "before",
        "during-probe",
        "while-upgrading-1",
        b"while-upgrading-2",
        "after",
    ]
    pair.client.send("up")
    pair.client_to_server_ws()
    assert pair.received_by_server() == ["up"]


def test_probe_releases_a_parked_poll_with_noop() -> None:
    pair = EnginePair()
    pair.connect()
    assert pair.poll() is None
    pair.open_probe()
    pair.client_to_server_ws()  # 2probe
    assert pair.parked is not None
    response = pair.release_parked()
    assert response is not None and response.body == b"6"
    # During the upgrade a new poll is answered at once rather than parked.
    direct = respond(
        pair.core.handle_request(make_request("GET", pair.client.post_query()), pair.now)
    )
    assert direct.response.body == b"6"


def test_poll_after_upgrade_is_a_transport_mismatch() -> None:
    pair = EnginePair()
    pair.connect()
    pair.open_probe()
    pair.pump()
    assert pair.session.transport == "websocket"
    outcome = respond(
        pair.core.handle_request(make_request("GET", pair.client.post_query()), pair.now)
    )
    assert error_of(outcome.response) == {"code": 3, "message": "Bad request"}
    assert pair.core.get(pair.session.sid) is not None  # JS keeps the session


def test_upgrade_timeout_closes_the_probe_and_polling_goes_on() -> None:
    pair = EnginePair(EngineConfig(upgrade_timeout=10, ping_interval=25))
    pair.connect()
    accept = pair.open_probe()
    assert pair.core.next_deadline() == pair.now + 10
    pair.advance(9.9)
    assert not any(isinstance(e, CloseWebSocket) for e in pair.server_events)
    pair.advance(0.2)
    closes = [e for e in pair.server_events if isinstance(e, CloseWebSocket)]
    assert closes == [CloseWebSocket(accept.session.sid, accept.ws_id)]
    assert pair.session.state is SessionState.POLLING
    # Frames from the abandoned probe are ignored.
    assert pair.core.receive_ws(accept.session, accept.ws_id, "5", pair.now) == ()
    pair.client.abort_upgrade()
    pair.client.send("still polling")
    pair.post()
    assert pair.received_by_server() == ["still polling"]
    # A new probe may start.
    pair.open_probe()
    pair.pump()
    assert pair.session.transport == "websocket"


def test_probe_saying_anything_else_is_dropped() -> None:
    pair = EnginePair()
    pair.connect()
    accept = pair.open_probe()
    events = pair.core.receive_ws(accept.session, accept.ws_id, "4hi", pair.now)
    assert list(events) == [CloseWebSocket(accept.session.sid, accept.ws_id)]
    assert pair.session.state is SessionState.POLLING
    assert pair.closes() == []


def test_probe_closed_by_peer_keeps_the_session() -> None:
    pair = EnginePair()
    pair.connect()
    accept = pair.open_probe()
    assert pair.core.ws_closed(accept.session, accept.ws_id, pair.now) == []
    assert pair.session.state is SessionState.POLLING


def test_second_websocket_for_a_session_is_refused() -> None:
    pair = EnginePair()
    pair.connect()
    pair.open_probe()
    request = make_request("GET", pair.client.ws_query(), websocket=True)
    assert respond(pair.core.handle_websocket(request, pair.now)).response.status == 400
    pair.pump()
    assert pair.session.transport == "websocket"
    assert respond(pair.core.handle_websocket(request, pair.now)).response.status == 400


# -- closing -------------------------------------------------------------------------


def test_client_close_over_polling_answers_parked_poll_with_noop() -> None:
    pair = EnginePair()
    pair.connect()
    assert pair.poll() is None
    pair.client.close()
    pair.post()
    assert [c.reason for c in pair.closes()] == ["client disconnect"]
    response = pair.release_parked()
    assert response is not None and response.body == b"6"


def test_server_close_on_polling_flushes_queue_then_close_packet() -> None:
    pair = EnginePair()
    pair.connect()
    sid = pair.session.sid
    assert pair.poll() is None
    pair.core.send(sid, "last words")
    events = pair.core.close(sid, "server disconnect", pair.now)
    assert [type(e) for e in events] == [OutputReady, SessionClosed]
    response = pair.release_parked()
    assert response is not None and response.body == b"4last words\x1e1"
    assert pair.core.close(sid, "server disconnect", pair.now) == []  # exactly once


def test_server_close_on_websocket_sends_close_then_closes_socket() -> None:
    pair = EnginePair(transport="websocket")
    pair.connect()
    session = pair.session
    pair.core.send(session.sid, "bye")
    events = pair.core.close(session.sid, "server disconnect", pair.now)
    assert CloseWebSocket(session.sid, pair.ws_id or 0) in events
    assert isinstance(events[-1], SessionClosed)
    assert session.take_ws_frames(pair.ws_id or 0) == ["4bye", "1"]


@pytest.mark.parametrize(
    ("frame", "reason", "code"),
    [
        ("1", "client disconnect", 1000),
        ("9", "transport error", 1002),
        ("", "transport error", 1002),
        ("2", "transport error", 1002),  # PING from a client: wrong heartbeat direction
        ("0{}", "transport error", 1002),
    ],
)
def test_websocket_close_reasons(frame: str, reason: str, code: int) -> None:
    pair = EnginePair(transport="websocket")
    pair.connect()
    session = pair.session
    events = pair.core.receive_ws(session, pair.ws_id or 0, frame, pair.now)
    assert events[-1] == SessionClosed(session.sid, reason)
    assert CloseWebSocket(session.sid, pair.ws_id or 0, code) in events
    assert pair.core.get(session.sid) is None


def test_websocket_dropped_by_peer_is_transport_close() -> None:
    pair = EnginePair(transport="websocket")
    pair.connect()
    session = pair.session
    events = pair.core.ws_closed(session, pair.ws_id or 0, pair.now)
    assert events[-1] == SessionClosed(session.sid, "transport close")
    assert pair.core.ws_closed(session, pair.ws_id or 0, pair.now) == []


def test_oversized_websocket_message_closes_the_session() -> None:
    pair = EnginePair(EngineConfig(max_http_buffer_size=100), transport="websocket")
    pair.connect()
    session = pair.session
    ok = pair.core.receive_ws(session, pair.ws_id or 0, "4" + "x" * 99, pair.now)
    assert [type(e) for e in ok] == [MessageReceived]
    multibyte = pair.core.receive_ws(session, pair.ws_id or 0, "4" + "é" * 60, pair.now)
    assert multibyte[-1] == SessionClosed(session.sid, "transport error")
    assert CloseWebSocket(session.sid, pair.ws_id or 0, 1009) in multibyte


def test_oversized_binary_websocket_message() -> None:
    pair = EnginePair(EngineConfig(max_http_buffer_size=10), transport="websocket")
    pair.connect()
    session = pair.session
    events = pair.core.receive_ws(session, pair.ws_id or 0, b"x" * 11, pair.now)
    assert events[-1] == SessionClosed(session.sid, "transport error")


# -- bad requests --------------------------------------------------------------------


@pytest.fixture
def core() -> EngineCore:
    return EngineCore(EngineConfig())


@pytest.mark.parametrize(
    ("method", "query", "code", "message"),
    [
        ("GET", "EIO=3&transport=polling", 5, "Unsupported protocol version"),
        ("GET", "transport=polling", 5, "Unsupported protocol version"),
        ("GET", "EIO=4", 0, "Transport unknown"),
        ("GET", "EIO=4&transport=flashsocket", 0, "Transport unknown"),
        ("GET", "EIO=4&transport=websocket", 3, "Bad request"),
        ("POST", "EIO=4&transport=polling", 2, "Bad handshake method"),
        ("PUT", "EIO=4&transport=polling", 2, "Bad handshake method"),
        ("DELETE", "EIO=4&transport=polling&sid=abc", 3, "Bad request"),
        ("GET", "EIO=4&transport=polling&sid=unknown", 1, "Session ID unknown"),
        ("POST", "EIO=4&transport=polling&sid=unknown", 1, "Session ID unknown"),
    ],
)
def test_bad_requests_get_400_with_js_error_body(
    core: EngineCore, method: str, query: str, code: int, message: str
) -> None:
    outcome = respond(core.handle_request(make_request(method, query), 0.0))
    assert outcome.response.status == 400
    assert error_of(outcome.response) == {"code": code, "message": message}
    assert outcome.events == ()
    assert not core.sessions


def test_disabled_transport_is_refused() -> None:
    core = EngineCore(EngineConfig(transports=("websocket",)))
    outcome = respond(core.handle_request(make_request(), 0.0))
    assert error_of(outcome.response)["code"] == 0
    ws_only = EngineCore(EngineConfig(transports=("polling",)))
    refused = respond(
        ws_only.handle_websocket(
            make_request(query="EIO=4&transport=websocket", websocket=True), 0.0
        )
    )
    assert refused.response.status == 400


def test_websocket_handshake_errors(core: EngineCore) -> None:
    for query, code in [
        ("EIO=3&transport=websocket", 5),
        ("EIO=4&transport=polling", 3),
        ("EIO=4", 0),
        ("EIO=4&transport=websocket&sid=nope", 1),
    ]:
        outcome = respond(core.handle_websocket(make_request(query=query, websocket=True), 0.0))
        assert error_of(outcome.response)["code"] == code, query


def bad_post(pair: EnginePair, body: bytes, **kwargs: bool) -> Respond:
    request = make_request("POST", pair.client.post_query(), body)
    return respond(pair.core.handle_request(request, pair.now, **kwargs))


@pytest.mark.parametrize(
    "body",
    [
        b"4\xff\xfe",  # not UTF-8
        b"9nope",  # unknown packet type
        b"4ok\x1e",  # trailing empty packet
        b"b!!notbase64",
        b"0{}",  # OPEN from a client
        b"2",  # PING from a client
    ],
)
def test_malformed_post_is_400_and_closes_only_that_session(body: bytes) -> None:
    pair = EnginePair()
    pair.connect()
    other = EnginePair()
    other.core = pair.core  # a second client of the same server
    other.connect()
    outcome = bad_post(pair, body)
    assert outcome.response.status == 400
    assert outcome.events[-1] == SessionClosed(pair.client.sid or "", "transport error")
    other.client.send("fine")
    other.post()
    assert other.received_by_server() == ["fine"]


def test_too_many_packets_is_400_not_a_silent_drop() -> None:
    pair = EnginePair(EngineConfig(max_packets_per_payload=100))
    pair.connect()
    body = "\x1e".join(["4x"] * 101).encode()
    outcome = bad_post(pair, body)
    assert outcome.response.status == 400
    assert not any(isinstance(e, MessageReceived) for e in outcome.events)
    assert outcome.events[-1] == SessionClosed(pair.client.sid or "", "transport error")


def test_oversized_post_is_413_and_closes_the_session() -> None:
    pair = EnginePair(EngineConfig(max_http_buffer_size=50))
    pair.connect()
    outcome = bad_post(pair, b"4" + b"x" * 50)
    assert outcome.response.status == 413
    assert outcome.events[-1] == SessionClosed(pair.client.sid or "", "transport error")
    pair2 = EnginePair(EngineConfig(max_http_buffer_size=50))
    pair2.connect()
    flagged = bad_post(pair2, b"", body_too_large=True)  # the edge stopped reading
    assert flagged.response.status == 413


def test_overlapping_poll_is_400_and_closes_with_close_packet() -> None:
    pair = EnginePair()
    pair.connect()
    assert pair.poll() is None
    request = make_request("GET", pair.client.post_query())
    outcome = respond(pair.core.handle_request(request, pair.now))
    assert outcome.response.status == 400
    assert outcome.events[-1] == SessionClosed(pair.client.sid or "", "transport error")
    response = pair.release_parked()
    assert response is not None and response.body == b"1"


def test_foreign_origin_is_refused_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    core = EngineCore(EngineConfig(cors_allowed_origins=["http://good.com"]))
    with caplog.at_level(logging.INFO, logger="engineio.server"):
        for _ in range(2):
            outcome = respond(
                core.handle_request(make_request(headers={"origin": "http://evil.com"}), 0.0)
            )
            assert outcome.response.status == 400
            assert error_of(outcome.response)["message"] == "Not an accepted origin."
        ws = respond(
            core.handle_websocket(
                make_request(
                    query="EIO=4&transport=websocket",
                    headers={"origin": "http://evil.com"},
                    websocket=True,
                ),
                0.0,
            )
        )
        assert ws.response.status == 400
    assert not core.sessions
    records = [r for r in caplog.records if "not an accepted origin" in r.getMessage()]
    assert [r.levelno for r in records] == [logging.ERROR, logging.INFO, logging.INFO]


def test_cors_headers_and_preflight() -> None:
    core = EngineCore(EngineConfig(cors_allowed_origins="*"))
    origin = {"origin": "http://app.example"}
    handshake = respond(core.handle_request(make_request(headers=origin), 0.0))
    headers = dict(handshake.response.headers)
    assert headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    preflight = respond(
        core.handle_request(
            make_request("OPTIONS", headers={**origin, "access-control-request-headers": "x-a"}),
            0.0,
        )
    )
    assert preflight.response.status == 204
    assert dict(preflight.response.headers)["Access-Control-Allow-Headers"] == "x-a"


def test_cookie_option_as_name_and_as_dict() -> None:
    named = EnginePair(EngineConfig(cookie="io"))
    named.connect()
    assert ("Set-Cookie", "io=sid00000000000000001; path=/; SameSite=Lax") in named.responses[
        0
    ].headers
    detailed = EnginePair(
        EngineConfig(
            cookie={"name": "sticky", "path": "/x", "HttpOnly": True, "Max-Age": lambda: "60"}
        )
    )
    detailed.connect()
    assert (
        "Set-Cookie",
        "sticky=sid00000000000000001; path=/x; HttpOnly; Max-Age=60",
    ) in detailed.responses[0].headers
    ws = EnginePair(EngineConfig(cookie="io"), transport="websocket")
    request = make_request("GET", ws.client.handshake_query(), websocket=True)
    accept = ws.core.handle_websocket(request, 0.0)
    assert isinstance(accept, AcceptWebSocket)
    assert accept.headers == (("Set-Cookie", "io=sid00000000000000001; path=/; SameSite=Lax"),)


@pytest.mark.parametrize(
    ("compression", "size", "compressed"),
    [(True, 2000, True), (True, 100, False), (False, 2000, False)],
)
def test_poll_response_compression(compression: bool, size: int, compressed: bool) -> None:
    pair = EnginePair(
        EngineConfig(http_compression=compression), headers={"accept-encoding": "gzip, deflate"}
    )
    pair.connect()
    pair.core.send(pair.session.sid, "x" * size)
    request = make_request("GET", pair.client.post_query(), headers={"accept-encoding": "gzip"})
    response = respond(pair.core.handle_request(request, pair.now)).response
    headers = dict(response.headers)
    body = gzip.decompress(response.body) if compressed else response.body
    assert body == b"4" + b"x" * size
    assert ("Content-Encoding" in headers) is compressed
    assert headers["Content-Length"] == str(len(response.body))


def test_await_poll_outcome_and_cancel() -> None:
    pair = EnginePair()
    pair.connect()
    request = make_request("GET", pair.client.post_query())
    outcome = pair.core.handle_request(request, pair.now)
    assert isinstance(outcome, AwaitPoll)
    pair.core.cancel_poll(outcome.session)
    again = pair.core.handle_request(request, pair.now)
    assert isinstance(again, AwaitPoll)  # no overlap: the first one was given up


def test_errors_log_error_once_per_kind_then_info(caplog: pytest.LogCaptureFixture) -> None:
    core = EngineCore()
    with caplog.at_level(logging.INFO, logger="engineio.server"):
        for _ in range(3):
            core.handle_request(make_request(query="EIO=4&transport=polling&sid=x"), 0.0)
        core.handle_request(make_request(query="EIO=3&transport=polling"), 0.0)
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.ERROR, logging.INFO, logging.INFO, logging.ERROR]


def test_poll_still_parked_at_upgrade_gets_noop_and_data_goes_to_websocket() -> None:
    pair = EnginePair()
    pair.connect()
    sid = pair.session.sid
    assert pair.poll() is None  # parked
    accept = pair.open_probe()
    pair.core.receive_ws(accept.session, accept.ws_id, "2probe", pair.now)
    pair.core.send(sid, "racing")  # queued before the edge answered the parked poll
    pair.core.receive_ws(accept.session, accept.ws_id, "5", pair.now)
    response = pair.release_parked()
    assert response is not None and response.body == b"6"
    assert accept.session.take_ws_frames(accept.ws_id) == ["3probe", "4racing"]


def test_session_close_is_idempotent_on_its_own() -> None:
    pair = EnginePair()
    pair.connect()
    session = pair.session
    first = session.close("server disconnect", pair.now)
    assert first[-1] == SessionClosed(session.sid, "server disconnect")
    assert session.close("transport error", pair.now) == []
    assert session.close_reason == "server disconnect"
    assert session.receive_polling([], pair.now) == []
