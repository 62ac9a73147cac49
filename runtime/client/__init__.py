"""The runtime's Socket.IO client, with python-socketio's client API.

Needs ``httpx`` and ``websockets`` (the ``client`` extra).
"""

from __future__ import annotations

from runtime.client.async_client import AsyncClient, Reason
from runtime.client.namespace import AsyncClientNamespace, ClientNamespace
from runtime.client.simple import AsyncSimpleClient, SimpleClient
from runtime.client.sync_client import Client

__all__ = [
    "AsyncClient",
    "AsyncClientNamespace",
    "AsyncSimpleClient",
    "Client",
    "ClientNamespace",
    "Reason",
    "SimpleClient",
]
