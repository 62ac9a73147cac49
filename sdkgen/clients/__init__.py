"""Generated clients: a typed Python package and TypeScript for socket.io-client.

Both are built from the lock document (the JSON Schemas on the wire), never from
the contract classes, so a client cannot depend on server code.
"""

from __future__ import annotations

from typing import Any

from sdkgen import ir
from sdkgen.clients import python, typescript
from sdkgen.clients.schemas import namespace_shapes

__all__ = ["files"]


def files(api: ir.Api, lock: dict[str, Any]) -> dict[str, str]:
    """Every client file, keyed by POSIX path relative to the output directory."""
    shapes = namespace_shapes(lock)
    out = python.files(api, shapes)
    out.update(typescript.files(api, shapes))
    return out
