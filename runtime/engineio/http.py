"""The HTTP boundary of the sans-IO Engine.IO core.

Edges (ASGI, WSGI, aiohttp...) translate their native request into an
``HttpRequest`` and write back the ``HttpResponse`` the core returns. The core
never sees a socket or a framework object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request (or WebSocket handshake) addressed to the Engine.IO endpoint.

    ``headers`` keys are lower-case; repeated headers are joined with ``", "``.
    ``query`` keeps the first value of each parameter.
    """

    method: str
    path: str
    query_string: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    scheme: str = "http"
    client: tuple[str, int] | None = None
    server: tuple[str, int | None] | None = None
    root_path: str = ""
    # Edge-specific entries for the WSGI-style environ, e.g. ``{"asgi.scope": scope}``.
    extra: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        parsed: dict[str, str] = {}
        for key, value in parse_qsl(self.query_string, keep_blank_values=True):
            parsed.setdefault(key, value)
        object.__setattr__(self, "query", parsed)

    @property
    def is_websocket(self) -> bool:
        return self.headers.get("upgrade", "").lower() == "websocket"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete HTTP response: status, headers (in order) and body."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
