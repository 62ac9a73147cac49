"""ASGIApp routing: Socket.IO path, static files, other app, lifespan, Starlette mount."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

import runtime as socketio
from runtime.static_files import resolve_static_file


async def other_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"other:" + scope["path"].encode()})


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "public" / "css").mkdir(parents=True)
    (tmp_path / "public" / "index.html").write_text("<h1>index</h1>")
    (tmp_path / "public" / "image.gif").write_bytes(b"GIF89a")
    (tmp_path / "public" / "css" / "styles.css").write_text("body{}")
    (tmp_path / "latency.html").write_text("latency")
    (tmp_path / "secret.txt").write_text("secret")
    return tmp_path


def test_static_rules_follow_the_guide(site: Path) -> None:
    rules = {"/": str(site / "latency.html"), "/static": str(site / "public")}
    root = resolve_static_file("/", rules)
    assert (
        root is not None
        and root.filename.endswith("latency.html")
        and root.content_type == "text/html"
    )
    css = resolve_static_file("/static/css/styles.css", rules)
    assert css is not None and css.filename == str(site / "public" / "css" / "styles.css")
    assert css.content_type == "text/css"
    index = resolve_static_file("/static/", rules)
    assert index is not None and index.filename == str(site / "public") + "/index.html"
    with_default = resolve_static_file("/static/", {**rules, "": "image.gif"})
    assert with_default is not None and with_default.filename.endswith("/image.gif")
    assert with_default.content_type == "image/gif"
    typed = resolve_static_file(
        "/", {"/": {"filename": "latency.html", "content_type": "text/plain"}}
    )
    assert typed is not None and typed.content_type == "text/plain"
    unknown = resolve_static_file("/static/data.bin", rules)
    assert unknown is not None and unknown.content_type == "application/octet-stream"
    assert resolve_static_file("/static/../secret.txt", rules) is None
    assert resolve_static_file("/nothing", {"/static": "x"}) is None


async def test_routing_precedence(site: Path) -> None:
    sio = socketio.AsyncServer()
    app = socketio.ASGIApp(
        sio,
        other_app,
        static_files={"/": str(site / "latency.html"), "/static": str(site / "public")},
    )
    async with client(app) as http:
        page = await http.get("/")
        assert page.status_code == 200 and page.text == "latency"
        assert page.headers["content-type"] == "text/html"
        css = await http.get("/static/css/styles.css")
        assert css.text == "body{}"
        missing = await http.get("/static/missing.css")
        assert missing.text == "other:/static/missing.css"
        handshake = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert handshake.status_code == 200 and handshake.text.startswith("0{")
    await sio.shutdown()


async def test_not_found_without_other_app() -> None:
    app = socketio.ASGIApp(socketio.AsyncServer())
    async with client(app) as http:
        response = await http.get("/nope")
    assert response.status_code == 404


async def test_custom_socketio_path_and_none() -> None:
    sio = socketio.AsyncServer()
    custom = socketio.ASGIApp(sio, other_app, socketio_path="/custom/")
    everything = socketio.ASGIApp(sio, other_app, socketio_path=None)
    params = {"EIO": "4", "transport": "polling"}
    async with client(custom) as http:
        assert (await http.get("/custom/", params=params)).text.startswith("0{")
        assert (await http.get("/socket.io/", params=params)).text.startswith("other:")
    async with client(everything) as http:
        assert (await http.get("/any/where", params=params)).text.startswith("0{")
    await sio.shutdown()


async def test_mounted_inside_starlette() -> None:
    sio = socketio.AsyncServer()
    star = Starlette(
        routes=[
            Route("/hello", lambda request: PlainTextResponse("hello")),
            Mount("/ws", app=socketio.ASGIApp(sio)),
        ]
    )
    async with client(star) as http:
        assert (await http.get("/hello")).text == "hello"
        handshake = await http.get("/ws/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert handshake.status_code == 200 and handshake.text.startswith("0{")
    await sio.shutdown()


async def run_lifespan(app: Any) -> list[str]:
    sent: list[str] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


async def test_lifespan_hooks_sync_and_async() -> None:
    calls: list[str] = []

    async def start() -> None:
        calls.append("start")

    app = socketio.ASGIApp(
        socketio.AsyncServer(),
        on_startup=[start, lambda: calls.append("sync")],
        on_shutdown=lambda: calls.append("stop"),
    )
    assert await run_lifespan(app) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == ["start", "sync", "stop"]


async def test_lifespan_failure_is_reported() -> None:
    def boom() -> None:
        raise RuntimeError("db down")

    app = socketio.ASGIApp(socketio.AsyncServer(), on_startup=boom)
    assert await run_lifespan(app) == ["lifespan.startup.failed"]


async def test_polling_responses_carry_at_most_16_packets_and_lose_none() -> None:
    """python-engineio's client aborts on longer payloads; the rest waits for the next GET."""
    sio = socketio.AsyncServer()
    app = socketio.ASGIApp(sio)
    async with client(app) as http:
        opened = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
        eio_sid = opened.text[opened.text.index('"sid":"') + 7 :].split('"')[0]
        params = {"EIO": "4", "transport": "polling", "sid": eio_sid}
        assert (await http.post("/socket.io/", params=params, content="40")).text == "ok"
        connect = await http.get("/socket.io/", params=params)
        assert connect.text.startswith("40{")
        for n in range(40):
            await sio.emit("n", n)
        received: list[str] = []
        while len(received) < 40:
            body = (await http.get("/socket.io/", params=params)).text
            packets = body.split("\x1e")
            assert len(packets) <= 16
            received.extend(packets)
        assert received == [f'42["n",{n}]' for n in range(40)]
    await sio.shutdown()
