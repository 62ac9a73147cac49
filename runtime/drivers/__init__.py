"""Async modes of the sync ``Server``: typed drivers chosen by name (see ``registry``)."""

from __future__ import annotations

from runtime.drivers.base import (
    BackgroundTask,
    MissingDependencyError,
    SyncDriver,
    SyncEvent,
    SyncLock,
    WebSocket,
    WebSocketUnavailableError,
)
from runtime.drivers.registry import AUTO_ORDER, SYNC_MODES, available_modes, get_driver

__all__ = [
    "AUTO_ORDER",
    "SYNC_MODES",
    "BackgroundTask",
    "MissingDependencyError",
    "SyncDriver",
    "SyncEvent",
    "SyncLock",
    "WebSocket",
    "WebSocketUnavailableError",
    "available_modes",
    "get_driver",
]
