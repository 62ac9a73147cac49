"""Static-file rules of ``WSGIApp`` / ``ASGIApp``: URL -> (file, content type).

Pure path logic shared by every edge. Rules map a URL (or a URL prefix, for a
directory) to a file name or ``{"filename": ..., "content_type": ...}``; the
``""`` key names the default file for URLs ending in ``/`` (``index.html``
otherwise). ``..`` segments are refused so a rule never escapes its folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CONTENT_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".txt": "text/plain",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"

StaticRules = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StaticFile:
    filename: str
    content_type: str


def _as_rule(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        return {"filename": value}
    if isinstance(value, Mapping) and isinstance(value.get("filename"), str):
        return dict(value)
    raise ValueError(f"invalid static file rule: {value!r}")


def resolve_static_file(path: str, rules: StaticRules) -> StaticFile | None:
    """The file a URL path maps to under ``rules``, or None when no rule matches."""
    if ".." in path.split("/"):
        return None
    rule: dict[str, str] | None = None
    rest = ""
    if path in rules and path != "":
        rule = _as_rule(rules[path])
    else:
        prefix = path
        while prefix:
            prefix, last = prefix.rsplit("/", 1)
            rest = "/" + last + rest
            if prefix in rules and prefix != "":
                rule = _as_rule(rules[prefix])
                break
            if prefix + "/" in rules:
                rule = _as_rule(rules[prefix + "/"])
                rest = rest[1:]
                break
    if rule is None:
        return None
    filename = rule["filename"]
    if filename.endswith("/") and rest.startswith("/"):
        rest = rest[1:]
    elif rest and not filename.endswith("/") and not rest.startswith("/"):
        rest = "/" + rest
    filename += rest
    content_type = rule.get("content_type")
    if filename.endswith("/"):
        default = _as_rule(rules[""]) if "" in rules else {"filename": "index.html"}
        filename += default["filename"]
        content_type = default.get("content_type", content_type)
    if content_type is None:
        content_type = CONTENT_TYPES.get(os.path.splitext(filename)[1], DEFAULT_CONTENT_TYPE)
    return StaticFile(filename, content_type)
