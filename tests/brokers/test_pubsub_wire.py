"""The sans-IO parts of the pub/sub managers: wire codec, backoff, cluster view, outbox."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.exceptions import RemoteProtocolError
from runtime.pubsub import messages as wire
from runtime.pubsub.backoff import Backoff
from runtime.pubsub.cluster import ClusterView
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
    QueryKind,
    Reply,
)
from runtime.pubsub.outbox import Outbox
from runtime.socketio.jsonmod import json_codec
from tests.brokers.harness import APPS

CODEC = json_codec()

# -- python-socketio's own messages, field for field --------------------------------------

OURS: dict[str, wire.Message] = {
    "emit_dict": EmitMessage("ev", [{"a": 1}], "/chat", "r1", None, None, "h0"),
    "emit_none": EmitMessage("ev", wire.data_to_args(None), "/", None, None, None, "h0"),
    "emit_tuple": EmitMessage(
        "ev", wire.data_to_args((1, "x", [2])), "/", ["r1", "r2"], "s1", None, "h0"
    ),
    "emit_skip_list": EmitMessage("ev", ["s"], "/", None, ["s1", "s2"], None, "h0"),
    "emit_binary": EmitMessage("ev", [{"k": b"\x00\x01"}, b"\xff"], "/", "r", None, None, "h0"),
    "disconnect": DisconnectMessage("sid1", "/chat", "h0"),
    "enter_room": EnterRoom("sid1", "room1", "/", "h0"),
    "leave_room": LeaveRoom("sid1", "room1", "/", "h0"),
    "close_room": CloseRoom("room1", "/chat", "h0"),
    "callback": CallbackMessage("h9", "sid1", "/", 7, ["a", 2]),
}


@pytest.fixture(scope="module")
def pysio_golden(pysio_python: Path) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [str(pysio_python), str(APPS / "pysio_messages.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("name", sorted(OURS))
def test_encoding_matches_python_socketio(
    name: str, pysio_golden: dict[str, dict[str, Any]]
) -> None:
    theirs = pysio_golden[name]
    assert wire.encode(OURS[name]) == theirs
    assert json.loads(wire.dumps(OURS[name], CODEC)) == theirs
    # and what python-socketio publishes decodes to the same typed message
    assert wire.loads(json.dumps(theirs).encode(), CODEC) == OURS[name]


def test_emit_with_callback_field() -> None:
    message = EmitMessage("ev", [1], "/", "sid1", None, ("sid1", "/", 3), "h1")
    encoded = wire.encode(message)
    assert encoded["callback"] == ["sid1", "/", 3]
    assert wire.decode(encoded) == message


def test_python_socketio_receiving_rules() -> None:
    assert wire.args_to_data([None]) is None
    assert wire.args_to_data([[1, 2]]) == [1, 2]
    assert wire.args_to_data([1, 2]) == (1, 2)
    assert wire.args_to_data([]) == ()
    assert wire.data_to_args(None) == [None]
    assert wire.data_to_args([1]) == [[1]]


def test_runtime_extensions_round_trip_and_binary_callbacks() -> None:
    for message in (
        Hello("h1"),
        Hello("h1", answer=True),
        Bye("h1"),
        Query("h1", "q1", QueryKind.PARTICIPANTS, "/", ["a", 3], None),
        Query("h1", "q2", QueryKind.ROOMS, "/x", None, "sid9"),
        Reply("h1", "h2", "q1", ["s1", "room", 4]),
        CallbackMessage("h1", "s", "/", 1, [b"\x01", {"x": b""}]),
    ):
        assert wire.loads(wire.dumps(message, CODEC), CODEC) == message
    packed = wire.encode(CallbackMessage("h1", "s", "/", 1, [b"\x01"]))
    assert packed["binary"] is True
    assert packed["args"] == [[{"_placeholder": True, "num": 0}], "AQ=="]


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"text"',
        b'{"no": "method"}',
        b'{"method": "future_method", "host_id": "x"}',
        {"method": "other"},
    ],
)
def test_foreign_messages_are_ignored(raw: Any) -> None:
    assert wire.loads(raw, CODEC) is None


@pytest.mark.parametrize(
    "obj",
    [
        {"method": "emit", "event": 1, "data": [], "host_id": "h"},
        {"method": "emit", "event": "e", "data": "x", "host_id": "h"},
        {"method": "emit", "event": "e", "data": [1], "host_id": 5},
        {"method": "emit", "event": "e", "data": [1], "room": {"a": 1}, "host_id": "h"},
        {"method": "emit", "event": "e", "data": [1], "skip_sid": [1], "host_id": "h"},
        {"method": "emit", "event": "e", "data": [1], "callback": ["s", "/", "x"], "host_id": "h"},
        {"method": "emit", "event": "e", "data": ["x", "!!"], "binary": True, "host_id": "h"},
        {
            "method": "emit",
            "event": "e",
            "data": [[{"_placeholder": True, "num": 1}]],
            "binary": True,
            "host_id": "h",
        },
        {"method": "callback", "host_id": "h", "sid": "s", "id": True, "args": []},
        {"method": "callback", "host_id": "h", "sid": "s", "id": 1, "args": "x"},
        {"method": "enter_room", "sid": "s", "room": None, "host_id": "h"},
        {"method": "runtime:query", "host_id": "h", "request_id": "r", "kind": "bogus"},
        {"method": "runtime:query", "host_id": "h", "request_id": "r", "kind": "rooms"},
        {
            "method": "runtime:reply",
            "host_id": "h",
            "sender": "s",
            "request_id": "r",
            "items": [[1]],
        },
    ],
)
def test_malformed_messages_raise_remote_protocol_error(obj: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolError):
        wire.decode(obj)


def test_missing_namespace_means_default() -> None:
    message = wire.decode({"method": "close_room", "room": "r", "host_id": "h"})
    assert message == CloseRoom("r", "/", "h")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text() | st.binary(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    event=st.text(min_size=1),
    args=st.lists(json_values, max_size=4),
    room=st.none() | st.text() | st.lists(st.text() | st.integers(0, 99), max_size=3),
    skip=st.none() | st.text() | st.lists(st.text(), max_size=3),
    callback=st.none() | st.tuples(st.text(), st.text(), st.integers(0, 2**31)),
)
def test_emit_round_trip(event: str, args: list[Any], room: Any, skip: Any, callback: Any) -> None:
    message = EmitMessage(event, args, "/ns", room, skip, callback, "host")
    text = wire.dumps(message, CODEC)
    assert wire.loads(text.encode(), CODEC) == message
    assert wire.loads(text, CODEC) == message


# -- backoff ---------------------------------------------------------------------------


def test_backoff_doubles_caps_and_resets() -> None:
    backoff = Backoff(1.0, 8.0)
    assert [backoff.next_delay() for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    assert backoff.failures == 6
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.next_delay() == 1


def test_backoff_jitter_only_shortens() -> None:
    backoff = Backoff(2.0, 2.0, jitter=0.5, rand=lambda: 1.0)
    assert backoff.next_delay() == 1.0
    backoff = Backoff(2.0, 2.0, jitter=0.5, rand=lambda: 0.0)
    assert backoff.next_delay() == 2.0


@pytest.mark.parametrize(
    "kwargs", [{"initial": 0}, {"initial": 2, "maximum": 1}, {"factor": 0.5}, {"jitter": 1}]
)
def test_backoff_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)


# -- cluster view ----------------------------------------------------------------------


def test_query_completes_when_every_known_peer_answered() -> None:
    view = ClusterView("me")
    assert view.seen("p1", 0.0) is True
    assert view.seen("p1", 1.0) is False
    assert view.seen("me", 1.0) is False  # never its own peer
    view.seen("p2", 1.0)
    query = view.open_query("q", ["s0"])
    assert not query.done
    assert view.on_reply("q", "p1", ["s1"], 2.0) is None
    assert view.on_reply("q", "p2", ["s2", "s0"], 2.0) is query
    answer = view.close_query("q")
    assert answer is not None and answer.complete
    assert answer.merged() == ["s0", "s1", "s2"]


def test_query_without_peers_is_answered_at_once() -> None:
    view = ClusterView("me")
    query = view.open_query("q", ["a"])
    assert query.done
    assert view.answer_now(query).merged() == ["a"]
    assert not view.pending


def test_silent_peer_is_dropped_and_comes_back_with_a_late_reply() -> None:
    view = ClusterView("me")
    view.seen("p1", 0.0)
    view.seen("p2", 0.0)
    view.open_query("q", [])
    view.on_reply("q", "p1", ["x"], 1.0)
    answer = view.close_query("q")
    assert answer is not None
    assert not answer.complete and answer.missing == {"p2"}
    assert set(view.peers) == {"p1"}
    assert view.on_reply("q", "p2", ["late"], 3.0) is None  # too late to count...
    assert set(view.peers) == {"p1", "p2"}  # ...but proves it alive


def test_first_hit_query_and_goodbye() -> None:
    view = ClusterView("me")
    view.seen("p1", 0.0)
    view.seen("p2", 0.0)
    query = view.open_query("q", [], first_hit=True)
    assert view.on_reply("q", "p1", [], 1.0) is None
    assert view.on_reply("q", "p2", ["room"], 1.0) is query
    other = view.open_query("r", [])
    view.forget("p1")
    view.forget("p2")
    assert other.done
    answer = view.close_query("r")
    assert answer is not None and answer.complete


# -- outbox ----------------------------------------------------------------------------


class RecordingTransport:
    """A transport that records batches and fails while ``down`` is set."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.down = False
        self.gate = asyncio.Event()
        self.gate.set()

    async def send(self, payloads: list[str]) -> None:
        await self.gate.wait()
        if self.down:
            raise ConnectionError("broker down")
        self.batches.append(list(payloads))


