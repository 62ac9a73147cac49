"""The guide's static-file examples (section "Serving Static Files"), served unchanged.

Each ``static_files`` block is followed by the asyncio half of the guide's block
at line 165, which hands the dictionary to ``ASGIApp``; the tests then fetch
files over HTTP.
"""

from __future__ import annotations

import pytest

from tests.seeds import harness
from tests.seeds.conftest import Serve

pytestmark = pytest.mark.interop

STATIC_TREE: dict[str, bytes] = {
    "latency.html": b"<h1>latency</h1>",
    "static/socket.io.js": b"// socket.io client",
    "static/style.css": b"body {}",
    "public/index.html": b"<h1>public index</h1>",
    "public/css/styles.css": b"h1 {}",
    "public/image.gif": b"GIF89a",
    "public/data.json": b"{}",
    "public/photo.jpg": b"\xff\xd8jpeg",
    "public/picture.png": b"\x89PNGpng",
    "public/notes.txt": b"notes",
    "public/archive.tar": b"tar",
    "public/LICENSE": b"license",
}


def static_epilogue() -> str:
    """The asyncio half of the guide's block at line 165, which wires ``static_files``."""
    text = harness.block("guide:Serving Static Files#6").text
    marker = "# for asyncio-based ASGI applications\n"
    assert marker in text
    return text[text.index(marker) :]


def serve_static(serve: Serve, key: str) -> harness.Server:
    return serve([key], epilogue=static_epilogue(), files=STATIC_TREE)


# python-engineio says application/javascript; RFC 9239 made text/javascript the
# standard. The guide only says "the correct content type": either is.
JAVASCRIPT = ("application/javascript", "text/javascript")


def assert_serves(
    server: harness.Server, path: str, body: bytes, content_type: str | tuple[str, ...]
) -> None:
    response = server.get(path)
    assert response.status == 200, (path, response)
    assert response.body == body, path
    expected = (content_type,) if isinstance(content_type, str) else content_type
    assert response.headers["content-type"].split(";")[0] in expected, (path, response.headers)


def test_static_files_by_url(serve: Serve) -> None:
    server = serve_static(serve, "guide:Serving Static Files#1")
    assert_serves(server, "/", b"<h1>latency</h1>", "text/html")
    assert_serves(server, "/static/socket.io.js", b"// socket.io client", JAVASCRIPT)
    assert_serves(server, "/static/style.css", b"body {}", "text/css")
    assert server.get("/static/other.js").status == 404  # no rule for it
    # Routing precedence: the Socket.IO endpoint comes before any static rule.
    assert server.get("/socket.io/?EIO=4&transport=polling").body.startswith(b"0{")


def test_static_files_explicit_content_type(serve: Serve) -> None:
    server = serve_static(serve, "guide:Serving Static Files#2")
    assert_serves(server, "/", b"<h1>latency</h1>", "text/plain")


def test_static_files_directory(serve: Serve) -> None:
    server = serve_static(serve, "guide:Serving Static Files#3")
    assert_serves(server, "/static/index.html", b"<h1>public index</h1>", "text/html")
    assert_serves(server, "/static/css/styles.css", b"h1 {}", "text/css")
    assert_serves(server, "/static/", b"<h1>public index</h1>", "text/html")  # index.html
    # The extensions the guide lists, then two it does not (octet-stream).
    assert_serves(server, "/static/data.json", b"{}", "application/json")
    assert_serves(server, "/static/photo.jpg", b"\xff\xd8jpeg", "image/jpeg")
    assert_serves(server, "/static/picture.png", b"\x89PNGpng", "image/png")
    assert_serves(server, "/static/image.gif", b"GIF89a", "image/gif")
    assert_serves(server, "/static/notes.txt", b"notes", "text/plain")
    assert_serves(server, "/static/archive.tar", b"tar", "application/octet-stream")
    assert_serves(server, "/static/LICENSE", b"license", "application/octet-stream")
    # Nothing outside ./public, and a missing file is a 404.
    assert server.get("/static/missing.html").status == 404
    for escape in ("/static/../latency.html", "/static/%2e%2e/latency.html"):
        response = server.get(escape)
        assert response.body != b"<h1>latency</h1>", escape


def test_static_files_default_filename(serve: Serve) -> None:
    server = serve_static(serve, "guide:Serving Static Files#4")
    assert_serves(server, "/static/", b"GIF89a", "image/gif")


def test_static_files_default_content_type(serve: Serve) -> None:
    server = serve_static(serve, "guide:Serving Static Files#5")
    assert_serves(server, "/static/", b"GIF89a", "text/plain")
