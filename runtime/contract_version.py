"""Contract version negotiation at connect (sans-IO): is a client's contract version
compatible with the server's?

Generated clients announce the version of their namespace's contract in the connect
auth under the reserved key ``sdkgen_version``. The server strips the key before it
validates the auth model, then asks `verdict` whether to accept the client.

Versions are semver-ish: ``X.Y`` or ``X.Y.Z``, optionally with ``-prerelease`` and
``+build`` (build metadata is ignored). The policies:

* ``major``: the breaking digit must match. That is the major version, except for
  ``0.y.z`` where the minor is the breaking digit, as ``sdkgen check`` reads semver
  (a breaking change takes ``0.3.0`` to ``0.4.0``);
* ``exact``: the versions must be equal (``1.2`` equals ``1.2.0``);
* ``off``: any version, or none, is accepted.

A client that sends no version is accepted unless the server requires one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "VERSION_KEY",
    "Rejection",
    "Version",
    "VersionPolicy",
    "parse_version",
    "split_version",
    "verdict",
]

VERSION_KEY: Final = "sdkgen_version"

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


class VersionPolicy(StrEnum):
    MAJOR = "major"
    EXACT = "exact"
    OFF = "off"


@dataclass(frozen=True, slots=True, order=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: str = ""

    @property
    def breaking(self) -> tuple[int, ...]:
        """The digits a breaking change bumps: (major,), or (0, minor) before 1.0."""
        return (0, self.minor) if self.major == 0 else (self.major,)


def parse_version(text: str) -> Version | None:
    """``X.Y[.Z][-pre][+build]`` as a `Version`; None when `text` is not one."""
    match = _VERSION.match(text)
    if match is None:
        return None
    return Version(int(match[1]), int(match[2]), int(match[3] or 0), match[4] or "")


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a client's contract version is refused, ready for a ``connect_error``."""

    namespace: str
    client_version: str | None
    server_version: str
    policy: VersionPolicy
    reason: str

    @property
    def message(self) -> str:
        client = "sent no version" if self.client_version is None else self.client_version
        verb = "; it is required by" if self.client_version is None else " is incompatible with"
        return (
            f"client contract {self.namespace} {client}{verb} server {self.server_version} "
            f"({self.reason})"
        )

    @property
    def data(self) -> dict[str, Any]:
        return {
            "code": "incompatible_version",
            "client_version": self.client_version,
            "server_version": self.server_version,
            "policy": self.policy.value,
        }


def split_version(auth: Any) -> tuple[Any, object]:
    """(`auth` without the version key, the announced version or None).

    Anything but a mapping is returned as is (the auth model reports it).
    """
    if not isinstance(auth, Mapping) or VERSION_KEY not in auth:
        return auth, None
    rest = {k: v for k, v in auth.items() if k != VERSION_KEY}
    return rest, auth[VERSION_KEY]


def verdict(
    namespace: str,
    client: object,
    server: str,
    policy: VersionPolicy,
    *,
    require_version: bool = False,
) -> Rejection | None:
    """None to accept the client's `client` version, else why it is refused."""
    if policy is VersionPolicy.OFF:
        return None
    if client is None:
        if not require_version:
            return None
        return Rejection(namespace, None, server, policy, "the server requires a version")
    if not isinstance(client, str):
        shown = repr(client)[:40]
        return Rejection(namespace, shown, server, policy, "not a version string")
    if client == server:
        return None
    ours, theirs = parse_version(server), parse_version(client)
    if theirs is None:
        return Rejection(namespace, client, server, policy, f"{client!r} is not a version")
    if ours is None:  # the server's own version is free-form: only equality can match
        return Rejection(namespace, client, server, policy, "versions differ")
    if policy is VersionPolicy.EXACT:
        if ours == theirs:
            return None
        return Rejection(namespace, client, server, policy, "exact version required")
    if ours.breaking == theirs.breaking:
        return None
    reason = "major version differs"
    if ours.major == 0 and theirs.major == 0:
        reason = "minor version differs, which is breaking before 1.0"
    return Rejection(namespace, client, server, policy, reason)
