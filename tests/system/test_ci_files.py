"""The CI files do what they say: this repository's workflow runs .ci/run, and the example gate
workflow for users of the suite, run step by step, installs the suite, judges a real server and
writes the JUnit XML it publishes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.server_process import running_server, seed

ROOT = Path(__file__).resolve().parents[2]
CI_WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
GATE_EXAMPLE = ROOT / "examples" / "conformance-gate.yml"
PLACEHOLDER = "YOUR SERVER"


def _job(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    assert isinstance(job, dict)
    return job


def test_repository_workflow_runs_the_ci_script() -> None:
    job = _job(CI_WORKFLOW)
    runs = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert runs == ["bash .ci/run"]
    # .ci/run installs Debian packages: the job runs on Debian, as CI does.
    assert "bookworm" in job["container"]
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in script.splitlines() if line.startswith("make ")] == [
        "make lint",
        "make test",
        "make conformance",
    ]


def test_gate_example_judges_a_real_server(tmp_path: Path) -> None:
    job = _job(GATE_EXAMPLE)
    steps = [step for step in job["steps"] if "run" in step]
    placeholders = [step for step in steps if PLACEHOLDER in step.get("name", "")]
    assert len(placeholders) == 1, "exactly one step is the user's own server"
    # A fresh environment, as on a CI runner: the suite comes only from its install step, which
    # takes the conformance/ folder of this checkout instead of the git URL.
    venv = tmp_path / "runner"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    seed(url, workdir / "sessions.json")
    token = job["env"]["TOKEN"]
    with running_server(url, tmp_path, token=token) as server:
        env = {
            "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/tmp"),
            **{name: str(value) for name, value in job["env"].items()},
            "BASE_URL": server.base_url,
            "CONFORMANCE_PACKAGE": str(ROOT / "conformance"),
        }
        for step in steps:
            if step is placeholders[0]:
                continue  # our server, started above with the same token and sessions file
            result = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, (step["name"], result.stdout, result.stderr)
    report = (workdir / "reports" / "conformance.xml").read_text(encoding="utf-8")
    assert "<testsuite" in report and 'failures="0"' in report
    publish = [step for step in job["steps"] if "junit" in step.get("uses", "")]
    assert publish and publish[0]["with"]["report_paths"] == "reports/conformance.xml"
