"""EngineConfig, CORS policy and HTTP compression (all pure)."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import pytest

from runtime.engineio.compression import choose_encoding, compress
from runtime.engineio.config import EngineConfig
from runtime.engineio.cors import CorsPolicy
from runtime.engineio.http import HttpRequest


def test_defaults_are_python_engineio_defaults() -> None:
    config = EngineConfig()
    assert config.ping_interval == 25.0
    assert config.ping_timeout == 20.0
    assert config.max_http_buffer_size == 1_000_000
    assert config.allow_upgrades is True
    assert config.http_compression is True
    assert config.compression_threshold == 1024
    assert config.cookie is None
    assert config.cors_allowed_origins is None
    assert config.cors_credentials is True
    assert config.monitor_clients is True
    assert config.transports == ("polling", "websocket")
    assert config.upgrade_timeout == 10.0
    assert config.advertised_ping_interval_ms == 25000
    assert config.advertised_ping_timeout_ms == 20000


def test_ping_interval_with_grace_and_exact_milliseconds() -> None:
    config = EngineConfig(ping_interval=(0.5, 0.25), ping_timeout=0.3)
    assert config.ping_interval_seconds == 0.5
    assert config.advertised_ping_interval_ms == 750
    assert config.advertised_ping_timeout_ms == 300
    # python-engineio advertises int(0.5) * 1000 == 0 here: we must not.
    assert EngineConfig(ping_interval=0.5).advertised_ping_interval_ms == 500


def test_from_kwargs_normalises_like_python_engineio() -> None:
    config = EngineConfig.from_kwargs(
        transports="websocket",
        ping_interval=[10, 5],
        async_mode="asgi",  # not an engine option: ignored
        some_future_option=True,
        cors_allowed_origins=["*"],
        cookie=False,
    )
    assert config.cookie is None
    assert config.transports == ("websocket",)
    assert config.ping_interval == (10.0, 5.0)
    assert config.cors_allowed_origins == "*"
    assert EngineConfig.from_kwargs(transports=["websocket", "bogus", "polling"]).transports == (
        "polling",
        "websocket",
    )
    with pytest.raises(ValueError):
        EngineConfig.from_kwargs(transports=["bogus"])
    with pytest.raises(ValueError):
        EngineConfig.from_kwargs(transports=[])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ping_interval": 0},
        {"ping_timeout": -1},
        {"max_http_buffer_size": 0},
        {"transports": ("polling", "carrier-pigeon")},
        {"cookie": {"path": "/"}},
        {"max_packets_per_payload": 0},
    ],
)
def test_invalid_configs_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        EngineConfig(**kwargs)


def test_upgrades_follow_options() -> None:
    assert EngineConfig().upgrades == ("websocket",)
    assert EngineConfig(allow_upgrades=False).upgrades == ()
    assert EngineConfig(transports=("polling",)).upgrades == ()


def request(origin: str | None, **headers: str) -> HttpRequest:
    all_headers = {"host": "example.com", **headers}
    if origin is not None:
        all_headers["origin"] = origin
    return HttpRequest("GET", "/engine.io/", "", all_headers, scheme="http")


def test_same_origin_by_default() -> None:
    policy = CorsPolicy(None)
    assert policy.allows(request("http://example.com"))
    assert not policy.allows(request("http://evil.com"))
    assert not policy.allows(request("https://example.com"))
    assert policy.allows(request(None))  # no Origin: not a browser cross-site request


def test_same_origin_honours_forwarded_headers() -> None:
    policy = CorsPolicy(None)
    proxied = request(
        "https://public.example.org",
        **{"x-forwarded-proto": "https, http", "x-forwarded-host": "public.example.org"},
    )
    assert policy.allows(proxied)
    ws = HttpRequest(
        "GET", "/", "", {"host": "example.com", "origin": "https://example.com"}, scheme="wss"
    )
    assert policy.allows(ws)


def test_explicit_origins_wildcards_and_disabled() -> None:
    assert CorsPolicy("*").allows(request("http://anything"))
    assert CorsPolicy(["*"]).allows(request("http://anything"))
    listed = CorsPolicy(["http://a.com", "http://b.com"])
    assert listed.allows(request("http://b.com"))
    assert not listed.allows(request("http://c.com"))
    single = CorsPolicy("http://a.com")
    assert single.allows(request("http://a.com"))
    assert not single.allows(request("http://example.com"))  # same origin is not implied
    disabled = CorsPolicy([])
    assert not disabled.enabled
    assert disabled.allows(request("http://evil.com"))
    assert disabled.headers(request("http://evil.com")) == ()


def test_callable_origins_with_one_or_two_arguments() -> None:
    seen: list[object] = []

    def two(origin: str, environ: object) -> bool:
        seen.append(environ)
        return origin.endswith(".good")

    assert CorsPolicy(lambda origin: origin == "http://x.good").allows(request("http://x.good"))
    req = request("http://y.good")
    assert CorsPolicy(two).allows(req)
    assert seen == [req]
    assert not CorsPolicy(two).allows(request("http://y.bad"))

    def broken(origin: str) -> bool:
        raise RuntimeError("bug")

    assert not CorsPolicy(broken).allows(request("http://x"))


def test_cors_response_headers() -> None:
    req = request("http://a.com", **{"access-control-request-headers": "content-type, x-token"})
    with_credentials = CorsPolicy("*")
    assert dict(with_credentials.headers(req)) == {
        "Access-Control-Allow-Origin": "http://a.com",
        "Access-Control-Allow-Credentials": "true",
    }
    assert dict(CorsPolicy("*", credentials=False).headers(req)) == {
        "Access-Control-Allow-Origin": "http://a.com"
    }
    preflight = dict(with_credentials.preflight_headers(req))
    assert preflight["Access-Control-Allow-Methods"] == "OPTIONS, GET, POST"
    assert preflight["Access-Control-Allow-Headers"] == "content-type, x-token"
    assert CorsPolicy("*").headers(request(None)) == ()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("gzip, deflate, br", "gzip"),
        ("deflate;q=1, gzip;q=0.5", "deflate"),
        ("gzip;q=0", None),
        ("br", None),
        ("*", "gzip"),
        ("identity", None),
    ],
)
def test_choose_encoding(header: str | None, expected: str | None) -> None:
    assert choose_encoding(header) == expected


def test_compress_produces_standard_streams() -> None:
    body = b"4hello world " * 200
    assert gzip.decompress(compress(body, "gzip")) == body
    assert zlib.decompress(compress(body, "deflate")) == body
    assert len(compress(body, "gzip")) < len(body)
