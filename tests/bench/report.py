"""Turning scenario results into the comparison table and its JSON.

``ratio`` is always runtime / python-socketio of the raw figure. ``gain`` folds
in the direction so that it reads the same way for every row: how many times
better runtime is (> 1: runtime better, < 1: runtime worse).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

BASELINE = "python-socketio"
CANDIDATE = "runtime"
CEILING = "null"  # ceiling_server.py: bounds what the load generator can measure
FLOOR = "asgi-floor"  # asgi_floor.py on the same uvicorn: bounds any ASGI server


@dataclass(frozen=True, slots=True)
class Metric:
    scenario: str
    key: str
    label: str
    unit: str
    higher_is_better: bool
    target_gain: float | None = None  # the target, as a gain (4.0: "runtime >= 4x")
    ceiling: bool = False  # a throughput the load generator could cap

    @property
    def direction(self) -> str:
        return "higher" if self.higher_is_better else "lower"

    def target_text(self) -> str:
        if self.target_gain is None:
            return ""
        if self.higher_is_better:
            return f"ratio >= {self.target_gain:g}"
        return f"ratio <= {1 / self.target_gain:g}"


METRICS: tuple[Metric, ...] = (
    Metric("connect", "connects_per_s", "connects/s", "1/s", True, ceiling=True),
    Metric("connect", "cpu_us_per_connect", "server CPU per connect", "us", False),
    Metric("connect", "p99_ms", "connect latency p99", "ms", False),
    Metric("idle_memory", "kib_per_conn", "RSS per idle connection", "KiB", False, 2.0),
    Metric("idle_memory", "threads_per_conn", "threads per idle connection", "", False),
    Metric("echo_d1", "msgs_per_s", "acked echoes/s", "1/s", True, 3.0, True),
    Metric("echo_d1", "p99_ms", "latency p99", "ms", False),
    Metric("echo_d1", "cpu_us_per_msg", "server CPU per echo", "us", False),
    Metric("echo_d10", "msgs_per_s", "acked echoes/s", "1/s", True, 3.0, True),
    Metric("echo_d10", "p99_ms", "latency p99", "ms", False),
    Metric("echo_d10", "cpu_us_per_msg", "server CPU per echo", "us", False),
    Metric("broadcast", "time_s", "time to deliver all", "s", False, 4.0, True),
    Metric("broadcast", "deliveries_per_s", "deliveries/s", "1/s", True, 4.0, True),
    Metric("broadcast", "cpu_us_per_delivery", "server CPU per delivery", "us", False),
    Metric("cluster_broadcast", "time_s", "time to deliver all", "s", False),
    Metric("cluster_broadcast", "deliveries_per_s", "deliveries/s", "1/s", True),
    Metric("cluster_broadcast", "cpu_us_per_delivery", "CPU per delivery, both nodes", "us", False),
    Metric("polling_echo", "msgs_per_s", "acked echoes/s", "1/s", True, ceiling=True),
    Metric("polling_echo", "p99_ms", "latency p99", "ms", False),
    Metric("polling_echo", "cpu_us_per_msg", "server CPU per echo", "us", False),
    Metric("binary_echo", "msgs_per_s", "acked 64 KiB echoes/s", "1/s", True, ceiling=True),
    Metric("binary_echo", "mib_per_s", "payload echoed", "MiB/s", True, ceiling=True),
    Metric("binary_echo", "p99_ms", "latency p99", "ms", False),
)

Results = dict[str, dict[str, dict[str, Any]]]  # scenario -> impl -> loadgen result


def _value(result: dict[str, Any] | None, key: str) -> float | None:
    if result is None or result.get("status") != "ok":
        return None
    value = result.get("metrics", {}).get(key)
    if not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def _cell(result: dict[str, Any] | None, key: str) -> str:
    if result is None:
        return "-"
    value = _value(result, key)
    if value is not None:
        return _fmt(value)
    status = str(result.get("status", "error")).upper()
    frac = result.get("metrics", {}).get("delivered_fraction")
    if status == "TIMEOUT" and isinstance(frac, float):
        return f"TIMEOUT ({frac:.0%} got)"
    phase = result.get("detail", {}).get("phase")
    if phase and phase != "measured":
        return f"{status} in {phase}"  # e.g. a join ack that never came
    return status


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def compare(results: Results) -> list[dict[str, Any]]:
    """One row per metric: both figures, ratio, gain, target verdict, ceiling.

    A results key is a scenario name, plus ``@mode`` for a sync async mode.
    """
    rows = []
    for key, by_impl in results.items():
        for m in METRICS:
            if m.scenario == key.split("@")[0]:
                rows.append(_row(key, m, by_impl))
    return rows


def _row(key: str, m: Metric, by_impl: dict[str, dict[str, Any]]) -> dict[str, Any]:
    base = _value(by_impl.get(BASELINE), m.key)
    cand = _value(by_impl.get(CANDIDATE), m.key)
    # a ratio needs a positive base (a thread count can dip below zero by one)
    ratio = cand / base if base is not None and base > 0 and cand is not None else None
    gain = None
    if ratio:
        gain = ratio if m.higher_is_better else 1 / ratio
    met = None if m.target_gain is None or gain is None else gain >= m.target_gain
    return {
        "scenario": key,
        "metric": m.key,
        "label": m.label,
        "unit": m.unit,
        "better": m.direction,
        BASELINE: base,
        CANDIDATE: cand,
        "ratio": ratio,
        "gain": gain,
        "target": m.target_text() or None,
        "target_met": met,
        "asgi_floor": _value(by_impl.get(FLOOR), m.key),
        "ceiling": _value(by_impl.get(CEILING), m.key) if m.ceiling else None,
        "cells": {
            BASELINE: _cell(by_impl.get(BASELINE), m.key),
            CANDIDATE: _cell(by_impl.get(CANDIDATE), m.key),
            FLOOR: _cell(by_impl.get(FLOOR), m.key),
            CEILING: _cell(by_impl.get(CEILING), m.key) if m.ceiling else "",
        },
    }


def render_typed(results: Results) -> str:
    """typed_echo: generated typed handler vs plain handler, and typed / plain."""
    res = results.get("typed_echo", {}).get(CANDIDATE)
    if res is None:
        return ""
    m = res.get("metrics", {})
    if res.get("status") != "ok":
        return f"typed_echo: {str(res.get('status', 'error')).upper()} {res.get('errors', [])}"
    header = ["handler", "acked echoes/s", "server CPU per echo (us)", "latency p99 (ms)"]
    body = [
        [
            kind,
            _num(m.get(f"{kind}_msgs_per_s")),
            _num(m.get(f"{kind}_cpu_us_per_msg")),
            _num(m.get(f"{kind}_p99_ms")),
        ]
        for kind in ("plain", "typed")
    ]
    body.append(
        [
            "typed / plain",
            _ratio(m.get("typed_over_plain_msgs")),
            _ratio(m.get("typed_over_plain_cpu")),
            "",
        ]
    )
    extra = m.get("typed_extra_cpu_us")
    note = f"\ntyped dispatch adds {_num(extra)} us of server CPU per acked event"
    return _table(header, body, {1, 2, 3}) + (note if isinstance(extra, float) else "")


def _ratio(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) and not math.isnan(value) else "-"


def _table(header: list[str], body: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def render(rows: list[dict[str, Any]], with_floor: bool, with_ceiling: bool) -> str:
    header = [
        "scenario",
        "metric",
        "unit",
        "better",
        BASELINE,
        CANDIDATE,
        "ratio rt/py",
        "verdict",
        "target",
    ]
    if with_floor:
        header.append("ASGI floor")
    if with_ceiling:
        header.append("loadgen ceiling")
    body = []
    for r in rows:
        ratio, gain = r["ratio"], r["gain"]
        verdict = ""
        if gain is not None:
            verdict = f"{gain:.2f}x better" if gain >= 1 else f"{1 / gain:.2f}x worse"
        target = r["target"] or ""
        if target and r["target_met"] is not None:
            target += " MET" if r["target_met"] else " MISSED"
        cells = [
            r["scenario"],
            r["label"],
            r["unit"],
            r["better"],
            r["cells"][BASELINE],
            r["cells"][CANDIDATE],
            f"{ratio:.2f}" if ratio is not None else "-",
            verdict,
            target,
        ]
        if with_floor:
            cells.append(r["cells"][FLOOR])
        if with_ceiling:
            cells.append(r["cells"][CEILING])
        body.append(cells)
    return _table(header, body, {4, 5, 6, 9, 10})


def render_saturation(results: Results, impls: list[str]) -> str:
    """Who was the bottleneck: share of a core used, CPU per operation on each side."""
    header = [
        "scenario",
        "server",
        "status",
        "server busy",
        "loadgen busy",
        "other",
        "steal",
        "server us/op",
        "loadgen us/op",
        "notes",
    ]
    body = []
    for scenario, by_impl in results.items():
        for impl in impls:
            res = by_impl.get(impl)
            if res is None:
                continue
            u = res.get("usage", {})
            notes = "; ".join(str(e) for e in res.get("errors", [])).replace("\n", " ")[:100]
            body.append(
                [
                    scenario,
                    impl,
                    str(res.get("status")),
                    _pct(u.get("server_busy")),
                    _pct(u.get("loadgen_busy")),
                    _pct(u.get("other_busy")),
                    _pct(u.get("steal_busy")),
                    _num(u.get("server_us_per_op")),
                    _num(u.get("loadgen_us_per_op")),
                    notes,
                ]
            )
    return _table(header, body, {3, 4, 5, 6, 7, 8})


def _num(value: object) -> str:
    if isinstance(value, int | float) and not math.isnan(value):
        return _fmt(float(value))
    return "-"


def _pct(value: object) -> str:
    return f"{value:.0%}" if isinstance(value, float) else "-"
