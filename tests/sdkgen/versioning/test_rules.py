"""Table-driven: for every rule, a pair of contract versions and the exact findings expected.

Each row is (id, old parts, new parts, expected findings). Expected findings are
(rule, severity, category, event, position, path); the check asserts the whole list
of non-docs findings, so an extra or a missing finding fails the row. The location
of the first finding is checked against a marker line in the new source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sdkgen.rules import RULES, Category, Severity
from tests.sdkgen.versioning.pairs import contract, line_in, run_check

E, W, N = Severity.ERROR, Severity.WARN, Severity.INFO
WIRE, SDK = Category.WIRE, Category.SDK

SECOND_NS = """
other = Namespace("/u", version="1.0.0")


@other.event
class Hello(ClientEvent):
    x: int
"""
BYE_C2S = """
@ns.event
class Bye(ClientEvent):
    x: int
"""
BYE_S2C = """
@ns.event
class Bye(ServerEvent):
    x: int
"""
SHAPES = """
class Circle(BaseModel):
    kind: Literal["circle"] = "circle"
    r: float


class Square(BaseModel):
    kind: Literal["square"] = "square"
    side: float


class Triangle(BaseModel):
    kind: Literal["triangle"] = "triangle"
    a: float
"""
POINT = """
class Point(BaseModel):
    x: int
"""
PT = """
class Pt(BaseModel):
    x: int
"""
AUTH = """
class Auth(BaseModel):
    token: str
