"""One scenario, two servers: drive ``Server`` (WSGI) and ``AsyncServer`` (ASGI) alike.

A scenario is a plain function of a harness. The harness builds the server, opens
websocket peers (``wsgi_wire`` over a socketpair for the sync server, ``asgi_wire``
for the async one, driven on an event loop thread), and calls server methods with
``h.call(name, ...)``, which awaits them on the async server. Handlers registered
by scenarios are plain functions, which both servers accept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from collections.abc import Coroutine
from typing import Any

import runtime
from runtime.namespace import AsyncNamespace, Namespace
from runtime.server import Server
from runtime.wsgi import WSGIApp
from tests.runtime import asgi_wire, wsgi_wire
from tests.runtime.asgi_wire import sid_of

WAIT = 5.0


class SyncHarness:
    kind = "sync"
    namespace_class: type[Any] = Namespace

    def __init__(self, **kwargs: Any) -> None:
        self.sio = Server(async_mode="threading", **kwargs)
        self.app = WSGIApp(self.sio)
        self.peers: list[wsgi_wire.WebSocketPeer] = []

    def peer(self) -> Any:
        peer = wsgi_wire.WebSocketPeer(self.app)
        peer.open()
        self.peers.append(peer)
        return peer

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.sio, method)(*args, **kwargs)

    def call_background(
        self, method: str, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Any]:
        pool = concurrent.futures.ThreadPoolExecutor(1)
        future = pool.submit(getattr(self.sio, method), *args, **kwargs)
        pool.shutdown(wait=False)
        return future

    def close(self) -> None:
        for peer in self.peers:
            peer.sock.close()
        self.sio.shutdown()


class _AsyncPeer:
    """``asgi_wire.WebSocketPeer`` with blocking methods, run on the harness loop."""

    def __init__(self, harness: AsyncHarness, peer: asgi_wire.WebSocketPeer) -> None:
        self._h = harness
        self._peer = peer

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._peer, name)

        def blocking(*args: Any, **kwargs: Any) -> Any:
            return self._h.run(method(*args, **kwargs))

        return blocking


class AsyncHarness:
    kind = "async"
    namespace_class: type[Any] = AsyncNamespace

    def __init__(self, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sio = self.run(self._make(kwargs))
        self.app = runtime.ASGIApp(self.sio)

    async def _make(self, kwargs: dict[str, Any]) -> runtime.AsyncServer:
        return runtime.AsyncServer(**kwargs)

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = WAIT * 2) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def peer(self) -> Any:
        async def make() -> asgi_wire.WebSocketPeer:
            peer = asgi_wire.WebSocketPeer(self.app)
            await peer.open()
            return peer

        return _AsyncPeer(self, self.run(make()))

    async def _cancel_tasks(self) -> None:
        """End what is still running (peers' app coroutines) while the loop is alive."""
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        async def invoke() -> Any:
            result = getattr(self.sio, method)(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return self.run(invoke())

    def call_background(
        self, method: str, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Any]:
        async def invoke() -> Any:
            return await getattr(self.sio, method)(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(invoke(), self.loop)

    def close(self) -> None:
        try:
            self.run(self.sio.shutdown())
            self.run(self._cancel_tasks())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(WAIT)
            self.loop.close()


Harness = SyncHarness | AsyncHarness


def connected(h: Harness, namespace: str = "/", auth: Any = None) -> tuple[Any, str]:
    peer = h.peer()
    reply = peer.connect_namespace(namespace, auth)
    return peer, sid_of(reply)
