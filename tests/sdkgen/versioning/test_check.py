"""`check`: no-ops, version bumps, ignore entries, report formats, the CLI and a real git history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sdkgen.cli import app
from sdkgen.diff.check import (
    CheckResult,
    IgnoreEntry,
    IgnoreError,
    load_ignores,
    next_version,
    version_bump,
)
from sdkgen.lock import LOCK_FILE, LockError, dumps, loads
from sdkgen.report import COMMENT_MARKER, MARKDOWN_LIMIT, Format, render
from sdkgen.rules import Bump, Category, Severity
from tests.sdkgen.helpers import ROOT
from tests.sdkgen.versioning.pairs import contract, line_in, lock_for, run_check, write_contract

BREAK = {"ping": ["text: str", "n: int"]}  # a required field the server now reads: ERR


def test_no_change_reports_nothing(tmp_path: Path) -> None:
    result = run_check(tmp_path, contract(), contract())
    assert result.findings == ()
    assert not result.failing()


def test_reordering_fields_and_events_reports_nothing(tmp_path: Path) -> None:
    old = contract(ping=["text: str", "n: int = 1"], footer="")
    new = contract(ping=["n: int = 1", "text: str"])
    assert run_check(tmp_path / "a", old, new).findings == ()
    # Events declared in another order (Ask before Ping): same lock.
    moved = new.replace("@ns.event\nclass Ask(ServerEvent[Answer]):\n    question: str\n", "")
    moved = moved.replace("class Pong(BaseModel):", "class Pong(BaseModel):", 1)
    moved += "\n@ns.event\nclass Ask(ServerEvent[Answer]):\n    question: str\n"
    assert lock_for(tmp_path / "b", new) == lock_for(tmp_path / "c", moved)


def test_docstring_edit_is_docs_only_and_not_breaking(tmp_path: Path) -> None:
    result = run_check(tmp_path, contract(), contract(ping_doc="Ping the server, politely."))
    assert [(f.rule, f.severity, f.category) for f in result.findings] == [
        ("event-description-changed", Severity.INFO, Category.DOCS)
    ]
    assert not result.failing(Severity.WARN)
    assert result.versions[0].needed is Bump.PATCH
    assert "needs a patch bump: 1.0.0 -> 1.0.1" in result.versions[0].suggestion


def test_breaking_change_fails_without_major_bump_and_says_which_bump(tmp_path: Path) -> None:
    result = run_check(tmp_path, contract(), contract(**BREAK, version="1.4.0"))
    assert [f.rule for f in result.failing()] == ["required-field-added"]
    assert result.versions[0].suggestion == "needs a major bump: 1.0.0 -> 2.0.0"


def test_major_bump_approves_breaking_changes(tmp_path: Path) -> None:
    result = run_check(tmp_path, contract(), contract(**BREAK, version="2.0.0"))
    (finding,) = result.findings
    assert finding.severity is Severity.ERROR
    assert finding.approved == "major version bump 1.0.0 -> 2.0.0"
    assert not result.failing()


def test_zero_major_versions_break_on_the_minor_digit(tmp_path: Path) -> None:
    patch = run_check(tmp_path / "a", contract(version="0.3.0"), contract(**BREAK, version="0.3.1"))
    assert patch.failing() and patch.versions[0].suggestion.endswith("0.3.0 -> 0.4.0")
    minor = run_check(tmp_path / "b", contract(version="0.3.0"), contract(**BREAK, version="0.4.0"))
    assert not minor.failing()


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("1.2.3", "1.2.3", Bump.NONE),
        ("1.2.3", "1.2.4", Bump.PATCH),
        ("1.2.3", "1.3.0", Bump.MINOR),
        ("1.2.3", "2.0.0", Bump.MAJOR),
        ("1.2.3", "1.0.0", Bump.NONE),
        ("0.3.0", "0.4.0", Bump.MAJOR),
        ("0.3.0", "0.3.1", Bump.MINOR),
        ("0.3.0", "1.0.0", Bump.MAJOR),
        ("x", "2.0.0", Bump.NONE),
    ],
)
def test_version_bump(old: str, new: str, bump: Bump) -> None:
    assert version_bump(old, new) is bump


def test_next_version() -> None:
    assert next_version("1.2.3", Bump.MAJOR) == "2.0.0"
    assert next_version("1.2.3", Bump.MINOR) == "1.3.0"
    assert next_version("1.2.3", Bump.PATCH) == "1.2.4"
    assert next_version("0.2.3", Bump.MAJOR) == "0.3.0"


def _ignore(until: date, **scope: str) -> IgnoreEntry:
    return IgnoreEntry(
        rule="required-field-added", reason="server ships first", until=until, **scope
    )


def test_ignore_entry_approves_until_it_expires(tmp_path: Path) -> None:
    live = run_check(
        tmp_path / "a",
        contract(),
        contract(**BREAK),
        ignores=(_ignore(date(2026, 12, 31), namespace="/t", event="ping", path="n"),),
    )
    assert not live.failing()
    assert live.findings[0].approved == "ignored until 2026-12-31: server ships first"

    expired = run_check(
        tmp_path / "b",
        contract(),
        contract(**BREAK),
        ignores=(_ignore(date(2026, 1, 1)),),
        today=date(2026, 6, 1),
    )
    assert [f.rule for f in expired.failing()] == ["required-field-added"]
    assert [f.rule for f in expired.findings if f.rule.startswith("ignore")] == ["ignore-expired"]

    elsewhere = run_check(
        tmp_path / "c",
        contract(),
        contract(**BREAK),
        ignores=(_ignore(date(2026, 12, 31), event="other"),),
    )
    assert elsewhere.failing()
    assert "ignore-unused" in [f.rule for f in elsewhere.findings]


def test_ignore_file_requires_reason_and_date(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        '[[check.ignore]]\nrule = "event-removed"\nnamespace = "/chat"\nevent = "typing"\n'
        'reason = "no client uses it"\nuntil = 2026-12-31\n'
    )
    (entry,) = load_ignores(good)
    assert (entry.rule, entry.event, entry.until) == ("event-removed", "typing", date(2026, 12, 31))
    for body, message in [
        ('rule = "event-removed"\nuntil = 2026-12-31\n', "'reason' is required"),
        ('rule = "event-removed"\nreason = "x"\n', "'until' must be a TOML date"),
        ('rule = "nope"\nreason = "x"\nuntil = 2026-12-31\n', "unknown rule"),
        ('rule = "event-removed"\nreason = "x"\nuntil = 2026-12-31\nwho = 1\n', "unknown keys"),
    ]:
        bad = tmp_path / "bad.toml"
        bad.write_text("[[check.ignore]]\n" + body)
        with pytest.raises(IgnoreError, match=message):
            load_ignores(bad)


def test_lock_is_canonical_and_versioned(tmp_path: Path) -> None:
    lock = lock_for(tmp_path, contract())
    text = dumps(lock)
    assert text.endswith("}\n") and loads(text) == lock
    assert list(json.loads(text)) == sorted(json.loads(text))
    ping = lock["namespaces"]["/t"]["events"]["ping"]
    # Who reads decides the schema mode.
    assert (ping["payload"]["reader"], ping["payload"]["mode"]) == ("server", "validation")
    assert (ping["ack"]["reader"], ping["ack"]["mode"]) == ("client", "serialization")
    ask = lock["namespaces"]["/t"]["events"]["ask"]
    assert (ask["ack"]["reader"], ask["ack"]["mode"]) == ("server", "validation")
    assert lock["reader_policy"]["client"]["unknown_keys"] == "ignore"
    with pytest.raises(LockError, match="format"):
        loads(text.replace('"format": 1', '"format": 99'))
    with pytest.raises(LockError, match="not JSON"):
        loads("{")


def _break_result(tmp_path: Path) -> tuple[CheckResult, str]:
    new = contract(**BREAK, ping_doc="Changed.")
    return run_check(tmp_path, contract(), new), new


def test_reports_in_every_format(tmp_path: Path) -> None:
    result, new = _break_result(tmp_path)
    failing = result.failing()
    line = line_in(new, "n: int")

    text = render(result, Format.TEXT, failing)
    assert (
        f"api/t.py:{line}: ERR WIRE /t ping payload[C->S] n required-field-added: "
        "required field 'n' added [needs a major version bump]"
    ) in text
    assert "/t: needs a major bump: 1.0.0 -> 2.0.0" in text

    doc = json.loads(render(result, Format.JSON, failing))
    assert doc["failed"] is True
    (err,) = [f for f in doc["findings"] if f["severity"] == "error"]
    assert err | {} == err and (err["rule"], err["reader"], err["direction"]) == (
        "required-field-added",
        "server",
        "client_to_server",
    )
    assert (err["file"], err["line"], err["bump"], err["row"]) == ("api/t.py", line, "major", 10)

    md = render(result, Format.MARKDOWN, failing)
    assert md.startswith(COMMENT_MARKER)
    assert "| :x: | ERR | WIRE | ping | payload (server reads) | n | `required-field-added` |" in md
    assert "<details><summary>1 compatible change(s)</summary>" in md

    gh = render(result, Format.GITHUB, failing)
    assert f"::error file=api/t.py,line={line},title=required-field-added (wire)::" in gh
    assert "event-description-changed" not in gh  # INFO is not annotated


# -- the command line ---------------------------------------------------------------------


def test_cli_check_against_a_lock_file(tmp_path: Path) -> None:
    old_lock = tmp_path / "old.lock.json"
    old_lock.write_text(dumps(lock_for(tmp_path / "v1", contract())))
    pkg = write_contract(tmp_path / "v2", contract(**BREAK))
    runner = CliRunner()
    result = runner.invoke(app, ["check", str(pkg), "--against", str(old_lock)])
    assert result.exit_code == 1, result.output
    assert "required-field-added" in result.stdout
    result = runner.invoke(
        app, ["check", str(pkg), "--against", str(old_lock), "--fail-on", "warn", "-f", "json"]
    )
    assert result.exit_code == 1 and json.loads(result.stdout)["failed"] is True
    # An ignore file beside the contracts approves it.
    (pkg.parent / "sdkgen.toml").write_text(
        '[[check.ignore]]\nrule = "required-field-added"\nreason = "server first"\n'
        "until = 2099-01-01\n"
    )
    result = runner.invoke(app, ["check", str(pkg), "--against", str(old_lock)])
    assert result.exit_code == 0, result.output
    assert "ignored until 2099-01-01: server first" in result.stdout
    result = runner.invoke(app, ["check", str(pkg), "--against", str(tmp_path / "missing")])
    assert result.exit_code == 6


def _git(cwd: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _sdkgen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "sdkgen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_against_a_git_ref_in_a_real_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    write_contract(repo, contract())
    built = _sdkgen(repo, "build", "api", "--out", "generated", "-q")
    assert built.returncode == 0, built.stderr
    assert (repo / "generated" / LOCK_FILE).is_file()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "v1")

    new = contract(**BREAK, news=["text: str", "n: int = 0"])
    write_contract(repo, new)
    assert _sdkgen(repo, "build", "api", "--out", "generated", "-q").returncode == 0
    _git(repo, "commit", "-q", "-am", "v2")

    done = _sdkgen(repo, "check", "api", "--against", "HEAD~1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "sdkgen check against HEAD~1:generated/sdkgen.lock.json" in done.stdout
    assert f"api/t.py:{line_in(new, 'n: int')}: ERR WIRE /t ping payload[C->S] n" in done.stdout
    assert "optional-field-added" in done.stdout
    # Explicit REF:path, and the same commit: nothing to report.
    same = _sdkgen(repo, "check", "api", "--against", "HEAD:generated/sdkgen.lock.json")
    assert same.returncode == 0 and "no contract changes" in same.stdout
    missing = _sdkgen(repo, "check", "api", "--against", "no-such-ref")
    assert missing.returncode == 6 and "no-such-ref" in missing.stderr


def test_sdk_breaks_fail_only_with_category_all(tmp_path: Path) -> None:
    old = contract(ping_reg='(name="ping")')
    new = contract(ping_reg='(name="ping")', ping_class="Ping2")
    result = run_check(tmp_path, old, new)
    assert result.failing() == ()
    sdk = result.failing(Severity.ERROR, frozenset({Category.WIRE, Category.SDK}))
    assert [f.rule for f in sdk] == ["event-python-name-changed"]


def test_markdown_stays_under_githubs_comment_limit(tmp_path: Path) -> None:
    result, _ = _break_result(tmp_path)
    many = replace(result, findings=result.findings * 2000)
    md = render(many, Format.MARKDOWN, many.failing())
    assert len(md) <= MARKDOWN_LIMIT and md.rstrip().endswith("for every finding._")
    assert md.startswith(COMMENT_MARKER)
