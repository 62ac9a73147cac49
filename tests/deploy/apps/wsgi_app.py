"""A sync Socket.IO app as the user guide deploys it: ``socketio.WSGIApp(sio, other)``.

Gunicorn (``--threads``, ``-k gevent``, ``-k eventlet``) and uWSGI import it as
``wsgi_app:app``; ``DEPLOY_ASYNC_MODE`` sets the ``async_mode`` the guide's
section for that server names (unset: automatic selection).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import runtime as socketio

sio = socketio.Server(
    async_mode=os.environ.get("DEPLOY_ASYNC_MODE") or None, cors_allowed_origins="*"
)


@sio.event
def echo(sid: str, data: Any) -> dict[str, Any]:
    return {"echo": data, "async_mode": sio.async_mode, "transport": sio.transport(sid)}


def other_wsgi_app(
    environ: Mapping[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    """What is not Socket.IO: ``/health`` tells which async mode was picked."""
    body = json.dumps({"async_mode": sio.async_mode, "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


app = socketio.WSGIApp(sio, other_wsgi_app)
