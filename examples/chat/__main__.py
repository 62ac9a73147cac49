"""``python -m examples.chat [--host H] [--port P]``: the one-command chat demo.

1. Checks that ``generated/`` matches ``contracts/`` (``sdkgen build --check``) and
   rebuilds it when it does not, so the server never runs on stale bindings.
2. Checks that the page ``static/index.html`` was built from the current sources
   (``web/`` and the generated TypeScript client) and rebuilds it when it was not:
   ``npm ci`` in ``web/`` (pinned by its lock file), ``tsc`` and esbuild. The built
   page is committed, so Node.js is needed only after a source changed.
3. Serves the app on uvicorn.

Nothing under ``generated/`` is imported before step 1 is done.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WEB = HERE / "web"
PAGE = HERE / "static" / "index.html"
CLIENT_TS = ROOT / "generated" / "client_ts"
CHECK_STALE = 1  # `sdkgen build --check`: the output differs from a fresh build
# What the page is built from: a change in any of these rebuilds it.
PAGE_INPUTS = ("package-lock.json", "tsconfig.json", "build.mjs", "index.html")
STAMP = re.compile(r'<meta name="build-inputs" content="(sha256:[0-9a-f]{64})">')


def sdkgen(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sdkgen", "build", "contracts", "--out", "generated", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def ensure_generated() -> None:
    """Keep ``generated/`` current: check it, rebuild it if stale, stop on contract errors."""
    print("checking generated/ against contracts/ (sdkgen build contracts --check) ...", flush=True)
    check = sdkgen("--check", "--quiet")
    if check.returncode == 0:
        print("generated/ is up to date", flush=True)
        return
    if check.returncode != CHECK_STALE:
        sys.exit(f"sdkgen failed (exit {check.returncode}):\n{check.stdout}{check.stderr}")
    print("generated/ is stale; rebuilding: sdkgen build contracts --out generated", flush=True)
    build = sdkgen()
    sys.stdout.write(build.stdout)
    if build.returncode != 0:
        sys.exit(f"sdkgen build failed (exit {build.returncode}):\n{build.stderr}")


def page_digest() -> str:
    """sha256 over the page's inputs (paths and bytes), the same on every checkout."""
    files = [WEB / name for name in PAGE_INPUTS]
    files += sorted(p for p in (WEB / "src").rglob("*.ts") if p.is_file())
    files += sorted(p for p in CLIENT_TS.rglob("*") if p.is_file() and p.suffix in {".ts", ".json"})
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(file.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return "sha256:" + digest.hexdigest()


def page_is_current() -> bool:
    if not PAGE.is_file():
        return False
    stamp = STAMP.search(PAGE.read_text(encoding="utf-8", errors="replace"))
    return stamp is not None and stamp[1] == page_digest()


def run_step(command: list[str], what: str) -> None:
    done = subprocess.run(command, cwd=WEB, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{what} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def ensure_page() -> None:
    """Rebuild ``static/index.html`` when its sources or the generated client changed."""
    if page_is_current():
        return
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        sys.exit(
            f"{PAGE.relative_to(ROOT)} is older than its sources (examples/chat/web or "
            "generated/client_ts); rebuilding it needs Node.js and npm on PATH"
        )
    print("building the page: examples/chat/web -> static/index.html ...", flush=True)
    lock = (WEB / "package-lock.json").read_bytes()
    installed = WEB / "node_modules" / ".lock.sha256"  # which lock node_modules was made from
    wanted = hashlib.sha256(lock).hexdigest()
    if not (installed.is_file() and installed.read_text().strip() == wanted):
        run_step([npm, "ci", "--no-audit", "--no-fund"], "npm ci in examples/chat/web")
        installed.write_text(wanted)
    # esbuild only strips types: tsc proves the page still fits the generated client.
    tsc = str(WEB / "node_modules" / "typescript" / "bin" / "tsc")
    run_step([node, tsc, "-p", "tsconfig.json"], "tsc (type-checking the page)")
    run_step([node, "build.mjs", page_digest()], "esbuild")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m examples.chat",
        description="Check generated/, then serve the chat demo on uvicorn.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    args = parser.parse_args()
    ensure_generated()
    ensure_page()

    import uvicorn

    from examples.chat.app import MODERATOR_TOKEN, app

    print(f"chat demo on http://{args.host}:{args.port}/", flush=True)
    print(f"moderator token for /moderation: {MODERATOR_TOKEN}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
