"""``WSGIApp``: serves the Socket.IO endpoint, static files and another WSGI app.

Routing precedence follows the user guide: the Socket.IO path first, then static
files, then ``wsgi_app`` (a Flask or Django application, for example), else 404.
``Middleware`` is python-socketio's deprecated name for the same class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from runtime.engineio.wsgi_io import StartResponse, WSGIEnviron
from runtime.static_files import StaticRules, resolve_static_file

__all__ = ["Middleware", "WSGIApp"]

# Loose on purpose: Flask, Django and wsgiref type ``environ`` as a ``dict``, which a
# ``Callable[[Mapping, ...], ...]`` parameter would reject under mypy.
WSGIApplication = Callable[..., Iterable[bytes]]


class WSGIApp:
    """WSGI application for a ``Server``.

    ``socketio_path=None`` (or ``''``) routes every request to the Socket.IO server.
    """

    def __init__(
        self,
        socketio_app: Any,
        wsgi_app: WSGIApplication | None = None,
        static_files: StaticRules | None = None,
        socketio_path: str | None = "socket.io",
    ) -> None:
        self.engineio_app = socketio_app
        self.wsgi_app = wsgi_app
        self.static_files = dict(static_files or {})
        self.engineio_path = socketio_path.strip("/") if socketio_path else None
        self._prefix = f"/{self.engineio_path}/" if self.engineio_path else None

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO") or "/"
        prefix = self._prefix
        if prefix is None or path.startswith(prefix) or path + "/" == prefix:
            result: Iterable[bytes] = self.engineio_app.handle_request(environ, start_response)
            return result
        if self.static_files:
            found = resolve_static_file(path, self.static_files)
            if found is not None and Path(found.filename).is_file():
                return self.serve_static_file(found.filename, found.content_type, start_response)
        if self.wsgi_app is not None:
            return self.wsgi_app(environ, start_response)
        return self.not_found(start_response)

    def serve_static_file(
        self, filename: str, content_type: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        body = Path(filename).read_bytes()
        start_response(
            "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body]

    def not_found(self, start_response: StartResponse) -> Iterable[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found"]


class Middleware(WSGIApp):
    """Deprecated alias of ``WSGIApp`` (python-socketio's older name)."""

    def __init__(
        self,
        socketio_app: Any,
        wsgi_app: WSGIApplication | None = None,
        socketio_path: str | None = "socket.io",
    ) -> None:
        super().__init__(socketio_app, wsgi_app, socketio_path=socketio_path)
