"""aiohttp, tornado and sanic modes in-process: mode selection, errors, and live checks.

The live checks serve an ``AsyncServer`` from each framework on the test's own event
loop (port 0 from the OS) and connect runtime's ``AsyncClient``: background tasks and
``sleep`` run on the framework's loop, the framework's other routes keep working,
CORS and the Origin check are the server's, oversized POSTs get 413, and
``handle_request(request)`` can be routed by hand as in python-socketio.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import json
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import tornado.httpserver
import tornado.web
import websockets
from aiohttp import web
from sanic import Sanic
from sanic.response import text

import runtime
from runtime.drivers.base import MissingDependencyError
from runtime.integrations import get_tornado_handler

ALLOWED = "http://allowed.example"

# -- selection and errors ------------------------------------------------------------


class _Uninstalled(importlib.abc.MetaPathFinder):
    """An import finder under which ``name`` is not installed."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname.partition(".")[0] == self.name:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def uninstall(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``name`` look not installed for the rest of the test."""
    monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Uninstalled(name), *sys.meta_path])


@pytest.mark.parametrize("mode", ["aiohttp", "tornado", "sanic"])
def test_missing_library_names_the_package(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    uninstall(mode, monkeypatch)
    with pytest.raises(MissingDependencyError, match=f"pip install {mode}"):
        runtime.AsyncServer(async_mode=mode)


def test_missing_tornado_on_get_tornado_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    sio = runtime.AsyncServer()
    uninstall("tornado", monkeypatch)
    with pytest.raises(MissingDependencyError, match="pip install tornado"):
        get_tornado_handler(sio)


def test_invalid_mode() -> None:
    with pytest.raises(ValueError, match="Invalid async_mode specified"):
        runtime.AsyncServer(async_mode="twisted")


def test_explicit_modes() -> None:
    for mode in ("asgi", "aiohttp", "tornado", "sanic"):
        assert runtime.AsyncServer(async_mode=mode).async_mode == mode


def test_auto_mode_follows_the_framework() -> None:
    """``async_mode=None`` serves ASGI, and takes the mode of what it is attached to."""
    assert runtime.AsyncServer().async_mode == "asgi"

    sio = runtime.AsyncServer()
    app = web.Application()
    sio.attach(app, socketio_path="chat.io")
    assert sio.async_mode == "aiohttp"
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource}
    assert {("GET", "/chat.io/"), ("POST", "/chat.io/"), ("OPTIONS", "/chat.io/")} <= routes

    sio = runtime.AsyncServer()
    get_tornado_handler(sio)
    assert sio.async_mode == "tornado"

    sio = runtime.AsyncServer()
    sio.attach(Sanic(f"m1_{uuid.uuid4().hex[:8]}"))
    assert sio.async_mode == "sanic"


def test_attach_refuses_what_it_cannot_serve() -> None:
    with pytest.raises(ValueError, match="async_mode='asgi'"):
        runtime.AsyncServer(async_mode="asgi").attach(web.Application())
    with pytest.raises(ValueError, match="async_mode='aiohttp'"):
        get_tornado_handler(runtime.AsyncServer(async_mode="aiohttp"))
    with pytest.raises(ValueError, match=r"aiohttp\.web\.Application or a Sanic app"):
        runtime.AsyncServer().attach(object())


# -- live, in-process ------------------------------------------------------------------

Serving = Callable[[runtime.AsyncServer], AbstractAsyncContextManager[str]]


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the OS picks the port
    sock.listen(128)
    sock.setblocking(False)
    return sock


@asynccontextmanager
async def serve_aiohttp(sio: runtime.AsyncServer) -> AsyncIterator[str]:
    app = web.Application()
    sio.attach(app)

    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="hello from aiohttp")

    app.router.add_get("/hello", hello)
    # python-socketio lets users route handle_request themselves
    app.router.add_route("*", "/custom/", sio.handle_request)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = _listener()
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await sio.shutdown()
        await runner.cleanup()


@asynccontextmanager
async def serve_tornado(sio: runtime.AsyncServer) -> AsyncIterator[str]:
    class Hello(tornado.web.RequestHandler):
        def get(self) -> None:
            self.finish("hello from tornado")

    app = tornado.web.Application([(r"/socket.io/", get_tornado_handler(sio)), (r"/hello", Hello)])
    server = tornado.httpserver.HTTPServer(app)
    sock = _listener()
    server.add_sockets([sock])
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await sio.shutdown()
        server.stop()
        await server.close_all_connections()


