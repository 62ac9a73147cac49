"""Scenario interpreter driving python-socketio's ``AsyncClient``.

Run by the interop virtualenv's python (where ``socketio`` is python-socketio):

    runner.py --scenario NAME --url http://127.0.0.1:PORT
              [--transport polling|websocket|upgrade] [--serializer default|msgpack]
              [--tag TAG] [--timeout SECONDS]

Prints one JSON object per line describing what happened; pytest asserts on
them. Every wait is bounded; a failed step prints ``{"event": "error", ...}`` and
exits 1. The last line of a successful run is ``{"event": "done"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

socketio: Any = importlib.import_module("socketio")  # python-socketio, untyped


def out(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def describe(value: Any) -> Any:
    """Same view as ``describe`` in server_app.py and the JS runner."""
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
        if len(raw) <= 64:
            return {"$bytes": raw.hex()}
        return {"$bytes_len": len(raw), "$sha256": hashlib.sha256(raw).hexdigest()}
    if isinstance(value, list | tuple):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    return value


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.url: str = args.url
        self.tag: str = args.tag
        self.timeout: float = args.timeout
        self.serializer: str = args.serializer
        self.transport: str = args.transport
        self.transports: list[str] | None = {
            "polling": ["polling"],
            "websocket": ["websocket"],
            "upgrade": None,
        }[args.transport]

    def auth(self, token: str = "good") -> dict[str, str]:
        return {"token": token, "tag": self.tag}

    def client(self) -> Any:
        return socketio.AsyncClient(reconnection=False, serializer=self.serializer)

    async def connect(self, namespaces: list[str] | None = None, token: str = "good") -> Any:
        client = self.client()
        await asyncio.wait_for(
            client.connect(
                self.url,
                auth=self.auth(token),
                transports=self.transports,
                namespaces=namespaces or ["/"],
                wait_timeout=self.timeout,
            ),
            self.timeout + 1,
        )
        if self.transport == "upgrade" and client.transport() != "websocket":
            raise AssertionError(f"no upgrade: transport is {client.transport()}")
        return client

    async def ack(self, client: Any, event: str, *args: Any, namespace: str = "/") -> list[Any]:
        """Emit with a callback and return ALL ack arguments."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()

        def on_ack(*res: Any) -> None:
            if not future.done():
                future.set_result(list(res))

        # python-socketio expands a tuple into several arguments, None into none
        data: Any = None if not args else args[0] if len(args) == 1 else tuple(args)
        await client.emit(event, data, namespace=namespace, callback=on_ack)
        return await asyncio.wait_for(future, self.timeout)

    async def wait(self, future: Awaitable[Any], what: str) -> Any:
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise AssertionError(f"timeout after {self.timeout} s waiting for {what}") from None

    def catch(self, client: Any, event: str, namespace: str = "/") -> asyncio.Future[list[Any]]:
        """A future resolved with the arguments of the next ``event``."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()

        def handler(*args: Any) -> None:
            if not future.done():
                future.set_result(list(args))

        client.on(event, handler, namespace=namespace)
        return future

    # -- scenarios ------------------------------------------------------------

    async def connect_ok(self) -> None:
        client = await self.connect()
        out(event="connected", sid=client.get_sid("/"), transport=client.transport())
        [who] = await self.ack(client, "whoami")
        out(event="whoami", **who)
        await client.disconnect()

    async def connect_rejected(self) -> None:
        for token in ("bad", "false"):
            client = self.client()
            errors: list[Any] = []
            client.on("connect_error", lambda *data, errors=errors: errors.append(list(data)))
            try:
                await asyncio.wait_for(
                    client.connect(
                        self.url,
                        auth=self.auth(token),
                        transports=self.transports,
                        wait_timeout=self.timeout,
                    ),
                    self.timeout + 1,
                )
            except socketio.exceptions.ConnectionError as exc:
                out(event="connect_error", token=token, error=str(exc), data=describe(errors))
            else:
                raise AssertionError(f"token {token} was accepted")
            finally:
                await client.disconnect()

    async def namespaces(self) -> None:
        client = await self.connect(["/", "/chat"])
        out(event="connected", root=client.get_sid("/"), chat=client.get_sid("/chat"))
        said = self.catch(client, "said", namespace="/chat")
        [reply] = await self.ack(client, "say", "hello", namespace="/chat")
        [said_args] = await self.wait(said, "the 'said' event")
        out(event="say_ack", reply=reply, said=said_args)
        [who] = await self.ack(client, "whoami", namespace="/chat")
        out(event="whoami", namespace="/chat", **who)
        # python-socketio's client gives up on the whole connection when one of its
        # namespaces is refused, so the unknown namespace gets its own client
        bad = self.client()
        errors: list[Any] = []
        bad.on("connect_error", lambda *data: errors.append(list(data)), namespace="/nope")
        try:
            await asyncio.wait_for(
                bad.connect(
                    self.url,
                    auth=self.auth(),
                    transports=self.transports,
                    namespaces=["/nope"],
                    wait_timeout=self.timeout,
                ),
                self.timeout + 1,
            )
        except socketio.exceptions.ConnectionError as exc:
            out(event="connect_error", namespace="/nope", error=str(exc), data=describe(errors))
        else:
            raise AssertionError("/nope was accepted")
        finally:
            await bad.disconnect()
        out(event="still_connected", ack=(await self.ack(client, "sync"))[0])
        await client.disconnect()

    async def acks(self) -> None:
        client = await self.connect()
        out(
            event="ack",
            name="echo",
            args=describe(
                await self.ack(client, "echo", "a", 1, {"x": [1, 2, None]}, [True, False])
            ),
        )
        out(event="ack", name="echo_empty", args=await self.ack(client, "echo"))
        out(event="ack", name="multi", args=await self.ack(client, "multi"))

        async def question(a: int, b: int) -> int:
            return a + b

        client.on("question", question)
        out(event="ack", name="please_call", args=await self.ack(client, "please_call", 2, 3))

        # python-socketio's client always acks, so it answers only after the
        # server gave up: the late ack must be ignored by the server
        released = asyncio.Event()

        async def question_ignored(_q: Any) -> str:
            await asyncio.wait_for(released.wait(), self.timeout)
            return "too late"

        client.on("question_ignored", question_ignored)
        out(
            event="ack",
            name="please_call_timeout",
            args=await self.ack(client, "please_call_timeout"),
        )
        released.set()
        out(event="ack", name="sync_after_late_ack", args=await self.ack(client, "sync"))

        client.on("ping_me", lambda payload: ("pong", payload))
        done = self.catch(client, "cb_done")
        sent = await self.ack(client, "please_emit_cb", {"n": 7})
        [cb_args] = await self.wait(done, "the 'cb_done' event")
        out(event="ack", name="please_emit_cb", args=sent, callback_args=describe(cb_args))
        await client.disconnect()

    async def binary(self) -> None:
        big = bytes((i * 7) & 0xFF for i in range(100 * 1024))
        payload = {
            "raw": bytes([0, 1, 2, 255]),
            "list": [b"abc", {"deep": bytes([9, 8, 7])}, "text", 5],
            "big": big,
        }
        client = await self.connect()
        back = self.catch(client, "bin_back")
        [reply] = await self.ack(client, "bin_echo", payload)
        back_args = await self.wait(back, "the 'bin_back' event")
        out(
            event="binary",
            sent=describe(payload),
            echo=describe(reply["echo"]),
            seen=reply["seen"],
            made=describe(reply["made"]),
            nested=describe(reply["nested"]),
            bin_back=describe(back_args),
        )
        await client.disconnect()

    async def rooms(self) -> None:
        clients: dict[str, Any] = {}
        got: dict[str, list[Any]] = {}
        for name in ("a", "b", "c"):
            clients[name] = await self.connect()
            got[name] = []
            clients[name].on("room_msg", got[name].append)
        a, b, c = clients["a"], clients["b"], clients["c"]
        sids = {k: v.get_sid("/") for k, v in clients.items()}
        out(event="sids", **sids)

        async def step(name: str, action: Callable[[], Awaitable[Any]]) -> None:
            result = await action()
            # the sync ack follows, on each ordered connection, whatever the
            # server sent before answering the action
            await asyncio.gather(*(self.ack(cl, "sync") for cl in clients.values()))
            received = {k: v[:] for k, v in got.items()}
            for v in got.values():
                v.clear()
            out(event="step", name=name, result=describe(result), received=received)

        async def joins() -> dict[str, Any]:
            return {
                "a": (await self.ack(a, "join", "r1"))[0],
                "b": (await self.ack(b, "join", "r1"))[0],
                "c": (await self.ack(c, "join", "r2"))[0],
            }

        async def rooms_a() -> Any:
            return (await self.ack(a, "whoami"))[0]["rooms"]

        await step("join", joins)
        await step("to_r1", lambda: self.ack(a, "to_room", "r1", "m1", False))
        await step("to_r1_skip_self", lambda: self.ack(a, "to_room", "r1", "m2", True))
        await step("to_r1_r2", lambda: self.ack(a, "to_room", ["r1", "r2"], "m3", False))
        await step("b_leaves", lambda: self.ack(b, "leave", "r1"))
        await step("to_r1_after_leave", lambda: self.ack(a, "to_room", "r1", "m4", False))
        await step("to_sid_b", lambda: self.ack(c, "to_room", sids["b"], "m5", False))
        await step("rooms_a", rooms_a)
        await step("close_r1", lambda: self.ack(c, "close", "r1"))
        await step("to_r1_after_close", lambda: self.ack(a, "to_room", "r1", "m6", False))
        await step("rooms_a_after_close", rooms_a)
        for cl in clients.values():
            await cl.disconnect()

    async def catch_all(self) -> None:
        client = await self.connect(["/", "/other"])
        out(event="connected", root=client.get_sid("/"), other=client.get_sid("/other"))
        out(
            event="ack",
            name="catch_all",
            args=await self.ack(client, "not_declared", 1, "two", {"three": 3}),
        )
        out(
            event="ack",
            name="any_namespace",
            args=await self.ack(client, "whatever", "x", namespace="/other"),
        )
        await client.disconnect()

    async def sessions(self) -> None:
        client = await self.connect(["/", "/chat"])
        await self.ack(client, "sess_set", "color", "red")
        await self.ack(client, "sess_ctx", "size", 3)
        out(event="session", namespace="/", value=(await self.ack(client, "sess_get"))[0])
        chat = (await self.ack(client, "sess_get", namespace="/chat"))[0]
        out(event="session", namespace="/chat", value=chat)
        await self.ack(client, "sess_ctx", "n", 1, namespace="/chat")
        chat = (await self.ack(client, "sess_get", namespace="/chat"))[0]
        out(event="session", namespace="/chat", value=chat)
        out(event="session", namespace="/", value=(await self.ack(client, "sess_get"))[0])
        await client.disconnect()

    def on_disconnect(self, client: Any) -> asyncio.Future[list[Any]]:
        return self.catch(client, "disconnect")

    async def disconnect_client(self) -> None:
        client = await self.connect()
        out(event="connected", sid=client.get_sid("/"))
        gone = self.on_disconnect(client)
        await client.disconnect()
        out(event="disconnect", reason=(await self.wait(gone, "the 'disconnect' event"))[0])

    async def disconnect_server(self) -> None:
        client = await self.connect()
        out(event="connected", sid=client.get_sid("/"))
        gone = self.on_disconnect(client)
        await client.emit("kick_me")
        out(event="disconnect", reason=(await self.wait(gone, "the 'disconnect' event"))[0])
        await client.disconnect()

    async def hold(self) -> None:
        client = await self.connect()
        out(event="connected", sid=client.get_sid("/"), transport=client.transport())
        await asyncio.Event().wait()  # until killed

    async def burst(self) -> None:
        count = 200
        client = await self.connect()
        # client -> server: emitted at once (on polling they share one POST)
        for i in range(count):
            await client.emit("seq", i)
        try:
            [received] = await self.ack(client, "seq_done")
            out(event="seq_result", received=received)
        except TimeoutError:
            out(event="seq_result", error="timeout")
        # server -> client: count events, then an ack; all must arrive in order
        got: list[Any] = []
        client.on("burst", got.append)
        try:
            [n] = await self.ack(client, "burst_back", count)
            await self.ack(client, "sync")
            out(event="burst_result", count=n, received=got)
        except TimeoutError:
            out(event="burst_result", error="timeout", received=got)
        await client.disconnect()


SCENARIOS = {
    "connect_ok",
    "connect_rejected",
    "namespaces",
    "acks",
    "binary",
    "rooms",
    "catch_all",
    "sessions",
    "disconnect_client",
    "disconnect_server",
    "hold",
    "burst",
}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--url", required=True)
    parser.add_argument(
        "--transport", default="upgrade", choices=["polling", "websocket", "upgrade"]
    )
    parser.add_argument("--serializer", default="default", choices=["default", "msgpack"])
    parser.add_argument("--tag", default="untagged")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    runner = Runner(args)
    out(event="start", scenario=args.scenario, transport=args.transport, parser=args.serializer)
    try:
        await getattr(runner, args.scenario)()
    except BaseException:
        out(event="error", message=traceback.format_exc())
        return 1
    out(event="done")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
