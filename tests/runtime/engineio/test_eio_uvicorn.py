"""The Engine.IO edge behind a real uvicorn, with the httpx and websockets clients.

Each server is a uvicorn subprocess on a socket the OS picked (passed with ``--fd``),
polled until ready, and killed by PID at the end of its test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
NODE_MODULES = ROOT / "tests" / "interop" / "js" / "node_modules"
READY_TIMEOUT = 15.0
WAIT = 5.0


@dataclass
class Running:
    url: str
    process: subprocess.Popen[str]
    printed: str | None = None

    def output(self) -> str:
        """Stop the server and return what it printed (idempotent; closes the pipe)."""
        if self.printed is None:
            stop(self.process)
            self.printed, _ = self.process.communicate(timeout=WAIT)
        return self.printed


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.kill(process.pid, 15)
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, 9)
            process.wait(timeout=WAIT)


def start_server(config: dict[str, Any], ws: str = "websockets-sansio") -> Running:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env = {**os.environ, "EIO_TEST_CONFIG": json.dumps(config), "PYTHONPATH": f"{HERE}:{ROOT}"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "eio_echo_app:app",
            "--fd",
            str(sock.fileno()),
            "--ws",
            ws,
            "--log-level",
            "warning",
        ],
        pass_fds=[sock.fileno()],
        env=env,
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sock.close()
    url = f"http://127.0.0.1:{port}/engine.io/"
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            if httpx.get(url, params={"EIO": "4"}, timeout=1).status_code == 400:
                return Running(url, process)
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            out, _ = process.communicate(timeout=WAIT)
            raise RuntimeError("uvicorn did not start:\n" + out)
        time.sleep(0.05)


@pytest.fixture
def server() -> Iterator[Running]:
    running = start_server(
        {"ping_interval": 0.3, "ping_timeout": 1.0, "max_http_buffer_size": 1000}
    )
    yield running
    running.output()


def ws_url(running: Running, query: str) -> str:
    return running.url.replace("http://", "ws://") + "?" + query


def handshake(client: httpx.Client, running: Running) -> str:
    response = client.get(running.url, params={"EIO": "4", "transport": "polling"})
    assert response.status_code == 200
    sid: str = json.loads(response.text[1:])["sid"]
    return sid


def test_polling_echo(server: Running) -> None:
    with httpx.Client(timeout=WAIT) as client:
        sid = handshake(client, server)
        params = {"EIO": "4", "transport": "polling", "sid": sid}
        posted = client.post(server.url, params=params, content=b"4hello\x1ebAQID")
        assert (posted.status_code, posted.text) == (200, "ok")
        polled = client.get(server.url, params=params)
        assert polled.text == "4hello\x1ebAQID"
        assert polled.headers["content-type"] == "text/plain; charset=UTF-8"


def test_polling_large_response_is_gzipped(server: Running) -> None:
    with httpx.Client(timeout=WAIT) as client:
        sid = handshake(client, server)
        params = {"EIO": "4", "transport": "polling", "sid": sid}
        for _ in range(2):  # 1202 bytes queued: above the 1024-byte threshold
            client.post(server.url, params=params, content=b"4" + b"z" * 600)
        polled = client.get(server.url, params=params, headers={"accept-encoding": "gzip"})
        assert polled.headers["content-encoding"] == "gzip"
        assert int(polled.headers["content-length"]) < 100
        assert polled.text == "\x1e".join(["4" + "z" * 600] * 2)  # httpx decompresses


async def test_websocket_echo_and_ping(server: Running) -> None:
    async with websockets.connect(ws_url(server, "EIO=4&transport=websocket")) as ws:
        opened = json.loads(str(await ws.recv())[1:])
        assert opened["upgrades"] == []
        assert opened["pingInterval"] == 300
        await ws.send("4hi")
        await ws.send(b"\x01\x02")
        received = [await ws.recv() for _ in range(2)]
        assert received == ["4hi", b"\x01\x02"]
        for _ in range(3):  # a few heartbeats, answered: the session stays
            frame = await ws.recv()
            while frame != "2":
                frame = await ws.recv()
            await ws.send("3")
        await ws.send("4still here")
        assert await ws.recv() == "4still here"


async def test_upgrade_with_real_clients(server: Running) -> None:
    async with httpx.AsyncClient(timeout=WAIT) as client:
        response = await client.get(server.url, params={"EIO": "4", "transport": "polling"})
        sid = json.loads(response.text[1:])["sid"]
        params = {"EIO": "4", "transport": "polling", "sid": sid}
        await client.post(server.url, params=params, content=b"4via polling")
        async with websockets.connect(ws_url(server, f"EIO=4&transport=websocket&sid={sid}")) as ws:
            await ws.send("2probe")
            assert await ws.recv() == "3probe"
            polled = await client.get(server.url, params=params)
            assert polled.text.split("\x1e")[0] == "4via polling"
            await ws.send("5")
            await ws.send("4via websocket")
            frame = await ws.recv()
            while frame == "2":
                await ws.send("3")
                frame = await ws.recv()
            assert frame == "4via websocket"
            late = await client.get(server.url, params=params)
            assert late.status_code == 400  # transport mismatch after the upgrade


async def test_bad_input_closes_only_the_offender(server: Running) -> None:
    async with (
        websockets.connect(ws_url(server, "EIO=4&transport=websocket")) as good,
        websockets.connect(ws_url(server, "EIO=4&transport=websocket")) as big,
        websockets.connect(ws_url(server, "EIO=4&transport=websocket")) as bad,
    ):
        for ws in (good, big, bad):
            await ws.recv()
        await big.send("4" + "x" * 2000)  # over max_http_buffer_size
        await bad.send("x-not-a-packet")
        with pytest.raises(ConnectionClosed) as big_closed:
            while True:
                await big.recv()
        assert big_closed.value.rcvd is not None and big_closed.value.rcvd.code == 1009
        with pytest.raises(ConnectionClosed) as bad_closed:
            while True:
                await bad.recv()
        assert bad_closed.value.rcvd is not None and bad_closed.value.rcvd.code == 1002
        await good.send("4fine")
        frame = await good.recv()
        while frame == "2":
            await good.send("3")
            frame = await good.recv()
        assert frame == "4fine"
    with httpx.Client(timeout=WAIT) as client:
        assert client.get(server.url, params={"EIO": "4"}).status_code == 400
        assert (
            client.put(server.url, params={"EIO": "4", "transport": "polling"}).status_code == 400
        )
        unknown = client.get(server.url, params={"EIO": "4", "transport": "polling", "sid": "x"})
        assert unknown.json() == {"code": 1, "message": "Session ID unknown"}
        sid = handshake(client, server)
        params = {"EIO": "4", "transport": "polling", "sid": sid}
        assert client.post(server.url, params=params, content=b"4" + b"y" * 5000).status_code == 413
    output = server.output()
    assert output.count("transport error") == 3, output


async def test_refused_websocket_gets_an_http_error(server: Running) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(ws_url(server, "EIO=4&transport=websocket&sid=nope")):
            pass
    assert info.value.response.status_code == 400
    assert json.loads(info.value.response.body or b"{}") == {
        "code": 1,
        "message": "Session ID unknown",
    }


async def test_ping_timeout_and_server_close_reasons(server: Running) -> None:
    async with websockets.connect(ws_url(server, "EIO=4&transport=websocket")) as silent:
        await silent.recv()  # OPEN; then never answer the pings
        with pytest.raises(ConnectionClosed):
            while True:
                await silent.recv()
    async with websockets.connect(ws_url(server, "EIO=4&transport=websocket")) as ws:
        await ws.recv()
        await ws.send("4close me")
        frames = []
        with pytest.raises(ConnectionClosed):
            while True:
                frames.append(await ws.recv())
        assert frames[-1] == "1"
    output = server.output()
    assert "ping timeout" in output and "server disconnect" in output, output


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("transports", ["polling,websocket", "websocket", "polling"])
def test_engine_io_client_from_npm(server: Running, transports: str) -> None:
    if not (NODE_MODULES / "engine.io-client").is_dir():
        pytest.fail("tests/interop/js/node_modules/engine.io-client is missing (npm ci)")
    script = """
