"""``python -m examples.chat [--host H] [--port P]``: install the browser client, serve the demo."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

import uvicorn

from examples.chat.app import CLIENT_BUNDLE, HERE


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
    parser = argparse.ArgumentParser(description="Run the runtime chat demo.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    ensure_client_bundle()
    print(f"chat demo on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run("examples.chat.app:app", host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
