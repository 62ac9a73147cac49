"""Print the pub/sub messages python-socketio publishes for a fixed set of calls.

Run by the python of ``.venvs/pysio-brokers``; the broker suite compares them
with runtime's encoder, field for field. Output: one JSON list of
``[call_name, message_dict]``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from socketio.async_pubsub_manager import AsyncPubSubManager


class Capture(AsyncPubSubManager):
    def __init__(self) -> None:
        super().__init__(channel="golden", write_only=True)
        self.host_id = "h0"
        self.sent: list[dict[str, Any]] = []

    async def _publish(self, data: dict[str, Any]) -> None:
        self.sent.append(json.loads(self.json.dumps(data)))


async def main() -> None:
    calls: list[tuple[str, Any]] = []
    mgr = Capture()

    async def record(name: str, coro: Any) -> None:
        await coro
        calls.append((name, mgr.sent.pop()))

    await record("emit_dict", mgr.emit("ev", {"a": 1}, namespace="/chat", room="r1"))
    await record("emit_none", mgr.emit("ev", None))
    await record("emit_tuple", mgr.emit("ev", (1, "x", [2]), room=["r1", "r2"], skip_sid="s1"))
    await record("emit_skip_list", mgr.emit("ev", "s", skip_sid=["s1", "s2"]))
    await record("emit_binary", mgr.emit("ev", ({"k": b"\x00\x01"}, b"\xff"), room="r"))
    await record("disconnect", mgr.can_disconnect("sid1", "/chat"))
    await record("enter_room", mgr.enter_room("sid1", "/", "room1"))
    await record("leave_room", mgr.leave_room("sid1", "/", "room1"))
    await record("close_room", mgr.close_room("room1", "/chat"))
    await record("callback", mgr._return_callback("h9", "sid1", "/", 7, "a", 2))
    print(json.dumps(calls))


asyncio.run(main())
