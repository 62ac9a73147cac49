"""sdkgen: typed Socket.IO APIs from Pydantic contracts.

Write contracts with `sdkgen.contract`, then `sdkgen build contracts/` (or
`sdkgen.build(Path("contracts"))`) renders typed server code that targets
`runtime.typed`.
"""

from __future__ import annotations

from sdkgen._version import __version__
from sdkgen.pipeline import BuildResult, build

__all__ = ["BuildResult", "__version__", "build"]
