"""Analyse: loaded contracts -> frozen IR, plus diagnostics as values.

Every check reports and carries on, so one run shows every problem in a contract
tree. The IR is only returned when there is no error.
"""

from __future__ import annotations

import inspect
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from sdkgen import ir, naming
from sdkgen.contract import ClientEvent, EventRegistration, Namespace, ServerEvent
from sdkgen.diagnostics import Code, Diagnostic, Level, Location, has_errors
from sdkgen.fingerprint import contract_hash, event_record, model_record
from sdkgen.imports import GENERATED_NAMES, import_plan, support_imports
from sdkgen.loader import Loaded
from sdkgen.source import SourceIndex
from sdkgen.typeinfo import IssueKind, ModelFacts, inspect_model

__all__ = ["analyse"]

STABILITIES = ("stable", "beta", "experimental")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$")

_ISSUE_CODES = {
    IssueKind.NAIVE_DATETIME: (Level.WARNING, Code.NAIVE_DATETIME),
    IssueKind.UNTYPED: (Level.WARNING, Code.UNTYPED_FIELD),
    IssueKind.NOT_SERIALISABLE: (Level.ERROR, Code.NOT_SERIALISABLE),
}


@dataclass(frozen=True, slots=True)
class _Model:
    """A model an event or namespace refers to, before local names are assigned."""

    cls: type[BaseModel]
    facts: ModelFacts


@dataclass(frozen=True, slots=True)
class _EventDraft:
    reg: EventRegistration
    cls: type[BaseModel]
    direction: ir.Direction
    wire_name: str
    python_name: str
    payload: _Model
    ack: _Model | None
    stability: str
    line: int


