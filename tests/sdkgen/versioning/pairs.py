"""Contract pairs for the versioning tests: one small namespace, varied one piece at a time.

`contract(**parts)` renders a contract module with three events that cover the four
schema positions: `ping` (client->server with ack `Pong`: server reads the payload,
clients read the ack), `news` (server->client, no ack: clients read) and `ask`
(server->client with ack `Answer`: the server reads the ack).
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path
from typing import Any

from sdkgen.diff.check import CheckResult, IgnoreEntry, check
from sdkgen.diff.locate import Locator
from sdkgen.pipeline import lock_of

TEMPLATE = '''\
"""A test contract."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sdkgen.contract import ClientEvent, Namespace, ServerEvent

{header}

ns = Namespace("/t", version="{version}"{ns_args})


class Pong(BaseModel):
    {pong}


class Answer(BaseModel):
    {answer}


@ns.event{ping_reg}
class {ping_class}(ClientEvent[{ping_ack}]):
    """{ping_doc}"""

    {ping}


@ns.event{news_reg}
class News(ServerEvent{news_ack}):
    {news}


@ns.event
class Ask(ServerEvent[Answer]):
    question: str

{footer}
'''

DEFAULTS: dict[str, Any] = {
    "header": "",
    "version": "1.0.0",
    "ns_args": "",
    "pong": "ok: bool",
    "answer": "ok: bool",
    "ping_reg": "",
    "ping_class": "Ping",
    "ping_ack": "Pong",
    "ping_doc": "Ping the server.",
    "ping": "text: str",
    "news_reg": "",
    "news_ack": "",
    "news": "text: str",
    "footer": "",
}


def contract(**parts: Any) -> str:
    unknown = set(parts) - set(DEFAULTS)
    assert not unknown, unknown
    values = {**DEFAULTS, **parts}
    for key in ("pong", "answer", "ping", "news"):
        value = values[key]
        if isinstance(value, list | tuple):
            values[key] = "\n    ".join(value)
    for key in ("header", "footer"):
        values[key] = textwrap.dedent(values[key]).strip("\n")
    return TEMPLATE.format(**values)


def write_contract(root: Path, source: str) -> Path:
    pkg = root / "api"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "t.py").write_text(source)
    return pkg


def lock_for(root: Path, source: str) -> dict[str, Any]:
    lock, diagnostics = lock_of(write_contract(root, source))
    assert lock is not None, [d.format() for d in diagnostics]
    return lock


def run_check(
    tmp: Path,
    old: str,
    new: str,
    *,
    ignores: tuple[IgnoreEntry, ...] = (),
    today: date = date(2026, 6, 1),
) -> CheckResult:
    old_lock = lock_for(tmp / "old", old)
    new_lock = lock_for(tmp / "new", new)
    return check(
        old_lock,
        new_lock,
        locator=Locator(tmp / "new"),
        against="old",
        ignores=ignores,
        today=today,
    )


def line_in(source: str, marker: str) -> int:
    for number, line in enumerate(source.splitlines(), 1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in source")
