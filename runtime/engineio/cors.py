"""CORS and origin checks, as python-engineio's ``cors_allowed_origins`` defines them.

Pure functions of the request: no I/O. ``CorsPolicy.allows`` decides whether a request
may proceed (requests without an ``Origin`` header always may), ``headers`` gives the
headers to add to a response, ``preflight_headers`` those of an OPTIONS answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

from runtime.engineio.config import CorsOrigins
from runtime.engineio.http import HttpRequest

__all__ = ["CorsPolicy"]

Headers = tuple[tuple[str, str], ...]

# websocket scopes report ws/wss; browsers send http(s) origins for them.
_HTTP_SCHEME = {"ws": "http", "wss": "https"}


def _first(value: str) -> str:
    return value.split(",", 1)[0].strip()


def _accepts_two_args(func: Callable[..., bool]) -> bool:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    try:
        signature.bind(None, None)
    except TypeError:
        return False
    return True


class CorsPolicy:
    """The origin rule of one server, compiled once from its configuration."""

    __slots__ = ("_any", "_credentials", "_enabled", "_origins", "_predicate", "_two_args")

    def __init__(self, allowed: CorsOrigins, credentials: bool = True) -> None:
        self._credentials = credentials
        self._enabled = True
        self._any = False
        self._origins: frozenset[str] | None = None  # None = same origin only
        self._predicate: Callable[..., bool] | None = None
        self._two_args = False
        if allowed is None:
            pass
        elif callable(allowed):
            self._predicate = allowed
            self._two_args = _accepts_two_args(allowed)
        elif isinstance(allowed, str):
            if allowed == "*":
                self._any = True
            else:
                self._origins = frozenset([allowed])
        else:
            origins = list(allowed)
            if not origins:
                self._enabled = False  # [] disables CORS handling and origin checks
            elif "*" in origins:
                self._any = True
            else:
                self._origins = frozenset(origins)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def allows(self, request: HttpRequest) -> bool:
        """Whether the request's Origin (if any) is acceptable."""
        if not self._enabled:
            return True
        origin = request.headers.get("origin")
        if origin is None or self._any:
            return True
        if self._predicate is not None:
            try:
                if self._two_args:
                    return bool(self._predicate(origin, request))
                return bool(self._predicate(origin))
            except Exception:  # a broken predicate denies rather than crashing the request
                return False
        if self._origins is not None:
            return origin in self._origins
        return origin in same_origins(request)

    def headers(self, request: HttpRequest) -> Headers:
        """CORS headers for a (non-preflight) response to an allowed request."""
        if not self._enabled:
            return ()
        origin = request.headers.get("origin")
        if origin is None:
            return ()
        if self._credentials:
            return (
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
            )
        return (("Access-Control-Allow-Origin", origin),)

    def preflight_headers(self, request: HttpRequest) -> Headers:
        """Headers of the answer to an OPTIONS preflight request."""
        if not self._enabled:
            return ()
        extra: list[tuple[str, str]] = [("Access-Control-Allow-Methods", "OPTIONS, GET, POST")]
        requested = request.headers.get("access-control-request-headers")
        if requested:
            extra.append(("Access-Control-Allow-Headers", requested))
        return self.headers(request) + tuple(extra)


def same_origins(request: HttpRequest) -> Sequence[str]:
    """The origins that count as "same origin" for a request (proxy headers honoured)."""
    host = request.headers.get("host")
    if host is None:
        return ()
    scheme = _HTTP_SCHEME.get(request.scheme, request.scheme)
    origins = [f"{scheme}://{host}"]
    forwarded_proto = request.headers.get("x-forwarded-proto")
    forwarded_host = request.headers.get("x-forwarded-host")
    if forwarded_proto is not None or forwarded_host is not None:
        proto = _first(forwarded_proto) if forwarded_proto else scheme
        fhost = _first(forwarded_host) if forwarded_host else host
        origins.append(f"{proto}://{fhost}")
    return origins
