"""python-socketio's AsyncClient against typed_chat_app or typed_chat_sync_app (.venvs/pysio).

    pysio_chat_client.py URL TRANSPORT

Prints one JSON line per observation; the last line is {"step": "done"}. Every wait
is bounded; a failure prints {"step": "error", ...} and exits 1.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import traceback
from typing import Any

socketio: Any = importlib.import_module("socketio")  # python-socketio, untyped

WAIT = 10.0
TOKEN = "token-0123456789abcdef"
CRASH = "crash the handler"


def out(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields, default=describe) + "\n")
    sys.stdout.flush()


def describe(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"$bytes": bytes(value).hex()}
    raise TypeError(type(value))


async def main(url: str, transport: str) -> None:
    transports = ["polling"] if transport == "polling" else ["websocket"]
    client = socketio.AsyncClient(reconnection=False)
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def any_event(event: str, *args: Any) -> None:
        await events.put((event, args[0] if args else None))

    async def delivery_check(data: Any) -> Any:
        out(step="delivery_check", data=data)
        return {"received": data["message_ids"]}

    client.on("*", any_event, namespace="/chat")
    client.on("message:delivery_check", delivery_check, namespace="/chat")

    async def next_event(name: str) -> Any:
        while True:
            event, data = await asyncio.wait_for(events.get(), WAIT)
            if event == name:
                return data
            out(step="other_event", event=event, data=data)

    async def call(event: str, data: Any) -> Any:
        return await client.call(event, data, namespace="/chat", timeout=WAIT)

    await client.connect(
        url, namespaces=["/chat"], auth={"token": TOKEN}, transports=transports, wait_timeout=WAIT
    )
    out(step="join", ack=await call("room:join", {"room": "lobby"}))
    out(step="receipt", data=await next_event("presence:changed"))
    ref = "00000000-0000-0000-0000-000000000001"
    text = {"room": "lobby", "client_ref": ref, "content": {"kind": "text", "text": "hello"}}
    out(step="send_valid", ack=await call("message:send", text))
    out(step="posted_text", data=await next_event("message:posted"))
    out(step="send_invalid", ack=await call("message:send", {"room": "No Spaces"}))
    # chat_logic.CRASH_TEXT: the server's handler raises an unexpected exception
    crash = {"room": "lobby", "client_ref": ref, "content": {"kind": "text", "text": CRASH}}
    out(step="send_crash", ack=await call("message:send", crash))
    await client.emit("typing", {"room": "lobby"}, namespace="/chat")
    out(step="typing_invalid", data=await next_event("sdkgen:error"))
    file = {"kind": "file", "filename": "blob.bin", "data": b"\x00\x01\xfe\xff"}
    upload = {"room": "lobby", "client_ref": ref, "content": file}
    out(step="send_file", ack=await call("message:send", upload))
    posted = await next_event("message:posted")
    data = posted["message"]["content"]["data"]
    out(step="posted_file", data_type=type(data).__name__, data=data)
    out(step="unknown", ack=await call("no:such:event", {}))
    out(step="still_alive", ack=await call("message:send", text))
    await client.disconnect()

    for auth in ({"token": "short"}, {"token": "banned-0123456789abcdef"}):
        refused = socketio.AsyncClient(reconnection=False)
        reasons: list[Any] = []

        async def connect_error(data: Any, reasons: list[Any] = reasons) -> None:
            reasons.append(data)

        refused.on("connect_error", connect_error, namespace="/chat")
        try:
            await refused.connect(
                url, namespaces=["/chat"], auth=auth, transports=transports, wait_timeout=WAIT
            )
        except socketio.exceptions.ConnectionError:
            out(step="refused", auth=auth["token"], reasons=reasons)
        else:
            out(step="refused", auth=auth["token"], reasons=None)
            await refused.disconnect()
    out(step="done")


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except Exception as exc:
        out(step="error", error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
        sys.exit(1)
