"""A small chat server written exactly as a python-socketio user would write it.

Run it with ``python -m examples.chat`` and open http://127.0.0.1:8000/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import runtime as socketio

HERE = Path(__file__).parent
CLIENT_BUNDLE = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"

sio = socketio.AsyncServer()
app = socketio.ASGIApp(
    sio,
    static_files={
        "/": str(HERE / "static" / "index.html"),
        "/static/socket.io.min.js": str(CLIENT_BUNDLE),
    },
)


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> None:
    name = (auth or {}).get("name")
    if not isinstance(name, str) or not name.strip():
        raise socketio.exceptions.ConnectionRefusedError("a name is required")
    await sio.save_session(sid, {"name": name.strip()[:32], "room": None})


@sio.event
async def join(sid: str, room: str) -> dict[str, Any]:
    """Leave the current room, enter ``room``, and tell its members."""
    async with sio.session(sid) as session:
        if session["room"]:
            await sio.leave_room(sid, session["room"])
            await sio.emit(
                "presence", {"name": session["name"], "joined": False}, to=session["room"]
            )
        session["room"] = room
    await sio.enter_room(sid, room)
    await sio.emit("presence", {"name": session["name"], "joined": True}, to=room, skip_sid=sid)
    return {"ok": True, "room": room}


@sio.event
async def message(sid: str, text: str) -> dict[str, Any]:
    session = await sio.get_session(sid)
    if not session["room"]:
        return {"ok": False, "error": "join a room first"}
    await sio.emit(
        "message", {"name": session["name"], "text": str(text)[:2000]}, to=session["room"]
    )
    return {"ok": True}


@sio.event
async def typing(sid: str, active: bool) -> None:
    session = await sio.get_session(sid)
    if session["room"]:
        await sio.emit(
            "typing",
            {"name": session["name"], "active": bool(active)},
            to=session["room"],
            skip_sid=sid,
        )


@sio.event
async def disconnect(sid: str, reason: str) -> None:
    session = await sio.get_session(sid)
    if session.get("room"):
        await sio.emit("presence", {"name": session["name"], "joined": False}, to=session["room"])
