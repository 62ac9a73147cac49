"""``python -m tests.bench``: run the benchmark suite (see run.py)."""

from __future__ import annotations

from tests.bench.run import main

raise SystemExit(main())
