"""The generated /chat bindings over real connections, with a client nobody here wrote.

uvicorn serves `apps/typed_chat_app.py` (the runtime plus generated code) in a
subprocess; python-socketio's AsyncClient (the interop virtualenv) runs
`apps/pysio_chat_client.py` against it over polling and websocket. Ports come from
the OS, readiness is polled, every wait is bounded and every process is killed by PID.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.interop_harness import ensure_pysio_venv
from tests.sdkgen.helpers import HERE, ROOT

CLIENT = HERE / "apps" / "pysio_chat_client.py"
READY = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("typed-chat") / "uvicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.sdkgen.apps.typed_chat_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                "0",  # the OS picks a free port; uvicorn logs it
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            text = log_path.read_text(errors="replace")
            if match := READY.search(text):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not start (exit {process.poll()}):\n{text}")
            time.sleep(0.05)  # polling interval for readiness
        yield f"http://127.0.0.1:{match[1]}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.returncode not in (0, -15):
            print(log_path.read_text(errors="replace"))


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
    server_url: str, pysio_python: Path, transport: str
) -> None:
    steps = run_client(pysio_python, server_url, transport)
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
