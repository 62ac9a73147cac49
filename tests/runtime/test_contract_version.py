"""runtime.contract_version: parsing, the policies, and what a refusal says."""

from __future__ import annotations

import pytest

from runtime.contract_version import (
    VERSION_KEY,
    Version,
    VersionPolicy,
    parse_version,
    split_version,
    verdict,
)

MAJOR, EXACT, OFF = VersionPolicy.MAJOR, VersionPolicy.EXACT, VersionPolicy.OFF


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", Version(1, 2, 3)),
        ("1.2", Version(1, 2, 0)),
        ("0.3.0-rc.1", Version(0, 3, 0, "rc.1")),
        ("2.0.0+build.7", Version(2, 0, 0)),
        ("10.20.30-beta+x", Version(10, 20, 30, "beta")),
    ],
)
def test_parse_semver_ish_versions(text: str, expected: Version) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["", "1", "v1.2.3", "1.2.3.4", "1.x", " 1.2.3", "1.2.3-"])
def test_parse_rejects_what_is_not_a_version(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize(
    ("client", "server", "policy", "accepted"),
    [
        ("1.3.0", "1.3.0", MAJOR, True),
        ("1.0.0", "1.3.0", MAJOR, True),  # same major, older minor
        ("1.9.2", "1.3.0", MAJOR, True),  # same major, newer minor
        ("2.0.0", "1.3.0", MAJOR, False),
        ("0.9.0", "1.3.0", MAJOR, False),
        ("0.3.1", "0.3.0", MAJOR, True),  # 0.y: the minor is the breaking digit
        ("0.4.0", "0.3.0", MAJOR, False),
        ("1.3", "1.3.0", EXACT, True),
        ("1.3.0+abc", "1.3.0", EXACT, True),  # build metadata is not part of the version
        ("1.3.1", "1.3.0", EXACT, False),
        ("1.3.0-rc.1", "1.3.0", EXACT, False),
        ("9.0.0", "1.3.0", OFF, True),
        ("garbage", "1.3.0", OFF, True),
        ("garbage", "1.3.0", MAJOR, False),
        ("custom", "custom", MAJOR, True),  # free-form versions match only themselves
        ("1.3.0", "custom", MAJOR, False),
    ],
)
def test_policies(client: str, server: str, policy: VersionPolicy, accepted: bool) -> None:
    assert (verdict("/chat", client, server, policy) is None) is accepted


def test_a_rejection_names_both_versions_and_the_policy() -> None:
    refused = verdict("/chat", "2.0.0", "1.3.0", MAJOR)
    assert refused is not None
    assert refused.message == (
        "client contract /chat 2.0.0 is incompatible with server 1.3.0 (major version differs)"
    )
    assert refused.data == {
        "code": "incompatible_version",
        "client_version": "2.0.0",
        "server_version": "1.3.0",
        "policy": "major",
    }
    before_one = verdict("/m", "0.4.0", "0.3.0", MAJOR)
    assert before_one is not None and "breaking before 1.0" in before_one.message
    exact = verdict("/chat", "1.3.1", "1.3.0", EXACT)
    assert exact is not None and exact.data["policy"] == "exact"
    assert "(exact version required)" in exact.message


def test_a_missing_version_is_refused_only_when_required() -> None:
    assert verdict("/chat", None, "1.3.0", MAJOR) is None
    assert verdict("/chat", None, "1.3.0", OFF, require_version=True) is None
    refused = verdict("/chat", None, "1.3.0", EXACT, require_version=True)
    assert refused is not None
    assert refused.message == (
        "client contract /chat sent no version; it is required by server 1.3.0 "
        "(the server requires a version)"
    )
    assert refused.data["client_version"] is None and refused.data["policy"] == "exact"


def test_a_version_that_is_not_a_string_is_refused() -> None:
    refused = verdict("/chat", 2, "1.3.0", MAJOR)
    assert refused is not None and refused.reason == "not a version string"
    assert refused.data["client_version"] == "2"


def test_split_version_strips_the_reserved_key_only_from_mappings() -> None:
    auth = {"token": "t", VERSION_KEY: "1.2.0"}
    assert split_version(auth) == ({"token": "t"}, "1.2.0")
    assert auth == {"token": "t", VERSION_KEY: "1.2.0"}  # the caller's dict is left alone
    assert split_version({"token": "t"}) == ({"token": "t"}, None)
    assert split_version(None) == (None, None)
    assert split_version(["not", "a", "dict"]) == (["not", "a", "dict"], None)


def test_sdkgen_refuses_auth_models_using_the_key() -> None:
    from sdkgen.naming import RESERVED_AUTH_KEYS

    assert VERSION_KEY in RESERVED_AUTH_KEYS
