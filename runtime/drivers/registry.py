"""Async modes by name: import strings, availability checks, auto-selection.

As in python-socketio, ``async_mode=None`` picks the first usable mode in the order
eventlet, gevent_uwsgi, gevent, threading; an explicit mode whose library is
missing fails with ``MissingDependencyError`` naming what to ``pip install``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass

from runtime.drivers.base import MissingDependencyError, SyncDriver

__all__ = [
    "ASYNC_AUTO_ORDER",
    "ASYNC_MODES",
    "AUTO_ORDER",
    "SYNC_MODES",
    "ModeSpec",
    "available_modes",
    "check_async_mode",
    "get_driver",
]


@dataclass(frozen=True, slots=True)
class ModeSpec:
    target: str | None  # "module:Class" of the driver; None: not available in this runtime
    requires: tuple[str, ...]  # importable modules the mode needs
    install: str  # what to pip install when they are missing


SYNC_MODES: dict[str, ModeSpec] = {
    "threading": ModeSpec("runtime.drivers.threading:ThreadingDriver", ("wsproto",), "wsproto"),
    "eventlet": ModeSpec(
        "runtime.drivers.eventlet:EventletDriver", ("eventlet", "wsproto"), "eventlet wsproto"
    ),
    "gevent": ModeSpec(
        "runtime.drivers.gevent:GeventDriver", ("gevent", "wsproto"), "gevent wsproto"
    ),
    # ``uwsgi`` is importable only inside a uWSGI process: elsewhere the mode is missing.
    "gevent_uwsgi": ModeSpec(
        "runtime.drivers.gevent_uwsgi:GeventUwsgiDriver",
        ("gevent", "uwsgi", "wsproto"),
        "gevent wsproto uwsgi",
    ),
}

AUTO_ORDER = ("eventlet", "gevent_uwsgi", "gevent", "threading")

# AsyncServer's modes. One asyncio edge serves them all; ``target`` is the module that
# presents the framework's requests to it (see ``runtime.integrations``).
ASYNC_MODES: dict[str, ModeSpec] = {
    "aiohttp": ModeSpec("runtime.integrations.aiohttp_mode", ("aiohttp",), "aiohttp"),
    "sanic": ModeSpec("runtime.integrations.sanic_mode", ("sanic",), "sanic"),
    "tornado": ModeSpec("runtime.integrations.tornado_mode", ("tornado",), "tornado"),
    "asgi": ModeSpec("runtime.asgi", (), ""),
}

# python-socketio's auto-detection order for AsyncServer (ours: see runtime.integrations)
ASYNC_AUTO_ORDER = ("aiohttp", "sanic", "tornado", "asgi")


def _missing(spec: ModeSpec) -> list[str]:
    missing = []
    for module in spec.requires:
        if sys.modules.get(module) is not None:  # uWSGI's embedded ``uwsgi`` has no import spec
            continue
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(module)
    return missing


def available_modes() -> list[str]:
    """The sync modes usable here (libraries importable), in auto-selection order."""
    return [
        name
        for name in AUTO_ORDER
        if SYNC_MODES[name].target is not None and not _missing(SYNC_MODES[name])
    ]


def get_driver(async_mode: str | None = None) -> SyncDriver:
    """The driver for ``async_mode``, or the first usable one when it is None."""
    if async_mode is None:
        usable = available_modes()
        return get_driver(usable[0] if usable else "threading")
    spec = SYNC_MODES.get(async_mode)
    if spec is None:
        raise ValueError("Invalid async_mode specified")
    if spec.target is None:
        raise MissingDependencyError(
            f"async_mode={async_mode!r} is not available in this runtime yet: use 'gevent' "
            "(gevent.pywsgi, or gunicorn -k gevent) or 'threading'"
        )
    missing = _missing(spec)
    if "uwsgi" in missing:  # the ``uwsgi`` module exists only inside a uWSGI process
        raise MissingDependencyError(
            f"async_mode={async_mode!r} is not available outside uWSGI: run the app with "
            f"uwsgi --gevent 1000 --http-websockets ... (pip install {spec.install})"
        )
    # threading works without wsproto too, for polling; websocket requests then fail
    # with the same message.
    if missing and async_mode != "threading":
        raise MissingDependencyError(
            f"async_mode={async_mode!r} needs {', '.join(missing)}: pip install {spec.install}"
        )
    module_name, _, class_name = spec.target.partition(":")
    module = importlib.import_module(module_name)
    driver: SyncDriver = getattr(module, class_name)()
    return driver


def check_async_mode(async_mode: str) -> None:
    """Raise ``ValueError`` for an unknown async mode, ``MissingDependencyError`` without its library."""
    spec = ASYNC_MODES.get(async_mode)
    if spec is None:
        raise ValueError("Invalid async_mode specified")
    missing = _missing(spec)
    if missing:
        raise MissingDependencyError(
            f"async_mode={async_mode!r} needs {', '.join(missing)}: pip install {spec.install}"
        )
