"""Builders for client_driver.py steps, so tests read as what the client does."""

from __future__ import annotations

from typing import Any

Step = dict[str, Any]


def connect(client: str = "a", namespaces: list[str] | None = None, **options: Any) -> Step:
    """Options: headers, auth, transports (list), query (appended to the URL)."""
    return {"op": "connect", "client": client, "namespaces": namespaces, **options}


def emit(client: str, event: str, namespace: str = "/", ack: bool = False, **payload: Any) -> Step:
    """Payload: ``data=`` one argument, ``args=[...]`` several, ``sid_of=`` a client's sid;
    ``label=`` with ``ack=True`` collects the ack at the end instead of waiting for it."""
    return {
        "op": "emit",
        "client": client,
        "event": event,
        "namespace": namespace,
        "ack": ack,
        **payload,
    }


def call(client: str, event: str, namespace: str = "/", **payload: Any) -> Step:
    return {"op": "call", "client": client, "event": event, "namespace": namespace, **payload}


def send(client: str, data: Any, namespace: str = "/") -> Step:
    return {"op": "send", "client": client, "data": data, "namespace": namespace}


def reply(client: str, event: str, value: Any, namespace: str = "/") -> Step:
    """Before ``connect``: answer ``event``'s ack with ``value`` (a list is several values)."""
    return {"op": "reply", "client": client, "event": event, "namespace": namespace, "value": value}


def wait(client: str, event: str, namespace: str = "/", count: int = 1) -> Step:
    return {"op": "wait", "client": client, "event": event, "namespace": namespace, "count": count}


def disconnect(client: str = "a") -> Step:
    return {"op": "disconnect", "client": client}


def crash() -> Step:
    """End the client process without closing anything."""
    return {"op": "crash"}
