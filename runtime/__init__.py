"""runtime: a fast, typed Socket.IO server, API-compatible with python-socketio.

``import runtime as socketio`` runs python-socketio code unchanged.
"""

from __future__ import annotations

from runtime import exceptions
from runtime.asgi import ASGIApp
from runtime.async_server import AsyncServer
from runtime.client import (
    AsyncClient,
    AsyncClientNamespace,
    AsyncSimpleClient,
    Client,
    ClientNamespace,
    SimpleClient,
)
from runtime.integrations import get_tornado_handler
from runtime.manager import AsyncManager, Manager
from runtime.namespace import AsyncNamespace, Namespace
from runtime.pubsub import (
    AsyncAioPikaManager,
    AsyncPubSubManager,
    AsyncRedisManager,
    KafkaManager,
    KombuManager,
    PubSubManager,
    RedisManager,
    ZmqManager,
)
from runtime.server import Server
from runtime.wsgi import Middleware, WSGIApp

__version__ = "0.1.0"

__all__ = [
    "ASGIApp",
    "AsyncAioPikaManager",
    "AsyncClient",
    "AsyncClientNamespace",
    "AsyncManager",
    "AsyncNamespace",
    "AsyncPubSubManager",
    "AsyncRedisManager",
    "AsyncServer",
    "AsyncSimpleClient",
    "Client",
    "ClientNamespace",
    "KafkaManager",
    "KombuManager",
    "Manager",
    "Middleware",
    "Namespace",
    "PubSubManager",
    "RedisManager",
    "Server",
    "SimpleClient",
    "WSGIApp",
    "ZmqManager",
    "exceptions",
    "get_tornado_handler",
]