const { Socket } = require(process.argv[1]);
const socket = new Socket(process.argv[2], { transports: process.argv[3].split(",") });
const got = [];
socket.on("open", () => { socket.send("text"); socket.send(Buffer.from([7, 8])); });
socket.on("upgrade", () => got.push("upgraded"));
socket.on("message", (d) => {
  got.push(typeof d === "string" ? d : "bin:" + Buffer.from(d).toString("hex"));
  if (got.filter((g) => g !== "upgraded").length === 2) {
    setTimeout(() => socket.send("after-ping"), 700);
  }
  if (d === "after-ping") { console.log(JSON.stringify([socket.transport.name, got])); socket.close(); }
});
socket.on("close", (reason) => setTimeout(() => process.exit(0), 200));
setTimeout(() => { console.log("timeout"); process.exit(1); }, 8000);
"""
    result = subprocess.run(
        [
            "node",
            "-e",
            script,
            str(NODE_MODULES / "engine.io-client"),
            server.url.removesuffix("/engine.io/"),
            transports,
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    transport, got = json.loads(result.stdout.strip().splitlines()[-1])
    messages = [g for g in got if g != "upgraded"]
    assert messages == ["text", "bin:0708", "after-ping"]
    expected = "polling" if transports == "polling" else "websocket"
    assert transport == expected
    assert ("upgraded" in got) is (transports == "polling,websocket")
    output = server.output()
    reason = "client disconnect" if transports == "polling" else "transport close"
    assert "disconnect" in output and reason in output, output
