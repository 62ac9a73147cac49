"""Engine.IO server options, with python-engineio's names and defaults.

``EngineConfig`` is immutable and validated on construction. ``from_kwargs`` accepts
the ``**kwargs`` a python-socketio ``Server`` forwards to its Engine.IO server and
normalises them the way python-engineio does (``transports`` as a str or list,
unknown transport names dropped, unknown keyword arguments ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

__all__ = ["CookieOption", "CorsOrigins", "EngineConfig", "Transport"]


class Transport(StrEnum):
    POLLING = "polling"
    WEBSOCKET = "websocket"


# None = same origin only; "*" = any; [] = CORS handling disabled; or a predicate.
CorsOrigins = str | Sequence[str] | Callable[..., bool] | None
# None = no cookie; a name; or {"name": ..., attribute: str | callable | True}.
CookieOption = str | Mapping[str, Any] | None

_ALL_TRANSPORTS = (Transport.POLLING.value, Transport.WEBSOCKET.value)


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Every Engine.IO server option. Times are seconds, sizes bytes."""

    ping_interval: float | tuple[float, float] = 25.0
    ping_timeout: float = 20.0
    max_http_buffer_size: int = 1_000_000
    allow_upgrades: bool = True
    http_compression: bool = True
    compression_threshold: int = 1024
    cookie: CookieOption = None
    cors_allowed_origins: CorsOrigins = None
    cors_credentials: bool = True
    monitor_clients: bool = True
    transports: tuple[str, ...] = _ALL_TRANSPORTS
    # JS engine.io's upgradeTimeout: a probe websocket not upgraded by then is closed.
    upgrade_timeout: float = 10.0
    # Packets accepted in one polling POST; more is a 400 (never a silent drop).
    max_packets_per_payload: int = 10_000
    # python-engineio's client aborts on a polling response of more than 16 packets
    # (its decoder's limit); the JS client has none. 0 means no cap.
    max_packets_per_poll_response: int = 16

    def __post_init__(self) -> None:
        interval = self.ping_interval
        if isinstance(interval, tuple | list):
            if len(interval) != 2:
                raise ValueError("ping_interval must be a number or an (interval, grace) pair")
            object.__setattr__(self, "ping_interval", (float(interval[0]), float(interval[1])))
        else:
            object.__setattr__(self, "ping_interval", float(interval))
        if self.ping_interval_seconds <= 0 or self.ping_grace_seconds < 0:
            raise ValueError("ping_interval must be positive")
        if self.ping_timeout <= 0:
            raise ValueError("ping_timeout must be positive")
        if self.upgrade_timeout <= 0:
            raise ValueError("upgrade_timeout must be positive")
        if self.max_http_buffer_size <= 0:
            raise ValueError("max_http_buffer_size must be positive")
        if self.max_packets_per_payload <= 0:
            raise ValueError("max_packets_per_payload must be positive")
        transports = tuple(self.transports)
        if not transports or any(t not in _ALL_TRANSPORTS for t in transports):
            raise ValueError(f"transports must be a non-empty subset of {list(_ALL_TRANSPORTS)}")
        object.__setattr__(self, "transports", transports)
        if isinstance(self.cookie, Mapping) and "name" not in self.cookie:
            raise ValueError("a cookie dict needs a 'name' key")

    @property
    def ping_interval_seconds(self) -> float:
        """How often the server sends PING."""
        interval = self.ping_interval
        return interval[0] if isinstance(interval, tuple) else interval

    @property
    def ping_grace_seconds(self) -> float:
        interval = self.ping_interval
        return interval[1] if isinstance(interval, tuple) else 0.0

    @property
    def advertised_ping_interval_ms(self) -> int:
        """``pingInterval`` of the handshake: interval + grace, in exact milliseconds."""
        return round((self.ping_interval_seconds + self.ping_grace_seconds) * 1000)

    @property
    def advertised_ping_timeout_ms(self) -> int:
        return round(self.ping_timeout * 1000)

    def transport_enabled(self, name: str) -> bool:
        return name in self.transports

    @property
    def upgrades(self) -> tuple[str, ...]:
        """What a polling session may upgrade to."""
        if self.allow_upgrades and Transport.WEBSOCKET.value in self.transports:
            return (Transport.WEBSOCKET.value,)
        return ()

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> EngineConfig:
        """Build from python-engineio keyword arguments; unknown names are ignored."""
        known = {f.name for f in fields(cls)}
        options = {key: value for key, value in kwargs.items() if key in known}
        if "transports" in options:
            options["transports"] = _normalise_transports(options["transports"])
        if options.get("cors_allowed_origins") == ["*"]:
            options["cors_allowed_origins"] = "*"
        if options.get("cookie") is False:  # python-engineio treats a falsy cookie as none
            options["cookie"] = None
        return cls(**options)


def _normalise_transports(value: object) -> tuple[str, ...]:
    if value is None:
        return _ALL_TRANSPORTS
    names = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    kept = tuple(name for name in _ALL_TRANSPORTS if name in names)
    if not kept:
        raise ValueError("No valid transports provided")
    return kept
