"""The message broker ``ZmqManager`` needs: a PULL -> PUB forwarder (as python-socketio documents).

Every node PUSHes its messages to the forwarder's sink port and SUBscribes to its
publisher port; the forwarder copies each message from one to the other, so every
node (the sender too) receives every message. It keeps no state, so restarting it
loses only the messages in flight.

Run it as a process::

    python -m runtime.pubsub.zmq_forwarder zmq+tcp://127.0.0.1:5555+5556

(the URL the nodes use; ``*`` as the host binds every interface). Stop it with
SIGTERM or Ctrl-C. Needs ``pyzmq``.
"""

from __future__ import annotations

import argparse
import importlib
import re
import signal
import sys
from types import FrameType
from typing import Any

__all__ = ["Forwarder", "main", "parse_zmq_url"]

_URL = re.compile(r"^zmq\+tcp://(?P<host>.+):(?P<sink>\d+)\+(?P<pub>\d+)$")


def parse_zmq_url(url: str) -> tuple[str, str]:
    """``zmq+tcp://host:5555+5556`` -> (``tcp://host:5555``, ``tcp://host:5556``)."""
    match = _URL.match(url)
    if match is None:
        raise RuntimeError("unexpected connection string: " + url)
    host = match["host"]
    return f"tcp://{host}:{match['sink']}", f"tcp://{host}:{match['pub']}"


class Forwarder:
    """PULL on ``sink``, PUB on ``pub`` (ZeroMQ endpoints to bind), and copy."""

    def __init__(self, url: str = "zmq+tcp://*:5555+5556") -> None:
        try:
            self._zmq: Any = importlib.import_module("zmq")
        except ImportError:
            raise RuntimeError(
                'zmq package is not installed (Run "pip install pyzmq" in your virtualenv).'
            ) from None
        self.sink_url, self.pub_url = parse_zmq_url(url)
        self._context: Any = None

    def bind(self) -> tuple[Any, Any]:
        """Bind both sockets; return them (the endpoints actually bound are logged)."""
        zmq = self._zmq
        self._context = zmq.Context()
        sink = self._context.socket(zmq.PULL)
        pub = self._context.socket(zmq.PUB)
        for sock in (sink, pub):
            sock.setsockopt(zmq.LINGER, 0)
        sink.bind(self.sink_url)
        pub.bind(self.pub_url)
        return sink, pub

    def run(self) -> None:
        """Bind and forward until the process is interrupted (SIGINT/SIGTERM)."""
        sink, pub = self.bind()
        print(
            f"zmq forwarder: PULL {sink.getsockopt_string(self._zmq.LAST_ENDPOINT)} -> "
            f"PUB {pub.getsockopt_string(self._zmq.LAST_ENDPOINT)}",
            file=sys.stderr,
            flush=True,
        )
        zmq = self._zmq
        try:
            # A loop of our own rather than zmq.proxy(), which does not return
            # to Python, so SIGTERM could not stop it.
            while True:
                if not sink.poll(200):
                    continue
                while True:
                    try:
                        frames = sink.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    pub.send_multipart(frames)
        except KeyboardInterrupt:
            pass
        finally:
            sink.close()
            pub.close()
            self._context.term()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m runtime.pubsub.zmq_forwarder",
        description="PULL -> PUB forwarder for runtime's (and python-socketio's) ZmqManager.",
    )
    parser.add_argument(
        "url",
        nargs="?",
        default="zmq+tcp://*:5555+5556",
        help="zmq+tcp://HOST:SINK_PORT+PUB_PORT, the URL the nodes use (default %(default)s)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    Forwarder(args.url).run()


if __name__ == "__main__":
    main()
