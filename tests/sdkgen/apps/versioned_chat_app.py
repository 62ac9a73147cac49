"""The generated /chat bindings (contract version 1.2.0) under every version policy.

One uvicorn serves four runtime servers, one per policy, each on its own Socket.IO
path (`/<name>/`): `major`, `exact`, `off`, and `required` (major, and a version
must be sent). `uvicorn tests.sdkgen.apps.versioned_chat_app:app`.
"""

from __future__ import annotations

from typing import Any

import runtime
from contracts.chat import JoinRoom, RoomJoined
from generated.server.chat import ChatNamespace

POLICIES: dict[str, dict[str, Any]] = {
    "major": {"version_policy": "major"},
    "exact": {"version_policy": "exact"},
    "off": {"version_policy": "off"},
    "required": {"version_policy": "major", "require_version": True},
}


def serve(path: str, options: dict[str, Any], other: Any) -> runtime.ASGIApp:
    sio = runtime.AsyncServer()
    chat = ChatNamespace()  # one namespace object per server

    @chat.on(JoinRoom)
    async def join_room(sid: str, payload: JoinRoom) -> RoomJoined:
        return RoomJoined(room=payload.room, members=[])

    chat.register(sio, **options)
    return runtime.ASGIApp(sio, other_asgi_app=other, socketio_path=path)


app: Any = None
for name, policy in POLICIES.items():
    app = serve(name, policy, app)
