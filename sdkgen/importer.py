"""`sdkgen import`: an AsyncAPI 3.0 document -> contract modules (the reverse of `asyncapi`).

Channels become namespaces, `receive` operations client events, `send` operations
server events, replies acks. Payload models are generated from the component
schemas by datamodel-code-generator into `_<channel>_models.py`; the contract module
then declares each event as a subclass of its generated payload model and of
`ClientEvent[Ack]` / `ServerEvent[Ack]`, so the exported schemas keep their names.

Reads what `sdkgen.asyncapi` writes (including its `x-sdkgen-*` extensions) and
plain AsyncAPI 3.0 documents with the same shape (one message per operation).
"""

from __future__ import annotations

import importlib
import json
import keyword
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["AsyncAPIImportError", "import_asyncapi", "load_document"]

_REF = "#/components/schemas/"
_HEADER = "# Imported by sdkgen from an AsyncAPI document. Edit freely: this is a contract."


class AsyncAPIImportError(ValueError):
    """The document is not AsyncAPI 3.0, or uses something sdkgen cannot express."""


def _deref(doc: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise AsyncAPIImportError(f"only local references are supported, not {ref!r}")
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise AsyncAPIImportError(f"unresolvable reference {ref!r}")
        node = node[part]
    return node


def _schema_name(payload: Mapping[str, Any]) -> str:
    ref = payload.get("$ref")
    if not isinstance(ref, str) or not ref.startswith(_REF):
        raise AsyncAPIImportError("message payloads must reference components.schemas")
    return ref.removeprefix(_REF)


def _class_name(component: str) -> str:
    """What datamodel-code-generator calls the class of a component name."""
    parts = re.split(r"[^0-9A-Za-z]+", component)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"Model{name}"


def _to_json_schema(node: Any, top: bool = False) -> Any:
    """AsyncAPI schema object -> JSON Schema with `$defs` (the reverse of the export).

    An enum written inline (Pydantic's `Literal[...]`) stays a `Literal`; only named
    enums (components of their own, Pydantic's `Enum` classes) become Enum classes.
    """
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                out[key] = "#/$defs/" + value.removeprefix(_REF)
            elif key == "discriminator" and isinstance(value, str):
                out[key] = {"propertyName": value}
            else:
                out[key] = _to_json_schema(value)
        if "enum" in out and not top:
            out["x-enum-field-as-literal"] = True
        return _nullable_primitive(out)
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    return node


def _nullable_primitive(node: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [{type: string, maxLength: 80}, {type: null}]` -> `type: [string, null]`.

    Same meaning; datamodel-code-generator turns the first form into a RootModel when
    the branch has constraints, the second into `Annotated[str | None, Field(...)]`.
    """
    branches = node.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2 or {"type": "null"} not in branches:
        return node
    (other,) = [b for b in branches if b != {"type": "null"}]
    if not isinstance(other, dict) or other.get("type") not in ("string", "integer", "number"):
        return node
    if len(other) == 1 or "enum" in other:
        return node  # nothing to hoist: the anyOf form already imports cleanly
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    merged.update(other)
    merged["type"] = [other["type"], "null"]
    return merged


def _reachable(schemas: Mapping[str, Any], roots: list[str]) -> list[str]:
    seen: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.append(name)
        text = json.dumps(schemas[name])
        todo += re.findall(r'"#/components/schemas/([^"]+)"', text)
    return sorted(seen)


def _models_module(schemas: Mapping[str, Any], names: list[str]) -> str:
    # Optional dependency of this one command, imported when used; typed as Any so
    # type checking sdkgen does not need it installed.
    dcg: Any = importlib.import_module("datamodel_code_generator")
    fmt: Any = importlib.import_module("datamodel_code_generator.format")

    defs = {name: _to_json_schema(schemas[name], top=True) for name in names}
    # A root that only references every model, so each definition becomes a class.
    root = {"$defs": defs, "anyOf": [{"$ref": f"#/$defs/{name}"} for name in names]}
    code = dcg.generate(
        json.dumps(root),
        input_file_type=dcg.InputFileType.JsonSchema,
        output_model_type=dcg.DataModelType.PydanticV2BaseModel,
        target_python_version=dcg.PythonVersion.PY_311,
        disable_timestamp=True,
        custom_file_header=_HEADER,
        formatters=[fmt.Formatter.BLACK],
        use_annotated=True,
        field_constraints=True,
        use_schema_description=True,
        strict_nullable=True,
        set_default_enum_member=True,
        collapse_root_models=True,
        output_datetime_class=fmt.DatetimeClassType.Awaredatetime,
        class_name="_AnyModel",
    )
    if not isinstance(code, str):
        raise AsyncAPIImportError("datamodel-code-generator returned several modules")
    return code


def _literal(value: Any) -> str:
    return repr(value)


def _doc(text: str, indent: str) -> str:
    if not text:
        return ""
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'{indent}"""{body}"""\n\n'


def import_asyncapi(doc: Mapping[str, Any]) -> dict[str, str]:
    """Contract package files ({relative path: source}) for an AsyncAPI 3.0 document."""
    if not str(doc.get("asyncapi", "")).startswith("3."):
        raise AsyncAPIImportError(f"expected an AsyncAPI 3.x document, got {doc.get('asyncapi')!r}")
    schemas: Mapping[str, Any] = doc.get("components", {}).get("schemas", {})
    channels: Mapping[str, Any] = doc.get("channels", {})
    by_channel: dict[str, list[tuple[str, Mapping[str, Any]]]] = {key: [] for key in channels}
    for op_id, op in sorted(doc.get("operations", {}).items()):
        ref = op.get("channel", {}).get("$ref", "")
        key = ref.removeprefix("#/channels/")
        if key not in by_channel:
            raise AsyncAPIImportError(f"operation {op_id} refers to an unknown channel {ref!r}")
        by_channel[key].append((op_id, op))
    files = {"__init__.py": '"""Contracts imported from an AsyncAPI document."""\n'}
    for key, channel in sorted(channels.items()):
        module = re.sub(r"\W", "_", key).lower() or "root"
        files.update(_channel(doc, schemas, key, module, channel, by_channel[key]))
    return files


def _channel(
    doc: Mapping[str, Any],
    schemas: Mapping[str, Any],
    key: str,
    module: str,
    channel: Mapping[str, Any],
    ops: list[tuple[str, Mapping[str, Any]]],
) -> dict[str, str]:
    path = str(channel.get("address") or f"/{key}")
    version = str(channel.get("x-sdkgen-version") or doc.get("info", {}).get("version", "0.1.0"))
    stability = str(channel.get("x-sdkgen-stability", "stable"))
    auth_ref = channel.get("x-socketio-auth", {}).get("$ref")
    auth = auth_ref.removeprefix(_REF) if isinstance(auth_ref, str) else None
    events = []
    for _, op in ops:
        messages = op.get("messages", [])
        if len(messages) != 1:
            raise AsyncAPIImportError(
                f"operations of {path} must send or receive exactly one message"
            )
        message = _deref(doc, messages[0]["$ref"])
        reply = op.get("reply", {}).get("messages", [])
        ack = _schema_name(_deref(doc, reply[0]["$ref"])["payload"]) if reply else None
        events.append(
            {
                "wire": str(message["name"]),
                "class": _class_name(str(message.get("title") or message["name"])),
                "payload": _schema_name(message["payload"]),
                "ack": ack,
                "client": op.get("action") == "receive",
                "description": str(message.get("description", "")),
                "deprecated": message.get("x-deprecated"),
                "stability": message.get("x-sdkgen-stability"),
                "timeout": op.get("x-sdkgen-ack-timeout"),
            }
        )
    roots = [e["payload"] for e in events] + [e["ack"] for e in events if e["ack"]]
    roots += [auth] if auth else []
    names = _reachable(schemas, [str(r) for r in roots])
    models = f"_{module}_models"
    out = {f"{models}.py": _models_module(schemas, names)}
    imports = sorted(
        {_class_name(str(e["ack"])) for e in events if e["ack"]}
        | ({_class_name(auth)} if auth else set())
    )
    payloads = sorted({_class_name(str(e["payload"])) for e in events})
    lines = [
        _HEADER,
        f'"""Namespace {path}."""',
        "",
        "from __future__ import annotations",
        "",
        "from sdkgen.contract import ClientEvent, Namespace, ServerEvent",
        "",
        f"from .{models} import (",
        *(f"    {name}," for name in imports),
        *(f"    {name} as _{name}," for name in payloads),
        ")",
        "",
        f"{module} = Namespace(",
        f"    {path!r},",
        f"    version={version!r},",
        *([f"    auth={_class_name(auth)},"] if auth else []),
        *([f"    description={channel['description']!r},"] if channel.get("description") else []),
        *([f"    stability={stability!r},"] if stability != "stable" else []),
        ")",
        "",
    ]
    for e in sorted(events, key=lambda e: str(e["wire"])):
        args = [f"name={e['wire']!r}"]
        if e["deprecated"]:
            deprecated = e["deprecated"]
            args.append(
                f"deprecated={deprecated!r}" if isinstance(deprecated, str) else "deprecated=True"
            )
        if e["stability"] and e["stability"] != stability:
            args.append(f"stability={e['stability']!r}")
        if e["timeout"] is not None:
            args.append(f"ack_timeout={float(e['timeout'])!r}")
        base = "ClientEvent" if e["client"] else "ServerEvent"
        ack = f"[{_class_name(str(e['ack']))}]" if e["ack"] else ""
        payload = _class_name(str(e["payload"]))
        lines += [
            "",
            f"@{module}.event({', '.join(args)})",
            f"class {e['class']}(_{payload}, {base}{ack}):",
            (_doc(str(e["description"]), "    ") or '    """"""\n\n').rstrip("\n"),
            "",
        ]
    out[f"{module}.py"] = "\n".join(lines).rstrip("\n") + "\n"
    return out


def load_document(text: str) -> dict[str, Any]:
    """Parse an AsyncAPI document written as YAML (PyYAML, optional) or JSON."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            yaml: Any = importlib.import_module("yaml")
        except ModuleNotFoundError:
            raise AsyncAPIImportError("reading YAML needs PyYAML: pip install pyyaml") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise AsyncAPIImportError(f"not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise AsyncAPIImportError("the document is not a mapping")
    return data
