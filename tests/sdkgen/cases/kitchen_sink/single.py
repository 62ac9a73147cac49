"""A namespace with exactly one client event: `on` has no overloads."""

from __future__ import annotations

from pydantic import BaseModel

from sdkgen.contract import ClientEvent, Namespace, ServerEvent


class Token(BaseModel):
    value: str = ""


single = Namespace("/single", version="0.1.0", auth=Token, stability="beta")


class Pong(BaseModel):
    seq: int


@single.event
class Ping(ClientEvent[Pong]):
    seq: int


@single.event
class Probe(ServerEvent[Pong]):
    """Server -> client with an ack and no contract timeout (call default 60 s)."""

    seq: int
