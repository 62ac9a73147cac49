"""Drive python-socketio ``AsyncClient``s through a list of steps; print what happened.

Runs in the python-socketio virtualenv (see pysio_venv.py), never in the system
Python. Input on stdin, as JSON (one request per line with ``--serve``)::

    {"url": "http://127.0.0.1:8000", "timeout": 5.0,
     "steps": [{"op": "connect", "client": "a", "namespaces": ["/chat"]}, ...]}

Every step adds one entry to ``results``; every event a client receives is
recorded under ``events`` as ``[namespace, event, args]``. Waits are bounded
by ``timeout`` and end in ``{"timeout": true}`` rather than an exception, so
the test shows what did and did not arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from typing import Any

import socketio  # type: ignore[import-not-found, unused-ignore]

Json = Any

# A step may take at most this many ``timeout``s (a connect waits for the
# handshake and then for its namespaces).
STEP_LIMIT = 2


class Recorder:
    """A client plus everything it received, with a wake-up for waiters."""

    def __init__(self) -> None:
        self.client: Any = socketio.AsyncClient(reconnection=False)
        self.events: list[list[Json]] = []
        self.replies: dict[tuple[str, str], Json] = {}
        self._changed = asyncio.Event()

    def record(self, namespace: str, event: str, args: list[Json]) -> None:
        self.events.append([namespace, event, args])
        self._changed.set()
        self._changed = asyncio.Event()

    def count(self, namespace: str, event: str) -> int:
        return sum(1 for ns, name, _ in self.events if ns == namespace and name == event)

    async def wait_for(self, namespace: str, event: str, count: int, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.count(namespace, event) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return False
        return True

    def listen(self, namespace: str) -> None:
        """Record every event of ``namespace``; events with a reply step answer the ack."""

        def catch_all(event: str, *args: Json) -> Json:
            self.record(namespace, event, list(args))
            reply = self.replies.get((namespace, event))
            return tuple(reply) if isinstance(reply, list) else reply

        def reserved(name: str) -> Any:
            def handler(*args: Json) -> None:
                self.record(namespace, name, list(args))

            return handler

        self.client.on("*", catch_all, namespace=namespace)
        for name in ("connect", "connect_error", "disconnect"):
            self.client.on(name, reserved(name), namespace=namespace)


class Crash(Exception):
    """The ``crash`` step: stop without a goodbye, as a killed browser tab would."""


def _payload(step: dict[str, Json], clients: dict[str, Recorder]) -> dict[str, Json]:
    """``args`` is several event arguments (a tuple on the wire), ``data`` is one,
    ``sid_of`` is the sid of another client in the step's namespace."""
    if "sid_of" in step:
        return {"data": clients[step["sid_of"]].client.get_sid(step.get("namespace", "/"))}
    if "args" in step:
        return {"data": tuple(step["args"])}
    if "data" in step:
        return {"data": step["data"]}
    return {}


