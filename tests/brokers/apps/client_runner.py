"""Real Socket.IO clients (python-socketio's AsyncClient), driven over stdin/stdout.

Run by the python of ``.venvs/pysio-brokers``. Reads JSON commands, one per line:

* ``{"op": "connect", "name": n, "url": u}`` -> ``{"op": "connected", "name": n, "sid": s}``;
  with ``"local_address": a`` its connections come from address ``a`` (e.g. 127.0.5.1)
* ``{"op": "cmd", "name": n, "id": i, "data": d}``: emit ``cmd`` with an ack ->
  ``{"op": "ack", "id": i, "data": <ack args>}``
* ``{"op": "disconnect", "name": n}`` / ``{"op": "quit"}``

and prints every event a client receives as ``{"op": "event", "name": n,
"event": e, "args": [...]}`` (bytes as ``{"$bytes": hex}``) and each disconnect
as ``{"op": "disconnected", "name": n, "reason": r}``. An ``ask`` event is
acknowledged with ``{"by": <client name>, "got": <first argument>}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

import aiohttp
import socketio


def plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def out(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


clients: dict[str, socketio.AsyncClient] = {}
sessions: list[aiohttp.ClientSession] = []


def make_client(name: str, local_address: str | None = None) -> socketio.AsyncClient:
    options: dict[str, Any] = {}
    if local_address is not None:
        # a client "from another host": a load balancer hashing on the address sees it
        connector = aiohttp.TCPConnector(local_addr=(local_address, 0))
        options["http_session"] = aiohttp.ClientSession(connector=connector)
        sessions.append(options["http_session"])
    client = socketio.AsyncClient(reconnection=False, **options)

    @client.on("ask")
    async def ask(*args: Any) -> Any:
        out({"op": "event", "name": name, "event": "ask", "args": plain(list(args))})
        return {"by": name, "got": plain(args[0]) if args else None}

    @client.on("*")
    async def any_event(event: str, *args: Any) -> None:
        out({"op": "event", "name": name, "event": event, "args": plain(list(args))})

    @client.event
    async def disconnect(reason: Any = None) -> None:
        out({"op": "disconnected", "name": name, "reason": str(reason)})

    return client


async def handle(command: dict[str, Any]) -> None:
    op = command["op"]
    name = command.get("name", "")
    try:
        if op == "connect":
            client = clients[name] = make_client(name, command.get("local_address"))
            await client.connect(
                command["url"], transports=command.get("transports", ["websocket"]), wait_timeout=10
            )
            out({"op": "connected", "name": name, "sid": client.get_sid()})
        elif op == "cmd":
            result = await clients[name].call("cmd", command["data"], timeout=20)
            out({"op": "ack", "id": command["id"], "data": plain(result)})
        elif op == "disconnect":
            await clients[name].disconnect()
    except Exception as exc:
        out({"op": "error", "name": name, "id": command.get("id"), "error": repr(exc)})


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out({"op": "ready"})
    tasks: set[asyncio.Task[None]] = set()
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        if command["op"] == "quit":
            break
        task = asyncio.ensure_future(handle(command))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    for client in clients.values():
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), 5)
    for session in sessions:
        await session.close()


if __name__ == "__main__":
    asyncio.run(main())
