"""The TypeScript client: types for socket.io-client plus a thin promise wrapper.

Layout under the output directory::

    client_ts/package.json, tsconfig.json
    client_ts/runtime.ts      ack envelope, errors, request() (from templates/client_ts)
    client_ts/<ns>.ts         models, ServerToClientEvents / ClientToServerEvents, <Ns>Client
    client_ts/index.ts        `export * as <ns>`

Type mapping (JSON Schema as the lock holds it): objects -> interfaces, enums and
consts -> string-literal unions, `date-time` -> `IsoDateTime` (a string),
`duration` -> `IsoDuration` (a string), `binary` -> `Binary` (`ArrayBuffer |
Uint8Array`), nullable -> `| null`, non-required properties -> `?`. Property names
stay as on the wire. Descriptions and constraints become JSDoc. Models the client
only receives have their defaulted fields required (the server always sends them);
models it sends keep them optional.
"""

from __future__ import annotations

import json
from typing import Any

from sdkgen import ir
from sdkgen.clients.schemas import EventShape, NamespaceShape
from sdkgen.naming import identifier, pascal_case
from sdkgen.render import environment

__all__ = ["ROOT", "files", "ts_type"]

ROOT = "client_ts"
DEFAULT_TIMEOUT_MS = 60_000
_REF = "#/$defs/"
_FORMATS = {"date-time": "IsoDateTime", "duration": "IsoDuration", "binary": "Binary"}
_CONSTRAINTS = (
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "multipleOf",
)
_IDENT_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _union(parts: list[str]) -> str:
    unique = list(dict.fromkeys(parts))
    if not unique:
        return "never"
    return " | ".join(unique)


