"""An echo service."""

from __future__ import annotations

from pydantic import BaseModel

from sdkgen.contract import ClientEvent, Namespace


class EchoAuth(BaseModel):
    token: str


echo = Namespace("/echo", version="1.0.0", auth=EchoAuth, description="Echoes text back.")


class Echoed(BaseModel):
    text: str


@echo.event
class Shout(ClientEvent[Echoed]):
    """Send text; the ack carries it back in capitals."""

    text: str
