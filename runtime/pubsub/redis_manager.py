"""``AsyncRedisManager``: the pub/sub manager over Redis (or Valkey) ``PUBLISH``/``SUBSCRIBE``.

URLs: ``redis://``, ``rediss://`` (TLS), ``unix://``, ``redis+sentinel://``, and
``valkey://``, ``valkeys://``, ``valkey+sentinel://`` when the ``valkey`` package
is installed. The client package is imported when the manager is created, so
``runtime`` itself does not need it.

Publishes are pipelined: a batch of queued messages is one round trip. The
listener uses its own connection per subscription, so a lost connection is
simply a failed ``_listen()`` that the base class retries with backoff. The
client library's own retries are turned off by default (``retry`` in
``redis_options`` overrides that): the manager's policies decide, and log.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlparse

from runtime.pubsub.manager import AsyncPubSubManager

__all__ = ["AsyncRedisManager", "client_module", "connect", "parse_sentinel_url"]

_SCHEMES = {
    "redis": "redis",
    "rediss": "redis",
    "redis+sentinel": "redis",
    "valkey": "valkey",
    "valkeys": "valkey",
    "valkey+sentinel": "valkey",
}


def parse_sentinel_url(
    url: str,
) -> tuple[list[tuple[str, int]], str | None, dict[str, Any]]:
    """``redis+sentinel://[user:pw@]h1:p1,h2:p2[/db[/service]]`` -> sentinels, service, kwargs."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis+sentinel", "valkey+sentinel"):
        raise ValueError("Invalid Redis Sentinel URL")
    sentinels: list[tuple[str, int]] = []
    for host_port in parsed.netloc.rsplit("@", 1)[-1].split(","):
        host, sep, port = host_port.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"Invalid Redis Sentinel address: {host_port!r}")
        sentinels.append((host.strip("[]"), int(port)))
    kwargs: dict[str, Any] = {}
    if parsed.username:
        kwargs["username"] = unquote(parsed.username)
    if parsed.password:
        kwargs["password"] = unquote(parsed.password)
    service: str | None = None
    parts = parsed.path.split("/")
    if len(parts) >= 2 and parts[1]:
        kwargs["db"] = int(parts[1])
    if len(parts) >= 3 and parts[2]:
        service = parts[2]
    return sentinels, service, kwargs


def client_module(url: str, flavour: str = ".asyncio") -> ModuleType:
    """``redis.asyncio`` or ``valkey.asyncio`` (``flavour=""``: the sync client), per URL scheme."""
    scheme = urlparse(url).scheme.lower()
    if scheme == "unix":
        for package in ("redis", "valkey"):
            try:
                return importlib.import_module(package + flavour)
            except ImportError:
                continue
        raise RuntimeError(
            'Redis package is not installed (Run "pip install redis" or "pip install valkey").'
        )
    if scheme not in _SCHEMES:
        raise ValueError(f"Unsupported Redis URL scheme: {scheme}")
    package = _SCHEMES[scheme]
    try:
        return importlib.import_module(package + flavour)
    except ImportError:
        raise RuntimeError(
            f'{package.capitalize()} package is not installed (Run "pip install {package}").'
        ) from None


def connect(module: ModuleType, url: str, redis_options: dict[str, Any], channel: str) -> Any:
    """A new client (its own connection pool) of ``module`` for ``url``.

    The client's own retries are off unless ``redis_options`` sets ``retry``: the
    manager's policies decide, and log. A sentinel URL without a service name
    uses the channel as the service, as python-socketio does.
    """
    options = dict(redis_options)
    if "retry" not in options:
        retry = importlib.import_module(module.__name__ + ".retry")
        backoff = importlib.import_module(module.__name__.split(".")[0] + ".backoff")
        options["retry"] = retry.Retry(backoff.NoBackoff(), 0)
    scheme = urlparse(url).scheme.lower()
    if scheme != "unix":  # unix-socket connections take neither option
        options.setdefault("socket_connect_timeout", 5.0)
        options.setdefault("socket_keepalive", True)
    if scheme.endswith("+sentinel"):
        sentinels, service, kwargs = parse_sentinel_url(url)
        options.update(kwargs)
        sentinel = module.sentinel.Sentinel(sentinels, **options)
        return sentinel.master_for(service or channel)
    return module.Redis.from_url(url, **options)


class AsyncRedisManager(AsyncPubSubManager):
    """Redis based client manager for asyncio servers (python-socketio's constructor)."""

    name = "aioredis"

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        channel: str = "socketio",
        write_only: bool = False,
        logger: Any = None,
        json: Any = None,
        redis_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(channel=channel, write_only=write_only, logger=logger, json=json)
        self.redis_url = url
        self.redis_options: dict[str, Any] = dict(redis_options or {})
        self._module = client_module(url)
        self.redis: Any = None  # the publishing client

    def _connect(self) -> Any:
        return connect(self._module, self.redis_url, self.redis_options, self.channel)

    async def _send_batch(self, payloads: list[str]) -> None:
        client = self.redis
        if client is None:
            client = self.redis = self._connect()
        if len(payloads) == 1:
            await client.publish(self.channel, payloads[0])
            return
        pipe = client.pipeline(transaction=False)
        for payload in payloads:
            pipe.publish(self.channel, payload)
        await pipe.execute()

    async def _listen(self) -> AsyncIterator[Any]:
        client = self._connect()
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            async for message in pubsub.listen():
                kind = message.get("type")
                if kind == "message" or kind == b"message":
                    yield message["data"]
                elif kind == "subscribe" or kind == b"subscribe":
                    await self._listener_up()
        finally:
            try:
                await pubsub.aclose()
            finally:
                await client.aclose()

    async def _close_transport(self) -> None:
        client, self.redis = self.redis, None
        if client is not None:
            await client.aclose()
