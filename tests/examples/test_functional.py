"""The chat example over real connections, driven by python-socketio's AsyncClient.

uvicorn serves `examples.chat.app` in a subprocess; `pysio_chat_client.py` runs in the
interop virtualenv (python-socketio is never importable here) and reports what it saw
as JSON lines, which these tests check: typed acks for valid events, the contract's
structured errors for invalid ones, and a server that is still healthy afterwards.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.examples.harness import HERE, MODERATOR_TOKEN, Served, chat_server

CLIENT = HERE / "pysio_chat_client.py"
FLAG = "\N{TRIANGULAR FLAG ON POST}"
THUMBS = "\N{THUMBS UP SIGN}"

Steps = dict[str, list[dict[str, Any]]]


def run_client(python: Path, url: str, transport: str) -> Steps:
    done = subprocess.run(
        [str(python), str(CLIENT), url, transport, MODERATOR_TOKEN],
        capture_output=True,
        text=True,
        timeout=120,
    )
    steps: Steps = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        steps.setdefault(record.pop("step"), []).append(record)
    assert done.returncode == 0 and "done" in steps, done.stdout[-5000:] + done.stderr[-5000:]
    return steps


@dataclass(frozen=True)
class Run:
    served: Served
    steps: Steps


# The first run creates the python-socketio virtualenv (pip), which takes a while.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module", params=["polling", "websocket"])
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pysio_python: Path
) -> Iterator[Run]:
    """A fresh server per transport (the rooms' state starts empty), played through once."""
    with chat_server(tmp_path_factory.mktemp("chat") / "uvicorn.log") as served:
        yield Run(served, run_client(pysio_python, served.url, str(request.param)))


@pytest.fixture
def steps(run: Run) -> Steps:
    return run.steps


def ok(ack: dict[str, Any]) -> dict[str, Any]:
    assert ack["ok"] is True, ack
    data: dict[str, Any] = ack["data"]
    return data


def error(ack: dict[str, Any]) -> dict[str, Any]:
    assert ack["ok"] is False and set(ack) == {"ok", "error"}, ack
    err: dict[str, Any] = ack["error"]
    assert set(err) == {"code", "message", "event", "details"}, err
    return err


def test_join_and_membership(steps: Steps) -> None:
    (login,) = steps["login"]
    assert login["user"]["name"] == "ann" and login["token_length"] >= 16
    joined = ok(steps["ann_join"][0]["ack"])
    assert joined["room"] == "lobby" and joined["topic"]
    assert [m["name"] for m in joined["members"]] == ["ann"]
    both = ok(steps["bob_join"][0]["ack"])
    assert sorted(m["name"] for m in both["members"]) == ["ann", "bob"]
    (seen,) = steps["ann_sees_join"]
    assert seen["data"]["change"] == "joined" and seen["data"]["member"]["name"] == "bob"
    assert seen["data"]["member"]["status"] == "online"


def test_messages_are_acked_and_delivered(steps: Steps) -> None:
    accepted = ok(steps["send"][0]["ack"])
    assert accepted["sent_at"].endswith("Z")
    message = steps["bob_sees_message"][0]["data"]["message"]
    assert message["id"] == accepted["id"] and message["author"]["name"] == "ann"
    assert message["content"] == {"kind": "text", "text": "hi bob", "mentions": []}
    # Resending a client_ref is idempotent for its user, and only for its user.
    assert ok(steps["resend"][0]["ack"]) == accepted
    assert ok(steps["bob_send"][0]["ack"])["id"] != accepted["id"]


def test_typing_notices(steps: Steps) -> None:
    started = steps["ann_sees_typing"][0]["data"]
    assert started["room"] == "lobby" and [m["name"] for m in started["typing"]] == ["bob"]
    # Posting a message ends the author's typing notice.
    assert steps["ann_sees_typing_stop"][0]["data"] == {"room": "lobby", "typing": []}


def test_bytes_travel_as_binary_attachments(steps: Steps) -> None:
    ok(steps["send_file"][0]["ack"])
    (file,) = steps["ann_sees_file"]
    assert file["data_type"] == "bytes" and file["data"] == "00ff"


def test_history_reactions_and_reports(steps: Steps) -> None:
    page = ok(steps["history"][0]["ack"])
    assert len(page["messages"]) == 2 and page["has_more"] is True
    assert page["messages"][-1]["content"]["kind"] == "file"  # oldest first, newest last
    reacted = steps["ann_sees_reaction"][0]["data"]["message"]
    assert reacted["reactions"] == {THUMBS: 1} and reacted["content"]["text"] == "hi bob"
    report = steps["report"][0]["data"]
    assert report["message_id"] == reacted["id"] and report["reporter"]["name"] == "bob"
    assert report["room"] == "lobby" and report["filed_at"].endswith("Z")


def test_moderation(steps: Steps) -> None:
    (bad,) = steps["mod_bad_token"]
    assert bad["ok"] is False and bad["refusals"][0]["message"] == "not a moderator"
    assert ok(steps["mute"][0]["ack"])["applied"] is True
    assert error(steps["bob_muted"][0]["ack"])["code"] == "muted"
    deleted = ok(steps["delete_missing"][0]["ack"])
    assert deleted["applied"] is False and deleted["reason"] == "no such message"


def test_presence_and_delivery_check(steps: Steps) -> None:
    assert ok(steps["away"][0]["ack"]) == {"status": "away", "note": "lunch"}
    away = steps["bob_sees_away"][0]["data"]
    assert away["member"]["name"] == "ann" and away["member"]["status"] == "away"
    assert away["note"] == "lunch"
    assert ok(steps["online"][0]["ack"])["status"] == "online"
    # Coming back online, ann is asked which messages she has (the server->client event
    # with a client ack); she claims all but the first, which the server sends again.
    (catch_up,) = steps["catch_up"]
    (check,) = catch_up["checks"]
    assert check["room"] == "lobby" and len(check["message_ids"]) == 3
    assert catch_up["resent"]["message"]["id"] == check["message_ids"][0]


def test_every_bad_payload_gets_a_structured_error(steps: Steps) -> None:
    (report,) = steps["bad_payloads"]
    assert len(report["errors"]) >= 8 * 10
    for item in report["errors"]:
        err = error(item["ack"]) if "ack" in item else item["error"]
        assert err["code"] == "invalid_payload", item
        assert err["event"] == item["event"]
        assert err["details"] and all({"loc", "msg", "type"} == set(d) for d in err["details"])
    assert error(steps["no_payload"][0]["ack"])["details"][0]["loc"] == ["room"]
    assert error(steps["two_payloads"][0]["ack"])["code"] == "invalid_payload"


def test_application_errors(steps: Steps) -> None:
    assert error(steps["not_in_room"][0]["ack"])["code"] == "not_in_room"
    unacked = steps["not_in_room_unacked"][0]["data"]
    assert unacked["code"] == "not_in_room" and unacked["event"] == "typing"
    unknown = error(steps["unknown_event"][0]["ack"])
    assert unknown["code"] == "unknown_event" and unknown["event"] == "room:destroy"
    assert ok(steps["create_locked"][0]["ack"])["room"] == "vault"
    assert error(steps["wrong_password"][0]["ack"])["code"] == "wrong_password"
    assert ok(steps["legacy_join"][0]["ack"])["history"] == []


def test_leaving_and_surviving(steps: Steps) -> None:
    left = steps["ann_sees_leave"][0]["data"]
    assert left["change"] == "left" and left["member"]["name"] == "bob"
    assert len(ok(steps["still_alive"][0]["ack"])["messages"]) == 1


def test_auth_is_validated_by_the_contract(steps: Steps) -> None:
    short, unknown, missing, bad_client = steps["refused"]
    for refused in steps["refused"]:
        assert refused["ok"] is False
    for invalid, field in ((short, "token"), (missing, "token"), (bad_client, "client")):
        (why,) = invalid["why"]
        assert why["message"] == "invalid auth" and why["data"]["code"] == "invalid_auth"
        assert [d["loc"] for d in why["data"]["details"]] == [[field]]
    assert unknown["why"] == [{"message": "unknown token", "data": {"code": "unknown_token"}}]


def test_the_server_stayed_healthy(run: Run) -> None:
    assert run.served.process.poll() is None
    log = run.served.log()
    assert "Traceback" not in log and "ERROR" not in log, log[-5000:]


def test_login_endpoint(chat: Served) -> None:
    good = httpx.post(f"{chat.url}/api/login", json={"name": "cy"}, timeout=10)
    assert good.status_code == 200 and good.json()["user"]["name"] == "cy"
    for body in (b"{}", b'{"name": "   "}', b"not json", b'{"name": "' + b"x" * 33 + b'"}'):
        bad = httpx.post(f"{chat.url}/api/login", content=body, timeout=10)
        assert bad.status_code == 422, body
    assert httpx.post(f"{chat.url}/api/login", content=b"x" * 5000, timeout=10).status_code == 413
    assert httpx.get(f"{chat.url}/api/login", timeout=10).status_code == 405
    assert httpx.get(f"{chat.url}/api/nothing", timeout=10).status_code == 404
    page = httpx.get(f"{chat.url}/", timeout=10)
    assert page.status_code == 200 and "message:send" in page.text
