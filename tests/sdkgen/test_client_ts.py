"""The generated TypeScript client (`generated/client_ts`): tsc --strict, type tests, and a
Node run of the real socket.io-client through it against the runtime.

The toolchain (typescript, socket.io-client, @types/node) is pinned by `ts/package.json`
and `ts/package-lock.json` and installed with `npm ci` into a temporary directory keyed by
the lock's hash. Without `npm`/`node` on PATH these tests are skipped; a failing install fails.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sdkgen.client_support import CLIENT_TS, build_chat_at, served, start_uvicorn, stop
from tests.sdkgen.helpers import GOLDEN, HERE

TS = HERE / "ts"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("npm/node are not installed")
    lock = (TS / "package-lock.json").read_bytes()
    home = Path(tempfile.gettempdir()) / f"sdkgen-ts-client-{hashlib.sha256(lock).hexdigest()[:12]}"
    if not (home / "node_modules" / ".bin" / "tsc").exists():
        home.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(TS / name, home / name)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=home,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return home / "node_modules"


def project(root: Path, node_modules: Path, *extra: str, client: Path = CLIENT_TS) -> Path:
    """A scratch copy of the generated `client` plus `extra` test sources."""
    shutil.copytree(client, root)
    for name in extra:
        shutil.copy(TS / name, root / name)
    (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return root


def tsc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_generated_typescript_passes_tsc_strict(node_modules: Path, tmp_path: Path) -> None:
    root = project(tmp_path / "client", node_modules)
    done = tsc(root, "--noEmit")
    assert done.returncode == 0, done.stdout + done.stderr


def test_type_tests_reject_wrong_payloads_acks_and_events(
    node_modules: Path, tmp_path: Path
) -> None:
    """Each `@ts-expect-error` in ts/typetest.ts must be an error, the rest clean."""
    root = project(tmp_path / "client", node_modules, "typetest.ts")
    done = tsc(root, "--noEmit")
    assert done.returncode == 0, done.stdout + done.stderr
    source = (TS / "typetest.ts").read_text()
    assert source.count("@ts-expect-error") >= 15

    # The directives are live: drop them and each of those lines fails to compile.
    stripped = "\n".join(
        line for line in source.splitlines() if not line.strip().startswith("// @ts-expect-error")
    )
    (root / "typetest.ts").write_text(stripped)
    failed = tsc(root, "--noEmit")
    errors = [line for line in failed.stdout.splitlines() if line.startswith("typetest.ts(")]
    assert failed.returncode != 0 and len(errors) >= source.count("// @ts-expect-error"), (
        failed.stdout
    )


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("client-ts") / "uvicorn.log"
    for url, _, _ in served("tests.sdkgen.apps.typed_chat_app:app", log):
        yield url


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_node_drives_the_generated_client_against_the_runtime(
    node_modules: Path, tmp_path: Path, server_url: str, transport: str
) -> None:
    root = project(tmp_path / "client", node_modules, "drive.ts")
    built = tsc(root)
    assert built.returncode == 0, built.stdout + built.stderr
    done = subprocess.run(
        ["node", "dist/drive.js", server_url, transport],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=90,
    )
    steps: dict[str, dict[str, Any]] = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        steps[record.pop("step")] = record
    assert done.returncode == 0 and "done" in steps, done.stdout + done.stderr

    assert steps["join"] == {"room": "lobby", "members": 1}
    # The server called the client; the typed listener's ack came back as a receipt.
    assert steps["receipt"] == {
        "note": "receipt:1:00000000-0000-0000-0000-00000000002a",
        "checks": 1,
    }
    text = steps["send_text"]
    assert text["accepted"] == text["posted"] and text["sent_at"].endswith("Z")
    assert text["content"] == {"kind": "text", "text": "hello", "mentions": []}
    assert steps["send_file"] == {"bytes": [0, 1, 254, 255]}  # binary both ways

    invalid = steps["invalid"]
    assert invalid["type"] == "AckError" and invalid["code"] == "invalid_payload"
    assert ["room"] in [d["loc"] for d in invalid["details"]]
    assert steps["not_implemented"]["code"] == "not_implemented"
    assert steps["timeout"] == {"type": "AckTimeoutError", "event": "room:join"}
    assert steps["on_error"]["code"] == "not_implemented"
    assert steps["on_error"]["event"] == "message:react"
    refused = steps["refused"]
    assert refused["message"] == "invalid auth" and refused["data"]["code"] == "invalid_auth"


@pytest.mark.parametrize("case", ["minimal", "kitchen_sink"])
def test_golden_typescript_passes_tsc_strict(node_modules: Path, tmp_path: Path, case: str) -> None:
    """The odd shapes of the golden contracts (recursion, unions, clashes) compile too."""
    root = tmp_path / case
    shutil.copytree(GOLDEN / case / "generated" / "client_ts", root)
    (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
    done = tsc(root, "--noEmit")
    assert done.returncode == 0, done.stdout + done.stderr


def test_node_client_reconnects_through_a_server_restart(
    node_modules: Path, tmp_path: Path
) -> None:
    root = project(tmp_path / "client", node_modules, "drive.ts")
    built = tsc(root)
    assert built.returncode == 0, built.stdout + built.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app, log = "tests.sdkgen.apps.typed_chat_app:app", tmp_path / "uvicorn.log"
    server, _ = start_uvicorn(app, log, port)
    node = subprocess.Popen(
        ["node", "dist/drive.js", f"http://127.0.0.1:{port}", "websocket", "restart"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    steps: dict[str, dict[str, Any]] = {}
    try:
        assert node.stdout is not None
        timer = threading.Timer(90, node.kill)  # bounds every readline below
        timer.start()
        for line in node.stdout:
            record = json.loads(line)
            steps[record.pop("step")] = record
            if "await_restart" in steps and "restarted" not in steps:
                stop(server)
                server, _ = start_uvicorn(app, log, port)
                steps["restarted"] = {}
        timer.cancel()
        assert node.wait(10) == 0 and "done" in steps, steps
    finally:
        if node.poll() is None:
            node.kill()
            node.wait(10)
        stop(server)
    assert steps["await_restart"] == {"room": "lobby"}
    assert steps["disconnected"]["reason"] == "transport close"
    assert steps["reconnected"] == {"room": "lobby", "members": 1}


# -- contract version negotiation ---------------------------------------------------


@pytest.fixture(scope="module")
def versions_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("client-ts-versions") / "uvicorn.log"
    for url, _, _ in served("tests.sdkgen.apps.versioned_chat_app:app", log):
        yield url


def negotiate(
    node_modules: Path, root: Path, client: Path, url: str, *cases: str
) -> dict[str, dict[str, Any]]:
    """`{case: outcome}` of ts/versions.ts driving `client` through each case."""
    project(root, node_modules, "versions.ts", client=client)
    built = tsc(root)
    assert built.returncode == 0, built.stdout + built.stderr
    done = subprocess.run(
        ["node", "dist/versions.js", url, *cases],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=90,
    )
    outcomes = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        outcomes[record.pop("case")] = record
    assert done.returncode == 0 and "done" in outcomes, done.stdout + done.stderr
    return outcomes


def test_node_client_announces_its_contract_version(
    node_modules: Path, tmp_path: Path, versions_url: str
) -> None:
    from generated.server.chat import VERSION

    policies = ("major", "exact", "off", "required")
    raw = ("raw:major", "raw:required")  # plain socket.io-client, no version announced
    with socket.socket() as closed:  # a port the OS gave out and nothing listens on
        closed.bind(("127.0.0.1", 0))
        down = f"down:http://127.0.0.1:{closed.getsockname()[1]}"
    same = negotiate(
        node_modules, tmp_path / "same", CLIENT_TS, versions_url, *policies, *raw, down
    )
    # No reconnection and nothing listening: ready() settles with the typed failure.
    assert same["down"] == {
        "accepted": False,
        "type": "ConnectFailedError",
        "namespace": "/chat",
        "reason": "websocket error",
    }
    for policy in policies:
        assert same[policy] == {"accepted": True, "room": "lobby", "sent": VERSION}
    assert same["raw:major"] == {"accepted": True}
    required = same["raw:required"]
    assert required["type"] == "IncompatibleVersionError"
    assert required["clientVersion"] is None and required["serverVersion"] == VERSION

    newer = build_chat_at("1.3.0", tmp_path / "newer") / "client_ts"
    minor = negotiate(node_modules, tmp_path / "minor", newer, versions_url, "major", "exact")
    assert minor["major"]["accepted"] is True and minor["major"]["sent"] == "1.3.0"
    assert minor["exact"] == {
        "accepted": False,
        "sent": "1.3.0",
        "heard": ["IncompatibleVersionError"],  # onRefused got the same typed error
        "type": "IncompatibleVersionError",
        "isConnectRefused": True,
        "code": "incompatible_version",
        "clientVersion": "1.3.0",
        "serverVersion": VERSION,
        "policy": "exact",
        "reason": f"client contract /chat 1.3.0 is incompatible with server {VERSION} "
        "(exact version required)",
        "namespace": "/chat",
    }

    next_major = build_chat_at("2.0.0", tmp_path / "next") / "client_ts"
    major = negotiate(node_modules, tmp_path / "major", next_major, versions_url, "major", "off")
    refused = major["major"]
    assert refused["accepted"] is False and refused["type"] == "IncompatibleVersionError"
    assert (refused["clientVersion"], refused["serverVersion"]) == ("2.0.0", VERSION)
    assert refused["reason"] == (
        f"client contract /chat 2.0.0 is incompatible with server {VERSION} (major version differs)"
    )
    assert major["off"]["accepted"] is True


def test_node_namespace_clients_share_one_manager(node_modules: Path, tmp_path: Path) -> None:
    """`ChatClient.attach(manager)` / `ModerationClient.attach(manager)` on the example app."""
    from tests.examples.harness import MODERATOR_TOKEN, chat_server

    root = project(tmp_path / "client", node_modules, "shared.ts")
    built = tsc(root)
    assert built.returncode == 0, built.stdout + built.stderr
    with chat_server(tmp_path / "uvicorn.log") as example:
        done = subprocess.run(
            ["node", "dist/shared.js", example.url, MODERATOR_TOKEN],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=90,
        )
    steps = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        steps[record.pop("step")] = record
    assert done.returncode == 0 and "done" in steps, done.stdout + done.stderr
    assert steps["connected"] == {"sameManager": True, "engines": 1}
    assert steps["report"] == {"matches": True, "reporter": "node-shared", "name": "node-shared"}
