"""The functional chat app on the generated sync twin (`chat_sync`) and `runtime.Server`.

Served by Werkzeug's threaded WSGI server in a subprocess:

    python -m tests.sdkgen.apps.typed_chat_sync_app PORT_FILE

(the OS picks the port; it is written to PORT_FILE once the server listens). Same
behaviour as `typed_chat_app.py` with plain functions: each handler runs in a thread,
`emit_*` and `call_*` block, and the call runs in a background thread.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

import runtime
from contracts.chat import (
    ChatAuth,
    JoinRoom,
    MessageAccepted,
    MessagePosted,
    RoomJoined,
    SendMessage,
    Typing,
)
from contracts.common import Member
from generated.server.chat import chat_sync
from tests.sdkgen.apps import chat_logic

sio = runtime.Server(async_mode="threading")
app = runtime.WSGIApp(sio)
chat_sync.register(sio)

members: dict[str, Member] = {}


@chat_sync.on_connect
def connect(sid: str, environ: Mapping[str, Any], auth: ChatAuth) -> None:
    members[sid] = chat_logic.admit(auth)


@chat_sync.on_disconnect
def disconnect(sid: str, reason: str) -> None:
    members.pop(sid, None)


@chat_sync.on(JoinRoom)
def join_room(sid: str, payload: JoinRoom) -> RoomJoined:
    sio.enter_room(sid, payload.room, namespace="/chat")
    sio.start_background_task(check_delivery, sid, payload.room)
    return RoomJoined(room=payload.room, members=[members[sid]])


def check_delivery(sid: str, room: str) -> None:
    """Runs outside any handler: a blocking typed call, then a typed emit with the result."""
    receipt = chat_sync.call_delivery_check(chat_logic.delivery_check(room), to=sid, timeout=10)
    chat_sync.emit_presence_changed(chat_logic.receipt_presence(members[sid], receipt), to=sid)


@chat_sync.on(SendMessage)
def send_message(sid: str, payload: SendMessage) -> MessageAccepted:
    message = chat_logic.post(members[sid], payload)
    chat_sync.emit_message_posted(MessagePosted(message=message), to=payload.room)
    return chat_logic.accepted(message)


@chat_sync.on(Typing)
def typing(sid: str, payload: Typing) -> None:
    update = chat_logic.typing_update(members[sid], payload)
    chat_sync.emit_typing_update(update, to=payload.room, skip_sid=sid)


def main(port_file: Path) -> None:
    logging.basicConfig(level=logging.INFO)  # handler failures are logged (the test reads them)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    partial = port_file.with_suffix(".tmp")
    partial.write_text(str(server.server_port))
    partial.replace(port_file)  # atomic: the test never reads half a number
    server.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
