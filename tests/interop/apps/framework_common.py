"""What the aiohttp, tornado and sanic interop apps share.

Each ``<mode>_app.py`` serves the handlers of ``server_app.py`` on an ``AsyncServer``
in that mode, with the same command line as ``server_app.py`` and the same way of
telling it is ready (the OS-chosen port written atomically to ``--port-file``).
``GET /state?tag=T`` and ``GET /health`` are routes of the framework's own app.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_app import IMPLS, Recorder, build_server, load_impl


@dataclass
class FrameworkApp:
    """The server, its recorder and the bound listening socket of one app process."""

    impl: str
    sio: Any
    recorder: Recorder
    info: dict[str, Any]
    sock: socket.socket
    port_file: Path

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    def state(self, path: str, tag: str) -> tuple[int, bytes]:
        """Status and JSON body of ``GET /state`` / ``GET /health``."""
        body: Any
        if path == "/state":
            status, body = 200, self.recorder.by_tag.get(tag) or self.recorder.bucket(tag)
        elif path == "/health":
            status, body = 200, self.info
        else:
            status, body = 404, {"error": "not found"}
        return status, json.dumps(body).encode()

    def ready(self) -> None:
        """Announce the port: the harness polls ``--port-file`` and then ``/health``."""
        tmp = self.port_file.with_suffix(".tmp")
        tmp.write_text(str(self.port))
        tmp.replace(self.port_file)  # atomic: readers never see a partial number
        mode = self.sio.async_mode
        print(f"serving {self.impl}/{mode} on 127.0.0.1:{self.port}", file=sys.stderr, flush=True)


def setup(mode: str, argv: list[str] | None = None) -> FrameworkApp:
    """Parse ``server_app.py``'s command line, build the server in ``mode``, bind port 0."""
    parser = argparse.ArgumentParser(description=f"the interop app on {mode}")
    parser.add_argument("--impl", default=os.environ.get("SIO_IMPL", "runtime"), choices=IMPLS)
    parser.add_argument("--serializer", default="default", choices=["default", "msgpack"])
    parser.add_argument("--ping-interval", type=float, default=25.0)
    parser.add_argument("--ping-timeout", type=float, default=20.0)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args(argv)
    recorder = Recorder()
    sio = build_server(
        load_impl(args.impl),
        recorder,
        serializer=args.serializer,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_timeout,
        async_mode=mode,
    )
    info = {
        "impl": args.impl,
        "mode": mode,
        "serializer": args.serializer,
        "ping_interval": args.ping_interval,
        "ping_timeout": args.ping_timeout,
        "pid": os.getpid(),
    }
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; no race with other tests
    sock.listen(128)
    return FrameworkApp(args.impl, sio, recorder, info, sock, args.port_file)
