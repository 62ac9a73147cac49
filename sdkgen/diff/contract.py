"""Compare two lock documents: namespaces, events, acks, then each schema position.

Every change becomes a `Finding` with the severity its rule gives for the position
(who reads the data), the category (WIRE, SDK, DOCS), a contract file:line and the
version bump it needs. Approval (major bump, ignore file) happens in `check`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sdkgen.diff.locate import Locator, SourceLine
from sdkgen.diff.schema import compare_schemas
from sdkgen.rules import Bump, Category, Column, Severity, column_of, rule

__all__ = ["Finding", "compare_locks"]

Lock = Mapping[str, Any]
_EMPTY_AUTH: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    category: Category
    namespace: str
    event: str | None  # wire name
    position: str | None  # "payload", "ack" or "auth"
    column: Column | None
    path: str  # field path inside the position ("" for the whole value)
    message: str
    location: SourceLine | None
    bump: Bump  # the version bump this change needs
    approved: str = ""  # why it does not fail the check (major bump, ignore entry)

    @property
    def reader(self) -> str | None:
        return str(self.column.reader) if self.column is not None else None

    @property
    def direction(self) -> str | None:
        if self.column is None:
            return None
        return (
            "client_to_server"
            if self.column in (Column.C2S_PAYLOAD, Column.C2S_ACK)
            else "server_to_client"
        )

    @property
    def where(self) -> str:
        """`/chat message:send payload[C->S] content.text`-style subject."""
        parts = [self.namespace]
        if self.event:
            parts.append(self.event)
        if self.position:
            label = self.column.label if self.column is not None else self.position
            parts.append(
                f"{self.position}[{label.split(' ')[-1]}]" if self.position != "auth" else "auth"
            )
        if self.path:
            parts.append(self.path)
        return " ".join(parts)

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.namespace, self.event or "", self.position or "", self.path, self.rule)


def _bump(severity: Severity, category: Category) -> Bump:
    if severity is Severity.ERROR:
        return Bump.MAJOR
    return Bump.PATCH if category is Category.DOCS else Bump.MINOR


def _cap(severity: Severity, stability: str) -> Severity:
    """Rule 44: an experimental contract promises nothing; beta promises little."""
    if stability == "experimental":
        return Severity.INFO
    if stability == "beta":
        return min(severity, Severity.WARN)
    return severity


class _Differ:
    def __init__(self, old: Lock, new: Lock, locator: Locator) -> None:
        self.old = old
        self.new = new
        self.locator = locator
        self.findings: list[Finding] = []

    def add(
        self,
        rule_id: str,
        ns: str,
        message: str,
        *,
        stability: str,
        event: str | None = None,
        position: str | None = None,
        column: Column | None = None,
        path: str = "",
        location: SourceLine | None = None,
    ) -> None:
        r = rule(rule_id)
        # Event-level rules use their event's column; namespace rules the first one.
        severity = _cap(
            r.severity_at(column if column is not None else Column.C2S_PAYLOAD), stability
        )
        self.findings.append(
            Finding(
                rule=rule_id,
                severity=severity,
                category=r.category,
                namespace=ns,
                event=event,
                position=position,
                column=column,
                path=path,
                message=message,
                location=location,
                bump=_bump(severity, r.category),
            )
        )

    # -- locations ---------------------------------------------------------------
    def ns_line(self, path: str) -> SourceLine | None:
        for lock in (self.new, self.old):
            ns = lock["namespaces"].get(path)
            if ns is not None:
                found = self.locator.namespace(str(ns.get("source", "")), path)
                if found is not None:
                    return found
        return None

    def event_line(self, ns: str, event: Mapping[str, Any] | None) -> SourceLine | None:
        if event is not None and event.get("payload"):
            found = self.locator.model(str(event["payload"]["model"]))
            if found is not None:
                return found
        return self.ns_line(ns)

    def model_line(
        self,
        positions: tuple[Mapping[str, Any] | None, ...],
        model: str | None,
        field: str | None,
        fallback: SourceLine | None,
    ) -> SourceLine | None:
        for pos in positions:
            if pos is None:
                continue
            models = pos.get("models", {})
            root_title = pos.get("schema", {}).get("title")
            class_path = (
                models[model]["class"]
                if model in models
                else pos["model"]
                if model is None or model == root_title
                else None
            )
            if class_path:
                found = self.locator.model(str(class_path), field)
                if found is not None:
                    return found
        return fallback

    # -- walk ----------------------------------------------------------------------
    def run(self) -> list[Finding]:
        old_ns: Mapping[str, Any] = self.old["namespaces"]
        new_ns: Mapping[str, Any] = self.new["namespaces"]
        for path in sorted(old_ns.keys() - new_ns.keys()):
            self.add(
                "namespace-removed",
                path,
                f"namespace {path} removed: old clients get connect_error 'Invalid namespace'",
                stability=str(old_ns[path].get("stability", "stable")),
                location=self.ns_line(path),
            )
        for path in sorted(new_ns.keys() - old_ns.keys()):
            self.add(
                "namespace-added",
                path,
                f"namespace {path} added",
                stability="stable",
                location=self.ns_line(path),
            )
        for path in sorted(old_ns.keys() & new_ns.keys()):
            self.namespace(path, old_ns[path], new_ns[path])
        return sorted(self.findings, key=Finding.sort_key)

    def namespace(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        stability = str(old.get("stability", "stable"))
        where = self.ns_line(path)
        if old.get("stability") != new.get("stability"):
            self.add(
                "namespace-stability-changed",
                path,
                f"stability {old.get('stability')} -> {new.get('stability')}",
                stability=stability,
                location=where,
            )
        if old.get("description") != new.get("description"):
            self.add(
                "namespace-description-changed",
                path,
                "namespace description changed",
                stability=stability,
                location=where,
            )
        old_auth, new_auth = old.get("auth"), new.get("auth")
        if old_auth is None and new_auth is not None:
            self.add(
                "auth-added",
                path,
                "connection auth model added",
                stability=stability,
                position="auth",
                column=Column.C2S_PAYLOAD,
                location=where,
            )
        elif old_auth is not None and new_auth is None:
            self.add(
                "auth-removed",
                path,
                "connection auth model removed",
                stability=stability,
                position="auth",
                column=Column.C2S_PAYLOAD,
                location=where,
            )
        if old_auth is not None or new_auth is not None:
            self.position(
                path,
                None,
                "auth",
                Column.C2S_PAYLOAD,
                old_auth,
                new_auth,
                stability,
                where,
                empty=_EMPTY_AUTH,
            )
        old_events: Mapping[str, Any] = old.get("events", {})
        new_events: Mapping[str, Any] = new.get("events", {})
        removed = sorted(old_events.keys() - new_events.keys())
        added = sorted(new_events.keys() - old_events.keys())
        renamed: dict[str, str] = {}
        for name in removed:
            twins = [
                n
                for n in added
                if new_events[n]["python_name"] == old_events[name]["python_name"]
                and new_events[n]["direction"] == old_events[name]["direction"]
                and n not in renamed.values()
            ]
            if len(twins) == 1:
                renamed[name] = twins[0]
        for name in removed:
            event = old_events[name]
            column = column_of(str(event["direction"]), "payload")
            ev_stability = str(event.get("stability", stability))
            if name in renamed:
                self.add(
                    "event-renamed",
                    path,
                    f"event {name!r} renamed to {renamed[name]!r}",
                    stability=ev_stability,
                    event=name,
                    column=column,
                    location=self.event_line(path, new_events[renamed[name]]),
                )
                continue
            rid = "event-removed-deprecated" if event.get("deprecated") else "event-removed"
            detail = (
                "old clients emit it into the void"
                if column is Column.C2S_PAYLOAD
                else "old clients keep a listener that never fires"
            )
            self.add(
                rid,
                path,
                f"event {name!r} removed: {detail}",
                stability=ev_stability,
                event=name,
                column=column,
                location=self.event_line(path, event),
            )
        for name in added:
            if name in renamed.values():
                continue
            event = new_events[name]
            self.add(
                "event-added",
                path,
                f"event {name!r} added",
                stability="stable",
                event=name,
                column=column_of(str(event["direction"]), "payload"),
                location=self.event_line(path, event),
            )
        for name in sorted(old_events.keys() & new_events.keys()):
            self.event(path, name, old_events[name], new_events[name], stability)

    def event(
        self, ns: str, name: str, old: Mapping[str, Any], new: Mapping[str, Any], ns_stability: str
    ) -> None:
        stability = str(old.get("stability", ns_stability))
        where = self.event_line(ns, new)
        direction = str(new["direction"])
        column = column_of(direction, "payload")

        def add(rule_id: str, message: str) -> None:
            self.add(
                rule_id, ns, message, stability=stability, event=name, column=column, location=where
            )

        if old["direction"] != new["direction"]:
            add("event-direction-changed", f"{name!r} now goes {direction.replace('_', ' ')}")
            return
        if old.get("python_name") != new.get("python_name"):
            add(
                "event-python-name-changed",
                f"event class {old.get('python_name')} is now {new.get('python_name')}: "
                "generated handler and emit names change",
            )
        if not old.get("deprecated") and new.get("deprecated"):
            add(
                "event-deprecated",
                f"{name!r} deprecated: {new.get('deprecation_message') or ''}".rstrip(": "),
            )
        elif old.get("deprecated") and not new.get("deprecated"):
            add("event-undeprecated", f"{name!r} is no longer deprecated")
        if old.get("stability") != new.get("stability"):
            add(
                "event-stability-changed",
                f"stability {old.get('stability')} -> {new.get('stability')}",
            )
        if old.get("description") != new.get("description"):
            add("event-description-changed", "event description changed")
        old_ack, new_ack = old.get("ack"), new.get("ack")
        if old_ack is None and new_ack is not None:
            add(
                "ack-added",
                "ack added: "
                + (
                    "old clients emit without a callback"
                    if column is Column.C2S_PAYLOAD
                    else "the server now waits for an ack old clients never send"
                ),
            )
        elif old_ack is not None and new_ack is None:
            add(
                "ack-removed",
                "ack removed: "
                + (
                    "old clients awaiting it time out"
                    if column is Column.C2S_PAYLOAD
                    else "the server stops waiting; clients' acks are ignored"
                ),
            )
        t_old, t_new = old.get("ack_timeout"), new.get("ack_timeout")
        if old_ack is not None and new_ack is not None and t_old != t_new:
            reduced = t_new is not None and (t_old is None or t_new < t_old)
            add(
                "ack-timeout-reduced" if reduced else "ack-timeout-increased",
                f"ack timeout {t_old} -> {t_new} s",
            )
        self.position(
            ns, name, "payload", column, old.get("payload"), new.get("payload"), stability, where
        )
        if old_ack is not None and new_ack is not None:
            self.position(
                ns, name, "ack", column_of(direction, "ack"), old_ack, new_ack, stability, where
            )

    def position(
        self,
        ns: str,
        event: str | None,
        position: str,
        column: Column,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any] | None,
        stability: str,
        fallback: SourceLine | None,
        empty: Mapping[str, Any] | None = None,
    ) -> None:
        old_schema = old["schema"] if old else (empty or {})
        new_schema = new["schema"] if new else (empty or {})
        positions = (new, old)
        if old and new and old.get("model") != new.get("model") and position != "payload":
            self.add(
                "model-renamed",
                ns,
                f"{position} model {old.get('model')} is now {new.get('model')}",
                stability=stability,
                event=event,
                position=position,
                column=column,
                location=self.model_line(positions, None, None, fallback),
            )
        strict: bool | None = None
        if column.reader == "client":
            policy = self.new.get("reader_policy", {}).get("client", {})
            strict = policy.get("unknown_keys") == "forbid"
        for change in compare_schemas(old_schema, new_schema, strict_reader=strict):
            if position == "payload" and not change.path and change.rule == "description-changed":
                continue  # the event's docstring: already `event-description-changed`
            self.add(
                change.rule,
                ns,
                change.detail.removeprefix(f"{change.path}: ") if change.path else change.detail,
                stability=stability,
                event=event,
                position=position,
                column=column,
                path=change.path,
                location=self.model_line(positions, change.model, change.field, fallback),
            )
        if old and new:
            for message, model in _attribute_renames(old, new):
                self.add(
                    "attribute-renamed",
                    ns,
                    message,
                    stability=stability,
                    event=event,
                    position=position,
                    column=column,
                    location=self.model_line(positions, model, None, fallback),
                )


def _attribute_renames(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Fields whose wire name stayed while the Python attribute changed."""
    old_models: Mapping[str, Any] = old.get("models", {})
    new_models: Mapping[str, Any] = new.get("models", {})
    for name in sorted(old_models.keys() & new_models.keys()):
        if "attributes" not in old_models[name]:
            continue  # an enum
        before: Mapping[str, str] = old_models[name].get("attributes", {})
        after: Mapping[str, str] = new_models[name].get("attributes", {})
        old_props = _properties(old["schema"], name)
        new_props = _properties(new["schema"], name)
        for alias in sorted((before.keys() | after.keys()) & old_props & new_props):
            was, now = before.get(alias, alias), after.get(alias, alias)
            if was != now:
                yield f"{name}.{was} is now {name}.{now} (wire name {alias!r} unchanged)", name


def _properties(schema: Mapping[str, Any], model: str) -> set[str]:
    node = schema.get("$defs", {}).get(model)
    if node is None and schema.get("title") == model:
        node = schema
    return set(node.get("properties", {})) if isinstance(node, Mapping) else set()


def compare_locks(old: Lock, new: Lock, locator: Locator) -> list[Finding]:
    """Every finding from `old` to `new`, sorted by namespace, event, position and path."""
    return _Differ(old, new, locator).run()


def approve(finding: Finding, reason: str) -> Finding:
    return replace(finding, approved=reason)
