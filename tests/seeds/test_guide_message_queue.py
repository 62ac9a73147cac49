"""The guide's message-queue blocks (Redis, Kombu, Kafka, AioPika, external emitters), unchanged.

The servers use the guide's URLs as written (``'redis://'``, ``'amqp://'``,
``'kafka://'``): the machine's Redis on 6379 and RabbitMQ on 5672 (started when
not answering), and for Kafka a ``tansu`` broker the test starts on the default
9092 (unless a Kafka broker answers there already). Sync servers are served by
gunicorn's threaded worker, the asyncio one by uvicorn. A client joins a room; an
external ``write_only`` emitter then reaches it through the broker, proof that the
server's listener applies what other processes publish.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers.harness import ensure_machine_brokers
from tests.brokers.kafka_broker import TansuServer, kafka_ready
from tests.seeds import harness
from tests.seeds.conftest import Drive, Serve
from tests.seeds.steps import connect, emit, wait
from tests.seeds.test_guide_examples import assert_no_traceback, connected
from tests.seeds.test_guide_sync import ECHO

pytestmark = pytest.mark.interop

# Until runtime/__init__.py re-exports the sync managers (python-socketio has them).
EXPORTS = """
if not hasattr(socketio, "RedisManager"):
    from runtime.pubsub.kombu_manager import KombuManager
    from runtime.pubsub.sync_redis_manager import RedisManager

    socketio.RedisManager = RedisManager
    socketio.KombuManager = KombuManager
"""


def joins_then(emitter: str) -> str:
    """Epilogue: a ``seeds:join`` event puts the client in a room once the listener is
    subscribed, then ``emitter`` (a separate write_only manager) publishes to that room."""
    return f"""
import time as _time

_EMITTER = {emitter!r}


def _subscribed(manager):
    if hasattr(manager, "listening"):  # runtime
        return manager.listening
    pubsub = getattr(manager, "pubsub", None)  # python-socketio's RedisManager
    return bool(pubsub is not None and pubsub.subscribed)


@sio.on("seeds:join")
def _join(sid, room):
    sio.enter_room(sid, room)
    deadline = _time.monotonic() + 15
    while not _subscribed(sio.manager) and _time.monotonic() < deadline:
        _time.sleep(0.02)
    exec(_EMITTER, {{"socketio": socketio}})
    return "published"


app = socketio.WSGIApp(sio)
"""


def check_room_emit(server: harness.Server, drive: Drive) -> None:
    out = drive(
        server,
        [
            connect("a", transports=["polling"]),
            connect("b", transports=["websocket"]),
            emit("a", "seeds:echo", ack=True, data="served"),
            emit("b", "seeds:join", ack=True, data="my room"),
            wait("b", "my event"),
        ],
    )
    assert connected(out.results[0]) and connected(out.results[1])
    assert out.results[2:4] == [{"ack": ["served"]}, {"ack": ["published"]}]
    assert out.received("b", "my event") == [[{"foo": "bar"}]]
    assert out.received("a", "my event") == []
    assert_no_traceback(server)


def test_redis_manager_and_external_emitter(serve: Serve, drive: Drive) -> None:
    """guide:Redis#2 (its sync half serves) and the external-process emitter block."""
    ensure_machine_brokers(redis=True)
    emitter = harness.block("guide:Emitting from external processes#1").text
    # The block's second half rebinds mgr/sio to the asyncio pair: keep the sync Server.
    prelude = (
        EXPORTS
        + """
_servers = []


class _RecordedServer(socketio.Server):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _servers.append(self)


socketio.Server = _RecordedServer
"""
    )
    server = serve(
        ["guide:Redis#2"],
        prelude=prelude,
        epilogue="sio = _servers[0]\n" + ECHO + joins_then(emitter),
        runner=harness.GUNICORN_THREADS,
    )
    check_room_emit(server, drive)


KOMBU_EMITTER = """
external_sio = socketio.KombuManager('amqp://', write_only=True)
external_sio.emit('my event', data={'foo': 'bar'}, room='my room')
"""


def test_kombu_manager(serve: Serve, drive: Drive) -> None:
    """guide:Kombu#3 on the machine's RabbitMQ, with a write_only KombuManager emitter."""
    ensure_machine_brokers(rabbit=True)
    server = serve(
        ["guide:Kombu#3"],
        prelude=EXPORTS,
        epilogue=ECHO + joins_then(KOMBU_EMITTER),
        runner=harness.GUNICORN_THREADS,
    )
    check_room_emit(server, drive)


KAFKA_EMITTER = """
external_sio = socketio.KafkaManager('kafka://', write_only=True)
external_sio.emit('my event', data={'foo': 'bar'}, room='my room')
"""


@pytest.fixture
def kafka_on_9092(tmp_path: Path) -> Iterator[None]:
    """A Kafka broker at the guide's default address: one answering there, else our tansu."""
    if kafka_ready(9092):
        yield
        return
    broker = TansuServer(tmp_path, port=9092).start()
    try:
        yield
    finally:
        broker.kill()


def test_kafka_manager(kafka_on_9092: None, serve: Serve, drive: Drive) -> None:
    """guide:Kafka#2, with a write_only KafkaManager emitter."""
    server = serve(
        ["guide:Kafka#2"],
        epilogue=ECHO + joins_then(KAFKA_EMITTER),
        runner=harness.GUNICORN_THREADS,
    )
    check_room_emit(server, drive)


# The asyncio form of joins_then(), the emitter a write_only AsyncAioPikaManager.
AIOPIKA_EPILOGUE = """
import asyncio as _asyncio
import time as _time


@sio.on("seeds:echo")
async def _echo(sid, data):
    return data


@sio.on("seeds:join")
async def _join(sid, room):
    await sio.enter_room(sid, room)
    deadline = _time.monotonic() + 15
    while not sio.manager.listening and _time.monotonic() < deadline:
        await _asyncio.sleep(0.02)
    external_sio = socketio.AsyncAioPikaManager('amqp://', write_only=True)
    await external_sio.emit('my event', data={'foo': 'bar'}, room='my room')
    return "published"


app = socketio.ASGIApp(sio)
"""


def test_aiopika_manager(serve: Serve, drive: Drive) -> None:
    """guide:AioPika#2 on the machine's RabbitMQ, served by uvicorn."""
    ensure_machine_brokers(rabbit=True)
    server = serve(["guide:AioPika#2"], epilogue=AIOPIKA_EPILOGUE)
    check_room_emit(server, drive)
