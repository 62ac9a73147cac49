"""A second module with a model named `Item`."""

from __future__ import annotations

from pydantic import BaseModel


class Item(BaseModel):
    name: str
    quantity: int = 1


class Receipt(BaseModel):
    class Line(BaseModel):
        """A nested class used as an ack: imported through its outer class."""

        item: str
        total: int

    lines: list[Line]
