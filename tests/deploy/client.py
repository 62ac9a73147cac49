"""python-socketio's client (run by .venvs/pysio): connect, emit with an ack, print JSON.

``client.py URL TRANSPORT``: TRANSPORT is ``polling`` or ``websocket`` (only that one),
or ``upgrade`` (python-socketio's default: polling, then an upgrade to websocket).
"""

from __future__ import annotations

import asyncio
import json
import sys

import socketio  # type: ignore[import-not-found]  # python-socketio, in .venvs/pysio


async def main(url: str, transport: str) -> None:
    async with socketio.AsyncSimpleClient() as client:
        transports = ["polling", "websocket"] if transport == "upgrade" else [transport]
        await client.connect(url, transports=transports, wait_timeout=10)
        if transport == "upgrade":
            await asyncio.sleep(1)  # the upgrade probe, if the server takes it, is over
        answer = await client.call("echo", {"hello": transport, "bin": b"\x00\xff"}, timeout=10)
        used = client.client.eio.transport()
        answer["echo"]["bin"] = answer["echo"]["bin"].hex()
        print(json.dumps({"ack": answer, "client_transport": used}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
