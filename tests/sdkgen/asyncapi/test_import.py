"""`sdkgen import`: AsyncAPI -> contracts, and export -> import -> export stability."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sdkgen import build
from sdkgen.asyncapi import ASYNCAPI_FILE
from sdkgen.cli import app
from sdkgen.importer import AsyncAPIImportError, import_asyncapi, load_document
from tests.sdkgen.helpers import CASES, ROOT

pytest.importorskip("datamodel_code_generator")
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _import(text: str, root: Path) -> str:
    """Import `text` into the package directory `root`, build it, return its AsyncAPI text."""
    for rel, source in import_asyncapi(load_document(text)).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
    result = build(root)
    assert result.ok, [d.format() for d in result.diagnostics]
    return result.files[ASYNCAPI_FILE]


def test_export_import_export_is_identical_for_the_example_contracts(tmp_path: Path) -> None:
    exported = (ROOT / "generated" / ASYNCAPI_FILE).read_text()
    again = _import(exported, tmp_path / "contracts")  # same package name: same title
    assert again == exported


def test_import_reaches_a_fixed_point_for_the_kitchen_sink(tmp_path: Path) -> None:
    # Two models named `Item` in different modules come back as `Item1`/`Item2` in one
    # models module: the first round renames them; after that, nothing changes.
    first = build(CASES / "kitchen_sink").files[ASYNCAPI_FILE]
    second = _import(first, tmp_path / "a" / "kitchen_sink")
    third = _import(second, tmp_path / "b" / "kitchen_sink")
    assert third == second
    assert json.dumps(load_document(second)["operations"], sort_keys=True) == json.dumps(
        load_document(first)["operations"], sort_keys=True
    )


def test_imported_contracts_keep_events_acks_metadata(tmp_path: Path) -> None:
    files = import_asyncapi(load_document((ROOT / "generated" / ASYNCAPI_FILE).read_text()))
    chat = files["chat.py"]
    assert "@chat.event(name='message:send', ack_timeout=5.0)" in chat
    assert "class SendMessage(_SendMessage, ClientEvent[MessageAccepted]):" in chat
    assert "deprecated='use room:join, which returns the room history'" in chat
    assert "stability='beta'" in chat
    assert "auth=ChatAuth," in chat
    assert "class MessagePosted(_MessagePosted, ServerEvent):" in chat


def test_rejects_documents_it_cannot_express() -> None:
    with pytest.raises(AsyncAPIImportError, match="AsyncAPI 3"):
        import_asyncapi({"asyncapi": "2.6.0"})
    with pytest.raises(AsyncAPIImportError, match="unknown channel"):
        import_asyncapi(
            {
                "asyncapi": "3.0.0",
                "channels": {},
                "operations": {"x": {"channel": {"$ref": "#/channels/nope"}}},
            }
        )
    with pytest.raises(AsyncAPIImportError, match="not a mapping"):
        load_document("- a\n- b\n")


def test_cli_import(tmp_path: Path) -> None:
    out = tmp_path / "contracts"
    runner = CliRunner()
    done = runner.invoke(
        app, ["import", str(ROOT / "generated" / ASYNCAPI_FILE), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert {p.name for p in out.iterdir()} >= {"__init__.py", "chat.py", "_chat_models.py"}
    again = runner.invoke(
        app, ["import", str(ROOT / "generated" / ASYNCAPI_FILE), "--out", str(out)]
    )
    assert again.exit_code == 4  # not into a non-empty directory without --force
    bad = tmp_path / "bad.yaml"
    bad.write_text("asyncapi: 2.0.0\n")
    assert runner.invoke(app, ["import", str(bad), "--out", str(tmp_path / "x")]).exit_code == 3
