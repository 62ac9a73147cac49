"""Hypothesis properties of the sans-IO server core.

* Any request, websocket frame or timer sequence: the core never raises, every session
  opens first and closes exactly once, and nothing is delivered after its close.
* Any interleaving of client steps around an upgrade: no message is lost, duplicated
  or reordered, in either direction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from eio_helpers import EnginePair, make_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.engineio.config import EngineConfig
from runtime.engineio.core import AcceptWebSocket, AwaitPoll, EngineCore
from runtime.engineio.events import (
    EngineEvent,
    MessageReceived,
    SessionClosed,
    SessionOpened,
    Upgraded,
)
from runtime.engineio.http import HttpRequest
from runtime.engineio.session import Session

SIDS = [f"sid{n:017d}" for n in range(1, 4)]

sid_strategy = st.one_of(st.sampled_from(SIDS), st.text(max_size=5))
query_strategy = st.builds(
    lambda eio, transport, sid: "&".join(
        part
        for part in (
            f"EIO={eio}" if eio is not None else "",
            f"transport={transport}" if transport is not None else "",
            f"sid={sid}" if sid is not None else "",
        )
        if part
    ),
    st.sampled_from(["4", "4", "3", None]),
    st.sampled_from(["polling", "websocket", "x", None]),
    st.one_of(st.none(), sid_strategy),
)
frame_strategy = st.one_of(
    st.sampled_from(["2probe", "5", "3", "1", "4hello", "6", "2", "0", ""]),
    st.text(max_size=10),
    st.binary(max_size=10),
)
body_strategy = st.one_of(
    st.sampled_from([b"4a\x1e4b", b"3", b"1", b"bAQID", b"4x\x1e1\x1e4y", b"2"]),
    st.binary(max_size=20),
)

operation = st.one_of(
    # Valid handshakes and probes often enough that most examples have live sessions.
    st.tuples(st.just("http"), st.just("GET"), st.just("EIO=4&transport=polling"), st.just(b"")),
    st.tuples(st.just("ws_open"), st.just("EIO=4&transport=websocket")),
    st.tuples(
        st.just("ws_open"), st.sampled_from([f"EIO=4&transport=websocket&sid={s}" for s in SIDS])
    ),
    st.tuples(
        st.just("http"),
        st.sampled_from(["GET", "POST", "PUT", "OPTIONS"]),
        query_strategy,
        body_strategy,
    ),
    st.tuples(st.just("ws_open"), query_strategy),
    st.tuples(st.just("ws_frame"), st.integers(0, 5), frame_strategy),
    st.tuples(st.just("ws_close"), st.integers(0, 5)),
    st.tuples(st.just("finish_poll"), st.integers(0, 5)),
    st.tuples(st.just("advance"), st.floats(0, 40)),
    st.tuples(st.just("send"), sid_strategy, st.one_of(st.text(max_size=5), st.binary(max_size=5))),
    st.tuples(st.just("close"), sid_strategy),
)


def check_event_order(events: list[EngineEvent]) -> None:
    state: dict[str, str] = defaultdict(lambda: "new")
    for event in events:
        if isinstance(event, SessionOpened):
            assert state[event.sid] == "new"
            state[event.sid] = "open"
        elif isinstance(event, MessageReceived | Upgraded):
            assert state[event.sid] == "open", event
        elif isinstance(event, SessionClosed):
            assert state[event.sid] == "open", event
            state[event.sid] = "closed"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(operation, max_size=40))
def test_core_survives_any_input_and_closes_once(ops: list[tuple[Any, ...]]) -> None:
    ids = iter(SIDS + [f"extra{n:015d}" for n in range(100)])
    core = EngineCore(
        EngineConfig(ping_interval=10, ping_timeout=5, upgrade_timeout=3, max_http_buffer_size=64),
        id_factory=lambda: next(ids),
    )
    now = 0.0
    events: list[EngineEvent] = []
    sockets: list[tuple[Session, int]] = []
    parked: list[tuple[Session, HttpRequest]] = []
    for op in ops:
        kind = op[0]
        if kind == "http":
            _, method, query, body = op
            request = make_request(str(method), str(query), bytes(body))
            outcome = core.handle_request(request, now)
            events.extend(outcome.events)
            if isinstance(outcome, AwaitPoll):
                parked.append((outcome.session, request))
        elif kind == "ws_open":
            request = make_request("GET", str(op[1]), websocket=True)
            ws_outcome = core.handle_websocket(request, now)
            events.extend(ws_outcome.events)
            if isinstance(ws_outcome, AcceptWebSocket):
                sockets.append((ws_outcome.session, ws_outcome.ws_id))
        elif kind == "ws_frame" and sockets:
            session, ws_id = sockets[int(op[1]) % len(sockets)]
            events.extend(core.receive_ws(session, ws_id, op[2], now))
            session.take_ws_frames(ws_id)
        elif kind == "ws_close" and sockets:
            session, ws_id = sockets.pop(int(op[1]) % len(sockets))
            events.extend(core.ws_closed(session, ws_id, now))
        elif kind == "finish_poll" and parked:
            session, request = parked[int(op[1]) % len(parked)]
            if core.finish_poll(session, request) is not None:
                parked.remove((session, request))
        elif kind == "advance":
            now += float(op[1])
            events.extend(core.handle_timer(now))
            deadline = core.next_deadline()
            assert deadline is None or deadline > now  # everything due has run
        elif kind == "send":
            core.send(str(op[1]), op[2])
        elif kind == "close":
            events.extend(core.close(str(op[1]), "server disconnect", now))
    check_event_order(events)
    # Closing everything closes each open session exactly once more.
    events.extend(core.close_all("server disconnect", now))
    check_event_order(events)
    opened = {e.sid for e in events if isinstance(e, SessionOpened)}
    closed = [e.sid for e in events if isinstance(e, SessionClosed)]
    assert sorted(closed) == sorted(opened)
    assert not core.sessions


client_step = st.sampled_from(
    [
        "server_send",
        "server_send_binary",
        "client_send",
        "poll",
        "release",
        "post",
        "probe",
        "c2s",
        "s2c",
        "tick",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(client_step, max_size=60))
def test_no_message_lost_or_reordered_around_upgrade(steps: list[str]) -> None:
    # Pings happen (every 5 s of ticks) but cannot time out within 60 one-second steps.
    pair = EnginePair(EngineConfig(ping_interval=5, ping_timeout=100, upgrade_timeout=100))
    pair.connect()
    sid = pair.session.sid
    sent_by_server: list[str | bytes] = []
    sent_by_client: list[str | bytes] = []
    probed = False
    for n, step in enumerate(steps):
        if step == "server_send":
            sent_by_server.append(f"s{n}")
            pair.core.send(sid, f"s{n}")
        elif step == "server_send_binary":
            sent_by_server.append(b"b%d" % n)
            pair.core.send(sid, b"b%d" % n)
        elif step == "client_send":
            sent_by_client.append(f"c{n}")
            pair.client.send(f"c{n}")
        elif step == "poll":
            pair.poll()
        elif step == "release":
            pair.release_parked()
        elif step == "post":
            pair.post()
        elif step == "probe" and not probed:
            probed = True
            pair.open_probe()
        elif step == "c2s" and pair.ws_id is not None:
            pair.client_to_server_ws()
        elif step == "s2c" and pair.ws_id is not None:
            pair.server_to_client_ws()
        elif step == "tick":
            pair.advance(1)
    pair.pump(rounds=20)
    assert pair.closes() == []
    assert pair.received_by_client() == sent_by_server
    assert pair.received_by_server() == sent_by_client
    if probed:
        assert pair.session.transport == "websocket"
        assert pair.client.transport == "websocket"
