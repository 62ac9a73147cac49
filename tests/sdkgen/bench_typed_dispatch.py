"""Cost of typed dispatch: a validated, generated handler vs a plain python-socketio one.

    python -m tests.sdkgen.bench_typed_dispatch [--events N]

Both handlers do the same job for `message:send` (read room and text, answer with an id
and a timestamp); the typed one also validates the payload with the contract model and
wraps the ack in the envelope. Two measurements:

* handler level: the coroutine the server calls, awaited directly (pure dispatch cost);
* end to end: acked events over an in-memory websocket through `runtime.ASGIApp`.

Not a test (not collected); prints ratios of CPU time (process_time: other load on the
machine does not count). Compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import runtime
from contracts.chat import MessageAccepted, SendMessage
from generated.server.chat import ChatNamespace
from tests.runtime.asgi_wire import WebSocketPeer

PAYLOAD = {
    "room": "lobby",
    "client_ref": "00000000-0000-0000-0000-000000000001",
    "content": {"kind": "text", "text": "hello there", "mentions": []},
}


async def plain(sid: str, data: Any) -> Any:
    """What a careful untyped handler does by hand."""
    room, text = data["room"], data["content"]["text"]
    assert isinstance(room, str) and isinstance(text, str)
    return {"id": str(uuid4()), "sent_at": datetime.now(UTC).isoformat()}


async def typed(sid: str, payload: SendMessage) -> MessageAccepted:
    return MessageAccepted(id=uuid4(), sent_at=datetime.now(UTC))


def servers() -> tuple[runtime.AsyncServer, runtime.AsyncServer, Callable[..., Awaitable[Any]]]:
    plain_sio = runtime.AsyncServer()
    plain_sio.on("message:send", plain, namespace="/chat")
    typed_sio = runtime.AsyncServer()
    chat = ChatNamespace()
    chat.on(SendMessage)(typed)
    chat.register(typed_sio)
    dispatch = typed_sio.handlers["/chat"]["message:send"]
    return plain_sio, typed_sio, dispatch


async def handler_level(fn: Callable[..., Awaitable[Any]], n: int) -> float:
    for _ in range(200):  # warm-up
        await fn("sid", PAYLOAD)
    start = time.process_time()
    for _ in range(n):
        await fn("sid", PAYLOAD)
    return (time.process_time() - start) / n


async def end_to_end(sio: runtime.AsyncServer, n: int) -> float:
    peer = WebSocketPeer(runtime.ASGIApp(sio))
    await peer.open()
    await peer.connect_namespace("/chat", {"token": "t" * 16})
    frame = json.dumps(["message:send", PAYLOAD])
    start = 0.0
    for i in range(n + 200):
        if i == 200:  # after warm-up
            start = time.process_time()
        await peer.send_packet(f"2/chat,{i}{frame}")
        reply = await peer.recv_packet()
        assert reply.startswith(f"3/chat,{i}["), reply
    elapsed = (time.process_time() - start) / n
    await peer.close_transport()
    return elapsed


async def main(n: int, rounds: int) -> None:
    # Variants alternate and each keeps its best round: a busy machine only adds time.
    best: dict[str, float] = {}
    for round_ in range(rounds):
        plain_sio, typed_sio, dispatch = servers()
        runs = [
            ("plain call", handler_level(plain, n)),
            ("typed call", handler_level(dispatch, n)),
            ("plain e2e", end_to_end(plain_sio, n)),
            ("typed e2e", end_to_end(typed_sio, n)),
        ]
        if round_ % 2:
            runs.reverse()  # neither variant always runs first
        for name, run in runs:
            seconds = await run
            best[name] = min(best.get(name, seconds), seconds)
    print(f"events: {n} x {rounds} rounds (best round)")
    for level in ("call", "e2e"):
        p, t = best[f"plain {level}"], best[f"typed {level}"]
        label = "handler level" if level == "call" else "end to end   "
        print(
            f"{label}: plain {p * 1e6:.1f} us, typed {t * 1e6:.1f} us, "
            f"ratio {t / p:.2f}x (+{(t - p) * 1e6:.1f} us/event)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.rounds))
