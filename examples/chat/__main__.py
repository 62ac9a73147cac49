"""``python -m examples.chat [--host H] [--port P]``: the one-command chat demo.

1. Checks that ``generated/`` matches ``contracts/`` (``sdkgen build --check``) and
   rebuilds it when it does not, so the server never runs on stale bindings.
2. Installs the socket.io browser client with npm once, next to the app.
3. Serves the app on uvicorn.

Nothing under ``generated/`` is imported before step 1 is done.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLIENT_BUNDLE = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
CHECK_STALE = 1  # `sdkgen build --check`: the output differs from a fresh build


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


def ensure_client_bundle() -> None:
    """The page loads socket.io-client from npm; install it once, next to the app."""
    if CLIENT_BUNDLE.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed once to fetch the socket.io browser client (install Node.js)")
    print("installing the socket.io browser client with npm ...", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m examples.chat",
        description="Check generated/, then serve the chat demo on uvicorn.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    args = parser.parse_args()
    ensure_generated()
    ensure_client_bundle()

    import uvicorn

    from examples.chat.app import MODERATOR_TOKEN, app

    print(f"chat demo on http://{args.host}:{args.port}/", flush=True)
    print(f"moderator token for /moderation: {MODERATOR_TOKEN}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
