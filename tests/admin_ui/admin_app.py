"""The server the Admin UI browser test opens: runtime's AsyncServer, instrumented,
serving the official Admin UI build (npm @socket.io/admin-ui) from /admin-ui/.

Run: ``uvicorn tests.admin_ui.admin_app:app``; ADMIN_UI_DIST names the UI's dist folder.
"""

from __future__ import annotations

import os

import runtime

sio = runtime.AsyncServer(async_mode="asgi")
sio.instrument(auth=False, server_id="runtime-under-test", server_stats_interval=0.5)


@sio.on("hello")
async def hello(sid: str, data: object) -> object:
    await sio.enter_room(sid, "greeters")
    return data


app = runtime.ASGIApp(
    sio,
    static_files={
        "/admin-ui/": os.path.join(os.environ["ADMIN_UI_DIST"], "index.html"),
        "/admin-ui": os.environ["ADMIN_UI_DIST"],
    },
)
