"""The JSON used by the text packet codec: safe defaults and user-supplied modules.

Two layers:

* ``dumps`` / ``loads`` here are a drop-in for the stdlib ``json`` functions (like
  ``engineio.json``): ``loads`` refuses integers longer than 100 digits, whose parsing
  is quadratic in CPython. So this module can be passed wherever a JSON module is.
* ``json_codec(module)`` builds the ``JsonCodec`` the serializer actually calls. For
  the default it reuses one C encoder and two C scanners (no per-call ``JSONEncoder``
  construction, no slicing of the packet text); for a user module (``ujson``, an
  ``orjson`` wrapper, a module with a custom encoder) it adapts ``dumps``/``loads``.
  Nothing here is configured through class attributes: each serializer owns its codec.

Output is compact and, like ``JSON.stringify``, leaves non-ASCII text unescaped,
except lone surrogates, which are escaped (``\\ud800``) so the engine can always
encode the text as UTF-8. As in python-socketio, ``NaN``/``Infinity`` are accepted
both ways (JavaScript peers cannot parse them: do not send them to browsers).
With a user module, bounding integer literals is that module's job; nesting depth
is still bounded by the decoder.
"""

from __future__ import annotations

import json as _stdlib_json
import re
import sys
from collections.abc import Callable
from json import JSONDecodeError
from typing import Any, Protocol, cast, runtime_checkable

__all__ = [
    "INT_MAX_DIGITS",
    "JSONDecodeError",
    "JsonCodec",
    "JsonModule",
    "dumps",
    "json_codec",
    "loads",
]

# python-engineio's bound: longer integer literals are refused.
INT_MAX_DIGITS = 100

_SEPARATORS = (",", ":")
_SURROGATE = re.compile("[\ud800-\udfff]")


@runtime_checkable
class JsonModule(Protocol):
    """Anything with stdlib-compatible ``dumps`` and ``loads`` (a module or an object).

    ``dumps`` may return ``bytes`` (orjson); if it accepts ``separators=`` it is called
    with compact separators, as python-socketio does.
    """

    def dumps(self, obj: Any, /) -> str | bytes: ...

    def loads(self, s: str, /) -> Any: ...


class JsonCodec(Protocol):
    """What the packet codec calls."""

    @property
    def rejects_bytes(self) -> bool:
        """True when ``dumps`` raises ``TypeError`` on ``bytes`` (so it can be tried first)."""
        ...

    def dumps(self, obj: Any) -> str:
        """Compact JSON text; raises ``TypeError``/``ValueError`` for unserializable data."""
        ...

    def loads(self, text: str, start: int = 0) -> Any:
        """Parse ``text[start:]``; raises ``ValueError`` for anything that is not valid JSON."""
        ...


