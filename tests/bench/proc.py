"""Process accounting from /proc: CPU seconds (utime + stime) and resident memory.

The load generator samples the server's figures at the edges of each measured
window, so server CPU is exactly what the server spent inside that window.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
import time
from dataclasses import dataclass

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (all threads), in seconds; clock-tick resolution."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        raw = f.read()
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def system_cpu() -> tuple[float, float]:
    """Machine-wide (busy, steal) CPU seconds so far, all cores, from /proc/stat."""
    with open("/proc/stat", "rb") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    return busy / _CLK_TCK, fields[7] / _CLK_TCK


def background_load(seconds: float = 1.0) -> float:
    """Cores' worth of CPU the machine is using right now (before we start anything)."""
    busy0, _ = system_cpu()
    time.sleep(seconds)
    busy1, _ = system_cpu()
    return (busy1 - busy0) / seconds


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (VmRSS)."""
    with open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def raise_nofile_limit() -> int:
    """Lift the soft open-file limit to the hard limit (1,000+ sockets); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def finite(value: object) -> object:
    """``value`` with NaN/inf floats replaced by None, recursively: strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class CpuSample:
    """Wall clock plus CPU of the server and of this (load generator) process."""

    wall: float
    server_cpu: float
    self_cpu: float
    system_busy: float
    steal: float


def sample(*server_pids: int) -> CpuSample:
    """Now; the server CPU is the sum over ``server_pids`` (the nodes of a cluster)."""
    busy, steal = system_cpu()
    server = sum(cpu_seconds(pid) for pid in server_pids)
    return CpuSample(time.perf_counter(), server, time.process_time(), busy, steal)


@dataclass(frozen=True, slots=True)
class Usage:
    """CPU used between two samples, and the share of one core it represents."""

    wall_s: float
    server_cpu_s: float
    loadgen_cpu_s: float
    other_cpu_s: float  # everything else on the machine, kernel networking included
    steal_s: float  # time the hypervisor took the CPUs away

    @property
    def server_busy(self) -> float:
        return self.server_cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def loadgen_busy(self) -> float:
        return self.loadgen_cpu_s / self.wall_s if self.wall_s > 0 else 0.0


def usage(start: CpuSample, end: CpuSample) -> Usage:
    server = end.server_cpu - start.server_cpu
    loadgen = end.self_cpu - start.self_cpu
    steal = end.steal - start.steal
    other = end.system_busy - start.system_busy - server - loadgen - steal
    return Usage(end.wall - start.wall, server, loadgen, max(0.0, other), steal)


def parent_pid(pid: int) -> int | None:
    """The parent of ``pid``, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    return int(raw[raw.rindex(b")") + 2 :].split()[1])


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return False
    return raw[raw.rindex(b")") + 2 : raw.rindex(b")") + 3] != b"Z"


def kill_if_alive(pid: int) -> None:
    """SIGKILL ``pid`` (a server's worker whose parent was stopped) if still running."""
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def threads(pid: int) -> int:
    """Number of threads of ``pid`` (``Threads:`` in /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"Threads:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Threads for pid {pid}")