"""

Expect = tuple[str, Severity, Category, str | None, str | None, str]
Case = tuple[str, dict[str, Any], dict[str, Any], list[Expect], str | None]

CASES: list[Case] = [
    # -- namespaces (rows 1, 2) -----------------------------------------------------
    (
        "namespace-removed",
        {"footer": SECOND_NS},
        {},
        [("namespace-removed", E, WIRE, None, None, "")],
        None,
    ),
    (
        "namespace-added",
        {},
        {"footer": SECOND_NS},
        [("namespace-added", N, WIRE, None, None, "")],
        'Namespace("/u"',
    ),
    # -- events (rows 3-9) ------------------------------------------------------------
    (
        "event-removed c2s",
        {"footer": BYE_C2S},
        {},
        [("event-removed", E, WIRE, "bye", None, "")],
        'Namespace("/t"',
    ),
    (
        "event-removed s2c",
        {"footer": BYE_S2C},
        {},
        [("event-removed", W, WIRE, "bye", None, "")],
        None,
    ),
    (
        "event-removed-deprecated",
        {"footer": BYE_C2S.replace("@ns.event", '@ns.event(deprecated="x")')},
        {},
        [("event-removed-deprecated", W, WIRE, "bye", None, "")],
        None,
    ),
    (
        "event-renamed",
        {"footer": BYE_C2S.replace("@ns.event", '@ns.event(name="bye")')},
        {"footer": BYE_C2S.replace("@ns.event", '@ns.event(name="farewell")')},
        [("event-renamed", E, WIRE, "bye", None, "")],
        "class Bye",
    ),
    (
        "event-added",
        {},
        {"footer": BYE_C2S},
        [("event-added", N, WIRE, "bye", None, "")],
        "class Bye",
    ),
    (
        "event-direction-changed",
        {"footer": BYE_C2S},
        {"footer": BYE_S2C},
        [("event-direction-changed", E, WIRE, "bye", None, "")],
        "class Bye",
    ),
    (
        "ack-added c2s",
        {"footer": BYE_C2S},
        {"footer": BYE_C2S.replace("(ClientEvent)", "(ClientEvent[Pong])")},
        [("ack-added", W, WIRE, "bye", None, "")],
        "class Bye",
    ),
    (
        "ack-added s2c",
        {},
        {"news_ack": "[Answer]"},
        [("ack-added", E, WIRE, "news", None, "")],
        "class News",
    ),
    (
        "ack-removed c2s",
        {"footer": BYE_C2S.replace("(ClientEvent)", "(ClientEvent[Pong])")},
        {"footer": BYE_C2S},
        [("ack-removed", E, WIRE, "bye", None, "")],
        "class Bye",
    ),
    (
        "ack-removed s2c",
        {"news_ack": "[Answer]"},
        {},
        [("ack-removed", N, WIRE, "news", None, "")],
        "class News",
    ),
    (
        "ack-timeout-reduced",
        {"ping_reg": "(ack_timeout=10)"},
        {"ping_reg": "(ack_timeout=5)"},
        [("ack-timeout-reduced", W, WIRE, "ping", None, "")],
        "class Ping",
    ),
    (
        "ack-timeout-increased",
        {"ping_reg": "(ack_timeout=5)"},
        {"ping_reg": "(ack_timeout=10)"},
        [("ack-timeout-increased", N, WIRE, "ping", None, "")],
        "class Ping",
    ),
    # -- fields, by reader (rows 10-15) ------------------------------------------------
    (
        "required-field-added server reads",
        {},
        {"ping": ["text: str", "n: int"]},
        [("required-field-added", E, WIRE, "ping", "payload", "n")],
        "n: int",
    ),
    (
        "required-field-added client reads",
        {},
        {"news": ["text: str", "n: int"]},
        [("required-field-added", N, WIRE, "news", "payload", "n")],
        "n: int",
    ),
    (
        "required-field-added ack of c2s",
        {},
        {"pong": ["ok: bool", "n: int"]},
        [("required-field-added", N, WIRE, "ping", "ack", "n")],
        "n: int",
    ),
    (
        "required-field-added ack of s2c",
        {},
        {"answer": ["ok: bool", "n: int"]},
        [("required-field-added", E, WIRE, "ask", "ack", "n")],
        "n: int",
    ),
    (
        "optional-field-added",
        {},
        {"news": ["text: str", "n: int = 0"]},
        [("optional-field-added", N, WIRE, "news", "payload", "n")],
        "n: int = 0",
    ),
    (
        "required-field-removed server reads",
        {"ping": ["text: str", "n: int"]},
        {},
        [("required-field-removed", W, WIRE, "ping", "payload", "n")],
        "class Ping",
    ),
    (
        "required-field-removed client reads",
        {"news": ["text: str", "n: int"]},
        {},
        [("required-field-removed", E, WIRE, "news", "payload", "n")],
        "class News",
    ),
    (
        "optional-field-removed",
        {"news": ["text: str", "n: int = 0"]},
        {},
        [("optional-field-removed", W, WIRE, "news", "payload", "n")],
        None,
    ),
    (
        "field-removed-strict-reader",
        {"ping": ['model_config = ConfigDict(extra="forbid")', "text: str", "n: int = 0"]},
        {"ping": ['model_config = ConfigDict(extra="forbid")', "text: str"]},
        [("field-removed-strict-reader", E, WIRE, "ping", "payload", "n")],
        None,
    ),
    (
        "field-renamed",
        {"ping": ["text: str"]},
        {"ping": ["body: str"]},
        [("field-renamed", E, WIRE, "ping", "payload", "body")],
        "body: str",
    ),
    # -- optionality, nullability, types (rows 18-24) ------------------------------------
    (
        "field-became-required server reads",
        {"ping": ["n: int = 0"]},
        {"ping": ["n: int"]},
        [("field-became-required", E, WIRE, "ping", "payload", "n")],
        "n: int",
    ),
    (
        "field-became-required client reads",
        {"news": ["n: int = 0"]},
        {"news": ["n: int"]},
        [("field-became-required", N, WIRE, "news", "payload", "n")],
        "n: int",
    ),
    (
        "field-became-optional client reads",
        {"news": ["n: int"]},
        {"news": ["n: int = 0"]},
        [("field-became-optional", E, WIRE, "news", "payload", "n")],
        "n: int = 0",
    ),
    (
        "became-nullable client reads",
        {"news": ["text: str"]},
        {"news": ["text: str | None"]},
        [("became-nullable", E, WIRE, "news", "payload", "text")],
        "text: str | None",
    ),
    (
        "became-nullable server reads",
        {"ping": ["text: str"]},
        {"ping": ["text: str | None"]},
        [("became-nullable", N, WIRE, "ping", "payload", "text")],
        None,
    ),
    (
        "became-non-nullable",
        {"ping": ["text: str | None"]},
        {"ping": ["text: str"]},
        [("became-non-nullable", E, WIRE, "ping", "payload", "text")],
        "text: str",
    ),
    (
        "type-changed",
        {"ping": ["n: int"]},
        {"ping": ["n: str"]},
        [("type-changed", E, WIRE, "ping", "payload", "n")],
        "n: str",
    ),
    (
        "type-widened client reads",
        {"news": ["n: int"]},
        {"news": ["n: float"]},
        [("type-widened", E, WIRE, "news", "payload", "n")],
        "n: float",
    ),
    (
        "type-widened to a union, server reads",
        {"ping": ["n: int"]},
        {"ping": ["n: int | str"]},
        [("type-widened", N, WIRE, "ping", "payload", "n")],
        None,
    ),
    (
        "type-narrowed server reads",
        {"ping": ["n: float"]},
        {"ping": ["n: int"]},
        [("type-narrowed", E, WIRE, "ping", "payload", "n")],
        "n: int",
    ),
    (
        "type-narrowed to a literal",
        {"ping": ["n: str"]},
        {"ping": ['n: Literal["a"]']},
        [("type-narrowed", E, WIRE, "ping", "payload", "n")],
        None,
    ),
    # -- enums and unions (rows 25-30) --------------------------------------------------
    (
        "enum-value-added client reads",
        {"news": ['k: Literal["a", "b"]']},
        {"news": ['k: Literal["a", "b", "c"]']},
        [("enum-value-added", E, WIRE, "news", "payload", "k")],
        "k: Literal",
    ),
    (
        "enum-value-added server reads",
        {"ping": ['k: Literal["a", "b"]']},
        {"ping": ['k: Literal["a", "b", "c"]']},
        [("enum-value-added", N, WIRE, "ping", "payload", "k")],
        None,
    ),
    (
        "enum class value added",
        {"header": "class Colour(StrEnum):\n    RED = 'red'", "news": ["c: Colour"]},
        {
            "header": "class Colour(StrEnum):\n    RED = 'red'\n    BLUE = 'blue'",
            "news": ["c: Colour"],
        },
        [("enum-value-added", E, WIRE, "news", "payload", "c")],
        "class Colour",
    ),
    (
        "open-enum-value-added",
        {"news": ['k: Annotated[Literal["a"], Field(json_schema_extra={"x-open-enum": True})]']},
        {
            "news": [
                'k: Annotated[Literal["a", "b"], Field(json_schema_extra={"x-open-enum": True})]'
            ]
        },
        [("open-enum-value-added", N, WIRE, "news", "payload", "k")],
        None,
    ),
    (
        "enum-value-removed",
        {"ping": ['k: Literal["a", "b"]']},
        {"ping": ['k: Literal["a"]']},
        [("enum-value-removed", E, WIRE, "ping", "payload", "k")],
        None,
    ),
    (
        "union-variant-added",
        {"header": SHAPES, "news": ['s: Annotated[Circle | Square, Field(discriminator="kind")]']},
        {
            "header": SHAPES,
            "news": ['s: Annotated[Circle | Square | Triangle, Field(discriminator="kind")]'],
        },
        [("union-variant-added", E, WIRE, "news", "payload", "s")],
        "s: Annotated",
    ),
    (
        "union-variant-removed",
        {"header": SHAPES, "ping": ['s: Annotated[Circle | Square, Field(discriminator="kind")]']},
        {"header": SHAPES, "ping": ['s: Annotated[Circle, Field(discriminator="kind")]']},
        [("type-narrowed", E, WIRE, "ping", "payload", "s")],
        None,
    ),
    (
        "union-variant-removed (still a union)",
        {
            "header": SHAPES,
            "ping": ['s: Annotated[Circle | Square | Triangle, Field(discriminator="kind")]'],
        },
        {"header": SHAPES, "ping": ['s: Annotated[Circle | Square, Field(discriminator="kind")]']},
        [("union-variant-removed", E, WIRE, "ping", "payload", "s")],
        None,
    ),
    (
        "discriminated union variant changed inside",
        {"header": SHAPES, "ping": ['s: Annotated[Circle | Square, Field(discriminator="kind")]']},
        {
            "header": SHAPES.replace("    r: float", "    r: float\n    z: int"),
            "ping": ['s: Annotated[Circle | Square, Field(discriminator="kind")]'],
        },
        [("required-field-added", E, WIRE, "ping", "payload", "s(kind=circle).z")],
        "    z: int",
    ),
    (
        "discriminator-changed",
        {"header": SHAPES, "ping": ["s: Circle | Square"]},
        {"header": SHAPES, "ping": ['s: Annotated[Circle | Square, Field(discriminator="kind")]']},
        [("discriminator-changed", E, WIRE, "ping", "payload", "s")],
        None,
    ),
    # -- constraints, defaults, extra policy (rows 31-37) -------------------------------
    (
        "constraint-tightened server reads",
        {"ping": ["t: Annotated[str, Field(max_length=10)]"]},
        {"ping": ["t: Annotated[str, Field(max_length=5)]"]},
        [("constraint-tightened", E, WIRE, "ping", "payload", "t")],
        "max_length=5",
    ),
    (
        "constraint-tightened client reads",
        {"news": ["t: Annotated[str, Field(max_length=10)]"]},
        {"news": ["t: Annotated[str, Field(max_length=5)]"]},
        [("constraint-tightened", N, WIRE, "news", "payload", "t")],
        None,
    ),
    (
        "constraint-added",
        {"ping": ["t: str"]},
        {"ping": ["t: Annotated[str, Field(max_length=5)]"]},
        [("constraint-added", W, WIRE, "ping", "payload", "t")],
        None,
    ),
    (
        "constraint-loosened client reads",
        {"news": ["t: Annotated[str, Field(min_length=5)]"]},
        {"news": ["t: Annotated[str, Field(min_length=1)]"]},
        [("constraint-loosened", W, WIRE, "news", "payload", "t")],
        None,
    ),
    (
        "constraint-changed",
        {"ping": ['t: Annotated[str, Field(pattern="^a")]']},
        {"ping": ['t: Annotated[str, Field(pattern="^b")]']},
        [("constraint-changed", W, WIRE, "ping", "payload", "t")],
        None,
    ),
    (
        "default-changed server reads",
        {"ping": ["n: int = 1"]},
        {"ping": ["n: int = 2"]},
        [("default-changed", W, WIRE, "ping", "payload", "n")],
        "n: int = 2",
    ),
    (
        "default-changed client reads",
        {"news": ["n: int = 1"]},
        {"news": ["n: int = 2"]},
        [("default-changed", N, WIRE, "news", "payload", "n")],
        None,
    ),
    (
        "extra-forbidden",
        {"ping": ["text: str"]},
        {"ping": ['model_config = ConfigDict(extra="forbid")', "text: str"]},
        [("extra-forbidden", E, WIRE, "ping", "payload", "")],
        "class Ping",
    ),
    (
        "extra-allowed",
        {"ping": ['model_config = ConfigDict(extra="forbid")', "text: str"]},
        {"ping": ["text: str"]},
        [("extra-allowed", N, WIRE, "ping", "payload", "")],
        None,
    ),
    # -- auth (row 41) -------------------------------------------------------------------
    (
        "auth-added with a required field",
        {"header": AUTH},
        {"header": AUTH, "ns_args": ", auth=Auth"},
        [
            ("auth-added", N, WIRE, None, "auth", ""),
            ("required-field-added", E, WIRE, None, "auth", "token"),
        ],
        'Namespace("/t"',
    ),
    (
        "auth-removed",
        {"header": AUTH, "ns_args": ", auth=Auth"},
        {"header": AUTH},
        [
            ("auth-removed", N, WIRE, None, "auth", ""),
            ("required-field-removed", W, WIRE, None, "auth", "token"),
        ],
        'Namespace("/t"',
    ),
    (
        "auth field added",
        {"header": AUTH, "ns_args": ", auth=Auth"},
        {"header": AUTH + "    org: str\n", "ns_args": ", auth=Auth"},
        [("required-field-added", E, WIRE, None, "auth", "org")],
        "    org: str",
    ),
    # -- SDK-only (rows 16, 17) ------------------------------------------------------------
    (
        "event-python-name-changed",
        {"ping_reg": '(name="ping")'},
        {"ping_reg": '(name="ping")', "ping_class": "Ping2"},
        [("event-python-name-changed", E, SDK, "ping", None, "")],
        "class Ping2",
    ),
    (
        "model-renamed (ack)",
        {},
        {"header": "class Pong2(BaseModel):\n    ok: bool", "ping_ack": "Pong2"},
        [("model-renamed", E, SDK, "ping", "ack", "")],
        "class Pong2",
    ),
    (
        "model-renamed (nested)",
        {"header": POINT, "ping": ["p: Point"]},
        {"header": PT, "ping": ["p: Pt"]},
        [("model-renamed", E, SDK, "ping", "payload", "p")],
        "class Pt",
    ),
    (
        "attribute-renamed",
        {"ping": ['text: Annotated[str, Field(alias="t")]']},
        {"ping": ['body: Annotated[str, Field(alias="t")]']},
        [("attribute-renamed", E, SDK, "ping", "payload", "")],
        "class Ping",
    ),
    # -- stability (row 44) ------------------------------------------------------------------
    (
        "experimental namespace: anything goes",
        {"ns_args": ', stability="experimental"'},
        {"ns_args": ', stability="experimental"', "ping": ["text: str", "n: int"]},
        [("required-field-added", N, WIRE, "ping", "payload", "n")],
        None,
    ),
    (
        "beta namespace: breaks are warnings",
        {"ns_args": ', stability="beta"'},
        {"ns_args": ', stability="beta"', "ping": ["text: str", "n: int"]},
        [("required-field-added", W, WIRE, "ping", "payload", "n")],
        None,
    ),
    (
        "experimental event in a stable namespace",
        {"ping_reg": '(stability="experimental")'},
        {"ping_reg": '(stability="experimental")', "ping": ["n: int"]},
        [
            ("required-field-added", N, WIRE, "ping", "payload", "n"),
            ("required-field-removed", N, WIRE, "ping", "payload", "text"),
        ],
        None,
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected", "marker"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(
    tmp_path: Path,
    old: dict[str, Any],
    new: dict[str, Any],
    expected: list[Expect],
    marker: str | None,
) -> None:
    old_src, new_src = contract(**old), contract(**new)
    result = run_check(tmp_path, old_src, new_src)
    got = [
        (f.rule, f.severity, f.category, f.event, f.position, f.path)
        for f in result.findings
        if f.category is not Category.DOCS
    ]
    assert got == expected, "\n".join(f"{f.rule} {f.where}: {f.message}" for f in result.findings)
    if marker is not None:
        first = next(f for f in result.findings if f.rule == expected[0][0])
        assert first.location is not None
        assert first.location.file == "api/t.py"
        assert first.location.line == line_in(new_src, marker), first


def test_every_catalogue_rule_has_a_case() -> None:
    covered = {e[0] for case in CASES for e in case[3]}
    own = {"ignore-expired", "ignore-unused"}  # tested in test_check.py
    docs = {r.id for r in RULES.values() if r.category is Category.DOCS}
    # Rules no single pair above can produce alone, with the reason.
    not_alone = {"optional-field-added-strict-reader"}  # needs a client policy of 'forbid'
    missing = set(RULES) - covered - own - docs - not_alone
    assert not missing, sorted(missing)
