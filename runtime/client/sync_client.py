"""``Client``: python-socketio's blocking Socket.IO client, on threads.

The protocol and I/O are ``AsyncClient``'s, run on a private event loop in a daemon
thread (one per client). User handlers and ack callbacks run one at a time, in order,
on a separate handler thread, so they may block and may call ``emit()`` / ``call()``
/ ``disconnect()`` on this client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar, overload

from runtime.client.async_client import AsyncClient, Reason
from runtime.client.namespace import BaseClientNamespace

__all__ = ["Client"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_CORE_OPTIONS = frozenset(
    {
        "reconnection",
        "reconnection_attempts",
        "reconnection_delay",
        "reconnection_delay_max",
        "randomization_factor",
    }
)


async def _cancel_other_tasks() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class _ThreadedCore(AsyncClient):
    """AsyncClient whose user code runs on the owning ``Client``'s handler thread."""

    def __init__(self, owner: Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owner = owner

    def is_asyncio_based(self) -> bool:
        return False

    async def _call_user(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._owner._handler_pool, lambda: fn(*args))

    async def _real(self, value: Any) -> Any:
        return value() if callable(value) else value


class Client:
    """A blocking Socket.IO client with python-socketio's API."""

    reason = Reason

    def __init__(
        self,
        reconnection: bool = True,
        reconnection_attempts: int = 0,
        reconnection_delay: float = 1,
        reconnection_delay_max: float = 5,
        randomization_factor: float = 0.5,
        logger: Any = False,
        serializer: Any = "default",
        json: Any = None,
        handle_sigint: bool = True,
        **eio_kwargs: Any,
    ) -> None:
        self._core = _ThreadedCore(
            self,
            reconnection,
            reconnection_attempts,
            reconnection_delay,
            reconnection_delay_max,
            randomization_factor,
            logger,
            serializer,
            json,
            handle_sigint,
            **eio_kwargs,
        )
        # One worker: handlers run in arrival order, like the async client's dispatcher.
        self._handler_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="runtime-client-handlers"
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._loop_lock = threading.Lock()

    # -- the loop thread ---------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._loop_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="runtime-client-io", daemon=True
                )
                thread.start()
                self._loop, self._loop_thread = loop, thread
            return self._loop

    def _release_loop(self) -> None:
        """Stop the I/O thread once the client is done for good (``connect`` restarts it)."""
        if self._core._alive() or self._on_handler_thread():
            return
        with self._loop_lock:
            loop, self._loop = self._loop, None
            thread, self._loop_thread = self._loop_thread, None
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_cancel_other_tasks(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        if not thread.is_alive():
            loop.close()
        # asyncio objects of the old loop cannot be reused on the next one.
        self._core._jobs = None
        self._core._dispatcher = None

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())
        return future.result()

    def _on_handler_thread(self) -> bool:
        return threading.current_thread().name.startswith("runtime-client-handlers")

    # -- state (read through to the core) ----------------------------------------------

    @property
    def connected(self) -> bool:
        return self._core.connected

    @property
    def namespaces(self) -> dict[str, str]:
        return self._core.namespaces

    @property
    def failed_namespaces(self) -> list[str]:
        return self._core.failed_namespaces

    @property
    def sid(self) -> str | None:
        return self._core.sid

    @property
    def handlers(self) -> dict[str, dict[str, Callable[..., Any]]]:
        return self._core.handlers

    @property
    def namespace_handlers(self) -> dict[str, BaseClientNamespace]:
        return self._core.namespace_handlers

    def __getattr__(self, name: str) -> Any:
        # Options (reconnection, reconnection_delay, ...) live on the core.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._core, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CORE_OPTIONS:
            setattr(self._core, name, value)
        else:
            object.__setattr__(self, name, value)

    def is_asyncio_based(self) -> bool:
        return False

    # -- handlers --------------------------------------------------------------------

    @overload
    def on(
        self, event: str, handler: None = None, namespace: str | None = None
    ) -> Callable[[F], F]: ...

    @overload
    def on(self, event: str, handler: Callable[..., Any], namespace: str | None = None) -> None: ...

    def on(
        self, event: str, handler: Callable[..., Any] | None = None, namespace: str | None = None
    ) -> Callable[[F], F] | None:
        if handler is None:
            return self._core.on(event, None, namespace)
        self._core.on(event, handler, namespace)
        return None

    @overload
    def event(self, handler: F, /) -> F: ...

    @overload
    def event(self, *, namespace: str | None = None) -> Callable[[F], F]: ...

    def event(self, *args: Any, **kwargs: Any) -> Any:
        return self._core.event(*args, **kwargs)

    def register_namespace(self, namespace_handler: BaseClientNamespace) -> None:
        if not isinstance(namespace_handler, BaseClientNamespace):
            raise ValueError("Not a namespace instance")
        if namespace_handler.is_asyncio_based():
            raise ValueError("Not a valid namespace class for this client")
        namespace_handler._set_client(self)
        self._core.namespace_handlers[namespace_handler.namespace] = namespace_handler

    def get_sid(self, namespace: str | None = None) -> str | None:
        return self._core.get_sid(namespace)

    def transport(self) -> str:
        return self._core.transport()

    # -- operations ------------------------------------------------------------------

    def connect(
        self,
        url: Any,
        headers: Any = None,
        auth: Any = None,
        transports: Any = None,
        namespaces: Any = None,
        socketio_path: str = "socket.io",
        wait: bool = True,
        wait_timeout: float = 1,
        retry: bool = False,
        *,
        namespace_auth: Mapping[str, Any] | None = None,
    ) -> None:
        """Connect (see ``AsyncClient.connect``, also for ``namespace_auth``)."""
        try:
            self._run(
                self._core.connect(
                    url,
                    headers,
                    auth,
                    transports,
                    namespaces,
                    socketio_path,
                    wait,
                    wait_timeout,
                    retry,
                    namespace_auth=namespace_auth,
                )
            )
        except BaseException:
            self._release_loop()
            raise

    def wait(self) -> None:
        self._run(self._core.wait())
        self._release_loop()

    def emit(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None:
        self._run(self._core.emit(event, data, namespace, callback))

    def send(
        self, data: Any, namespace: str | None = None, callback: Callable[..., Any] | None = None
    ) -> None:
        self.emit("message", data, namespace, callback)

    def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60
    ) -> Any:
        return self._run(self._core.call(event, data, namespace, timeout))

    def disconnect(self) -> None:
        if self._on_handler_thread():
            # The disconnect handlers queue behind the running one: do not wait for them.
            asyncio.run_coroutine_threadsafe(self._core.disconnect(), self._ensure_loop())
            return
        self._run(self._core.disconnect())
        self._release_loop()

    def shutdown(self) -> None:
        if self._on_handler_thread():
            asyncio.run_coroutine_threadsafe(self._core.shutdown(), self._ensure_loop())
            return
        self._run(self._core.shutdown())
        self._release_loop()

    def start_background_task(
        self, target: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        thread.start()
        return thread

    def sleep(self, seconds: float = 0) -> None:
        time.sleep(seconds)
