"""Render a `CheckResult`: text (terminals), JSON (tools), Markdown (PR comment), GitHub annotations.

Every format says, per namespace, which version bump the changes need.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from sdkgen.diff.check import CheckResult
from sdkgen.diff.contract import Finding
from sdkgen.rules import RULES, Severity

__all__ = ["COMMENT_MARKER", "MARKDOWN_LIMIT", "Format", "render"]

# The PR workflow finds its own comment by this marker and edits it in place.
COMMENT_MARKER = "<!-- sdkgen-check -->"
MARKDOWN_LIMIT = 60_000


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    GITHUB = "github"


_SEV = {Severity.ERROR: "ERR", Severity.WARN: "WARN", Severity.INFO: "INFO"}


def _loc(f: Finding) -> str:
    return f"{f.location.file}:{f.location.line}" if f.location else ""


def _status(f: Finding, failing: set[Finding]) -> str:
    if f in failing:
        return "FAIL"
    return "ok" if not f.approved else "approved"


def text(result: CheckResult, failing: Sequence[Finding]) -> str:
    fail = set(failing)
    lines = [f"sdkgen check against {result.against}"]
    for f in result.findings:
        where = _loc(f)
        head = f"{where}: " if where else ""
        line = (
            f"{head}{_SEV[f.severity]} {f.category.value.upper()} {f.where} {f.rule}: {f.message}"
        )
        if f.approved:
            line += f" [{f.approved}]"
        elif f in fail:
            line += f" [needs a {f.bump.label} version bump]"
        lines.append(line)
    for v in result.versions:
        if v.suggestion:
            lines.append(f"{v.path}: {v.suggestion}")
    counts = result.counts()
    lines.append(
        f"{counts['error']} error(s), {counts['warn']} warning(s), {counts['info']} info; "
        f"{len(fail)} failing"
    )
    if not result.findings:
        lines.append("no contract changes")
    return "\n".join(lines) + "\n"


def _finding_json(f: Finding, fail: set[Finding]) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "row": RULES[f.rule].row,
        "severity": f.severity.label,
        "category": f.category.value,
        "namespace": f.namespace,
        "event": f.event,
        "position": f.position,
        "direction": f.direction,
        "reader": f.reader,
        "path": f.path,
        "message": f.message,
        "file": f.location.file if f.location else None,
        "line": f.location.line if f.location else None,
        "bump": f.bump.label,
        "approved": f.approved or None,
        "failing": f in fail,
    }


def as_json(result: CheckResult, failing: Sequence[Finding]) -> str:
    fail = set(failing)
    doc = {
        "against": result.against,
        "failed": bool(fail),
        "counts": result.counts(),
        "namespaces": [
            {
                "path": v.path,
                "old_version": v.old,
                "new_version": v.new,
                "needed_bump": v.needed.label,
                "version_bump": v.done.label,
                "suggestion": v.suggestion or None,
            }
            for v in result.versions
        ],
        "findings": [_finding_json(f, fail) for f in result.findings],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _icon(f: Finding, fail: set[Finding]) -> str:
    if f in fail:
        return ":x:"
    if f.approved:
        return ":white_check_mark:"
    return ":warning:" if f.severity else ":information_source:"


def _position(f: Finding) -> str:
    if not f.position:
        return ""
    return f"{f.position} ({f.reader} reads)" if f.reader else f.position


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(result: CheckResult, failing: Sequence[Finding]) -> str:
    fail = set(failing)
    counts = result.counts()
    verdict = (
        f"**{len(fail)} unapproved breaking change(s)**"
        if fail
        else "No unapproved breaking changes"
    )
    out = [
        COMMENT_MARKER,
        "## sdkgen contract check",
        "",
        f"Against `{result.against}`: {verdict}. "
        f"{counts['error']} error(s), {counts['warn']} warning(s), {counts['info']} info.",
        "",
    ]
    if not result.findings:
        out.append("No contract changes.")
    by_ns: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_ns.setdefault(f.namespace, []).append(f)
    versions = {v.path: v for v in result.versions}
    for ns, found in by_ns.items():
        v = versions.get(ns)
        out.append(f"### `{ns}`" + (f" ({v.suggestion})" if v and v.suggestion else ""))
        out.append("")
        main = [f for f in found if f.severity > Severity.INFO or f in fail]
        info = [f for f in found if f not in main]
        header = "| | Severity | Category | Event | Position | Field | Rule | Detail | Where |"
        rule = "|---|---|---|---|---|---|---|---|---|"

        def rows(items: list[Finding]) -> list[str]:
            return [
                f"| {_icon(f, fail)} "
                f"| {_SEV[f.severity]} | {f.category.value.upper()} | {_cell(f.event or '')} "
                f"| {_cell(_position(f))} "
                f"| {_cell(f.path)} | `{f.rule}` | {_cell(f.message)}"
                f"{_cell(f' ({f.approved})') if f.approved else ''} "
                f"| {_cell(_loc(f))} |"
                for f in items
            ]

        if main:
            out += [header, rule, *rows(main), ""]
        if info:
            out += [
                f"<details><summary>{len(info)} compatible change(s)</summary>",
                "",
                header,
                rule,
                *rows(info),
                "",
                "</details>",
                "",
            ]
    if fail:
        out.append(
            "Bump the namespace's major version, or add a `[[check.ignore]]` entry with a "
            "`reason` and an `until` date to `sdkgen.toml`."
        )
    body = "\n".join(out).rstrip("\n") + "\n"
    if len(body) > MARKDOWN_LIMIT:
        # GitHub rejects comments over 65536 characters: keep the head, point at the log.
        cut = body.rfind("\n", 0, MARKDOWN_LIMIT - 200)
        body = body[:cut] + (
            "\n\n_Report truncated: run `sdkgen check` locally or see the job log "
            "for every finding._\n"
        )
    return body


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(result: CheckResult, failing: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding that is not INFO."""
    fail = set(failing)
    lines = []
    for f in result.findings:
        if f.severity is Severity.INFO and f not in fail:
            continue
        level = "error" if f in fail else "warning" if not f.approved else "notice"
        props = [f"title={_escape_prop(f'{f.rule} ({f.category.value})')}"]
        if f.location:
            props = [f"file={_escape_prop(f.location.file)}", f"line={f.location.line}", *props]
        message = f"{f.where}: {f.message}" + (f" [{f.approved}]" if f.approved else "")
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    for v in result.versions:
        if v.suggestion:
            lines.append(
                f"::notice title=version {_escape_prop(v.path)}::{_escape_data(v.suggestion)}"
            )
    return "\n".join(lines) + ("\n" if lines else "")


_RENDERERS: dict[Format, Callable[[CheckResult, Sequence[Finding]], str]] = {
    Format.TEXT: text,
    Format.JSON: as_json,
    Format.MARKDOWN: markdown,
    Format.GITHUB: github,
}


def render(result: CheckResult, fmt: Format, failing: Sequence[Finding]) -> str:
    return _RENDERERS[fmt](result, failing)
