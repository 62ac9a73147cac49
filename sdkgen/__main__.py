"""`python -m sdkgen`: the same command line as the `sdkgen` script."""

from __future__ import annotations

from sdkgen.cli import app

app(prog_name="sdkgen")
