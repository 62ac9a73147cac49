"""The root namespace: every payload type in both directions."""

from __future__ import annotations

from pydantic import BaseModel

from kitchen_sink import inventory, shapes
from sdkgen.contract import ClientEvent, Namespace, ServerEvent

root = Namespace("/", version="2.0.0-rc.1", description="Root namespace without auth.")


class Stored(BaseModel):
    ok: bool


@root.event
class StoreEverything(ClientEvent[Stored], shapes.Everything):
    """Every payload type at once; default wire name `store_everything`."""


@root.event
class UploadBlob(ClientEvent[shapes.Blob], shapes.Blob):
    """Bytes in the payload and in the ack."""


@root.event(name="items:add")
class AddItems(ClientEvent[inventory.Receipt.Line]):
    mine: shapes.Item
    theirs: list[inventory.Item]


@root.event(name="tree:grow", description="Overrides the docstring.", stability="experimental")
class GrowTree(ClientEvent[shapes.Tree]):
    """This docstring is replaced by the description."""

    tree: shapes.Tree


@root.event(name="old:thing", deprecated=True)
class OldThing(ClientEvent):
    target: shapes.Target


@root.event(name="shape:drawn")
class ShapeDrawn(ServerEvent):
    """Server -> client, no ack."""

    shape: shapes.Shape
    color: shapes.Color


@root.event(name="blob:offer", ack_timeout=2.5, deprecated="use blob:push")
class BlobOffer(ServerEvent[Stored]):
    """Server -> client with bytes, acked by the client."""

    blob: shapes.Blob


@root.event(name="item:check")
class CheckItem(ClientEvent[shapes.Item]):
    """Acked with `shapes.Item`, which sorts after `inventory.Item`: imported as `Item_`."""

    sku: str


@root.event(name="item:count")
class CountItem(ClientEvent[inventory.Item]):
    """Acked with `inventory.Item`, which keeps its name."""

    name: str


@root.event(name="target:pick")
class PickTarget(ClientEvent[shapes.Target]):
    """Acked with a model named like `runtime.typed.Target`: imported as `Target_`."""

    index: int
