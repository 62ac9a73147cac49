"""Micro-benchmark: Socket.IO packet encode/decode, runtime vs python-socketio.

Not a test. Run from the repository root::

    python tests/bench/bench_socketio_codec.py [--python .venvs/pysio/bin/python]

Our side runs in this interpreter. python-socketio must not be installed here (the
``socketio`` name belongs to us), so its side runs this same file in a virtualenv
that has it (``--impl pysio``), and the results are printed side by side as ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENVS = [
    ROOT / ".venvs" / "pysio-bench" / "bin" / "python",
    ROOT / ".venvs" / "pysio" / "bin" / "python",
]

CHAT = {
    "room": "general",
    "user": "alice",
    "text": "hello world, how are you?",
    "ts": 1700000000123,
}
BIG = {
    "items": [
        {"id": i, "name": f"item {i}", "price": i * 1.25, "tags": ["a", "b"]} for i in range(40)
    ]
}
BLOB = bytes(range(256)) * 4


def ops_runtime() -> dict[str, Callable[[], Any]]:
    from runtime.socketio import get_serializer

    text = get_serializer()
    mp = get_serializer("msgpack")
    small = text.encode_event("/", "message", [CHAT])[0]
    acked = text.encode_event("/chat", "message", [CHAT], 12)[0]
    big = text.encode_event("/", "catalog", [BIG])[0]
    binary = text.encode_event("/", "upload", [{"name": "f", "data": BLOB}])
    mp_small = mp.encode_event("/", "message", [CHAT])[0]
    decoder = text.decoder()
    mp_decoder = mp.decoder()

    def decode_binary() -> Any:
        decoder.feed(binary[0])
        return decoder.feed(binary[1])

    return {
        "encode event (small dict)": lambda: text.encode_event("/", "message", [CHAT]),
        "encode event (ns + ack id)": lambda: text.encode_event("/chat", "message", [CHAT], 12),
        "encode ack": lambda: text.encode_ack("/", 12, ["ok", 1]),
        "encode event (2 KB dict)": lambda: text.encode_event("/", "catalog", [BIG]),
        "encode binary event (1 KB)": lambda: text.encode_event(
            "/", "upload", [{"name": "f", "data": BLOB}]
        ),
        "decode event (small dict)": lambda: decoder.feed(small),
        "decode event (ns + ack id)": lambda: decoder.feed(acked),
        "decode event (2 KB dict)": lambda: decoder.feed(big),
        "decode binary event (1 KB)": decode_binary,
        "msgpack encode event": lambda: mp.encode_event("/", "message", [CHAT]),
        "msgpack decode event": lambda: mp_decoder.feed(mp_small),
    }


def ops_pysio() -> dict[str, Callable[[], Any]]:
    from socketio import packet

    p = packet.Packet
    small = p(packet.EVENT, data=["message", CHAT], namespace="/").encode()
    acked = p(packet.EVENT, data=["message", CHAT], namespace="/chat", id=12).encode()
    big = p(packet.EVENT, data=["catalog", BIG], namespace="/").encode()
    binary = p(packet.EVENT, data=["upload", {"name": "f", "data": BLOB}], namespace="/").encode()

    def decode_binary() -> Any:
        pkt = p(encoded_packet=binary[0])
        pkt.add_attachment(binary[1])
        return pkt

    ops: dict[str, Callable[[], Any]] = {
        "encode event (small dict)": lambda: p(
            packet.EVENT, data=["message", CHAT], namespace="/"
        ).encode(),
        "encode event (ns + ack id)": lambda: p(
            packet.EVENT, data=["message", CHAT], namespace="/chat", id=12
        ).encode(),
        "encode ack": lambda: p(packet.ACK, data=["ok", 1], namespace="/", id=12).encode(),
        "encode event (2 KB dict)": lambda: p(
            packet.EVENT, data=["catalog", BIG], namespace="/"
        ).encode(),
        "encode binary event (1 KB)": lambda: p(
            packet.EVENT, data=["upload", {"name": "f", "data": BLOB}], namespace="/"
        ).encode(),
        "decode event (small dict)": lambda: p(encoded_packet=small),
        "decode event (ns + ack id)": lambda: p(encoded_packet=acked),
        "decode event (2 KB dict)": lambda: p(encoded_packet=big),
        "decode binary event (1 KB)": decode_binary,
    }
    try:
        from socketio import msgpack_packet
    except ImportError:  # that venv has no msgpack: skip those rows
        return ops
    m = msgpack_packet.MsgPackPacket
    mp_small = m(packet.EVENT, data=["message", CHAT], namespace="/").encode()
    ops["msgpack encode event"] = lambda: m(
        packet.EVENT, data=["message", CHAT], namespace="/"
    ).encode()
    ops["msgpack decode event"] = lambda: m(encoded_packet=mp_small)
    return ops


def measure(ops: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` CPU nanoseconds per call.

    CPU time rather than wall time: benchmarks often share the machine with other work.
    """
    results = {}
    for name, op in ops.items():
        timer = timeit.Timer(op, timer=time.process_time)
        number, _ = timer.autorange()
        results[name] = min(timer.repeat(repeat, number)) / number * 1e9
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=["runtime", "pysio"], default="runtime")
    parser.add_argument("--python", help="interpreter with python-socketio installed")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.impl == "pysio":
        print(json.dumps(measure(ops_pysio(), args.repeat)))
        return
    ours = measure(ops_runtime(), args.repeat)
    theirs: dict[str, float] = {}
    python = args.python or next((str(p) for p in VENVS if p.exists()), None)
    if python is None:
        print("python-socketio venv not found: pass --python (results for runtime only)")
    else:
        cmd = [python, __file__, "--impl", "pysio", "--repeat", str(args.repeat)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
        theirs = json.loads(out.stdout)
    print(f"{'operation':32} {'runtime ns':>11} {'pysio ns':>11} {'speed-up':>9}")
    for name, ns in ours.items():
        other = theirs.get(name)
        ratio = f"{other / ns:8.2f}x" if other else "        -"
        other_text = f"{other:11.0f}" if other else f"{'-':>11}"
        print(f"{name:32} {ns:11.0f} {other_text} {ratio}")


if __name__ == "__main__":
    main()
