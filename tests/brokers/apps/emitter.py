"""An external process emitting to the clients of a cluster (the user guide's example).

``python emitter.py <redis|aiopika> <url> <channel> <event> <json data> <room>``:
connects a ``write_only`` manager, emits once, and exits 0 once the broker has it.
"""

from __future__ import annotations

import asyncio
import json
import sys

import runtime as socketio

if not hasattr(socketio, "AsyncRedisManager"):  # until runtime/__init__.py re-exports them
    import runtime.pubsub as socketio  # type: ignore[no-redef]


async def main() -> int:
    kind, url, channel, event, data, room = sys.argv[1:7]
    if kind == "redis":
        external_sio = socketio.AsyncRedisManager(url, channel=channel, write_only=True)
    else:
        external_sio = socketio.AsyncAioPikaManager(url, channel=channel, write_only=True)
    await external_sio.emit(event, data=json.loads(data), room=room)
    published = external_sio.published
    await external_sio.close()
    return 0 if published == 1 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