class _Analyser:
    def __init__(self, loaded: Loaded, tool_version: str) -> None:
        self.loaded = loaded
        self.tool_version = tool_version
        self.index = SourceIndex()
        self.diagnostics: list[Diagnostic] = list(loaded.diagnostics)
        self._facts: dict[type, ModelFacts] = {}
        self._reported: set[tuple[Code, str, str]] = set()

    # -- reporting -------------------------------------------------------------
    def report(
        self,
        level: Level,
        code: Code,
        message: str,
        where: Location | None,
        hint: str | None = None,
    ) -> None:
        # Shared models are inspected once per use; report each problem once.
        key = (code, where.display() if where else "", message)
        if key not in self._reported:
            self._reported.add(key)
            self.diagnostics.append(Diagnostic(level, code, message, where, hint))

    def class_location(self, cls: type, fallback: Location | None = None) -> Location | None:
        found = self.index.class_line(cls)
        return Location(found[0], found[1]) if found else fallback

    def field_location(self, cls: type, field: str) -> Location | None:
        found = self.index.field_line(cls, field)
        return Location(found[0], found[1]) if found else None

    # -- models ------------------------------------------------------------------
    def model(self, cls: type[BaseModel], role: str, where: Location | None) -> _Model | None:
        if cls not in self._facts:
            self._facts[cls] = inspect_model(cls)
        facts = self._facts[cls]
        for issue in facts.issues:
            level, code = _ISSUE_CODES[issue.kind]
            owner = issue.model or cls
            name = f"{owner.__qualname__}.{issue.field}" if issue.field else owner.__qualname__
            loc = (self.field_location(owner, issue.field) if issue.field else None) or (
                self.class_location(owner, where)
            )
            self.report(level, code, f"{name}: {issue.detail}", loc)
        if facts.error is not None:
            self.report(
                Level.ERROR,
                Code.NOT_SERIALISABLE,
                f"{role} model {cls.__qualname__} has no JSON Schema: {facts.error}",
                self.class_location(cls, where),
            )
        if facts.error is not None or any(
            i.kind is IssueKind.NOT_SERIALISABLE for i in facts.issues
        ):
            return None
        if "<locals>" in cls.__qualname__:
            self.report(
                Level.ERROR,
                Code.NOT_MODULE_LEVEL,
                f"{role} model {cls.__qualname__} is defined inside a function",
                self.class_location(cls, where),
                hint="generated code imports models, so define them at module level",
            )
            return None
        return _Model(cls, facts)

    def ack_of(self, cls: type[BaseModel], where: Location | None) -> tuple[bool, _Model | None]:
        """(ok, ack model) of an event class: the `Ack` in `ClientEvent[Ack]`."""
        for klass in cls.__mro__:
            meta = getattr(klass, "__pydantic_generic_metadata__", None)
            if meta and meta["origin"] in (ClientEvent, ServerEvent) and meta["args"]:
                ack = meta["args"][0]
                break
        else:
            return True, None
        if ack is None or ack is type(None):
            return True, None
        problem = None
        if not isinstance(ack, type) or not issubclass(ack, BaseModel):
            problem = f"the ack of {cls.__qualname__} must be a pydantic model, not {ack!r}"
        elif issubclass(ack, ClientEvent | ServerEvent):
            problem = f"the ack of {cls.__qualname__} is the event model {ack.__qualname__}"
        elif ack.__pydantic_generic_metadata__["parameters"]:
            problem = f"the ack of {cls.__qualname__} is the unparametrised generic {ack.__name__}"
        if problem:
            self.report(
                Level.ERROR,
                Code.BAD_ACK_MODEL,
                problem,
                where,
                hint="acks are one concrete BaseModel, or no type argument for no ack",
            )
            return False, None
        model = self.model(ack, "ack", where)
        return model is not None, model

    # -- events ------------------------------------------------------------------
    def event(self, ns: Namespace, reg: EventRegistration) -> _EventDraft | None:
        fallback = Location(Path(reg.file).resolve(), reg.line)
        cls = reg.model
        if not (isinstance(cls, type) and issubclass(cls, ClientEvent | ServerEvent)) or (
            cls.__pydantic_generic_metadata__["origin"] is not None
            or cls in (ClientEvent, ServerEvent)
        ):
            self.report(
                Level.ERROR,
                Code.NOT_AN_EVENT,
                f"{getattr(cls, '__qualname__', repr(cls))} is not an event model",
                fallback,
                hint="subclass ClientEvent[Ack] or ServerEvent[Ack] and decorate the class",
            )
            return None
        where = self.class_location(cls, fallback)
        direction = (
            ir.Direction.CLIENT_TO_SERVER
            if issubclass(cls, ClientEvent)
            else ir.Direction.SERVER_TO_CLIENT
        )
        wire = reg.name if reg.name is not None else naming.snake_case(cls.__name__)
        ok = True
        if not isinstance(wire, str) or not wire or wire != wire.strip():
            self.report(
                Level.ERROR,
                Code.INVALID_EVENT_NAME,
                f"event name {wire!r} of {cls.__qualname__} is empty or has surrounding spaces",
                where,
            )
            ok = False
        elif wire in naming.RESERVED_EVENT_NAMES:
            self.report(
                Level.ERROR,
                Code.RESERVED_EVENT_NAME,
                f"event name {wire!r} of {cls.__qualname__} is reserved by Socket.IO or sdkgen",
                where,
                hint="pass another wire name: @ns.event(name=...)",
            )
            ok = False
        timeout = reg.ack_timeout
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            self.report(
                Level.ERROR,
                Code.BAD_ACK_TIMEOUT,
                f"ack_timeout of {cls.__qualname__} must be a positive number of seconds, "
                f"got {timeout!r}",
                where,
            )
            ok = False
        stability = reg.stability or ns.stability
        if stability not in STABILITIES:
            self.report(
                Level.ERROR,
                Code.INVALID_STABILITY,
                f"stability {stability!r} of {cls.__qualname__} is not one of {STABILITIES}",
                where,
            )
            ok = False
        payload = self.model(cls, "payload", where)
        ack_ok, ack = self.ack_of(cls, where)
        if not (ok and ack_ok and payload):
            return None
        assert where is not None
        return _EventDraft(
            reg=reg,
            cls=cls,
            direction=direction,
            wire_name=wire,
            python_name=naming.identifier(cls.__name__),
            payload=payload,
            ack=ack,
            stability=stability,
            line=where.line,
        )

    def check_unique(self, ns: Namespace, drafts: list[_EventDraft]) -> bool:
        ok = True
        seen_cls = Counter(d.cls for d in drafts)
        unique = [d for d in drafts if seen_cls[d.cls] == 1]
        for label, attr, code in (
            ("wire name", "wire_name", Code.DUPLICATE_EVENT_NAME),
            ("Python name", "python_name", Code.PYTHON_NAME_COLLISION),
        ):
            counts = Counter(str(getattr(d, attr)) for d in unique)
            for d in unique:
                value = str(getattr(d, attr))
                if counts[value] > 1:
                    self.report(
                        Level.ERROR,
                        code,
                        f"{label} {value!r} of {d.cls.__qualname__} is used by "
                        f"{counts[value]} events of {ns.path}",
                        self.class_location(d.cls),
                    )
                    ok = False
        for cls, count in seen_cls.items():
            if count > 1:
                self.report(
                    Level.ERROR,
                    Code.DUPLICATE_EVENT,
                    f"{cls.__qualname__} is registered {count} times in {ns.path}",
                    self.class_location(cls),
                )
                ok = False
        classes = list(seen_cls)
        for cls in classes:
            for base in classes:
                if cls is not base and issubclass(cls, base):
                    self.report(
                        Level.ERROR,
                        Code.EVENT_INHERITANCE,
                        f"event {cls.__qualname__} subclasses event {base.__qualname__} "
                        f"of the same namespace",
                        self.class_location(cls),
                        hint="share fields through a common base model that is not an event",
                    )
                    ok = False
        return ok

    # -- namespaces --------------------------------------------------------------
    def namespace(self, ns: Namespace) -> ir.Namespace | None:
        where = Location(Path(ns.file).resolve(), ns.line)
        ok = True
        path = ns.path
        if (
            not isinstance(path, str)
            or not path.startswith("/")
            or any(c.isspace() or c in "?#" for c in path)
        ):
            self.report(
                Level.ERROR,
                Code.INVALID_PATH,
                f"namespace path {path!r} must start with '/' and have no spaces, '?' or '#'",
                where,
            )
            ok = False
        if not isinstance(ns.version, str) or not _SEMVER.match(ns.version):
            self.report(
                Level.WARNING,
                Code.INVALID_VERSION,
                f"version {ns.version!r} of {path} is not semantic (MAJOR.MINOR.PATCH)",
                where,
                hint="breaking-change checks compare major versions",
            )
        if ns.stability not in STABILITIES:
            self.report(
                Level.ERROR,
                Code.INVALID_STABILITY,
                f"stability {ns.stability!r} of {path} is not one of {STABILITIES}",
                where,
            )
            ok = False
        auth: _Model | None = None
        if ns.auth is not None:
            if not (isinstance(ns.auth, type) and issubclass(ns.auth, BaseModel)) or issubclass(
                ns.auth, ClientEvent | ServerEvent
            ):
                self.report(
                    Level.ERROR,
                    Code.BAD_AUTH_MODEL,
                    f"auth of {path} must be a pydantic model (not an event), got {ns.auth!r}",
                    where,
                )
                ok = False
            else:
                auth = self.model(ns.auth, "auth", where)
                ok = self.check_auth_keys(path, ns.auth, where) and ok and auth is not None
        if not ns.events:
            self.report(
                Level.ERROR,
                Code.EMPTY_NAMESPACE,
                f"namespace {path} has no events",
                where,
                hint="register event models with @ns.event",
            )
            return None
        drafts = [self.event(ns, reg) for reg in ns.events]
        if any(d is None for d in drafts):
            ok = False
        good = [d for d in drafts if d is not None]
        ok = self.check_unique(ns, good) and ok
        if not ok:
            return None
        return self.build_namespace(ns, good, auth)

    def check_auth_keys(self, path: str, model: type[BaseModel], where: Location) -> bool:
        """False (and an error) when an auth field uses a key generated clients add."""
        ok = True
        for name, info in model.model_fields.items():
            aliases = (info.alias, info.validation_alias, info.serialization_alias)
            keys = {name, *(a for a in aliases if isinstance(a, str))}
            for key in sorted(keys & naming.RESERVED_AUTH_KEYS):
                self.report(
                    Level.ERROR,
                    Code.RESERVED_AUTH_FIELD,
                    f"auth field {model.__qualname__}.{name} uses the key {key!r} of {path}, "
                    "which generated clients send with their contract version",
                    self.field_location(model, name) or self.class_location(model, where),
                    hint=f"rename the field or give it another alias; {key!r} is reserved",
                )
                ok = False
        return ok

    def build_namespace(
        self, ns: Namespace, drafts: list[_EventDraft], auth: _Model | None
    ) -> ir.Namespace:
        module = naming.module_name_for_path(ns.path)
        class_base = naming.pascal_case(module)
        drafts = sorted(drafts, key=lambda d: d.wire_name)
        taken = set(GENERATED_NAMES) | {
            f"{class_base}Namespace",
            f"{class_base}Handlers",
            module,
            *(naming.constant_name(d.python_name) for d in drafts),
        }
        models: dict[type, _Model] = {}
        for m in [auth, *(d.payload for d in drafts), *(d.ack for d in drafts)]:
            if m is not None:
                models.setdefault(m.cls, m)
        refs, imports = import_plan(((m.cls, m.facts) for m in models.values()), taken)
        events = tuple(
            ir.Event(
                wire_name=d.wire_name,
                python_name=d.python_name,
                const_name=naming.constant_name(d.python_name),
                direction=d.direction,
                payload=refs[d.payload.cls],
                ack=refs[d.ack.cls] if d.ack else None,
                description=_description(d.reg.description, d.cls),
                deprecated=bool(d.reg.deprecated),
                deprecation_message=(d.reg.deprecated if isinstance(d.reg.deprecated, str) else ""),
                stability=d.stability,
                ack_timeout=float(d.reg.ack_timeout) if d.reg.ack_timeout is not None else None,
                source_line=d.line,
            )
            for d in drafts
        )
        source = Path(ns.file).resolve()
        try:
            source_file = source.relative_to(self.loaded.root.parent).as_posix()
        except ValueError:
            source_file = source.name
        description = inspect.cleandoc(ns.description) if ns.description else ""
        auth_ref = refs[auth.cls] if auth else None
        client = tuple(e for e in events if e.direction is ir.Direction.CLIENT_TO_SERVER)
        server = tuple(e for e in events if e.direction is ir.Direction.SERVER_TO_CLIENT)
        digest = contract_hash(
            {
                "path": ns.path,
                "version": ns.version,
                "description": description,
                "stability": ns.stability,
                "auth": model_record(auth_ref),
                "events": [event_record(e) for e in events],
            }
        )
        return ir.Namespace(
            path=ns.path,
            version=ns.version,
            description=description,
            stability=ns.stability,
            module_name=module,
            class_name=f"{class_base}Namespace",
            handlers_name=f"{class_base}Handlers",
            var_name=module,
            auth=auth_ref,
            client_events=client,
            server_events=server,
            model_imports=imports,
            support_imports=support_imports(client, server, auth_ref is not None),
            source_file=source_file,
            contract_hash=digest,
        )

    # -- whole tree --------------------------------------------------------------
    def run(self) -> ir.Api | None:
        loaded = self.loaded
        if not loaded.namespaces and not has_errors(self.diagnostics):
            self.report(
                Level.ERROR,
                Code.NO_NAMESPACES,
                f"no Namespace found in {loaded.root}",
                None,
                hint="create one at module level: chat = Namespace('/chat', ...)",
            )
        by_path: dict[str, list[Namespace]] = {}
        for ns in loaded.namespaces:
            by_path.setdefault(str(ns.path), []).append(ns)
        for path, group in sorted(by_path.items()):
            for ns in group[1:]:
                self.report(
                    Level.ERROR,
                    Code.DUPLICATE_PATH,
                    f"namespace {path} is declared {len(group)} times",
                    Location(Path(ns.file).resolve(), ns.line),
                )
        built = [self.namespace(ns) for ns in sorted(loaded.namespaces, key=_ns_key)]
        # Same path is already a duplicate-path error; here: different paths, one module.
        modules = Counter(m for m, _ in {(n.module_name, n.path) for n in built if n})
        for n in built:
            if n is not None and modules[n.module_name] > 1:
                self.report(
                    Level.ERROR,
                    Code.MODULE_COLLISION,
                    f"namespace {n.path} maps to module {n.module_name!r} like another one",
                    None,
                    hint="namespace paths must differ in more than punctuation",
                )
        # `/chat`'s sync twin is `chat_sync`: a namespace whose module has that name clashes.
        sync_names = {n.sync_var_name: n.path for n in built if n is not None}
        for n in built:
            if n is not None and (twin_of := sync_names.get(n.module_name)) is not None:
                self.report(
                    Level.ERROR,
                    Code.MODULE_COLLISION,
                    f"namespace {n.path} maps to module {n.module_name!r}, the name of the "
                    f"sync twin of {twin_of}",
                    None,
                    hint=f"rename one of the namespaces; {ir.SYNC_SUFFIX!r} ends sync twin names",
                )
        self.check_unregistered()
        if has_errors(self.diagnostics):
            return None
        namespaces = tuple(n for n in built if n is not None)
        return ir.Api(
            namespaces=namespaces,
            tool_version=self.tool_version,
            source_root=loaded.root.name,
            contract_hash=contract_hash([loaded.root.name, *(n.contract_hash for n in namespaces)]),
        )

    def check_unregistered(self) -> None:
        registered = {reg.model for ns in self.loaded.namespaces for reg in ns.events}
        for module in self.loaded.modules:
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, ClientEvent | ServerEvent)
                    and value.__module__ == module.__name__
                    and value.__pydantic_generic_metadata__["origin"] is None
                    and value not in registered
                ):
                    self.report(
                        Level.WARNING,
                        Code.UNREGISTERED_EVENT,
                        f"event model {value.__qualname__} is not registered with any namespace",
                        self.class_location(value),
                        hint="decorate it with @ns.event, or derive it from BaseModel",
                    )


def _ns_key(ns: Namespace) -> tuple[str, str, int]:
    return (str(ns.path), ns.file, ns.line)


def _description(override: str | None, cls: type) -> str:
    text = override if override is not None else cls.__dict__.get("__doc__")
    return inspect.cleandoc(text) if isinstance(text, str) else ""


def analyse(loaded: Loaded, *, tool_version: str) -> tuple[ir.Api | None, list[Diagnostic]]:
    """IR and diagnostics for loaded contracts; the IR is None when there are errors."""
    analyser = _Analyser(loaded, tool_version)
    api = analyser.run()
    return api, sorted(analyser.diagnostics, key=Diagnostic.sort_key)
