"""`sdkgen check`: findings, version bumps, ignore entries, pass or fail.

A breaking finding passes only when its namespace's major version went up (for
0.y.z versions the minor is the breaking digit, as Cargo reads semver), or when an
unexpired ignore entry with a reason covers it. Each namespace gets the bump its
changes need, so the report can say "needs a major bump: 1.2.0 -> 2.0.0".
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from runtime.contract_version import Version, parse_version
from sdkgen.diff.contract import Finding, compare_locks
from sdkgen.diff.locate import Locator
from sdkgen.rules import RULES, Bump, Category, Severity

__all__ = [
    "CheckResult",
    "IgnoreEntry",
    "IgnoreError",
    "NamespaceVersion",
    "check",
    "load_ignores",
    "next_version",
    "version_bump",
]


class IgnoreError(ValueError):
    """The ignore file is malformed (an entry without a reason or an expiry, ...)."""


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    rule: str
    reason: str
    until: date
    namespace: str | None = None
    event: str | None = None
    path: str | None = None  # fnmatch pattern over the field path

    def matches(self, f: Finding) -> bool:
        return (
            self.rule in (f.rule, "*")
            and self.namespace in (None, f.namespace)
            and self.event in (None, f.event)
            and (self.path is None or fnmatch.fnmatchcase(f.path, self.path))
        )

    def describe(self) -> str:
        scope = " ".join(x for x in (self.namespace, self.event, self.path) if x)
        return f"{self.rule}{' ' + scope if scope else ''}"


def load_ignores(path: Path) -> list[IgnoreEntry]:
    """`[[check.ignore]]` tables of a TOML file; every entry needs `reason` and `until`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise IgnoreError(f"{path}: {exc}") from None
    raw = data.get("check", {}).get("ignore", [])
    if not isinstance(raw, list):
        raise IgnoreError(f"{path}: [[check.ignore]] must be an array of tables")
    entries: list[IgnoreEntry] = []
    for number, item in enumerate(raw, 1):
        where = f"{path}: ignore entry {number}"
        if not isinstance(item, dict):
            raise IgnoreError(f"{where} is not a table")
        rule_id, reason, until = item.get("rule"), item.get("reason"), item.get("until")
        if not isinstance(rule_id, str) or (rule_id != "*" and rule_id not in RULES):
            raise IgnoreError(f"{where}: unknown rule {rule_id!r}")
        if not isinstance(reason, str) or not reason.strip():
            raise IgnoreError(f"{where}: 'reason' is required (why is this break acceptable?)")
        if not isinstance(until, date):
            raise IgnoreError(f"{where}: 'until' must be a TOML date, e.g. until = 2026-12-31")
        unknown = set(item) - {"rule", "reason", "until", "namespace", "event", "path"}
        if unknown:
            raise IgnoreError(f"{where}: unknown keys {sorted(unknown)}")
        entries.append(
            IgnoreEntry(
                rule=rule_id,
                reason=reason.strip(),
                until=until,
                namespace=_opt(item, "namespace", where),
                event=_opt(item, "event", where),
                path=_opt(item, "path", where),
            )
        )
    return entries


