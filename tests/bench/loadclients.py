"""Scenario clients: the per-message work of the load generator, kept minimal.

Each echo client keeps ``depth`` requests outstanding and sends the next one
from the ack callback; the per-request bytes are built from constant parts.
"""

from __future__ import annotations

import asyncio
import json
import time
from array import array
from dataclasses import dataclass

from tests.bench.pollclient import PollingSioClient
from tests.bench.wire import Opcode, client_frame, client_text
from tests.bench.wsclient import WsSioClient

ECHO_DATA = {"text": "hello", "n": 42}
ECHO_ARGS = json.dumps(["echo", ECHO_DATA], separators=(",", ":")).encode()
ECHO_REPLY = json.dumps([ECHO_DATA], separators=(",", ":")).encode()
PLACEHOLDER = b'{"_placeholder":true,"num":0}'
BINARY_ARGS = b'["echo",' + PLACEHOLDER + b"]"
BINARY_REPLY = b"[" + PLACEHOLDER + b"]"
TICK_PREFIX = b'42["tick",'


class EchoStats:
    """Shared by all clients of one scenario; only the measured window is recorded."""

    __slots__ = ("count", "errors", "first_error", "latencies", "recording", "running")

    def __init__(self) -> None:
        self.running = False
        self.recording = False
        self.count = 0
        self.errors = 0
        self.first_error = ""
        self.latencies = array("d")

    def reset(self) -> None:
        """Forget the last window's figures before the next one (errors are kept)."""
        self.count = 0
        self.latencies = array("d")

    def error(self, why: str) -> None:
        self.errors += 1
        if not self.first_error:
            self.first_error = why


def _same_json(raw: bytes, expected: bytes) -> bool:
    # Implementations may space JSON differently; compare values when bytes differ.
    return raw == expected or json.loads(raw) == json.loads(expected)


@dataclass(frozen=True, slots=True)
class Request:
    """What an echo client sends (``args``: the event's JSON array) and expects back."""

    args: bytes = ECHO_ARGS
    reply: bytes = ECHO_REPLY
    namespace: bytes = b""
    auth: bytes = b""


class EchoClient(WsSioClient):
    """``emit('echo', ECHO_DATA, callback)`` with ``depth`` requests in flight.

    Another ``request`` sends another acked event, and checks its own reply.
    """

    def __init__(
        self, host: str, port: int, stats: EchoStats, depth: int, request: Request = Request()
    ) -> None:
        super().__init__(host, port, request.namespace, request.auth)
        self.stats = stats
        self.depth = depth
        self.sent: dict[int, float] = {}
        self._event_head = b"42" + self.ns_prefix
        self._args = request.args
        self._reply = request.reply

    @property
    def outstanding(self) -> int:
        return len(self.sent)

    def start(self) -> None:
        for _ in range(self.depth):
            self._send_next()

    def _send_next(self) -> None:
        self._next_id += 1
        ack_id = self._next_id
        self.sent[ack_id] = time.perf_counter()
        self.send_raw(client_text(b"%s%d%s" % (self._event_head, ack_id, self._args)))

    def on_ack(self, ack_id: int, args: bytes) -> None:
        started = self.sent.pop(ack_id, None)
        if started is None:
            super().on_ack(ack_id, args)
            return
        stats = self.stats
        if args != self._reply and not _same_json(args, self._reply):
            stats.error(f"unexpected echo ack {args[:100]!r}")
        if stats.recording:
            stats.count += 1
            stats.latencies.append(time.perf_counter() - started)
        if stats.running:
            self._send_next()


