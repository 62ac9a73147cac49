"""The Python client package: models by datamodel-code-generator, clients by templates.

Layout under the output directory (``client_py/`` is the project root)::

    client_py/pyproject.toml
    client_py/<root>_client/__init__.py, py.typed, errors.py, _base.py
    client_py/<root>_client/models/<ns>.py      (datamodel-code-generator)
    client_py/<root>_client/<ns>.py             (``<Ns>Client`` on runtime.AsyncClient)

Imports inside the package are relative, so it type-checks and runs from any root.
Client models do not enforce the contract's constraints (the lock's reader policy
for clients: the server validates), so constraint keywords are dropped before
generation; that also keeps datamodel-code-generator from emitting stray root models.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import jinja2

from sdkgen import ir
from sdkgen.clients.schemas import EventShape, NamespaceShape, document
from sdkgen.naming import identifier, pascal_case
from sdkgen.render import environment

__all__ = ["ROOT", "files", "models_module", "package_name"]

ROOT = "client_py"
DEFAULT_TIMEOUT = 60.0  # python-socketio's `call` default

_CONSTRAINTS = frozenset(
    {
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "multipleOf",
        "uniqueItems",
        "minProperties",
        "maxProperties",
    }
)
# Methods of the base class a generated method must not shadow.
_TAKEN = frozenset({"auth", "connect", "disconnect", "wait", "on", "on_error", "sio", "connected"})
_ROOT_NAME = "SdkgenDocumentRoot"
_ROOT_MODEL = re.compile(rf"\nclass {_ROOT_NAME}\(RootModel\[Any\]\):\n    root: Any\n")
# JSON Schema defaults are wire values: `duration: timedelta = "PT1S"` would be a str.
# Pydantic converts them when asked to validate the default.
_WIRE_DEFAULT = re.compile(
    r"^(?P<head>\s+\w+: (?:timedelta|date|time|datetime|AwareDatetime|UUID|Decimal|bytes)"
    r"""(?: \| None)?) = (?P<value>".*"|'.*')$""",
    re.MULTILINE,
)


def package_name(api: ir.Api) -> str:
    return f"{identifier(api.source_root, fallback='api')}_client"


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in _CONSTRAINTS:
                continue
            # A property literally named like a keyword stays: only schema keywords go.
            out[key] = (
                {name: _strip(prop) for name, prop in value.items()}
                if key in ("properties", "$defs")
                else _strip(value)
            )
        return out
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def models_module(shape: NamespaceShape, header: str) -> str:
    """The namespace's models as Python source (unformatted; the pipeline runs ruff)."""
    # Imported here: heavy, and only needed when building.
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import DatetimeClassType, PythonVersion

    source = json.dumps(_strip(json.loads(document(shape))), sort_keys=True)
    code = generate(
        source,
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        disable_timestamp=True,
        custom_file_header=header,
        formatters=[],  # the pipeline formats every .py with its pinned ruff
        use_annotated=True,
        field_constraints=True,
        use_field_description=True,
        use_schema_description=True,
        strict_nullable=True,
        set_default_enum_member=True,
        collapse_root_models=True,
        output_datetime_class=DatetimeClassType.Awaredatetime,
        keep_model_order=False,
        class_name=_ROOT_NAME,  # sorted order would put enums after their uses in defaults
        use_double_quotes=True,
    )
    if not isinstance(code, str):
        raise TypeError("datamodel-code-generator returned several modules for one schema")
    # The `$defs`-only root document becomes an empty root model: not part of the contract.
    code = _ROOT_MODEL.sub("", code)
    code, wire_defaults = _WIRE_DEFAULT.subn(
        r"\g<head> = Field(default=\g<value>, validate_default=True)", code
    )
    if wire_defaults and not re.search(r"^from pydantic import .*\bField\b", code, re.MULTILINE):
        code = code.replace("from pydantic import ", "from pydantic import Field, ", 1)
    return code