def _safe_int(literal: str) -> int:
    if len(literal) > INT_MAX_DIGITS:  # the sign counts, as in python-engineio
        raise ValueError(f"integer literal longer than {INT_MAX_DIGITS} digits")
    return int(literal)


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps``, unchanged (present so this module is a complete JSON module)."""
    return _stdlib_json.dumps(obj, **kwargs)


def loads(s: str | bytes | bytearray, **kwargs: Any) -> Any:
    """``json.loads`` that refuses integers longer than 100 digits."""
    kwargs.setdefault("parse_int", _safe_int)
    return _stdlib_json.loads(s, **kwargs)


_PRECHECK_SIZE = 1024
# Every ASCII digit becomes "0", every other byte a space. UTF-8 multi-byte sequences
# never contain ASCII bytes, so a run of digits in the bytes is a run in the text.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
# A run of 100 is enough to need the exact check: with a sign, 100 digits are too many.
_LONG_RUN = b"0" * INT_MAX_DIGITS


def _has_digit_run(text: str) -> bool:
    """True if ``text`` holds ``INT_MAX_DIGITS`` or more consecutive ASCII digits."""
    return _LONG_RUN in text.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_ZERO)


def _unserializable(obj: Any) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _escape_surrogates(text: str) -> str:
    # Raw surrogates can only sit inside JSON strings, where \uXXXX means the same.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _make_encoder() -> Callable[[Any], str]:
    make: Any = getattr(_stdlib_json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return _stdlib_json.JSONEncoder(
            separators=_SEPARATORS, ensure_ascii=False, check_circular=False
        ).encode
    # No circular-reference markers: the C recursion guard catches cycles instead.
    encode = make(
        None,
        _unserializable,
        _stdlib_json.encoder.encode_basestring,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )

    def encode_text(obj: Any) -> str:
        return "".join(encode(obj, 0))

    return encode_text


class _DefaultCodec:
    """stdlib JSON through the C accelerator, created once per process."""

    __slots__ = ()

    rejects_bytes = True
    _encode = staticmethod(_make_encoder())
    _fast = _stdlib_json.JSONDecoder()
    _safe = _stdlib_json.JSONDecoder(parse_int=_safe_int)
    _scan_fast = _fast.scan_once  # type: ignore[attr-defined]
    _scan_safe = _safe.scan_once  # type: ignore[attr-defined]

    def dumps(self, obj: Any) -> str:
        try:
            text = self._encode(obj)
        except RecursionError:
            raise ValueError("data is circular or nested too deeply to encode") from None
        if not text.isascii() and _SURROGATE.search(text) is not None:
            text = _escape_surrogates(text)
        return text

    def loads(self, text: str, start: int = 0) -> Any:
        size = len(text) - start
        # A text of at most 100 characters cannot hold a 101-digit integer, so the
        # scanner without the integer hook is safe; past ~1 KB, looking for a run of
        # 100 digits first is cheaper than calling the hook for every integer.
        if size <= INT_MAX_DIGITS or (size > _PRECHECK_SIZE and not _has_digit_run(text)):
            scan = self._scan_fast
        else:
            scan = self._scan_safe
        try:
            try:
                value, end = scan(text, start)
            except StopIteration:
                end = -1
            if end != len(text):
                # Surrounding whitespace or an error: let the full decoder decide.
                value = self._safe.decode(text[start:])
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        return value


class _ModuleCodec:
    """A user-supplied JSON module."""

    __slots__ = ("_compact", "_dumps", "_loads", "module")

    rejects_bytes = False  # e.g. ujson turns bytes into strings: scan for them first

    def __init__(self, module: JsonModule) -> None:
        self.module = module
        self._dumps = cast("Callable[..., Any]", module.dumps)  # may take separators=
        self._loads: Callable[[str], Any] = module.loads
        try:
            self._dumps([0], separators=_SEPARATORS)
            self._compact = True
        except TypeError:
            self._compact = False

    def dumps(self, obj: Any) -> str:
        out = self._dumps(obj, separators=_SEPARATORS) if self._compact else self._dumps(obj)
        text = out.decode() if isinstance(out, (bytes, bytearray)) else out
        if not isinstance(text, str):
            raise TypeError(f"json module dumps() returned {type(out).__name__}, not str")
        if not text.isascii() and _SURROGATE.search(text) is not None:
            text = _escape_surrogates(text)
        return text

    def loads(self, text: str, start: int = 0) -> Any:
        try:
            return self._loads(text[start:] if start else text)
        except Exception as exc:  # any failure of a foreign parser on peer input
            raise ValueError(f"{type(exc).__name__}: {exc}") from exc


_DEFAULT = _DefaultCodec()


def json_codec(module: JsonModule | None = None) -> JsonCodec:
    """The codec for ``module``; ``None``, stdlib ``json`` and this module give the default."""
    if module is None or module is _stdlib_json or module is sys.modules[__name__]:
        return _DEFAULT
    if not callable(getattr(module, "dumps", None)) or not callable(getattr(module, "loads", None)):
        raise TypeError("a json module needs callable dumps() and loads()")
    return _ModuleCodec(module)
