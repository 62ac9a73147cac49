"""Broken contracts: every problem is a diagnostic with a code and the contract's file:line.

Each case is a tiny contract tree written inline; `# <-` marks the line a diagnostic
must point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sdkgen.analyze import analyse
from sdkgen.diagnostics import Code, Diagnostic, Level
from sdkgen.loader import load
from tests.sdkgen.helpers import line_of, lines_of, write_tree

HEAD = """
from __future__ import annotations
from datetime import datetime
from typing import Any, Generic, TypeVar
from pydantic import BaseModel, ConfigDict
from sdkgen.contract import ClientEvent, Namespace, ServerEvent
"""


@dataclass(frozen=True)
class Case:
    source: str  # body of contracts/api.py, after HEAD
    expected: tuple[tuple[Level, Code], ...]  # in report order; all at `# <-` lines
    extra: tuple[tuple[str, str], ...] = ()  # more files: (relative path, source)


E, W = Level.ERROR, Level.WARNING

CASES: dict[str, Case] = {
    "duplicate wire name": Case(
        """
        ns = Namespace("/n")
        @ns.event(name="ping")
        class A(ClientEvent):  # <-
            x: int
        @ns.event(name="ping")
        class B(ClientEvent):  # <-
            y: int
        """,
        ((E, Code.DUPLICATE_EVENT_NAME), (E, Code.DUPLICATE_EVENT_NAME)),
    ),
    "reserved socket.io name": Case(
        """
        ns = Namespace("/n")
        @ns.event(name="connect")
        class Connect(ClientEvent):  # <-
            x: int
        """,
        ((E, Code.RESERVED_EVENT_NAME),),
    ),
    "reserved default name": Case(
        """
        ns = Namespace("/n")
        @ns.event
        class Disconnecting(ServerEvent):  # <-
            x: int
        """,
        ((E, Code.RESERVED_EVENT_NAME),),
    ),
    "reserved sdkgen error event": Case(
        """
        ns = Namespace("/n")
        @ns.event(name="sdkgen:error")
        class Oops(ServerEvent):  # <-
            x: int
        """,
        ((E, Code.RESERVED_EVENT_NAME),),
    ),
    "empty event name": Case(
        """
        ns = Namespace("/n")
        @ns.event(name=" ping")
        class Ping(ClientEvent):  # <-
            x: int
        """,
        ((E, Code.INVALID_EVENT_NAME),),
    ),
    "arbitrary type field": Case(
        """
        class Handle:
            pass
        ns = Namespace("/n")
        @ns.event
        class Open(ClientEvent):
            model_config = ConfigDict(arbitrary_types_allowed=True)
            handle: Handle  # <-
        """,
        ((E, Code.NOT_SERIALISABLE),),
    ),
    "unresolved forward reference": Case(
        """
        ns = Namespace("/n")
        @ns.event
        class Open(ClientEvent):  # <-
            thing: Missing
        """,
        ((E, Code.NOT_SERIALISABLE),),
    ),
    "namespace without events": Case(
        """
        ns = Namespace("/n")  # <-
        """,
        ((E, Code.EMPTY_NAMESPACE),),
    ),
    "ack is not a model": Case(
        """
        ns = Namespace("/n")
        @ns.event
        class Count(ClientEvent[int]):  # <-
            x: int
        """,
        ((E, Code.BAD_ACK_MODEL),),
    ),
    "ack is an event": Case(
        """
        ns = Namespace("/n")
        class Other(ServerEvent):  # <-
            y: int
        @ns.event
        class Count(ClientEvent[Other]):  # <-
            x: int
        """,
        ((W, Code.UNREGISTERED_EVENT), (E, Code.BAD_ACK_MODEL)),
    ),
    "ack is an unparametrised generic": Case(
        """
        T = TypeVar("T")
        class Page(BaseModel, Generic[T]):
            items: list[T]
        ns = Namespace("/n")
        @ns.event
        class List(ClientEvent[Page]):  # <-
            x: int
        """,
        ((E, Code.BAD_ACK_MODEL),),
    ),
    "not an event model": Case(
        """
        ns = Namespace("/n")
        @ns.event  # <-
        class Plain(BaseModel):
            x: int
        """,
        ((E, Code.NOT_AN_EVENT),),
    ),
    "invalid namespace path": Case(
        """
        ns = Namespace("chat")  # <-
        @ns.event
        class Ping(ClientEvent):
            x: int
        """,
        ((E, Code.INVALID_PATH),),
    ),
    "same class twice": Case(
        """
        ns = Namespace("/n")
        class Ping(ClientEvent):  # <-
            x: int
        ns.event(Ping)
        ns.event(name="ping2")(Ping)
        """,
        ((E, Code.DUPLICATE_EVENT),),
    ),
    "event subclasses event": Case(
        """
        ns = Namespace("/n")
        @ns.event
        class Ping(ClientEvent):
            x: int
        @ns.event
        class LoudPing(Ping):  # <-
            volume: int
        """,
        ((E, Code.EVENT_INHERITANCE),),
    ),
    "negative ack timeout": Case(
        """
        ns = Namespace("/n")
        class Pong(BaseModel):
            y: int
        @ns.event(ack_timeout=-1)
        class Ping(ClientEvent[Pong]):  # <-
            x: int
        """,
        ((E, Code.BAD_ACK_TIMEOUT),),
    ),
    "unknown stability": Case(
        """
        ns = Namespace("/n")
        @ns.event(stability="gold")  # type: ignore[arg-type]
        class Ping(ClientEvent):  # <-
            x: int
        """,
        ((E, Code.INVALID_STABILITY),),
    ),
    "auth is not a model": Case(
        """
        ns = Namespace("/n", auth=dict)  # <-
        @ns.event
        class Ping(ClientEvent):
            x: int
        """,
        ((E, Code.BAD_AUTH_MODEL),),
    ),
    "auth field named like the reserved version key": Case(
        """
        class Auth(BaseModel):
            token: str
            sdkgen_version: str  # <-
        ns = Namespace("/n", auth=Auth)
        @ns.event
        class Ping(ClientEvent):
            x: int
        """,
        ((E, Code.RESERVED_AUTH_FIELD),),
    ),
    "auth field aliased to the reserved version key": Case(
        """
        from pydantic import Field
        class Auth(BaseModel):
            version: str = Field(alias="sdkgen_version")  # <-
        ns = Namespace("/n", auth=Auth)
        @ns.event
        class Ping(ClientEvent):
            x: int
        """,
        ((E, Code.RESERVED_AUTH_FIELD),),
    ),
    "model defined in a function": Case(
        """
        ns = Namespace("/n")
        def make() -> None:
            @ns.event
            class Ping(ClientEvent):  # <-
                x: int
        make()
        """,
        ((E, Code.NOT_MODULE_LEVEL),),
    ),
    "two namespaces, one module name": Case(
        """
        a = Namespace("/a-b")
        b = Namespace("/a_b")
        @a.event
        class Ping(ClientEvent):
            x: int
        @b.event
        class Pong(ClientEvent):
            x: int
        """,
        ((E, Code.MODULE_COLLISION), (E, Code.MODULE_COLLISION)),
    ),
    "a module named like another namespace's sync twin": Case(
        """
        a = Namespace("/chat")
        b = Namespace("/chat_sync")
        @a.event
        class Ping(ClientEvent):
            x: int
        @b.event
        class Pong(ClientEvent):
            x: int
        """,
        ((E, Code.MODULE_COLLISION),),
    ),
    "naive datetime in a nested model": Case(
        """
        class Stamp(BaseModel):
            at: datetime  # <-
        ns = Namespace("/n")
        @ns.event
        class Ping(ClientEvent):
            stamp: Stamp
        """,
        ((W, Code.NAIVE_DATETIME),),
    ),
    "untyped field": Case(
        """
        ns = Namespace("/n")
        @ns.event
        class Ping(ClientEvent):
            extra: Any  # <-
        """,
        ((W, Code.UNTYPED_FIELD),),
    ),
    "unregistered event": Case(
        """
        ns = Namespace("/n")
        @ns.event
        class Ping(ClientEvent):
            x: int
        class Forgotten(ServerEvent):  # <-
            y: int
        """,
        ((W, Code.UNREGISTERED_EVENT),),
    ),
    "version is not semantic": Case(
        """
        ns = Namespace("/n", version="v2")  # <-
        @ns.event
        class Ping(ClientEvent):
            x: int
        """,
        ((W, Code.INVALID_VERSION),),
    ),
    "import error": Case(
        """
        ns = Namespace("/n")
        raise RuntimeError("boom")  # <-
        """,
        ((E, Code.IMPORT_ERROR),),
    ),
    "syntax error": Case(
        """
        ns = Namespace("/n"  # <-
        """,
        ((E, Code.IMPORT_ERROR),),
    ),
    "no namespaces at all": Case(
        """
        class Ping(BaseModel):
            x: int
        """,
        ((E, Code.NO_NAMESPACES),),
    ),
    "python names collide across modules": Case(
        """
        from contracts import other
        ns = Namespace("/n")
        @ns.event(name="ping:a")
        class Ping(ClientEvent):  # <-
            x: int
        ns.event(name="ping:b")(other.Ping)
        """,
        ((E, Code.PYTHON_NAME_COLLISION), (E, Code.PYTHON_NAME_COLLISION)),
        extra=(
            (
                "other.py",
                """
                from sdkgen.contract import ClientEvent
                class Ping(ClientEvent):  # <-
                    y: int
                """,
            ),
        ),
    ),
    "duplicate namespace path": Case(
        """
        a = Namespace("/n")
        b = Namespace("/n")  # <-
        @a.event
        class Ping(ClientEvent):
            x: int
        @b.event
        class Pong(ClientEvent):
            x: int
        """,
        ((E, Code.DUPLICATE_PATH),),
    ),
}


def run_case(tmp_path: Path, case: Case) -> tuple[bool, list[Diagnostic], Path]:
    source = HEAD + case.source.replace("\n        ", "\n")
    root = write_tree(tmp_path / "contracts", {"api.py": source, **dict(case.extra)})
    with load(root) as loaded:
        api, diagnostics = analyse(loaded, tool_version="0")
    return api is not None, diagnostics, root


@pytest.mark.parametrize("name", list(CASES))
def test_broken_contract_reports_code_and_line(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    has_ir, diagnostics, root = run_case(tmp_path, case)
    got = [(d.level, d.code) for d in diagnostics]
    assert got == list(case.expected), [d.format() for d in diagnostics]
    assert has_ir == all(level is Level.WARNING for level, _ in case.expected)
    marked: set[tuple[str, int]] = set()
    for rel, text in (("api.py", HEAD + case.source.replace("\n        ", "\n")), *case.extra):
        for line in lines_of(text, "# <-"):
            marked.add(((root / rel).resolve().as_posix(), line))
    located = {(d.location.file.as_posix(), d.location.line) for d in diagnostics if d.location}
    assert located == marked, [d.format() for d in diagnostics]


def test_every_problem_of_a_tree_is_reported_in_one_run(tmp_path: Path) -> None:
    case = Case(
        """
        ns = Namespace("/n")
        @ns.event(name="connect")
        class A(ClientEvent[int]):
            x: int
        @ns.event(ack_timeout=0)
        class B(ClientEvent):
            y: int
        empty = Namespace("/empty")
        """,
        (),
    )
    has_ir, diagnostics, _ = run_case(tmp_path, case)
    assert not has_ir
    assert {d.code for d in diagnostics} == {
        Code.RESERVED_EVENT_NAME,
        Code.BAD_ACK_MODEL,
        Code.BAD_ACK_TIMEOUT,
        Code.EMPTY_NAMESPACE,
    }


def test_diagnostic_format_names_file_line_level_code_and_hint(tmp_path: Path) -> None:
    _, diagnostics, _ = run_case(tmp_path, CASES["reserved socket.io name"])
    (diag,) = diagnostics
    text = diag.format(base=tmp_path)
    line = line_of(
        HEAD + CASES["reserved socket.io name"].source.replace("\n        ", "\n"), "# <-"
    )
    assert text.startswith(f"contracts/api.py:{line}: error[reserved-event-name]: ")
    assert "'connect'" in text
    assert "\n  hint: " in text