@dataclass(frozen=True, slots=True)
class _Method:
    event: EventShape
    name: str  # method name
    const: str  # Spec constant
    timeout: float

    @property
    def notes(self) -> list[str]:
        notes = [self.event.description] if self.event.description else []
        if self.event.ack:
            notes.append(
                f"``{self.event.wire_name}``: returns ``{self.event.ack}``; raises ``AckError`` "
                "for an error ack and ``AckTimeout`` after ``timeout`` seconds."
            )
        else:
            notes.append(f"``{self.event.wire_name}`` (not acked).")
        if self.event.deprecated:
            notes.append(f"Deprecated: {self.deprecation}")
        return notes

    @property
    def deprecation(self) -> str:
        return self.event.deprecation_message or f"event {self.event.wire_name!r} is deprecated"


def _methods(shape: NamespaceShape) -> tuple[list[_Method], list[_Method]]:
    outbound, inbound = [], []
    for e in shape.events:
        base = identifier(e.python_name)
        if e.direction == "client_to_server":
            name = base if e.ack else f"emit_{base}"
            if name in _TAKEN:
                name += "_"
            timeout = e.ack_timeout if e.ack_timeout is not None else DEFAULT_TIMEOUT
            outbound.append(_Method(e, name, base.upper(), timeout))
        else:
            inbound.append(_Method(e, base, base.upper(), 0.0))
    return outbound, inbound


def _header(api: ir.Api, source: str) -> str:
    return (
        f"# Generated by sdkgen {api.tool_version} from {source} "
        f"(contract sha256:{api.contract_hash}). DO NOT EDIT."
    )


def _client_class(shape: NamespaceShape) -> str:
    return f"{pascal_case(shape.module)}Client"


def files(api: ir.Api, shapes: tuple[NamespaceShape, ...]) -> dict[str, str]:
    env = environment()
    pkg = package_name(api)
    base = f"{ROOT}/{pkg}"
    header = _header(api, f"{api.source_root}/")

    def render(template: str, **context: Any) -> str:
        try:
            return env.get_template(f"client_py/{template}").render(api=api, **context)
        except jinja2.TemplateError as exc:  # pragma: no cover - a template bug
            raise RuntimeError(f"client_py/{template}: {exc}") from exc

    by_path = {ns.path: ns for ns in api.namespaces}
    clients = [(shape, _client_class(shape)) for shape in shapes]
    exported = [
        (shape, name, name.removesuffix("Client") + "SyncClient") for shape, name in clients
    ]
    out = {
        f"{ROOT}/pyproject.toml": render("pyproject.toml.jinja", header=header, pkg=pkg),
        f"{base}/py.typed": "",
        f"{base}/__init__.py": render("__init__.py.jinja", header=header, clients=exported),
        f"{base}/errors.py": render("errors.py.jinja", header=header),
        f"{base}/_base.py": render("_base.py.jinja", header=header),
        f"{base}/_sync.py": render("_sync.py.jinja", header=header),
        f"{base}/models/__init__.py": render("models_init.py.jinja", header=header, shapes=shapes),
    }
    for shape, class_name in clients:
        ns = by_path.get(shape.path)
        source = ns.source_file if ns else f"{api.source_root}/"
        ns_header = (
            f"# Generated by sdkgen {api.tool_version} from {source} "
            f"(contract sha256:{ns.contract_hash if ns else api.contract_hash}). DO NOT EDIT."
        )
        outbound, inbound = _methods(shape)
        out[f"{base}/models/{shape.module}.py"] = models_module(shape, ns_header)
        out[f"{base}/{shape.module}.py"] = render(
            "namespace.py.jinja",
            header=ns_header,
            ns=shape,
            class_name=class_name,
            sync_class_name=class_name.removesuffix("Client") + "SyncClient",
            outbound=outbound,
            inbound=inbound,
            models=sorted(
                {m.event.payload for m in outbound + inbound}
                | {m.event.ack for m in outbound + inbound if m.event.ack}
                | ({shape.auth} if shape.auth else set())
            ),
        )
    return out
