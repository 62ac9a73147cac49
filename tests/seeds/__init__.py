"""The user guide's asyncio examples, run unchanged on ``runtime`` (see catalogue.py)."""