class Session:
    """The clients of one run, by name, and the acks left to check at the end."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.clients: dict[str, Recorder] = {}
        self.pending: dict[str, asyncio.Future[Json]] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    async def step(self, step: dict[str, Json]) -> Json:
        op = step["op"]
        rec = self.clients.setdefault(step.get("client", "a"), Recorder())
        namespace = step.get("namespace", "/")
        loop = asyncio.get_running_loop()
        if op == "reply":
            rec.replies[(namespace, step["event"])] = step.get("value")
            return {"ok": True}
        if op == "connect":
            namespaces = step.get("namespaces") or ["/"]
            for ns in namespaces:
                rec.listen(ns)
            try:
                await rec.client.connect(
                    self.url + step.get("query", ""),
                    headers=step.get("headers", {}),
                    auth=step.get("auth"),
                    transports=step.get("transports"),
                    namespaces=namespaces,
                    wait_timeout=self.timeout,
                )
            except Exception as exc:  # the test asserts on the error text
                errors = [args for _, name, args in rec.events if name == "connect_error"]
                return {"ok": False, "error": str(exc), "connect_error": errors}
            sids = {ns: rec.client.get_sid(ns) for ns in namespaces}
            transport = rec.client.transport()
            return {"ok": True, "sids": sids, "eio_sid": rec.client.eio.sid, "transport": transport}
        if op == "upgrade":  # wait until polling has been upgraded to websocket
            deadline = loop.time() + self.timeout
            while rec.client.transport() != "websocket" and loop.time() < deadline:
                await asyncio.sleep(0.01)
            return {"transport": rec.client.transport()}
        if op == "emit":
            kwargs = _payload(step, self.clients)
            if not step.get("ack"):
                await rec.client.emit(step["event"], namespace=namespace, **kwargs)
                return {"ok": True}
            future: asyncio.Future[Json] = loop.create_future()

            def on_ack(*args: Json) -> None:
                if not future.done():
                    future.set_result(list(args))

            kwargs["callback"] = on_ack
            await rec.client.emit(step["event"], namespace=namespace, **kwargs)
            if "label" in step:  # checked at the end, e.g. an ack that must never come
                self.pending[step["label"]] = future
                return {"ok": True}
            try:
                return {"ack": await asyncio.wait_for(future, self.timeout)}
            except TimeoutError:
                return {"timeout": True}
        if op == "call":
            try:
                value = await rec.client.call(
                    step["event"],
                    namespace=namespace,
                    timeout=self.timeout,
                    **_payload(step, self.clients),
                )
            except socketio.exceptions.TimeoutError:
                return {"timeout": True}
            return {"value": list(value) if isinstance(value, tuple) else value}
        if op == "send":
            await rec.client.send(step["data"], namespace=namespace)
            return {"ok": True}
        if op == "wait":
            count = step.get("count", 1)
            ok = await rec.wait_for(namespace, step["event"], count, self.timeout)
            return {"ok": True} if ok else {"timeout": True}
        if op == "disconnect":
            await self.disconnect(rec)
            return {"ok": True}
        if op == "crash":
            raise Crash
        raise ValueError(f"unknown op {op!r}")

    async def disconnect(self, rec: Recorder) -> None:
        """``disconnect()``, returning once its packets are on the wire.

        Over polling, disconnect() then waits for the pending long-poll GET,
        which a python-socketio server only answers at the next ping (25 s);
        that tail is left to ``close``.
        """
        task = asyncio.create_task(rec.client.disconnect())
        self.tasks.add(task)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while not task.done() and loop.time() < deadline:
            writer = rec.client.eio.write_loop_task
            if not rec.client.connected and (writer is None or writer.done()):
                break
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        for rec in self.clients.values():
            if rec.client.connected:
                await self.disconnect(rec)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def run(url: str, steps: list[dict[str, Json]], timeout: float) -> dict[str, Json]:
    session = Session(url, timeout)
    results: list[Json] = []
    crashed = False
    for step in steps:
        try:
            # Every step's own waits are bounded; this bounds the library calls too.
            results.append(await asyncio.wait_for(session.step(step), STEP_LIMIT * timeout))
        except Crash:
            crashed = True
            break
        except Exception as exc:  # recorded: the test shows which step failed and how
            results.append({"error": f"{type(exc).__name__}: {exc}"})
    if not crashed:
        with contextlib.suppress(TimeoutError):  # else dropped with the event loop
            await asyncio.wait_for(session.close(), STEP_LIMIT * timeout)
    pending = session.pending
    late = {label: f.result() if f.done() else "pending" for label, f in pending.items()}
    events = {name: rec.events for name, rec in session.clients.items()}
    return {"results": results, "events": events, "late": late, "crashed": crashed}


def main() -> None:
    """One request on stdin; with ``--serve``, one request per line until stdin closes."""
    serving = "--serve" in sys.argv[1:]
    for line in sys.stdin if serving else [sys.stdin.read()]:
        request = json.loads(line)
        outcome = asyncio.run(run(request["url"], request["steps"], request.get("timeout", 5.0)))
        print(json.dumps(outcome), flush=True)
        if outcome["crashed"]:
            os._exit(0)  # no close handshake: the server sees the transport drop


if __name__ == "__main__":
    main()
