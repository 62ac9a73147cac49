"""The generated TypeScript client in Node against the chat example on the runtime.

`node_client/e2e.ts` is compiled with tsc --strict next to a copy of generated/client_ts
and run once against `examples.chat.app` on uvicorn (real socket.io-client, pinned by
`node_client/package-lock.json`). It exercises every event of /chat and /moderation in
both directions, error acks, a timeout, and a restart of the server on the same port.
It reports one JSON line per check; each check below is its own test, named after the
event, so a failure says which event broke.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.examples.harness import HERE, MODERATOR_TOKEN, ROOT, chat_server, npm_ci

NODE_CLIENT = HERE / "node_client"
CLIENT_TS = ROOT / "generated" / "client_ts"
RUN_TIMEOUT = 90.0  # the whole Node run; it takes a few seconds

Record = dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """generated/client_ts plus e2e.ts, compiled by tsc --strict into dist/."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the Node client test", pytrace=False)
    node_modules = npm_ci(NODE_CLIENT)
    root = tmp_path_factory.mktemp("node-client") / "client"
    shutil.copytree(CLIENT_TS, root)
    shutil.copy(NODE_CLIENT / "e2e.ts", root / "e2e.ts")
    (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
    tsc = node_modules / "typescript" / "bin" / "tsc"
    done = subprocess.run(
        ["node", str(tsc), "-p", "tsconfig.json", "--strict"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.fixture(scope="module")
def results(compiled: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Record]:
    """Run e2e.js once; restart the server on the same port when it asks."""
    log = tmp_path_factory.mktemp("node-client-server") / "uvicorn.log"
    port = free_port()
    records: dict[str, Record] = {}
    lines: list[str] = []
    with ExitStack() as stack:
        server = stack.enter_context(ExitStack())
        served = server.enter_context(chat_server(log, port))
        node = subprocess.Popen(
            ["node", "dist/e2e.js", served.url, MODERATOR_TOKEN],
            cwd=compiled,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        stack.callback(stop_node, node)
        timer = threading.Timer(RUN_TIMEOUT, node.kill)  # bounds every readline below
        timer.start()
        stack.callback(timer.cancel)
        assert node.stdout is not None
        for line in node.stdout:
            lines.append(line)
            record = json.loads(line) if line.startswith("{") else {}
            if record.get("step") == "await_restart":
                server.close()  # stops uvicorn (by PID) and waits for it
                served = server.enter_context(chat_server(log, port))  # the same port
            elif "check" in record:
                records[record.pop("check")] = record
        node.wait(10)
    assert "done" in records, "".join(lines)[-5000:] + log.read_text()[-3000:]
    return records


def stop_node(node: subprocess.Popen[str]) -> None:
    if node.poll() is None:
        node.kill()
        node.wait(10)


def passed(results: dict[str, Record], name: str) -> Record:
    record = results.get(name)
    assert record is not None, f"{name}: not reported"
    assert record.pop("ok") is True, f"{name}: {record.get('error')}"
    return record


def uuid_like(value: object) -> bool:
    return isinstance(value, str) and len(value) == 36 and value.count("-") == 4


def _unknown_token(r: Record) -> None:
    assert r == {"message": "unknown token", "data": {"code": "unknown_token"}}


def _invalid_auth(r: Record) -> None:
    assert r["message"] == "invalid auth" and r["data"]["code"] == "invalid_auth"
    assert [d["loc"] for d in r["data"]["details"]] == [["token"]]


def _moderation_refused(r: Record) -> None:
    assert r == {"message": "not a moderator", "data": {"code": "unknown_token"}}


def _room_join(r: Record) -> None:
    assert r == {"room": "node-room", "members": ["alice"], "history": 0, "topic": None}


def _membership(r: Record) -> None:
    assert r == {
        "change": "joined",
        "room": "node-room",
        "member": "bob",
        "bob_sees": ["alice", "bob"],
    }


def _typing(r: Record) -> None:
    assert r == {"room": "node-room", "typing": ["bob"]}


def _send(r: Record) -> None:
    assert uuid_like(r["accepted"])
    # The ack, both members' `message:posted` and the idempotent resend agree on the id.
    assert r["accepted"] == r["posted"] == r["own_copy"] == r["resend"]
    assert r["author"] == "bob"
    assert r["content"] == {"kind": "text", "text": "hello from node", "mentions": []}
    assert r["sent_at"].endswith("Z")


def _send_file(r: Record) -> None:
    # Bytes out as a Uint8Array, back as a Socket.IO binary attachment.
    assert r == {
        "filename": "bytes.bin",
        "media_type": "application/octet-stream",
        "bytes": [0, 1, 127, 128, 254, 255],
    }


def _react(r: Record) -> None:
    assert r == {"reactions": {"\N{THUMBS UP SIGN}": 1}}


def _report(r: Record) -> None:
    assert r["message_id"] == r["first"] and r["room"] == "node-room"
    assert r["reporter"] == "alice" and r["category"] == "other"


def _history(r: Record) -> None:
    assert r == {"page": 1, "has_more": True, "all": 2, "all_has_more": False}


def _presence(r: Record) -> None:
    assert r == {
        "accepted": {"status": "away", "note": "lunch"},
        "member": "bob",
        "status": "away",
        "note": "lunch",
    }


def _delivery_check(r: Record) -> None:
    # The server asked bob about both messages; he "lacked" the newest; it came again.
    assert r["checks"] == [{"room": "node-room", "asked": 2, "missing": r["missing"]}]
    assert uuid_like(r["missing"]) and r["resent"] == r["missing"]


def _legacy_join(r: Record) -> None:
    assert r == {"room": "legacy-room", "members": ["alice"], "history": []}


def _mute(r: Record) -> None:
    assert r["applied"] is True and r["reason"].startswith("muted until ")
    refused = r["muted_send"]
    assert refused["type"] == "AckError" and refused["code"] == "muted"
    assert refused["event"] == "message:send" and refused["details"] == []


def _delete(r: Record) -> None:
    assert r == {
        "deleted": True,
        "again": False,
        "again_reason": "no such message",
        "still_listed": False,
    }


def _invalid_payload(r: Record) -> None:
    assert r["type"] == "AckError" and r["code"] == "invalid_payload"
    assert r["event"] == "room:join"
    assert [d["loc"] for d in r["details"]] == [["room"]]


def _moderation_invalid_payload(r: Record) -> None:
    assert r["type"] == "AckError" and r["code"] == "invalid_payload"
    assert r["event"] == "user:mute"
    assert [d["loc"] for d in r["details"]] == [["reason"]]


def _handler_error(r: Record) -> None:
    assert r == {
        "type": "AckError",
        "code": "not_in_room",
        "event": "history:fetch",
        "message": "history:fetch: not_in_room: join #elsewhere first",
        "details": [],
    }


def _unacked_handler_error(r: Record) -> None:
    assert r == {
        "code": "not_in_room",
        "event": "typing",
        "message": "typing: not_in_room: join #elsewhere first",
    }


def _unacked_invalid_payload(r: Record) -> None:
    assert r == {"code": "invalid_payload", "event": "message:react", "locs": [["message_id"]]}


def _timeout(r: Record) -> None:
    assert r == {"type": "AckTimeoutError", "event": "room:join", "timeoutMs": 300}


def _leave(r: Record) -> None:
    assert r == {"change": "left", "member": "bob", "room": "node-room"}


def _reconnect(r: Record) -> None:
    assert r["reason"] == "transport close"
    assert r["attempts"] >= 1  # the manager reconnected by itself
    # The new server process forgot the login: refused until the client logged in again.
    assert r["refused"] == {"message": "unknown token", "data": {"code": "unknown_token"}}
    assert r["members"] == ["alice"] and r["history"] == 0 and r["posted"] is True


CHECKS: dict[str, Callable[[Record], None]] = {
    "connect/unknown_token": _unknown_token,
    "connect/invalid_auth": _invalid_auth,
    "moderation/connect_refused": _moderation_refused,
    "chat/room:join": _room_join,
    "chat/room:membership": _membership,
    "chat/typing": _typing,  # and typing:update
    "chat/message:send": _send,  # and message:posted
    "chat/message:send_file": _send_file,
    "chat/message:react": _react,
    "moderation/report:filed": _report,
    "chat/history:fetch": _history,
    "chat/presence:set": _presence,  # and presence:changed
    "chat/message:delivery_check": _delivery_check,
    "chat/join": _legacy_join,
    "moderation/user:mute": _mute,  # and the app's error ack for a muted sender
    "moderation/message:delete": _delete,
    "error/invalid_payload": _invalid_payload,
    "error/moderation_invalid_payload": _moderation_invalid_payload,
    "error/handler": _handler_error,
    "error/unacked_handler": _unacked_handler_error,
    "error/unacked_invalid_payload": _unacked_invalid_payload,
    "error/timeout": _timeout,
    "chat/room:leave": _leave,
    "reconnect": _reconnect,
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_event(results: dict[str, Record], name: str) -> None:
    CHECKS[name](passed(results, name))


def test_every_check_ran_and_every_event_is_covered(results: dict[str, Record]) -> None:
    assert set(results) == set(CHECKS) | {"done"}
    assert results["done"] == {"ok": True, "failures": 0}
    # Every event of the contract, read from the generated client, is one of the checks.
    events: set[str] = set()
    for module in ("chat", "moderation"):
        source = (CLIENT_TS / f"{module}.ts").read_text()
        for interface in ("ServerToClientEvents", "ClientToServerEvents"):
            body = source.split(f"export interface {interface} {{", 1)[1].split("\n}", 1)[0]
            events |= {
                f"{module}/{line.split(chr(34))[1]}"
                for line in body.splitlines()
                if line.startswith('  "')
            }
    # Events observed inside another check rather than under their own name.
    observed_within = {
        "chat/typing:update": "chat/typing",
        "chat/message:posted": "chat/message:send",
        "chat/presence:changed": "chat/presence:set",
    }
    covered = set(CHECKS) | set(observed_within)
    assert events <= covered, sorted(events - covered)
    assert len(events) >= 16  # the parse found them all (13 of /chat, 3 of /moderation)
