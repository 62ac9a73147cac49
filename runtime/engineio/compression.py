"""HTTP compression of polling responses (gzip or deflate, per ``Accept-Encoding``)."""

from __future__ import annotations

import zlib

__all__ = ["choose_encoding", "compress"]

_SUPPORTED = ("gzip", "deflate")  # preference order, as JS engine.io
_LEVEL = 6  # zlib's default: good ratio without the cost of level 9


def choose_encoding(accept_encoding: str | None) -> str | None:
    """The encoding to use for a response, or None (q=0 entries are refused)."""
    if not accept_encoding:
        return None
    accepted: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        accepted[name] = quality
    wildcard = accepted.get("*")
    best: str | None = None
    best_quality = 0.0
    for encoding in _SUPPORTED:
        quality = accepted.get(encoding, wildcard if wildcard is not None else 0.0)
        if quality > best_quality:
            best, best_quality = encoding, quality
    return best


def compress(body: bytes, encoding: str) -> bytes:
    """gzip (RFC 1952) or deflate (zlib stream, RFC 1950, which is what HTTP means)."""
    wbits = 31 if encoding == "gzip" else 15
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, wbits)
    return compressor.compress(body) + compressor.flush()
