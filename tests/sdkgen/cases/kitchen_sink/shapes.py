"""Payload building blocks: enums, literals, unions, recursion, bytes, constraints."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field


class Color(StrEnum):
    RED = "red"
    GREEN = "green"


class Point(BaseModel):
    x: float
    y: float


class Circle(BaseModel):
    type: Literal["circle"] = "circle"
    center: Point
    radius: Annotated[float, Field(gt=0)]


class Polygon(BaseModel):
    type: Literal["polygon"] = "polygon"
    points: Annotated[list[Point], Field(min_length=3)]


Shape = Annotated[Circle | Polygon, Field(discriminator="type")]


class Tree(BaseModel):
    """A recursive model."""

    label: str
    children: list[Tree] = []


class Blob(BaseModel):
    """Raw bytes: sent as a Socket.IO binary attachment."""

    name: str
    data: bytes
    thumbnails: list[bytes] = []


class Item(BaseModel):
    """Shares its class name with `inventory.Item`: one of them is imported under an alias."""

    sku: Annotated[str, Field(pattern=r"^[A-Z]{3}-\d{4}$")]


class Target(BaseModel):
    """Shares its name with `runtime.typed.Target`, which the generated module uses."""

    id: UUID


class Everything(BaseModel):
    """One field per supported kind of type."""

    text: Annotated[str, Field(min_length=1, max_length=100)]
    count: Annotated[int, Field(ge=0, le=10)] = 0
    ratio: float | None = None
    price: Decimal = Decimal("0.00")
    flag: bool = False
    tags: list[str] = []
    scores: dict[str, int] = {}
    pair: tuple[int, int] = (0, 0)
    unique: frozenset[str] = frozenset()
    color: Color = Color.RED
    mode: Literal["fast", "safe"] = "safe"
    shape: Shape
    shapes: list[Shape] = []
    tree: Tree | None = None
    when: AwareDatetime
    day: date | None = None
    duration: timedelta = timedelta(seconds=1)
    id: UUID
    nested: dict[str, list[Point]] = {}
    alias_field: str = Field(default="x", alias="aliasField")
