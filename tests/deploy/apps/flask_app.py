"""The guide's threading example: a Flask app and Socket.IO on Werkzeug, ``threaded=True``.

``python flask_app.py PORT`` (``0``: the OS picks; Werkzeug logs the real port);
``DEPLOY_WRAPPER=middleware`` wraps with the deprecated ``socketio.Middleware``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from flask import Flask, jsonify

import runtime as socketio

sio = socketio.Server(async_mode="threading", cors_allowed_origins="*")
app = Flask(__name__)
# runtime.WSGIApp types the app behind it with a Mapping environ; Flask's takes a dict
if os.environ.get("DEPLOY_WRAPPER") == "middleware":  # the guide's older spelling
    app.wsgi_app = socketio.Middleware(sio, app.wsgi_app)  # type: ignore[method-assign,arg-type]
else:
    app.wsgi_app = socketio.WSGIApp(sio, app.wsgi_app)  # type: ignore[method-assign,arg-type]


@app.route("/health")
def health() -> Any:
    return jsonify(async_mode=sio.async_mode, served_by="flask")


@sio.event
def echo(sid: str, data: Any) -> dict[str, Any]:
    return {"echo": data, "async_mode": sio.async_mode, "transport": sio.transport(sid)}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
