"""One node of a test cluster: an AsyncServer with a message-queue manager.

Runs under uvicorn either on runtime (``CLUSTER_IMPL=runtime``, the system
python) or on python-socketio (``CLUSTER_IMPL=pysio``, the python of
``.venvs/pysio-brokers``); the code below is the same for both, which is the
point: it is python-socketio's documented API.

Environment: ``CLUSTER_BROKER`` (``redis``/``aiopika``), ``CLUSTER_URL``,
``CLUSTER_CHANNEL``, ``CLUSTER_NODE`` (a name reported by ``info``).

Clients drive the node with a ``cmd`` event whose ack is the result.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

IMPL = os.environ.get("CLUSTER_IMPL", "runtime")
if IMPL == "runtime":
    import runtime as socketio
else:
    import socketio  # type: ignore[no-redef]

logging.basicConfig(
    stream=sys.stderr, level=logging.INFO, format="%(name)s %(levelname)s %(message)s"
)

BROKER = os.environ.get("CLUSTER_BROKER", "redis")
URL = os.environ["CLUSTER_URL"]
CHANNEL = os.environ["CLUSTER_CHANNEL"]
NODE = os.environ.get("CLUSTER_NODE", "node")
# behind a load balancer: the Engine.IO cookie its sticky sessions learn the sid from
COOKIE = os.environ.get("CLUSTER_COOKIE") or None
logger = logging.getLogger("cluster." + NODE)

managers: Any = socketio
if IMPL == "runtime" and not hasattr(socketio, "AsyncRedisManager"):
    import runtime.pubsub as managers  # until runtime/__init__.py re-exports them

if BROKER == "redis":
    mgr: Any = managers.AsyncRedisManager(URL, channel=CHANNEL, logger=logger)
else:
    mgr = managers.AsyncAioPikaManager(URL, channel=CHANNEL, logger=logger)
if IMPL == "runtime":
    # Short reconnect delays keep the broker-restart test quick.
    mgr.listen_backoff_initial = 0.2
    mgr.listen_backoff_max = 1.0

sio = socketio.AsyncServer(client_manager=mgr, async_mode="asgi", cookie=COOKIE)
disconnects: list[tuple[str, str]] = []


@sio.event
async def disconnect(sid: str, reason: Any = None) -> None:
    disconnects.append((sid, str(reason)))


@sio.event
async def cmd(sid: str, data: dict[str, Any]) -> Any:
    op = data["op"]
    if op == "info":
        return {
            "node": NODE,
            "impl": IMPL,
            "host_id": mgr.host_id,
            "pid": os.getpid(),
            "transport": sio.transport(sid),
        }
    if op == "emit":
        await sio.emit(
            data["event"],
            data.get("data"),
            to=data.get("to"),
            skip_sid=sid if data.get("skip_self") else data.get("skip_sid"),
        )
        return "ok"
    if op == "emit_bytes":
        await sio.emit(data["event"], bytes.fromhex(data["hex"]), to=data.get("to"))
        return "ok"
    if op == "call":
        try:
            return await sio.call(data["event"], data.get("data"), to=data["to"], timeout=10)
        except Exception as exc:
            return {"error": repr(exc)}
    if op == "enter_room":
        await sio.enter_room(data.get("sid", sid), data["room"])
        return "ok"
    if op == "leave_room":
        await sio.leave_room(data.get("sid", sid), data["room"])
        return "ok"
    if op == "close_room":
        await sio.close_room(data["room"])
        return "ok"
    if op == "disconnect":
        await sio.disconnect(data["sid"])
        return "ok"
    if op == "rooms":
        return sorted(str(r) for r in sio.rooms(data.get("sid", sid)))
    if op == "disconnects":
        return [list(d) for d in disconnects]
    if op == "cluster_participants":
        return sorted(await mgr.get_participants_cluster("/", data.get("room"), timeout=2))
    if op == "cluster_rooms":
        return sorted(str(r) for r in await mgr.get_rooms_cluster(data["sid"], "/", timeout=2))
    return {"error": f"unknown op {op}"}


async def _close_manager() -> None:
    close = getattr(mgr, "close", None)
    if close is not None:
        await close()


app = socketio.ASGIApp(sio, on_shutdown=_close_manager)
