"""The breaking-change rule catalogue, as data (sdk-anchors.md section B.2).

Every rule gives a severity per *position*, the four places a schema can sit:
the payload of a client->server event (the server reads it), the payload of a
server->client event (clients read it), the ack of a client->server event (clients
read it) and the ack of a server->client event (the server reads it). Namespace auth
is read by the server, like a client->server payload. Event-level rules (removed,
ack added) use the payload columns of the event's direction.

The columns are the catalogue's own, so a reviewer can check this table against the
document row by row; the `row` field names that row.

Where sdkgen differs from the catalogue, and why:
- row 6: the DSL has `deprecated` but no sunset date, so removing a deprecated
  client->server event is WARN (a human confirms old clients are gone), not INFO;
- row 11 does not arise: a Pydantic field with a default is optional in the schema;
- rows 27 (enum value renamed) and 15 (field renamed) are reported as remove + add,
  except a field whose schema is unchanged, which is `field-renamed`;
- row 44: `experimental` caps every finding at INFO, `beta` at WARN (the stability
  deployed clients were promised: the old one);
- rows 38 (ack error codes), 40 (room templates) and 43 (reserved names) have no
  counterpart in the contract DSL yet and are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

__all__ = [
    "RULES",
    "Bump",
    "Category",
    "Column",
    "Reader",
    "Rule",
    "Severity",
    "column_of",
    "rule",
]


class Severity(IntEnum):
    """Ordered, so `max()` picks the worst."""

    INFO = 0  # compatible: changelog only
    WARN = 1  # may break some peers: a human decides
    ERROR = 2  # breaks old peers

    @property
    def label(self) -> str:
        return ("info", "warn", "error")[self]


class Category(StrEnum):
    WIRE = "wire"  # the JSON on the wire changes for old peers
    SDK = "sdk"  # only generated code changes (names, imports)
    DOCS = "docs"  # descriptions, titles, examples, metadata


class Reader(StrEnum):
    SERVER = "server"
    CLIENT = "client"


class Column(IntEnum):
    """A schema position: who writes it, and who reads it."""

    C2S_PAYLOAD = 0  # client writes, server reads (also: namespace auth)
    S2C_PAYLOAD = 1  # server writes, clients read
    C2S_ACK = 2  # server writes the ack of a client event, clients read
    S2C_ACK = 3  # clients write the ack of a server event, the server reads

    @property
    def reader(self) -> Reader:
        return Reader.SERVER if self in (Column.C2S_PAYLOAD, Column.S2C_ACK) else Reader.CLIENT

    @property
    def label(self) -> str:
        return ("payload C->S", "payload S->C", "ack of C->S", "ack of S->C")[self]


def column_of(direction: str, position: str) -> Column:
    """The column of `position` ("payload", "ack" or "auth") of an event going `direction`."""
    if position == "auth":
        return Column.C2S_PAYLOAD
    c2s = direction == "client_to_server"
    if position == "payload":
        return Column.C2S_PAYLOAD if c2s else Column.S2C_PAYLOAD
    return Column.C2S_ACK if c2s else Column.S2C_ACK


class Bump(IntEnum):
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return ("none", "patch", "minor", "major")[self]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str  # stable, kebab-case: ignore files and CI filters match on it
    row: int  # row of the catalogue in sdk-anchors.md B.2 (0: sdkgen's own)
    title: str
    category: Category
    severity: tuple[Severity, Severity, Severity, Severity]  # by Column

    def severity_at(self, column: Column) -> Severity:
        return self.severity[column]

    def bump_at(self, column: Column) -> Bump:
        severity = self.severity_at(column)
        if severity is Severity.ERROR:
            return Bump.MAJOR
        if self.category is Category.DOCS:
            return Bump.PATCH
        return Bump.MINOR


E, W, N = Severity.ERROR, Severity.WARN, Severity.INFO  # N: no break (info)


def _all(s: Severity) -> tuple[Severity, Severity, Severity, Severity]:
    return (s, s, s, s)


_WIRE, _SDK, _DOCS = Category.WIRE, Category.SDK, Category.DOCS

# (id, row, title, category, (C->S payload, S->C payload, ack of C->S, ack of S->C))
_TABLE: tuple[tuple[str, int, str, Category, tuple[Severity, ...]], ...] = (
    # -- namespaces -------------------------------------------------------------------
    ("namespace-removed", 1, "namespace removed", _WIRE, _all(E)),
    ("namespace-added", 2, "namespace added", _WIRE, _all(N)),
    ("namespace-stability-changed", 44, "namespace stability changed", _DOCS, _all(N)),
    ("namespace-description-changed", 42, "namespace description changed", _DOCS, _all(N)),
    ("auth-added", 41, "connection auth model added", _WIRE, _all(N)),
    ("auth-removed", 41, "connection auth model removed", _WIRE, _all(N)),
    # -- events -------------------------------------------------------------------------
    ("event-removed", 3, "event removed", _WIRE, (E, W, E, W)),
    ("event-removed-deprecated", 6, "deprecated event removed", _WIRE, (W, N, W, N)),
    ("event-renamed", 4, "event renamed on the wire", _WIRE, (E, W, E, W)),
    ("event-added", 5, "event added", _WIRE, _all(N)),
    ("event-direction-changed", 9, "event direction changed", _WIRE, _all(E)),
    ("event-deprecated", 6, "event deprecated", _DOCS, _all(N)),
    ("event-undeprecated", 6, "event no longer deprecated", _DOCS, _all(N)),
    ("event-stability-changed", 44, "event stability changed", _DOCS, _all(N)),
    ("event-description-changed", 42, "event description changed", _DOCS, _all(N)),
    ("ack-added", 7, "ack added to an event that had none", _WIRE, (W, E, W, E)),
    ("ack-removed", 8, "ack removed", _WIRE, (E, N, E, N)),
    ("ack-timeout-reduced", 39, "ack timeout reduced", _WIRE, _all(W)),
    ("ack-timeout-increased", 39, "ack timeout increased or removed", _WIRE, _all(N)),
    ("event-python-name-changed", 17, "event class renamed (same wire name)", _SDK, _all(E)),
    ("model-renamed", 17, "model class renamed or moved", _SDK, _all(E)),
    ("attribute-renamed", 16, "Python attribute renamed, wire name unchanged", _SDK, _all(E)),
    # -- fields -------------------------------------------------------------------------
    ("required-field-added", 10, "required field added", _WIRE, (E, N, N, E)),
    ("optional-field-added", 12, "optional field added", _WIRE, _all(N)),
    ("optional-field-added-strict-reader", 12, "field added for a strict reader", _WIRE, _all(E)),
    ("required-field-removed", 13, "required field removed", _WIRE, (W, E, E, W)),
    ("optional-field-removed", 14, "optional field removed", _WIRE, _all(W)),
    ("field-removed-strict-reader", 13, "field removed, reader forbids extras", _WIRE, _all(E)),
    ("field-renamed", 15, "field renamed on the wire", _WIRE, _all(E)),
    ("field-became-required", 18, "optional field became required", _WIRE, (E, N, N, E)),
    ("field-became-optional", 19, "required field became optional", _WIRE, (N, E, E, N)),
    ("became-nullable", 20, "value became nullable", _WIRE, (N, E, E, N)),
    ("became-non-nullable", 21, "value no longer nullable", _WIRE, (E, N, N, E)),
    ("type-changed", 22, "type changed incompatibly", _WIRE, _all(E)),
    ("type-widened", 23, "type widened", _WIRE, (N, E, E, N)),
    ("type-narrowed", 24, "type narrowed", _WIRE, (E, N, N, E)),
    ("enum-value-added", 25, "closed enum value added", _WIRE, (N, E, E, N)),
    ("open-enum-value-added", 25, "open enum value added", _WIRE, _all(N)),
    ("enum-value-removed", 26, "enum value removed", _WIRE, (E, N, N, E)),
    ("union-variant-added", 28, "union variant added", _WIRE, (N, E, E, N)),
    ("union-variant-removed", 29, "union variant removed", _WIRE, (E, N, N, E)),
    ("discriminator-changed", 30, "union discriminator changed", _WIRE, _all(E)),
    ("constraint-tightened", 31, "constraint tightened", _WIRE, (E, N, N, E)),
    ("constraint-added", 32, "constraint set where there was none", _WIRE, (W, N, N, W)),
    ("constraint-loosened", 33, "constraint loosened or removed", _WIRE, (N, W, W, N)),
    ("constraint-changed", 34, "constraint changed (neither tighter nor looser)", _WIRE, _all(W)),
    ("default-changed", 35, "default value changed", _WIRE, (W, N, N, W)),
    ("extra-forbidden", 37, "unknown keys now rejected (extra='forbid')", _WIRE, _all(E)),
    ("extra-allowed", 37, "unknown keys now accepted", _WIRE, _all(N)),
    ("description-changed", 42, "description, title or example changed", _DOCS, _all(N)),
    # -- sdkgen's own --------------------------------------------------------------------
    ("ignore-expired", 0, "ignore entry expired", _WIRE, _all(W)),
    ("ignore-unused", 0, "ignore entry matched nothing", _DOCS, _all(N)),
)

RULES: dict[str, Rule] = {
    rid: Rule(rid, row, title, cat, (sev[0], sev[1], sev[2], sev[3]))
    for rid, row, title, cat, sev in _TABLE
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
