"""The pull-request workflow's check step, run as written against a real clone with `origin/main`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sdkgen.report import COMMENT_MARKER
from tests.sdkgen.helpers import ROOT
from tests.sdkgen.versioning.pairs import contract, write_contract

WORKFLOW = ROOT / ".github" / "workflows" / "contract-check.yml"


def _steps() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    return {step.get("id") or step.get("name", ""): step for step in doc["jobs"]["check"]["steps"]}


def _git(cwd: Path, *args: str) -> None:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


def _sdkgen_on_path(tmp: Path) -> str:
    """A PATH whose `sdkgen` runs this checkout's sdkgen with this interpreter."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    script = bin_dir / "sdkgen"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m sdkgen "$@"\n')
    script.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def _run_step(repo: Path, tmp: Path) -> tuple[dict[str, str], str, str]:
    step = _steps()["check"]
    output, summary = tmp / "output", tmp / "summary"
    env = dict(
        os.environ,
        PATH=_sdkgen_on_path(tmp),
        BASE_REF="main",
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return outputs, (repo / "contract-report.md").read_text(), done.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_workflow_check_step_reports_and_flags_a_break(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    _git(upstream, "init", "-q", "-b", "main")
    write_contract(upstream, contract())
    subprocess.run(
        [sys.executable, "-m", "sdkgen", "build", "api", "-q"],
        cwd=upstream,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
    )
    _git(upstream, "add", "-A")
    _git(upstream, "commit", "-q", "-m", "base")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(upstream), str(clone))
    _git(clone, "checkout", "-q", "-b", "feature")

    # The step calls `sdkgen check contracts/`; this repository's contracts live in api/.
    step = _steps()["check"]
    assert 'sdkgen check contracts/ --against "origin/${BASE_REF}"' in step["run"]
    (clone / "contracts").symlink_to(clone / "api", target_is_directory=True)
    write_contract(clone, contract(ping=["text: str", "n: int"]))

    outputs, report, stdout = _run_step(clone, tmp_path)
    assert outputs["code"] == "1"
    assert report.startswith(COMMENT_MARKER)
    assert "`required-field-added`" in report
    assert "::error file=" in stdout  # annotations
    assert (tmp_path / "summary").read_text() == report


def test_workflow_wiring() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert "pull_request" in doc[True]  # YAML 1.1 reads the `on:` key as True
    assert doc["permissions"]["pull-requests"] == "write"
    steps = _steps()
    checkout = next(
        s for s in doc["jobs"]["check"]["steps"] if s.get("uses", "").startswith("actions/checkout")
    )
    assert checkout["with"]["fetch-depth"] == 0
    comment = steps["Post or update the pull-request comment"]["run"]
    assert "<!-- sdkgen-check -->" in comment and "PATCH" in comment and "POST" in comment
    assert "exit 1" in steps["Fail on unapproved breaking changes"]["run"]