class BinaryEchoClient(WsSioClient):
    """``emit('echo', <size bytes>, callback)``: one attachment each way."""

    def __init__(self, host: str, port: int, stats: EchoStats, depth: int, blob: bytes) -> None:
        super().__init__(host, port)
        self.stats = stats
        self.depth = depth
        self.blob = blob
        self._blob_frame = client_frame(Opcode.BINARY, blob)
        self.sent: dict[int, float] = {}

    @property
    def outstanding(self) -> int:
        return len(self.sent)

    def start(self) -> None:
        for _ in range(self.depth):
            self._send_next()

    def _send_next(self) -> None:
        self._next_id += 1
        ack_id = self._next_id
        self.sent[ack_id] = time.perf_counter()
        self.send_raw(client_text(b"451-%d%s" % (ack_id, BINARY_ARGS)))
        self.send_raw(self._blob_frame)

    def on_binary_ack(self, ack_id: int, args: bytes, attachments: list[bytes]) -> None:
        started = self.sent.pop(ack_id, None)
        if started is None:
            return
        stats = self.stats
        if len(attachments) != 1 or attachments[0] != self.blob:
            stats.error(f"binary echo mismatch: {len(attachments)} attachment(s)")
        elif args != BINARY_REPLY and not _same_json(args, BINARY_REPLY):
            stats.error(f"unexpected binary ack {args[:100]!r}")
        if stats.recording:
            stats.count += 1
            stats.latencies.append(time.perf_counter() - started)
        if stats.running:
            self._send_next()

    def on_ack(self, ack_id: int, args: bytes) -> None:
        if self.sent.pop(ack_id, None) is not None:
            self.stats.error(f"text ack to a binary echo: {args[:100]!r}")
            if self.stats.running:
                self._send_next()
            return
        super().on_ack(ack_id, args)


class PollingEchoClient(PollingSioClient):
    """Echo with ack over HTTP long-polling only."""

    def __init__(self, host: str, port: int, stats: EchoStats, depth: int) -> None:
        super().__init__(host, port)
        self.stats = stats
        self.depth = depth
        self.sent: dict[int, float] = {}

    @property
    def outstanding(self) -> int:
        return len(self.sent)

    def start(self) -> None:
        for _ in range(self.depth):
            self._send_next()

    def _send_next(self) -> None:
        ack_id = self.new_id()
        self.sent[ack_id] = time.perf_counter()
        self.send_packet(b"42%d%s" % (ack_id, ECHO_ARGS))

    def on_ack(self, ack_id: int, args: bytes) -> None:
        started = self.sent.pop(ack_id, None)
        if started is None:
            return
        stats = self.stats
        if args != ECHO_REPLY and not _same_json(args, ECHO_REPLY):
            stats.error(f"unexpected echo ack {args[:100]!r}")
        if stats.recording:
            stats.count += 1
            stats.latencies.append(time.perf_counter() - started)
        if stats.running:
            self._send_next()


class BroadcastStats:
    """Counts clients that have received every tick of the current round."""

    __slots__ = ("all_done", "clients", "done", "done_at", "expected", "received")

    def __init__(self) -> None:
        self.clients = 0
        self.expected = 0
        self.done = 0
        self.received = 0
        self.done_at = 0.0
        self.all_done: asyncio.Future[float] | None = None

    def new_round(self, clients: int, expected: int) -> asyncio.Future[float]:
        self.clients = clients
        self.expected = expected
        self.done = 0
        self.received = 0
        self.all_done = asyncio.get_running_loop().create_future()
        return self.all_done


class BroadcastClient(WsSioClient):
    """Counts ``tick`` events; tells the stats when its round is complete."""

    def __init__(self, host: str, port: int, stats: BroadcastStats) -> None:
        super().__init__(host, port)
        self.stats = stats
        self.ticks = 0

    def on_event(self, packet: bytes) -> None:
        if not packet.startswith(TICK_PREFIX):
            return
        self.ticks += 1
        stats = self.stats
        stats.received += 1
        if self.ticks == stats.expected:
            stats.done += 1
            fut = stats.all_done
            if stats.done == stats.clients and fut is not None and not fut.done():
                fut.set_result(time.perf_counter())
