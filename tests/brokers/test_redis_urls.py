"""AsyncRedisManager URLs: parsing, schemes, and a real Sentinel."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import runtime
from runtime.pubsub import AsyncAioPikaManager, AsyncRedisManager
from runtime.pubsub.redis_manager import parse_sentinel_url
from tests.brokers.harness import RedisServer, free_port, kill, new_channel, poll_until, redis_ping


def test_parse_sentinel_url() -> None:
    sentinels, service, kwargs = parse_sentinel_url(
        "redis+sentinel://us%40r:p%3Aw@h1:26379,10.0.0.2:26380/2/mymaster"
    )
    assert sentinels == [("h1", 26379), ("10.0.0.2", 26380)]
    assert service == "mymaster"
    assert kwargs == {"username": "us@r", "password": "p:w", "db": 2}
    assert parse_sentinel_url("valkey+sentinel://h:1") == ([("h", 1)], None, {})
    assert parse_sentinel_url("redis+sentinel://h:1/0")[2] == {"db": 0}


@pytest.mark.parametrize("url", ["redis://h:1", "redis+sentinel://h", "redis+sentinel://h:x/0"])
def test_parse_sentinel_url_rejects(url: str) -> None:
    with pytest.raises(ValueError):
        parse_sentinel_url(url)


def test_unsupported_scheme_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="Unsupported Redis URL scheme: http"):
        AsyncRedisManager("http://localhost")


def test_valkey_scheme_needs_the_valkey_package() -> None:
    if importlib.util.find_spec("valkey") is None:
        with pytest.raises(RuntimeError, match="pip install valkey"):
            AsyncRedisManager("valkey://localhost:6379/0")
    else:
        manager = AsyncRedisManager("valkey://localhost:6379/0")
        assert manager._module.__name__ == "valkey.asyncio"


def test_constructor_matches_python_socketio() -> None:
    manager = AsyncRedisManager(
        "rediss://h:1/0", channel="c", write_only=True, redis_options={"a": 1}
    )
    assert (manager.redis_url, manager.channel, manager.write_only) == ("rediss://h:1/0", "c", True)
    assert manager.redis_options == {"a": 1}
    assert manager.name == "aioredis"
    assert len(manager.host_id) == 32


def test_guide_names_are_exported() -> None:
    # the names python-socketio exports (the user guide uses them as socketio.X)
    assert runtime.AsyncRedisManager is AsyncRedisManager
    assert runtime.AsyncAioPikaManager is AsyncAioPikaManager


@pytest.fixture
def sentinel(tmp_path: Path, redis_server: RedisServer) -> Iterator[int]:
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor brokers 127.0.0.1 {redis_server.port} 1\n"
    )
    log = open(tmp_path / "sentinel.log", "ab")  # noqa: SIM115 - owned by the process
    try:
        process = subprocess.Popen(
            ["redis-server", str(conf), "--sentinel"], stdout=log, stderr=subprocess.STDOUT
        )
    finally:
        log.close()
    try:
        poll_until(lambda: redis_ping(port), 15, "redis sentinel")
        yield port
    finally:
        kill(process)


async def test_sentinel_url_publishes_and_listens(sentinel: int) -> None:
    channel = new_channel("sentinel")
    url = f"redis+sentinel://127.0.0.1:{sentinel}/0/brokers"
    listener = AsyncRedisManager(url, channel=channel)
    emitter = AsyncRedisManager(url, channel=channel, write_only=True)
    try:
        source = listener._listen()
        received: list[bytes] = []

        async def collect() -> None:
            async for raw in source:
                received.append(raw)
                if b'"event":"e"' in raw:
                    return

        collector = asyncio.ensure_future(collect())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not listener.listening:  # subscribed, through the master the sentinel named
            assert loop.time() < deadline, "never subscribed"
            await asyncio.sleep(0.05)
        await emitter.emit("e", 1)
        await asyncio.wait_for(collector, 10)
        assert b'"method":"runtime:hello"' in received[0]  # its own announcement came first
        await source.aclose()  # type: ignore[attr-defined]
    finally:
        await emitter.close()
        await listener.close()