@asynccontextmanager
async def serve_sanic(sio: runtime.AsyncServer) -> AsyncIterator[str]:
    app = Sanic(f"m1_{uuid.uuid4().hex[:8]}")
    app.config.ACCESS_LOG = False
    # Sanic's start-up "touchup" rewrites shared classes; twice in one process breaks it
    app.config.TOUCHUP = False
    sio.attach(app)

    async def hello(_: Any) -> Any:
        return text("hello from sanic")

    app.add_route(hello, "/hello")
    sock = _listener()
    server: Any = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.start_serving()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await sio.shutdown()
        server.close()
        await server.wait_closed()
        await server.before_stop()
        await server.after_stop()


SERVERS: dict[str, Serving] = {
    "aiohttp": serve_aiohttp,
    "tornado": serve_tornado,
    "sanic": serve_sanic,
}


@pytest.fixture(params=sorted(SERVERS))
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def new_server(mode: str, **options: Any) -> runtime.AsyncServer:
    return runtime.AsyncServer(async_mode=mode, cors_allowed_origins=[ALLOWED], **options)


async def bounded(awaitable: Awaitable[Any], what: str, timeout: float = 10) -> Any:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_background_task_sleep_and_environ(mode: str, transport: str) -> None:
    sio = new_server(mode)
    seen: dict[str, Any] = {}

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        seen["remote"] = environ["REMOTE_ADDR"]
        seen["framework"] = f"{mode}.request" in environ["asgi.scope"] or (
            "tornado.handler" in environ["asgi.scope"]
        )

        async def later() -> None:
            await sio.sleep(0.05)  # on the framework's own loop
            await sio.emit("tick", {"mode": sio.async_mode}, to=sid)

        sio.start_background_task(later)

    @sio.event
    async def echo(sid: str, data: Any) -> Any:
        return data

    async with SERVERS[mode](sio) as url:
        client = runtime.AsyncClient()
        ticked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        client.on("tick", lambda data: ticked.set_result(data))
        await client.connect(url, transports=[transport], wait_timeout=5)
        try:
            assert await bounded(ticked, "the background task's emit") == {"mode": mode}
            payload = {"bin": b"\x00\xff" * 10, "text": "é"}
            assert await client.call("echo", payload, timeout=5) == payload
            assert client.transport() == transport
        finally:
            await client.disconnect()
    assert seen == {"remote": "127.0.0.1", "framework": True}


async def test_other_routes_cors_and_limits(mode: str) -> None:
    sio = new_server(mode, max_http_buffer_size=1000)
    async with SERVERS[mode](sio) as url, httpx.AsyncClient(base_url=url, timeout=5) as http:
        page = await http.get("/hello")
        assert (page.status_code, page.text) == (200, f"hello from {mode}")

        eio = "/socket.io/?EIO=4&transport=polling"
        preflight = await http.options(
            eio,
            headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code in (200, 204), preflight.text
        assert preflight.headers["access-control-allow-origin"] == ALLOWED
        handshake = await http.get(eio, headers={"Origin": ALLOWED})
        assert handshake.status_code == 200 and handshake.text.startswith("0{")
        assert handshake.headers["access-control-allow-origin"] == ALLOWED
        refused = await http.get(eio, headers={"Origin": "http://evil.example"})
        assert refused.status_code == 400, refused.text

        sid = json.loads(handshake.text[1:])["sid"]
        too_big = await http.post(f"{eio}&sid={sid}", content=b"4" + b"x" * 2000)
        assert too_big.status_code == 413, too_big.text

        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        with pytest.raises(websockets.exceptions.InvalidStatus) as info:
            async with websockets.connect(ws_url, origin="http://evil.example"):  # type: ignore[arg-type]
                pass
        assert info.value.response.status_code in (400, 403)
        async with websockets.connect(ws_url, origin=ALLOWED) as ws:  # type: ignore[arg-type]
            opened = await bounded(ws.recv(), "the OPEN packet")
            assert isinstance(opened, str) and opened.startswith("0{")


async def test_handle_request_routed_by_hand() -> None:
    sio = new_server("aiohttp")
    async with serve_aiohttp(sio) as url:
        for transport in ("polling", "websocket"):
            client = runtime.AsyncClient()
            await client.connect(
                url, socketio_path="custom", transports=[transport], wait_timeout=5
            )
            assert client.transport() == transport
            await client.disconnect()
