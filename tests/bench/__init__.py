"""Benchmarks: ``runtime`` vs python-socketio, same scenarios, same uvicorn, one run.

Run with ``python -m tests.bench [--quick]``; see README.md beside this file.
"""
