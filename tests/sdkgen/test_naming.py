"""Names: pure functions, table-driven plus properties."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdkgen import naming


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SendMessage", "send_message"),
        ("HTTPRequest", "http_request"),
        ("RoomV2", "room_v2"),
        ("Typing", "typing"),
        ("getHTTPResponseCode", "get_http_response_code"),
        ("already_snake", "already_snake"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert naming.snake_case(name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Import", "import_"),
        ("match", "match_"),
        ("message:send", "message_send"),
        ("2fast", "x_2fast"),
        ("", "x"),
        ("--", "x"),
    ],
)
def test_identifier(text: str, expected: str) -> None:
    assert naming.identifier(text) == expected


@pytest.mark.parametrize(
    ("path", "module"),
    [("/", "root"), ("/chat", "chat"), ("/feed/v2", "feed_v2"), ("/Admin-Panel", "admin_panel")],
)
def test_module_name_for_path(path: str, module: str) -> None:
    assert naming.module_name_for_path(path) == module


@given(st.text(max_size=30))
def test_identifier_is_always_a_usable_name(text: str) -> None:
    ident = naming.identifier(text)
    assert ident.isidentifier()
    assert not keyword.iskeyword(ident)
    assert not keyword.issoftkeyword(ident)


def test_pascal_and_constant_names() -> None:
    assert naming.pascal_case("feed_v2") == "FeedV2"
    assert naming.constant_name("send_message") == "SEND_MESSAGE"
