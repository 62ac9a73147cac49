"""python-socketio clients against the chat example (run by the .venvs/pysio python).

    pysio_chat_client.py URL TRANSPORT MODERATOR_TOKEN

Plays a whole session with two users and a moderator and prints one JSON line per
observation ({"step": ..., ...}); the last line is {"step": "done"}. Every wait is
bounded; a failure prints {"step": "error", ...} and exits 1. pytest asserts.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import traceback
import urllib.request
from typing import Any

socketio: Any = importlib.import_module("socketio")  # python-socketio, untyped

WAIT = 10.0
FLAG = "\N{TRIANGULAR FLAG ON POST}"
THUMBS = "\N{THUMBS UP SIGN}"
REF = "00000000-0000-0000-0000-0000000000a1"

# Payloads no client event accepts (each is sent to every client event).
NESTED: Any = {"a": {"b": {"c": {"d": {"e": [[[[[]]]]]}}}}}
BAD_EVERYWHERE: list[Any] = [
    None,
    42,
    "lobby",
    [],
    ["lobby"],
    {"room": "No Spaces!"},
    {"room": "x" * 100},
    {"room": 7},
    {"room": {"$gt": ""}},
    NESTED,
]
# Payloads that are wrong for one event only.
LOBBY = {"room": "lobby"}
BAD_FOR: dict[str, list[Any]] = {
    "room:join": [{**LOBBY, "password": 5}],
    "join": [{"room": "-lobby"}],
    "room:leave": [{"room": ""}],
    "message:send": [
        {**LOBBY, "client_ref": "not-a-uuid", "content": {"kind": "text", "text": "x"}},
        {**LOBBY, "client_ref": REF, "content": {"kind": "video"}},
        {**LOBBY, "client_ref": REF, "content": {"kind": "text", "text": ""}},
        {**LOBBY, "client_ref": REF, "content": {"kind": "text", "text": "x" * 2001}},
        {**LOBBY, "client_ref": REF, "content": {"kind": "image", "url": "http://x", "width": 1}},
    ],
    "message:react": [
        {**LOBBY, "message_id": REF, "emoji": ""},
        {**LOBBY, "message_id": "7", "emoji": "x"},
    ],
    "history:fetch": [
        {**LOBBY, "limit": 0},
        {**LOBBY, "limit": 201},
        {**LOBBY, "before": "2024-01-01T00:00:00"},  # naive: the contract wants aware
    ],
    "typing": [LOBBY, {**LOBBY, "active": "maybe-ish"}],
    "presence:set": [{"status": "asleep"}, {"status": "away", "note": "x" * 81}],
}
CLIENT_EVENTS = {
    # wire name -> acked
    "room:join": True,
    "join": True,
    "room:leave": False,
    "message:send": True,
    "message:react": False,
    "history:fetch": True,
    "typing": False,
    "presence:set": True,
}


def out(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields, default=describe) + "\n")
    sys.stdout.flush()


def describe(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"$bytes": bytes(value).hex()}
    raise TypeError(type(value))


def login(url: str, name: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/api/login",
        data=json.dumps({"name": name}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


class Peer:
    """One python-socketio client with a queue of everything the server emitted."""

    def __init__(self, name: str, namespace: str) -> None:
        self.name = name
        self.namespace = namespace
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.refusals: list[Any] = []
        self.client.on("*", self._any, namespace=namespace)
        self.client.on("connect_error", self._refused, namespace=namespace)

    async def _any(self, event: str, *args: Any) -> None:
        await self.events.put((event, args[0] if args else None))

    async def _refused(self, data: Any) -> None:
        self.refusals.append(data)

    async def connect(self, url: str, transport: str, auth: Any) -> bool:
        try:
            await self.client.connect(
                url,
                namespaces=[self.namespace],
                auth=auth,
                transports=[transport],
                wait_timeout=WAIT,
            )
        except socketio.exceptions.ConnectionError:
            return False
        return True

    async def call(self, event: str, data: Any = None) -> Any:
        """An acked emit; a tuple `data` sends several arguments (python-socketio's rule)."""
        return await self.client.call(event, data, namespace=self.namespace, timeout=WAIT)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.client.emit(event, data, namespace=self.namespace)

    async def next(self, name: str) -> Any:
        """The data of the next `name` event, skipping others."""
        while True:
            event, data = await asyncio.wait_for(self.events.get(), WAIT)
            if event == name:
                return data

    def drain(self) -> list[tuple[str, Any]]:
        seen = []
        while not self.events.empty():
            seen.append(self.events.get_nowait())
        return seen


async def main(url: str, transport: str, moderator_token: str) -> None:
    ann_login, bob_login = login(url, "ann"), login(url, "bob")
    out(step="login", user=ann_login["user"], token_length=len(ann_login["token"]))

    ann, bob = Peer("ann", "/chat"), Peer("bob", "/chat")
    checks: list[Any] = []

    async def delivery_check(data: Any) -> Any:
        # Claim to have every message but the first, which the server must re-send.
        checks.append(data)
        return {"received": data["message_ids"][1:], "read_up_to": data["message_ids"][-1]}

    ann.client.on("message:delivery_check", delivery_check, namespace="/chat")
    assert await ann.connect(url, transport, {"token": ann_login["token"]})
    assert await bob.connect(url, transport, {"token": bob_login["token"], "client": "ios"})

    out(step="ann_join", ack=await ann.call("room:join", {"room": "lobby"}))
    out(step="bob_join", ack=await bob.call("room:join", {"room": "lobby"}))
    out(step="ann_sees_join", data=await ann.next("room:membership"))

    await bob.emit("typing", {"room": "lobby", "active": True})
    out(step="ann_sees_typing", data=await ann.next("typing:update"))

    text = {"room": "lobby", "client_ref": REF, "content": {"kind": "text", "text": "hi bob"}}
    out(step="send", ack=await ann.call("message:send", text))
    out(step="bob_sees_message", data=await bob.next("message:posted"))
    out(step="resend", ack=await ann.call("message:send", text))

    reply = {"room": "lobby", "client_ref": REF, "content": {"kind": "text", "text": "hi ann"}}
    out(step="bob_send", ack=await bob.call("message:send", reply))  # same ref, other user
    out(step="ann_sees_typing_stop", data=await ann.next("typing:update"))
    file = {"kind": "file", "filename": "a.bin", "data": b"\x00\xff"}
    upload = {"room": "lobby", "client_ref": "00000000-0000-0000-0000-0000000000f1"}
    out(step="send_file", ack=await bob.call("message:send", {**upload, "content": file}))
    posted = await ann.next("message:posted")
    while posted["message"]["content"]["kind"] != "file":
        posted = await ann.next("message:posted")
    data = posted["message"]["content"]["data"]
    out(step="ann_sees_file", data_type=type(data).__name__, data=bytes(data).hex())

    out(step="history", ack=await bob.call("history:fetch", {"room": "lobby", "limit": 2}))

    message_id = (await ann.call("history:fetch", {"room": "lobby"}))["data"]["messages"][0]["id"]
    await bob.emit("message:react", {"room": "lobby", "message_id": message_id, "emoji": THUMBS})
    out(step="ann_sees_reaction", data=await ann.next("message:posted"))

    mod = Peer("mod", "/moderation")
    out(
        step="mod_bad_token",
        ok=await mod.connect(url, transport, {"token": "x" * 20, "role": "moderator"}),
        refusals=mod.refusals,
    )
    mod = Peer("mod", "/moderation")
    assert await mod.connect(url, transport, {"token": moderator_token, "role": "admin"})
    await bob.emit("message:react", {"room": "lobby", "message_id": message_id, "emoji": FLAG})
    out(step="report", data=await mod.next("report:filed"))
    bob_id = bob_login["user"]["id"]
    mute = {"room": "lobby", "user_id": bob_id, "duration": "PT1M", "reason": "calm down"}
    out(step="mute", ack=await mod.call("user:mute", mute))
    muted = {**reply, "client_ref": "00000000-0000-0000-0000-0000000000b2"}
    out(step="bob_muted", ack=await bob.call("message:send", muted))
    delete = {"room": "lobby", "message_id": REF, "reason": "no such"}
    out(step="delete_missing", ack=await mod.call("message:delete", delete))
    await mod.client.disconnect()

    # Away and back: the server asks ann what she has and re-sends what she lacks.
    out(step="away", ack=await ann.call("presence:set", {"status": "away", "note": "lunch"}))
    out(step="bob_sees_away", data=await bob.next("presence:changed"))
    ann.drain()
    out(step="online", ack=await ann.call("presence:set", {"status": "online"}))
    resent = await ann.next("message:posted")
    out(step="catch_up", checks=checks, resent=resent)

    # Every bad payload on every event: a structured error each time, never a crash.
    errors: list[dict[str, Any]] = []
    for event, acked in CLIENT_EVENTS.items():
        for payload in BAD_EVERYWHERE + BAD_FOR[event]:
            if acked:
                ack = await ann.call(event, payload)
                errors.append({"event": event, "ack": ack})
            else:
                await ann.emit(event, payload)
                error = await ann.next("sdkgen:error")
                errors.append({"event": event, "error": error})
    out(step="bad_payloads", errors=errors)
    out(step="no_payload", ack=await ann.call("history:fetch"))
    out(step="two_payloads", ack=await ann.call("history:fetch", ({"room": "lobby"}, {})))
    out(step="not_in_room", ack=await ann.call("history:fetch", {"room": "elsewhere"}))
    await ann.emit("typing", {"room": "elsewhere", "active": True})
    out(step="not_in_room_unacked", data=await ann.next("sdkgen:error"))
    out(step="unknown_event", ack=await ann.call("room:destroy", {"room": "lobby"}))

    locked = {"room": "vault", "password": "s3cret"}
    out(step="create_locked", ack=await bob.call("room:join", locked))
    wrong = {"room": "vault", "password": "guess"}
    out(step="wrong_password", ack=await ann.call("room:join", wrong))
    out(step="legacy_join", ack=await ann.call("join", {"room": "lobby"}))

    await bob.emit("room:leave", {"room": "lobby"})
    out(step="ann_sees_leave", data=await ann.next("room:membership"))
    out(step="still_alive", ack=await ann.call("history:fetch", {"room": "lobby", "limit": 1}))

    for auth in (
        {"token": "short"},
        {"token": "u" * 32},
        None,
        {"token": "u" * 32, "client": "tv"},
    ):
        peer = Peer("refused", "/chat")
        out(
            step="refused",
            auth=auth,
            ok=await peer.connect(url, transport, auth),
            why=peer.refusals,
        )

    await bob.client.disconnect()
    await ann.client.disconnect()
    out(step="done")


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
    except Exception as exc:
        out(step="error", error=f"{type(exc).__name__}: {exc!r}", trace=traceback.format_exc())
        sys.exit(1)
