"""WSGI translation helpers of the sync Engine.IO edge: no Engine.IO logic here.

environ -> ``HttpRequest`` (the whole environ travels in ``extra``, so handlers see
the server's real environ), reading a bounded request body, and writing an
``HttpResponse`` through ``start_response``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from runtime.engineio.http import HttpRequest, HttpResponse

__all__ = [
    "StartResponse",
    "WSGIEnviron",
    "make_request",
    "read_body",
    "respond",
    "status_line",
]

WSGIEnviron = Mapping[str, Any]
StartResponse = Callable[..., Any]


def make_request(environ: WSGIEnviron, body: bytes) -> HttpRequest:
    """Translate a WSGI environ into the core's ``HttpRequest``."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    content_type = environ.get("CONTENT_TYPE")
    if content_type:
        headers["content-type"] = content_type
    content_length = environ.get("CONTENT_LENGTH")
    if content_length:
        headers["content-length"] = content_length
    client = None
    remote_addr = environ.get("REMOTE_ADDR")
    if remote_addr:
        try:
            client = (str(remote_addr), int(environ.get("REMOTE_PORT") or 0))
        except ValueError:
            client = (str(remote_addr), 0)
    server_name = environ.get("SERVER_NAME")
    server = None
    if server_name:
        port = environ.get("SERVER_PORT")
        server = (str(server_name), int(port) if port and str(port).isdigit() else None)
    return HttpRequest(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=environ.get("PATH_INFO", "") or "/",
        query_string=environ.get("QUERY_STRING", ""),
        headers=headers,
        body=body,
        scheme=environ.get("wsgi.url_scheme", "http"),
        client=client,
        server=server,
        root_path=environ.get("SCRIPT_NAME", ""),
        extra=environ,
    )


def read_body(environ: WSGIEnviron, limit: int) -> tuple[bytes, bool]:
    """The request body, or (b"", True) when it is larger than ``limit`` bytes."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b"", False
    raw_length = environ.get("CONTENT_LENGTH")
    if raw_length:
        try:
            length = int(raw_length)
        except ValueError:
            return b"", False
        if length > limit:
            return b"", True
        if length <= 0:
            return b"", False
        data: bytes = stream.read(length)
        return data, False
    chunked = "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
    if chunked or environ.get("wsgi.input_terminated"):
        data = stream.read(limit + 1)
        if len(data) > limit:
            return b"", True
        return data, False
    return b"", False


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def respond(
    start_response: StartResponse,
    extra_headers: Sequence[tuple[str, str]],
    response: HttpResponse,
) -> Iterable[bytes]:
    """Start ``response`` (plus ``extra_headers``) and return its body as the WSGI iterable."""
    start_response(status_line(response.status), [*response.headers, *extra_headers])
    return [response.body]