async def test_outbox_batches_what_queues_during_a_send_in_order() -> None:
    transport = RecordingTransport()
    outbox = Outbox(transport.send, logging.getLogger("test"))
    transport.gate.clear()
    first = asyncio.ensure_future(outbox.put("m0"))
    await asyncio.sleep(0)  # the writer takes m0 and blocks in send
    await asyncio.sleep(0)
    rest = [asyncio.ensure_future(outbox.put(f"m{i}")) for i in range(1, 6)]
    await asyncio.sleep(0)
    transport.gate.set()
    assert await asyncio.wait_for(asyncio.gather(first, *rest), 5) == [True] * 6
    assert transport.batches == [["m0"], ["m1", "m2", "m3", "m4", "m5"]]
    assert outbox.sent == 6
    await outbox.close()


async def test_outbox_retries_then_drops_loudly(caplog: pytest.LogCaptureFixture) -> None:
    transport = RecordingTransport()
    transport.down = True
    outbox = Outbox(
        transport.send, logging.getLogger("test.outbox"), attempts=3, backoff=Backoff(0.001, 0.002)
    )
    with caplog.at_level(logging.ERROR, logger="test.outbox"):
        assert await asyncio.wait_for(outbox.put("lost"), 5) is False
    assert outbox.dropped == 1
    text = caplog.text
    assert text.count("cannot publish 1 message(s)") == 2
    assert "1 message(s) DROPPED" in text
    transport.down = False
    assert await asyncio.wait_for(outbox.put("next"), 5) is True
    assert transport.batches == [["next"]]
    await outbox.close()


async def test_outbox_recovers_within_its_attempts() -> None:
    transport = RecordingTransport()
    transport.down = True
    outbox = Outbox(
        transport.send, logging.getLogger("test"), attempts=50, backoff=Backoff(0.001, 0.001)
    )
    pending = asyncio.ensure_future(outbox.put("kept"))
    await asyncio.sleep(0.02)
    assert not pending.done()
    transport.down = False
    assert await asyncio.wait_for(pending, 5) is True
    assert transport.batches == [["kept"]]
    await outbox.close()


async def test_cancelled_emitter_does_not_cancel_the_batch() -> None:
    transport = RecordingTransport()
    outbox = Outbox(transport.send, logging.getLogger("test"))
    transport.gate.clear()
    first = asyncio.ensure_future(outbox.put("a"))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(outbox.put("b"))
    third = asyncio.ensure_future(outbox.put("c"))
    await asyncio.sleep(0)
    second.cancel()
    transport.gate.set()
    assert await asyncio.wait_for(third, 5) is True
    assert await first is True
    assert transport.batches == [["a"], ["b", "c"]]
    await outbox.close()