def _opt(item: Mapping[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise IgnoreError(f"{where}: {key!r} must be a string")
    return value


def _parse(version: str) -> Version | None:
    return parse_version(version)


def version_bump(old: str, new: str) -> Bump:
    """What kind of bump `old -> new` is (NONE when unparsable or not increased).

    The breaking digit is the one version negotiation checks (`Version.breaking`):
    the major, or the minor for 0.y.z (0.3.0 -> 0.4.0 is MAJOR).
    """
    a, b = _parse(old), _parse(new)
    if a is None or b is None or (b.major, b.minor, b.patch) <= (a.major, a.minor, a.patch):
        return Bump.NONE
    if b.breaking > a.breaking:
        return Bump.MAJOR
    if a.major == 0:  # same 0.y: a patch bump is the non-breaking one
        return Bump.MINOR
    return Bump.MINOR if b.minor > a.minor else Bump.PATCH


def next_version(old: str, bump: Bump) -> str:
    """The smallest version after `old` that is a `bump`."""
    v = _parse(old)
    if v is None or bump is Bump.NONE:
        return old
    major, minor, patch = v.major, v.minor, v.patch
    if major == 0:  # 0.y.z: breaking -> next minor, anything else -> next patch
        return f"0.{minor + 1}.0" if bump is Bump.MAJOR else f"0.{minor}.{patch + 1}"
    if bump is Bump.MAJOR:
        return f"{major + 1}.0.0"
    if bump is Bump.MINOR:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


@dataclass(frozen=True, slots=True)
class NamespaceVersion:
    path: str
    old: str | None  # None: added
    new: str | None  # None: removed
    needed: Bump  # what the changes require
    done: Bump  # what the versions show

    @property
    def suggestion(self) -> str:
        if self.old is None or self.new is None or self.needed is Bump.NONE:
            return ""
        if self.done >= self.needed:
            return f"{self.old} -> {self.new} ({self.done.label}) covers the changes"
        label = self.needed.label
        if self.old.startswith("0."):
            # 0.y.z: the minor digit is the breaking one, the patch digit everything else.
            label = "breaking (0.y minor)" if self.needed is Bump.MAJOR else "0.y.z patch"
        return f"needs a {label} bump: {self.old} -> {next_version(self.old, self.needed)}"


@dataclass(frozen=True, slots=True)
class CheckResult:
    findings: tuple[Finding, ...]
    versions: tuple[NamespaceVersion, ...]
    against: str

    def failing(
        self, fail_on: Severity = Severity.ERROR, categories: frozenset[Category] | None = None
    ) -> tuple[Finding, ...]:
        """Unapproved findings at or above `fail_on` in `categories` (default: WIRE)."""
        wanted = categories if categories is not None else frozenset({Category.WIRE})
        return tuple(
            f
            for f in self.findings
            if not f.approved and f.severity >= fail_on and f.category in wanted
        )

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.label] += 1
        return out


def check(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    locator: Locator,
    against: str,
    ignores: Sequence[IgnoreEntry] = (),
    today: date,
) -> CheckResult:
    """Compare lock documents `old` -> `new` and approve what a bump or an ignore covers."""
    findings = compare_locks(old, new, locator)
    old_ns: Mapping[str, Any] = old["namespaces"]
    new_ns: Mapping[str, Any] = new["namespaces"]
    versions: list[NamespaceVersion] = []
    done: dict[str, Bump] = {}
    for path in sorted(old_ns.keys() | new_ns.keys()):
        was = old_ns.get(path, {}).get("version") if path in old_ns else None
        now = new_ns.get(path, {}).get("version") if path in new_ns else None
        bump = version_bump(str(was), str(now)) if was and now else Bump.NONE
        done[path] = bump
        needed = max((f.bump for f in findings if f.namespace == path), default=Bump.NONE)
        versions.append(NamespaceVersion(path, was, now, needed, bump))
    approved: list[Finding] = []
    used: set[int] = set()
    extra: list[Finding] = []
    for f in findings:
        if f.severity is Severity.ERROR and done.get(f.namespace) is Bump.MAJOR:
            v = next(v for v in versions if v.path == f.namespace)
            f = replace(f, approved=f"major version bump {v.old} -> {v.new}")
        else:
            for index, entry in enumerate(ignores):
                if entry.matches(f) and entry.until >= today:
                    used.add(index)
                    f = replace(f, approved=f"ignored until {entry.until}: {entry.reason}")
                    break
        approved.append(f)
    for index, entry in enumerate(ignores):
        if entry.until < today and any(entry.matches(f) for f in findings):
            extra.append(
                _meta(
                    "ignore-expired",
                    entry,
                    f"ignore entry {entry.describe()} expired "
                    f"on {entry.until} ({entry.reason}); it no longer applies",
                )
            )
        elif index not in used and entry.until >= today:
            extra.append(
                _meta(
                    "ignore-unused",
                    entry,
                    f"ignore entry {entry.describe()} matched nothing; remove it",
                )
            )
    return CheckResult(
        tuple(sorted(approved + extra, key=Finding.sort_key)), tuple(versions), against
    )


def _meta(rule_id: str, entry: IgnoreEntry, message: str) -> Finding:
    r = RULES[rule_id]
    severity = r.severity[0]
    return Finding(
        rule=rule_id,
        severity=severity,
        category=r.category,
        namespace=entry.namespace or "*",
        event=entry.event,
        position=None,
        column=None,
        path=entry.path or "",
        message=message,
        location=None,
        bump=Bump.NONE,
    )
