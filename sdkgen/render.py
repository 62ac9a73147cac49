"""Render: IR -> {relative path: text} through the jinja2 templates in `templates/`.

The environment is strict (an undefined name is an error, not an empty string) and
whitespace-exact, and the filters below do the only string work templates need:
Python literals and docstrings, escaped once here rather than in Jinja.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from sdkgen import ir

__all__ = ["docstring", "environment", "pyrepr", "render", "templates_dir"]

_WIDTH = 100


def templates_dir() -> Path:
    """The packaged templates (`sdkgen/templates` in a wheel) or the source tree's."""
    packaged = resources.files("sdkgen").joinpath("templates")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "templates"


def pyrepr(value: object) -> str:
    """A Python literal for a str, number, bool or None."""
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def _flatten(parts: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            if part.strip():
                out.append(part.strip())
        else:
            out.extend(_flatten(part))
    return out


def docstring(parts: Iterable[Any], indent: int = 0) -> str:
    """A docstring literal from paragraphs (nested lists are flattened, blanks dropped).

    `indent` is the column of the opening quotes; continuation lines get it too.
    """
    paragraphs = _flatten(parts)
    text = "\n\n".join(paragraphs)
    if (
        "\\" in text
        or '"""' in text
        or text.endswith('"')
        or not all(c.isprintable() or c == "\n" for c in text)
    ):
        return repr(text)  # still a docstring, and never a broken literal
    pad = " " * indent
    lines: list[str] = []
    for line in text.split("\n"):
        if len(pad) + len(line) + 3 > _WIDTH and line.strip():  # 3: the quotes
            lead = line[: len(line) - len(line.lstrip())]
            lines += textwrap.wrap(
                line,
                width=_WIDTH - len(pad) - 3,
                subsequent_indent=lead,
                break_long_words=False,
                break_on_hyphens=False,
            )
        else:
            lines.append(line)
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    body = "\n".join(pad + line if line else "" for line in lines[1:])
    return f'"""{lines[0]}\n{body}\n{pad}"""'


def environment(directory: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory or templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # Python source, not HTML
    )
    env.filters["pyrepr"] = pyrepr
    env.filters["docstring"] = docstring
    return env


def render(api: ir.Api, env: jinja2.Environment | None = None) -> dict[str, str]:
    """Every output file of `api`, keyed by POSIX path relative to the output directory."""
    env = env or environment()
    files = {
        "__init__.py": env.get_template("package/__init__.py.jinja").render(api=api),
        "py.typed": "",
        "server/__init__.py": env.get_template("server/__init__.py.jinja").render(api=api),
    }
    namespace = env.get_template("server/namespace.py.jinja")
    for ns in api.namespaces:
        files[f"server/{ns.module_name}.py"] = namespace.render(api=api, ns=ns)
    return dict(sorted(files.items()))
