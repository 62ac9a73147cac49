"""A namespace the server only pushes to: no client events, so no `on` or handlers."""

from __future__ import annotations

from pydantic import AwareDatetime

from sdkgen.contract import Namespace, ServerEvent

feed = Namespace("/feed/v2", version="3.1.4")


@feed.event(name="tick")
class Tick(ServerEvent):
    at: AwareDatetime
    seq: int
