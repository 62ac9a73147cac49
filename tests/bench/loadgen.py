"""The load generator process: one scenario against one running server.

``python -m tests.bench.loadgen --scenario echo_d1 --port P --server-pid PID [--quick]``
prints progress on stderr and one line ``RESULT {json}`` on stdout. The runner
starts it pinned to its own core (``taskset -c 1``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import uvloop

from tests.bench import proc
from tests.bench.plan import BY_NAME, Spec
from tests.bench.scenarios import Budget, Result, Target


async def run_one(spec: Spec, target: Target, params: dict[str, Any], budget_s: float) -> Result:
    budget = Budget(budget_s)
    started = time.perf_counter()
    try:
        # The scenario bounds itself; this is the backstop for a wait it did not bound.
        async with asyncio.timeout(budget_s + 10.0):
            result = await spec.run(target, params, budget)
    except TimeoutError:
        result = {"status": "timeout", "metrics": {}, "errors": ["hard timeout in load generator"]}
    except Exception as exc:  # report it as this scenario's error, keep the run going
        result = {"status": "error", "metrics": {}, "errors": [repr(exc)]}
    result["scenario"] = spec.name
    result["params"] = params
    result["budget_s"] = budget_s
    result["elapsed_s"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", required=True, choices=sorted(BY_NAME))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument(
        "--node",
        action="append",
        default=[],
        metavar="PORT:PID",
        help="another node of a cluster (repeatable); clients are spread over all nodes",
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--params", default="{}", help="JSON object overriding parameters")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        parser.error("only loopback targets are allowed")
    spec = BY_NAME[args.scenario]
    params = {**spec.params(args.quick), **json.loads(args.params)}
    proc.raise_nofile_limit()
    others = tuple((int(port), int(pid)) for port, pid in (n.split(":") for n in args.node))
    target = Target(args.host, args.port, args.server_pid, others)
    result = uvloop.run(run_one(spec, target, params, spec.budget(args.quick)))
    sys.stdout.write("RESULT " + json.dumps(proc.finite(result), allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
