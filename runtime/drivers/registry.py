"""Sync async modes by name: import strings, availability checks, auto-selection.

As in python-socketio, ``async_mode=None`` picks the first usable mode in the order
eventlet, gevent_uwsgi, gevent, threading; an explicit mode whose library is
missing fails with ``MissingDependencyError`` naming what to ``pip install``.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from runtime.drivers.base import MissingDependencyError, SyncDriver

__all__ = ["AUTO_ORDER", "SYNC_MODES", "ModeSpec", "available_modes", "get_driver"]


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
    # uWSGI's native websocket API is not driven yet: under uWSGI, auto-selection goes on
    # to gevent (polling; websocket needs a server that exposes the socket).
    "gevent_uwsgi": ModeSpec(None, ("gevent", "uwsgi"), "gevent uwsgi (and run under uWSGI)"),
}

AUTO_ORDER = ("eventlet", "gevent_uwsgi", "gevent", "threading")


def _missing(spec: ModeSpec) -> list[str]:
    missing = []
    for module in spec.requires:
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
