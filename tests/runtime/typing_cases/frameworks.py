"""User code that must type-check under ``mypy --strict`` against runtime.

Not imported by the tests: ``test_user_typing`` runs mypy on it.
"""

from __future__ import annotations

from flask import Flask
from starlette.applications import Starlette

import runtime as socketio

sio = socketio.Server(async_mode="threading")
flask_app = Flask(__name__)
flask_app.wsgi_app = socketio.WSGIApp(sio, flask_app.wsgi_app)  # type: ignore[method-assign]
wsgi = socketio.WSGIApp(sio, flask_app, static_files={"/": "index.html"})
legacy = socketio.Middleware(sio, flask_app)

asio = socketio.AsyncServer(async_mode="asgi")
asgi = socketio.ASGIApp(asio, other_asgi_app=Starlette())


@sio.event
def connect(sid: str, environ: dict[str, object], auth: object) -> None:
    sio.emit("welcome", {"sid": sid}, to=sid)


@asio.on("chat")
async def chat(sid: str, data: object) -> str:
    await asio.emit("chat", data, skip_sid=sid)
    return "ok"
