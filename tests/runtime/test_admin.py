"""Admin UI instrumentation: options and auth rules (the wire is in tests/seeds/test_guide_admin.py)."""

from __future__ import annotations

import asyncio

import pytest

import runtime
from runtime.admin import Instrumentation


def test_auth_must_be_given() -> None:
    with pytest.raises(ValueError, match="auth must be specified"):
        runtime.Server().instrument()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"mode": "debug"}, "mode must be"), ({"server_stats_interval": 0}, "must be positive")],
)
def test_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        runtime.Server().instrument(auth=False, **kwargs)  # type: ignore[arg-type]


# What the UI may do, in the order python-socketio announces it.
WRITABLE = [
    "AGGREGATED_EVENTS",
    "EMIT",
    "JOIN",
    "LEAVE",
    "DISCONNECT",
    "MJOIN",
    "MLEAVE",
    "MDISCONNECT",
]


@pytest.mark.parametrize(
    ("mode", "read_only", "features"),
    [
        ("development", False, [*WRITABLE, "ALL_EVENTS"]),
        ("production", False, WRITABLE),
        ("production", True, ["AGGREGATED_EVENTS"]),
    ],
)
def test_features_follow_mode_and_read_only(
    mode: str, read_only: bool, features: list[str]
) -> None:
    sio = runtime.Server()
    admin = sio.instrument(auth=False, mode=mode, read_only=read_only)  # type: ignore[arg-type]
    assert admin.features() == features
    # Commands are only handlers when the UI may use them.
    assert ("emit" in sio.handlers["/admin"]) is not read_only


def test_auth_rules() -> None:
    one = {"username": "a", "password": "b"}
    assert Instrumentation(runtime.Server(), auth=one)._check_auth(dict(one)) is True
    assert Instrumentation(runtime.Server(), auth=one)._check_auth({"username": "a"}) is False
    many = Instrumentation(runtime.Server(), auth=[one, {"token": "t"}])
    assert many._check_auth({"token": "t"}) and not many._check_auth({"token": "u"})
    func = Instrumentation(runtime.Server(), auth=lambda auth: auth == "ok")
    assert func._check_auth("ok") and not func._check_auth("no")
    assert Instrumentation(runtime.Server(), auth=False)._check_auth(None) is True


async def test_async_auth_function_is_awaited() -> None:
    async def check(auth: object) -> bool:
        await asyncio.sleep(0)
        return auth == "ok"

    admin = runtime.AsyncServer().instrument(auth=check)
    result = admin._check_auth("ok")
    assert not isinstance(result, bool)
    assert await result is True  # type: ignore[misc]


def test_shutdown_detaches_the_observer() -> None:
    sio = runtime.Server()
    admin = sio.instrument(auth=False)
    assert sio.observer is admin
    admin.shutdown()
    assert sio.observer is None and not admin.running


def test_stats_shape() -> None:
    sio = runtime.Server()
    admin = sio.instrument(auth=False, server_id="node-1")
    admin.packet_in('42["x"]')
    admin.packets_out(['42["y"]', b"\x01\x02"])
    stats = admin.stats()
    assert stats["serverId"] == "node-1" and stats["clientsCount"] == 0
    counts = {e["type"]: e["count"] for e in stats["aggregatedEvents"]}
    assert counts == {"packetsIn": 1, "bytesIn": 7, "packetsOut": 2, "bytesOut": 9}
    assert admin.stats()["aggregatedEvents"] == []  # flushed with each server_stats