def ts_type(schema: Any) -> str:
    """The TypeScript type of one JSON Schema node (refs become definition names)."""
    if not isinstance(schema, dict) or schema == {}:
        return "unknown"
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_REF)
    if "const" in schema:
        return _literal(schema["const"])
    if "enum" in schema:
        return _union([_literal(v) for v in schema["enum"]])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _union([ts_type(s) for s in schema[key]])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return ts_type(schema["allOf"][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union([ts_type({**schema, "type": k}) for k in kind])
    if kind == "string":
        return _FORMATS.get(str(schema.get("format")), "string")
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        if "prefixItems" in schema:
            return "[" + ", ".join(ts_type(s) for s in schema["prefixItems"]) + "]"
        return f"Array<{ts_type(schema.get('items', {}))}>"
    if kind == "object" or "properties" in schema:
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props:
            required = set(schema.get("required", []))
            fields = "; ".join(
                f"{_key(name)}{'' if name in required else '?'}: {ts_type(sub)}"
                for name, sub in props.items()
            )
            return "{ " + fields + " }"
        if isinstance(extra, dict):
            return f"Record<string, {ts_type(extra)}>"
        return "Record<string, unknown>"
    return "unknown"


def _key(name: str) -> str:
    ok = name and not name[0].isdigit() and set(name) <= _IDENT_OK
    return name if ok else _literal(name)


def _jsdoc(lines: list[str], indent: str = "") -> str:
    text = [line.replace("*/", "*\\/") for line in lines if line]
    if not text:
        return ""
    if len(text) == 1 and "\n" not in text[0]:
        return f"{indent}/** {text[0]} */\n"
    body = "".join(
        f"{indent} * {part}\n" if part else f"{indent} *\n" for t in text for part in t.split("\n")
    )
    return f"{indent}/**\n{body}{indent} */\n"


def _constraints(schema: dict[str, Any]) -> list[str]:
    notes = []
    for key in _CONSTRAINTS:
        if key in schema and key != "format":
            notes.append(f"@{key} {_literal(schema[key])}")
    if "default" in schema:
        notes.append(f"@default {_literal(schema['default'])}")
    return notes


def _definition(name: str, schema: dict[str, Any], read_only: bool) -> str:
    doc = [str(schema["description"])] if schema.get("description") else []
    if schema.get("type") == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        if read_only:  # received only: the server always sends fields that have defaults
            required |= {k for k, v in schema["properties"].items() if "default" in v}
        lines = [_jsdoc(doc), f"export interface {name} {{\n"]
        for prop, sub in schema["properties"].items():
            notes = (
                [str(sub["description"])]
                if isinstance(sub, dict) and sub.get("description")
                else []
            )
            notes += _constraints(sub) if isinstance(sub, dict) else []
            optional = "" if prop in required else "?"
            lines.append(_jsdoc(notes, "  "))
            lines.append(f"  {_key(prop)}{optional}: {ts_type(sub)};\n")
        lines.append("}\n")
        return "".join(lines)
    return f"{_jsdoc(doc)}export type {name} = {ts_type(schema)};\n"


def _camel(python_name: str) -> str:
    ident = pascal_case(identifier(python_name))
    return ident[:1].lower() + ident[1:]


# Members of the generated client class a request method must not shadow.
_TAKEN = frozenset({"disconnect", "on", "onError", "onRefused", "ready", "socket", "untyped"})


def _method_name(e: EventShape) -> str:
    name = _camel(e.python_name)
    return f"{name}_" if name in _TAKEN else name


def _event_doc(e: EventShape, extra: tuple[str, ...] = ()) -> list[str]:
    doc = [e.description] if e.description else []
    doc += extra  # before the tags: a JSDoc tag runs to the end of the comment
    if e.deprecated:
        doc.append(f"@deprecated {e.deprecation_message or 'this event is deprecated'}")
    return doc


def _namespace(api: ir.Api, shape: NamespaceShape, header: str) -> str:
    names = set(shape.definitions)
    support = [
        "AckResult",
        "Binary",
        "ConnectRefusedError",
        "IsoDateTime",
        "IsoDuration",
        "RequestOptions",
    ]
    out = [
        header,
        _jsdoc(
            [
                f"Types and client for the Socket.IO namespace `{shape.path}` "
                f"(version {shape.version}).",
                *([shape.description] if shape.description else []),
            ]
        ),
        'import { io } from "socket.io-client";\n',
        'import type { Manager, ManagerOptions, Socket, SocketOptions } from "socket.io-client";\n',
        'import { AckError, VERSION_KEY, connected, onError, onRefused, request } from "./runtime.js";\n',
        "import type { "
        + ", ".join(s for s in support if s not in names)
        + ' } from "./runtime.js";\n',
        "\n",
        f"export const PATH = {_literal(shape.path)} as const;\n",
        f"export const VERSION = {_literal(shape.version)} as const;\n",
    ]
    for name, schema in shape.definitions.items():
        out += ["\n", _definition(name, schema, shape.read_only(name))]
    if shape.auth:
        out += ["\n", "/** The `auth` payload of `io(url, { auth })`. */\n"]
        out += [f"export type Auth = {shape.auth};\n"]
    out += ["\n", "/** Events the server sends; the client listens. */\n"]
    out += ["export interface ServerToClientEvents {\n"]
    for e in shape.server_events:
        out.append(_jsdoc(_event_doc(e), "  "))
        ack = f", ack: (response: {e.ack}) => void" if e.ack else ""
        out.append(f"  {_literal(e.wire_name)}: (payload: {e.payload}{ack}) => void;\n")
    out.append("}\n\n")
    out.append("/** Events the client sends; acked ones take exactly one ack callback. */\n")
    out.append("export interface ClientToServerEvents {\n")
    for e in shape.client_events:
        out.append(_jsdoc(_event_doc(e), "  "))
        ack = f", ack: (response: AckResult<{e.ack}>) => void" if e.ack else ""
        out.append(f"  {_literal(e.wire_name)}: (payload: {e.payload}{ack}) => void;\n")
    out.append("}\n\n")
    out.append("/** A socket.io-client socket typed for this namespace. */\n")
    out.append("export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;\n\n")
    cls = f"{pascal_case(shape.module)}Client"
    auth_param = f"auth: {shape.auth}, " if shape.auth else ""
    # The contract version rides along in the auth (see runtime.ts, VERSION_KEY).
    auth_opt = "{ ...auth, [VERSION_KEY]: VERSION }" if shape.auth else "{ [VERSION_KEY]: VERSION }"
    out.append(
        _jsdoc(
            [f"`{shape.path}` over socket.io-client: promise requests, typed emits and listeners."]
        )
    )
    out.append(f"export class {cls} {{\n")
    out.append("  constructor(readonly socket: ClientSocket) {}\n\n")
    out.append(
        "  /**\n   * `io(url + PATH, { ...options, auth })`, typed; the auth also announces the\n"
        "   * contract version (`VERSION`). `ready()` says whether the server accepted it.\n   */\n"
    )
    out.append(
        f"  static connect(url: string, {auth_param}"
        f"options: Partial<ManagerOptions & SocketOptions> = {{}}): {cls} {{\n"
    )
    out.append(
        f'    const socket: ClientSocket = io(url.replace(/\\/$/, "") + PATH, {{ ...options, auth: {auth_opt} }});\n'
    )
    out.append(f"    return new {cls}(socket);\n  }}\n\n")
    out.append(
        "  /**\n   * This namespace over a connection shared with other namespaces (one `Manager`,\n"
        "   * socket.io-client's multiplexing): `manager.socket(PATH, { ...options, auth })`.\n   */\n"
    )
    out.append(
        f"  static attach(manager: Manager, {auth_param}"
        f"options: Partial<SocketOptions> = {{}}): {cls} {{\n"
    )
    out.append(
        f"    const socket: ClientSocket = manager.socket(PATH, {{ ...options, auth: {auth_opt} }});\n"
    )
    out.append(f"    return new {cls}(socket);\n  }}\n")
    for e in shape.client_events:
        out.append("\n")
        if e.ack:
            timeout = (
                round(e.ack_timeout * 1000) if e.ack_timeout is not None else DEFAULT_TIMEOUT_MS
            )
            note = f"Resolves with the `{e.ack}` ack; rejects with `AckError` or `AckTimeoutError`."
            doc = _event_doc(e, (note,))
            out.append(_jsdoc(doc, "  "))
            out.append(
                f"  {_method_name(e)}(payload: {e.payload}, options: RequestOptions = {{}}): Promise<{e.ack}> {{\n"
            )
            out.append(
                f"    return request<{e.ack}>(this.untyped, {_literal(e.wire_name)}, payload, "
                f"options.timeoutMs ?? {timeout});\n  }}\n"
            )
        else:
            out.append(_jsdoc(_event_doc(e), "  "))
            out.append(
                f"  emit{pascal_case(identifier(e.python_name))}(payload: {e.payload}): void {{\n"
            )
            out.append(f"    this.socket.emit({_literal(e.wire_name)}, payload);\n  }}\n")
    out.append(
        "\n  /** Listen to a server event; returns the unsubscribe function. */\n"
        "  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {\n"
        "    const name: string = event;\n"
        "    const untyped = listener as unknown as (...args: unknown[]) => void;\n"
        "    this.untyped.on(name, untyped);\n"
        "    return () => {\n      this.untyped.off(name, untyped);\n    };\n  }\n\n"
        "  /** Errors the server reports for unacked events (`sdkgen:error`). */\n"
        "  onError(listener: (error: AckError) => void): () => void {\n"
        "    return onError(this.untyped, listener);\n  }\n\n"
        "  /**\n   * Resolves once connected; rejects with `IncompatibleVersionError` when the server\n"
        "   * refuses this contract version, `ConnectRefusedError` when it refuses otherwise,\n"
        "   * `ConnectFailedError` when it cannot connect and reconnection is off.\n   */\n"
        "  ready(): Promise<void> {\n    return connected(this.untyped, PATH);\n  }\n\n"
        "  /** Called when the server refuses the connection (a typed error); returns the unsubscribe function. */\n"
        "  onRefused(listener: (error: ConnectRefusedError) => void): () => void {\n"
        "    return onRefused(this.untyped, PATH, listener);\n  }\n\n"
        "  disconnect(): void {\n    this.socket.disconnect();\n  }\n\n"
        "  private get untyped(): Socket {\n    return this.socket as unknown as Socket;\n  }\n}\n"
    )
    return "".join(out)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def files(api: ir.Api, shapes: tuple[NamespaceShape, ...]) -> dict[str, str]:
    header = (
        f"// Generated by sdkgen {api.tool_version} from {api.source_root}/ "
        f"(contract sha256:{api.contract_hash}). DO NOT EDIT.\n"
    )
    comment = header[3:].strip()
    name = identifier(api.source_root, fallback="api").replace("_", "-") + "-client"
    out = {
        f"{ROOT}/package.json": _json(
            {
                "$comment": comment,
                "name": name,
                "version": f"0.0.0+{api.contract_hash}",
                "type": "module",
                "main": "dist/index.js",
                "types": "dist/index.d.ts",
                "scripts": {"build": "tsc", "check": "tsc --noEmit"},
                "peerDependencies": {"socket.io-client": "^4.7.0"},
                "devDependencies": {"socket.io-client": "^4.7.0", "typescript": "^5.4.0"},
            }
        ),
        f"{ROOT}/tsconfig.json": _json(
            {
                "$comment": comment,
                "compilerOptions": {
                    "target": "ES2022",
                    "module": "NodeNext",
                    "moduleResolution": "NodeNext",
                    "lib": ["ES2022", "DOM"],
                    "strict": True,
                    "declaration": True,
                    "outDir": "dist",
                    "skipLibCheck": True,
                    "noUncheckedIndexedAccess": True,
                    "exactOptionalPropertyTypes": False,
                },
                "include": ["*.ts"],
            }
        ),
        f"{ROOT}/runtime.ts": environment()
        .get_template("client_ts/runtime.ts.jinja")
        .render(header=header.rstrip("\n")),
    }
    index = [header, f"/** Typed socket.io-client bindings for `{api.source_root}/`. */\n"]
    index.append('export * from "./runtime.js";\n')
    for shape in shapes:
        out[f"{ROOT}/{shape.module}.ts"] = _namespace(api, shape, header)
        index.append(f'export * as {shape.module} from "./{shape.module}.js";\n')
    index.append(f"export const CONTRACT_HASH = {_literal(api.contract_hash)} as const;\n")
    out[f"{ROOT}/index.ts"] = "".join(index)
    return out
