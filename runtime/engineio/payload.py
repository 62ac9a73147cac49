"""The polling payload: several packets in one HTTP body, separated by ``\\x1e``.

Engine.IO v4 bodies are always UTF-8 text; binary MESSAGE packets inside them are
``b`` + base64. The decoder enforces the packet-count cap (``max_packets``) instead of
silently dropping a long payload, which is what python-engineio does.
"""

from __future__ import annotations

from collections.abc import Sequence

from runtime.engineio.packets import OutItem, Packet, decode_polling_segment, polling_segment
from runtime.exceptions import RemoteProtocolError

__all__ = ["SEPARATOR", "decode_payload", "encode_payload"]

SEPARATOR = "\x1e"


def encode_payload(items: Sequence[OutItem]) -> str:
    """Join encoded packets (see ``OutItem``) into a polling payload."""
    for item in items:
        if not isinstance(item, str):
            return SEPARATOR.join([polling_segment(i) for i in items])
    return SEPARATOR.join(items)  # type: ignore[arg-type]  # all str, checked above


def decode_payload(body: bytes | str, max_packets: int) -> list[Packet]:
    """Decode a polling request body into packets.

    Raises ``RemoteProtocolError`` for non-UTF-8 bodies, malformed packets and payloads
    holding more than ``max_packets`` packets (status 400 in every case).
    """
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RemoteProtocolError("payload is not UTF-8", reason="transport error") from exc
    else:
        text = body
    if text.count(SEPARATOR) >= max_packets:
        raise RemoteProtocolError(
            f"too many packets in payload (limit {max_packets})", reason="transport error"
        )
    return [decode_polling_segment(segment) for segment in text.split(SEPARATOR)]
