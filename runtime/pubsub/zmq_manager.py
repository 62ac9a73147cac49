"""``ZmqManager``: the sync pub/sub manager over ZeroMQ, through a PULL -> PUB forwarder.

URL ``zmq+tcp://HOST:SINK_PORT+PUB_PORT`` (python-socketio's form): each node
PUSHes to ``tcp://HOST:SINK_PORT`` and SUBscribes to ``tcp://HOST:PUB_PORT`` of a
forwarder that copies one to the other (``python -m runtime.pubsub.zmq_forwarder``).
Each message is python-socketio's JSON envelope ``{"type": "message", "channel":
CHANNEL, "data": MESSAGE}``, so python-socketio nodes can share the forwarder;
a node keeps only the envelopes of its own channel.

ZeroMQ reconnects by itself, which would hide a dead forwarder: the listener
watches its socket's connection events instead, and a lost (or never made)
connection ends ``_listen()`` so the base class logs it and reconnects with
backoff. Publishes go out only on a live connection (``ZMQ_IMMEDIATE``), else
they fail and the base class retries, then drops them loudly.

Under gevent or eventlet the green ``zmq`` module of that library is used.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from runtime.pubsub.sync_manager import PubSubManager
from runtime.pubsub.zmq_forwarder import parse_zmq_url

__all__ = ["ZmqManager", "parse_zmq_url"]


def _zmq_module(async_mode: str | None) -> Any:
    """pyzmq, or its green variant for the greenlet modes (a blocking recv would stall them)."""
    name = {"gevent": "zmq.green", "gevent_uwsgi": "zmq.green", "eventlet": "eventlet.green.zmq"}
    try:
        return importlib.import_module(name.get(async_mode or "", "zmq"))
    except ImportError:
        raise RuntimeError(
            'zmq package is not installed (Run "pip install pyzmq" in your virtualenv).'
        ) from None


class ZmqManager(PubSubManager):
    """ZeroMQ based client manager (python-socketio's constructor).

    A forwarder must be running at the URL's ports (see
    ``runtime.pubsub.zmq_forwarder``).
    """

    name = "zmq"

    # How long the listener waits for the forwarder to accept its connection
    # before it reports a failure (s), and how often it checks for shutdown (ms).
    connect_timeout = 5.0
    poll_interval_ms = 250
    # How long closing the publisher may wait to hand queued messages over (ms).
    publish_linger_ms = 2000

    def __init__(
        self,
        url: str = "zmq+tcp://localhost:5555+5556",
        channel: str = "socketio",
        write_only: bool = False,
        logger: Any = None,
        json: Any = None,
    ) -> None:
        self.sink_url, self.sub_url = parse_zmq_url(url)
        _zmq_module(None)  # fail now, not at the first emit, when pyzmq is missing
        super().__init__(channel=channel, write_only=write_only, logger=logger, json=json)
        self.url = url
        self._zmq_mod: Any = None
        self._context: Any = None
        self._sink: Any = None  # the PUSH socket, shared by publishing threads
        self._sink_lock = threading.Lock()

    def _zmq(self) -> Any:
        if self._zmq_mod is None:
            mode = getattr(self.server, "async_mode", None)
            self._zmq_mod = _zmq_module(mode)
            self._context = self._zmq_mod.Context()
        return self._zmq_mod

    # -- publishing ------------------------------------------------------------------
    def _envelope(self, payload: str) -> bytes:
        # python-socketio's envelope around an already encoded message: splice the
        # JSON text in rather than decoding and encoding it again.
        channel = self._codec.dumps(self.channel)
        return f'{{"type": "message", "channel": {channel}, "data": {payload}}}'.encode()

    def _send_batch(self, payloads: list[str]) -> None:
        zmq = self._zmq()
        with self._sink_lock:
            if self._sink is None:
                sink = self._context.socket(zmq.PUSH)
                sink.setsockopt(zmq.IMMEDIATE, 1)  # no connection: fail, don't queue
                sink.setsockopt(zmq.LINGER, self.publish_linger_ms)
                sink.connect(self.sink_url)
                self._sink = sink
            for payload in payloads:
                # zmq.Again (no forwarder connected) goes to the caller's retries;
                # a batch retried after a partial send may repeat its first messages.
                self._sink.send(self._envelope(payload), zmq.NOBLOCK)

    # -- listening -------------------------------------------------------------------
    def _unwrap(self, raw: bytes) -> Any:
        """The message inside an envelope of our channel, else None."""
        try:
            envelope = self._codec.loads(raw.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return None
        if (
            isinstance(envelope, dict)
            and envelope.get("type") == "message"
            and envelope.get("channel") == self.channel
            and "data" in envelope
        ):
            return envelope["data"]
        return None

    def _listen(self) -> Iterator[Any]:
        zmq = self._zmq()
        monitor_mod = importlib.import_module("zmq.utils.monitor")
        sub = self._context.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        monitor = sub.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        poller.register(monitor, zmq.POLLIN)
        connected = False
        deadline = time.monotonic() + self.connect_timeout
        try:
            sub.connect(self.sub_url)
            while not self._closed:
                ready = dict(poller.poll(self.poll_interval_ms))
                if monitor in ready:
                    event = monitor_mod.recv_monitor_message(monitor)["event"]
                    if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                        connected = True
                        self._listener_up()
                    elif event == zmq.EVENT_DISCONNECTED:
                        raise ConnectionError(f"lost the forwarder at {self.sub_url}")
                if sub in ready:
                    while True:
                        try:
                            raw = sub.recv(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        message = self._unwrap(raw)
                        if message is not None:
                            yield message
                if not connected and time.monotonic() > deadline:
                    raise ConnectionError(f"no forwarder at {self.sub_url}")
        finally:
            sub.disable_monitor()
            monitor.close(0)
            sub.close(0)

    def _close_transport(self) -> None:
        with self._sink_lock:
            sink, self._sink = self._sink, None
            if sink is not None:
                sink.close()  # lingers up to publish_linger_ms for queued messages
