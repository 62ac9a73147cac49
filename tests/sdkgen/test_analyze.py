"""Load + analyse -> IR: names, directions, acks, metadata, imports, hashes, isolation."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sdkgen import ir
from sdkgen.analyze import analyse
from sdkgen.diagnostics import Diagnostic, Level
from sdkgen.loader import load
from tests.sdkgen.helpers import CASES, write_tree


def analyse_dir(path: Path) -> tuple[ir.Api | None, list[Diagnostic]]:
    with load(path) as loaded:
        return analyse(loaded, tool_version="9.9.9")


def ok_api(path: Path) -> ir.Api:
    api, diagnostics = analyse_dir(path)
    assert api is not None, [d.format() for d in diagnostics]
    return api


def by_wire(ns: ir.Namespace) -> dict[str, ir.Event]:
    return {e.wire_name: e for e in ns.events}


def test_minimal_contract_ir() -> None:
    api = ok_api(CASES / "minimal")
    assert api.tool_version == "9.9.9"
    assert api.source_root == "minimal"
    (ns,) = api.namespaces
    assert (ns.path, ns.version, ns.description, ns.stability) == (
        "/echo",
        "1.0.0",
        "Echoes text back.",
        "stable",
    )
    assert (ns.module_name, ns.class_name, ns.handlers_name, ns.var_name) == (
        "echo",
        "EchoNamespace",
        "EchoHandlers",
        "echo",
    )
    assert ns.source_file == "minimal/api.py"
    assert ns.auth is not None and (ns.auth.module, ns.auth.local_name) == (
        "minimal.api",
        "EchoAuth",
    )
    (event,) = ns.client_events
    assert ns.server_events == ()
    assert (event.wire_name, event.python_name, event.const_name) == ("shout", "shout", "SHOUT")
    assert event.direction is ir.Direction.CLIENT_TO_SERVER
    assert event.ack is not None and event.ack.qualname == "Echoed"
    assert event.ack_type == "Echoed"
    assert event.description == "Send text; the ack carries it back in capitals."
    assert not ns.on_overloaded
    assert ns.model_imports == (
        ir.Import(
            "minimal.api", (("EchoAuth", "EchoAuth"), ("Echoed", "Echoed"), ("Shout", "Shout"))
        ),
    )


def test_kitchen_sink_names_directions_and_metadata() -> None:
    api = ok_api(CASES / "kitchen_sink")
    assert [ns.path for ns in api.namespaces] == ["/", "/feed/v2", "/single"]
    root, feed, single = api.namespaces
    events = by_wire(root)
    # Default wire name is snake_case of the class; events are sorted by wire name.
    assert "store_everything" in events and "upload_blob" in events
    assert [e.wire_name for e in root.client_events] == sorted(
        e.wire_name for e in root.client_events
    )
    assert [e.wire_name for e in root.server_events] == ["blob:offer", "shape:drawn"]
    grow = events["tree:grow"]
    assert grow.description == "Overrides the docstring."
    assert grow.stability == "experimental"
    old = events["old:thing"]
    assert old.deprecated and old.deprecation_message == ""
    assert old.deprecation_text == "event 'old:thing' is deprecated"
    assert old.ack is None and old.ack_type == "None"
    offer = events["blob:offer"]
    assert offer.direction is ir.Direction.SERVER_TO_CLIENT
    assert offer.deprecation_message == "use blob:push"
    assert offer.ack_timeout == 2.5 and offer.call_timeout == 2.5
    assert offer.notes == (
        "Server -> client with bytes, acked by the client.",
        "Deprecated: use blob:push",
    )
    # Stability defaults to the namespace's.
    (ping,) = single.client_events
    assert ping.stability == "beta"
    (probe,) = single.server_events
    assert probe.ack_timeout is None and probe.call_timeout == ir.DEFAULT_CALL_TIMEOUT
    assert feed.client_events == () and feed.module_name == "feed_v2"
    assert root.on_overloaded and not single.on_overloaded


def test_binary_flags_follow_bytes_anywhere_in_the_model() -> None:
    events = by_wire(ok_api(CASES / "kitchen_sink").namespaces[0])
    upload = events["upload_blob"]
    assert upload.payload.binary and upload.ack is not None and upload.ack.binary
    assert events["blob:offer"].payload.binary  # nested Blob
    assert not events["store_everything"].payload.binary


def test_clashing_model_names_are_aliased_and_nested_classes_import_their_outer_class() -> None:
    root = ok_api(CASES / "kitchen_sink").namespaces[0]
    events = by_wire(root)
    assert events["item:count"].ack_type == "Item"  # kitchen_sink.inventory sorts first
    assert events["item:check"].ack_type == "Item_"
    assert events["target:pick"].ack_type == "Target_"  # `Target` is used by the template
    assert events["items:add"].ack_type == "Receipt.Line"
    imports = {imp.module: imp.names for imp in root.model_imports}
    assert ("Item", "Item_") in imports["kitchen_sink.shapes"]
    assert ("Target", "Target_") in imports["kitchen_sink.shapes"]
    assert ("Receipt", "Receipt") in imports["kitchen_sink.inventory"]


def test_support_imports_match_what_the_namespace_uses() -> None:
    root, feed, single = ok_api(CASES / "kitchen_sink").namespaces
    names = {
        ns.path: {n for group in ns.support_imports for imp in group for n, _ in imp.names}
        for ns in (root, feed, single)
    }
    assert names["/"] >= {"overload", "deprecated", "PlainConnectHandler", "EventHandler", "Target"}
    assert names["/feed/v2"] == {
        "EventSpec",
        "TypedNamespace",
        "PlainConnectHandler",
        "Target",
        "SyncTypedNamespace",
        "SyncPlainConnectHandler",
    }
    assert "overload" not in names["/single"] and "ConnectHandler" in names["/single"]
    assert {"SyncConnectHandler", "SyncEventHandler"} <= names["/single"]


def test_server_exports_are_sorted_like_ruff_wants() -> None:
    api = ok_api(CASES / "kitchen_sink")
    assert api.server_exports[:1] == ("NAMESPACES",)
    assert "register_all" in api.server_exports and "root" in api.server_exports
    assert "FeedV2Handlers" not in api.server_exports  # no client events, no Protocol
    assert {"SYNC_NAMESPACES", "register_all_sync", "RootNamespaceSync", "root_sync"} <= set(
        api.server_exports
    )


def test_hashes_ignore_location_but_follow_the_contract(tmp_path: Path) -> None:
    original = ok_api(CASES / "minimal")
    copy = shutil.copytree(CASES / "minimal", tmp_path / "minimal")
    assert ok_api(copy).contract_hash == original.contract_hash
    api_py = copy / "api.py"
    api_py.write_text(api_py.read_text().replace("    text: str\n", "    text: str | None\n", 1))
    changed = ok_api(copy)
    assert changed.namespaces[0].contract_hash != original.namespaces[0].contract_hash
    assert changed.contract_hash != original.contract_hash


def test_loading_is_isolated_from_sys_modules(tmp_path: Path) -> None:
    source = """
        from pydantic import BaseModel
        from sdkgen.contract import ClientEvent, Namespace
        ns = Namespace("/{path}")
        @ns.event
        class Hello(ClientEvent):
            name: str
    """
    first = write_tree(tmp_path / "a" / "contracts", {"api.py": source.format(path="one")})
    second = write_tree(tmp_path / "b" / "contracts", {"api.py": source.format(path="two")})
    sentinel = sys.modules.get("contracts")
    assert ok_api(first).namespaces[0].path == "/one"
    assert ok_api(second).namespaces[0].path == "/two"
    # Whatever `contracts` was before (the repo's own example, or nothing) is back.
    assert sys.modules.get("contracts") is sentinel


def test_warnings_do_not_block_the_ir(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "contracts",
        {
            "api.py": """
                from datetime import datetime
                from sdkgen.contract import ClientEvent, Namespace
                ns = Namespace("/n")
                @ns.event
                class Stamp(ClientEvent):
                    at: datetime
            """
        },
    )
    api, diagnostics = analyse_dir(root)
    assert api is not None
    assert [(d.level, d.code) for d in diagnostics] == [(Level.WARNING, "naive-datetime")]
