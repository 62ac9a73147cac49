"""The generated /chat bindings over real connections, with a client nobody here wrote.

The same chat app runs on both generated twins, each in a subprocess: the async one
(`apps/typed_chat_app.py`, `chat` on `AsyncServer`) under uvicorn, the sync one
(`apps/typed_chat_sync_app.py`, `chat_sync` on `Server`) under Werkzeug's threaded WSGI
server. python-socketio's AsyncClient (the interop virtualenv) runs
`apps/pysio_chat_client.py` against each over polling and websocket. Ports come from
the OS, readiness is polled, every wait is bounded and every process is killed by PID.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.interop.interop_harness import ensure_pysio_venv
from tests.sdkgen.apps.chat_logic import SECRET
from tests.sdkgen.client_support import start_sync_chat, start_uvicorn, stop
from tests.sdkgen.helpers import HERE

CLIENT = HERE / "apps" / "pysio_chat_client.py"


@dataclass(frozen=True)
class Served:
    url: str
    log: Path


@pytest.fixture(scope="module", params=["async-uvicorn", "sync-werkzeug"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    log = tmp_path_factory.mktemp(f"typed-chat-{request.param}") / "server.log"
    if request.param == "async-uvicorn":
        process, port = start_uvicorn("tests.sdkgen.apps.typed_chat_app:app", log)
    else:
        process, port = start_sync_chat(log)
    try:
        yield Served(f"http://127.0.0.1:{port}", log)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def pysio_python() -> Path:
    return ensure_pysio_venv()


def run_client(python: Path, url: str, transport: str) -> dict[str, list[dict[str, Any]]]:
    done = subprocess.run(
        [str(python), str(CLIENT), url, transport],
        capture_output=True,
        text=True,
        timeout=90,
    )
    steps: dict[str, list[dict[str, Any]]] = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        steps.setdefault(record["step"], []).append(record)
    assert done.returncode == 0 and "done" in steps, done.stdout + done.stderr
    return steps


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_python_socketio_client_against_generated_bindings(
    served: Served, pysio_python: Path, transport: str
) -> None:
    steps = run_client(pysio_python, served.url, transport)
    (join,) = steps["join"]
    assert join["ack"]["ok"] is True and join["ack"]["data"]["room"] == "lobby"

    # A typed call made from a background task, answered by the client, then a typed emit.
    (check,) = steps["delivery_check"]
    assert check["data"] == {
        "room": "lobby",
        "message_ids": ["00000000-0000-0000-0000-00000000002a"],
    }
    (receipt,) = steps["receipt"]
    assert receipt["data"]["note"] == "receipt:1:00000000-0000-0000-0000-00000000002a"

    (valid,) = steps["send_valid"]
    assert valid["ack"]["ok"] is True and valid["ack"]["data"]["sent_at"].endswith("Z")
    (posted,) = steps["posted_text"]
    assert posted["data"]["message"]["content"] == {
        "kind": "text",
        "text": "hello",
        "mentions": [],
    }

    (invalid,) = steps["send_invalid"]
    assert invalid["ack"]["ok"] is False
    assert invalid["ack"]["error"]["code"] == "invalid_payload"
    assert {tuple(d["loc"]) for d in invalid["ack"]["error"]["details"]} >= {
        ("room",),
        ("content",),
    }
    # A handler that raises something unexpected: a logged internal_error, its text kept home.
    (crash,) = steps["send_crash"]
    assert crash["ack"] == {
        "ok": False,
        "error": {
            "code": "internal_error",
            "message": "internal server error",
            "event": "message:send",
            "details": [],
        },
    }
    assert SECRET in served.log.read_text(errors="replace")  # logged with its traceback
    (typing,) = steps["typing_invalid"]
    assert typing["data"]["code"] == "invalid_payload" and typing["data"]["event"] == "typing"

    # bytes went up and came back down as binary attachments, never as base64 text.
    (upload,) = steps["send_file"]
    assert upload["ack"]["ok"] is True
    (file,) = steps["posted_file"]
    assert file["data_type"] == "bytes" and file["data"] == {"$bytes": "0001feff"}

    (unknown,) = steps["unknown"]
    assert unknown["ack"]["error"]["code"] == "unknown_event"
    (alive,) = steps["still_alive"]
    assert alive["ack"]["ok"] is True

    # Invalid auth is refused before the connect handler, with the validation errors.
    short, banned = steps["refused"]
    assert short["auth"] == "short"
    (reason,) = short["reasons"]
    assert reason["message"] == "invalid auth"
    assert reason["data"]["code"] == "invalid_auth"
    assert reason["data"]["details"][0]["loc"] == ["token"]
    assert banned["reasons"] == [{"message": "banned"}]
