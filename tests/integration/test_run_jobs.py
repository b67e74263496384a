"""bin/run-jobs.sh, the release step that runs one-shot jobs (database setup) before any
service starts, against a fake `docker` on PATH that records its arguments and exits as told.

What must hold: jobs run in order, each with `compose … --profile jobs run --rm --no-deps`;
the first failure stops the release (exit 1, naming the job, printing none of its output);
and a job's env file — a database admin's credentials — is emptied once the job has run,
whether it succeeded or not.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from multicloud.components._vps.render import script

ADMIN_PASSWORD = "doadmin-Pq3Wm8Zr5Tx1Lc7Vn2Bk9"
FAKE_DOCKER = """#!/usr/bin/env bash
# Records each call; fails for the service named in $FAIL_JOB with psql's kind of message on
# stderr; prints the job's env file on stdout, as a careless job would, to prove run-jobs.sh
# never passes its standard output on.
printf '%s\\n' "$*" >> "$CALLS"
job="${@: -1}"
cat "env/$job.env" 2>/dev/null || true
if [ "$job" = "${FAIL_JOB:-}" ]; then
  echo 'psql: error: ERROR:  extension "pg_cron" is not available' >&2
  exit 3
fi
"""


@pytest.fixture
def release(tmp_path: Path) -> Path:
    directory = tmp_path / "release"
    (directory / "env").mkdir(parents=True)
    (directory / "bin").mkdir()
    (directory / "bin" / "run-jobs.sh").write_text(script("run-jobs.sh"))
    (directory / "compose.yaml").write_text("services: {}\n")
    (directory / "jobs.txt").write_text("db-extensions\nanalytics-extensions\n")
    for job in ("db-extensions", "analytics-extensions"):
        env = directory / "env" / f"{job}.env"
        env.write_text(f"PGUSER='doadmin'\nPGPASSWORD='{ADMIN_PASSWORD}'\n")
        env.chmod(0o600)
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    docker = fake_bin / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    return directory


def run_jobs(release: Path, fail_job: str = "") -> tuple[subprocess.CompletedProcess[str], list[str]]:
    calls = release.parent / "calls.log"
    env = {
        "PATH": f"{release.parent / 'fake-bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "CALLS": str(calls),
        "FAIL_JOB": fail_job,
        "COMPOSE_PROJECT": "multicloud",
    }
    result = subprocess.run(
        ["bash", "bin/run-jobs.sh"],
        cwd=release,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.integration
def test_jobs_run_in_order_and_their_credentials_are_emptied(release, require_tool):
    require_tool("bash")
    result, calls = run_jobs(release)
    assert result.returncode == 0, result.stderr
    assert calls == [
        f"compose -p multicloud -f compose.yaml --profile jobs run --rm --no-deps {job}"
        for job in ("db-extensions", "analytics-extensions")
    ]
    for job in ("db-extensions", "analytics-extensions"):
        env = release / "env" / f"{job}.env"
        assert env.read_text() == ""
        assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert ADMIN_PASSWORD not in result.stdout + result.stderr


@pytest.mark.integration
def test_a_failed_job_stops_the_release_and_its_credentials_are_emptied_too(release, require_tool):
    require_tool("bash")
    result, calls = run_jobs(release, fail_job="db-extensions")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "run-jobs: job db-extensions failed (exit 3); its last messages:",
        '  psql: error: ERROR:  extension "pg_cron" is not available',
    ]
    assert len(calls) == 1  # the second job never ran
    assert (release / "env" / "db-extensions.env").read_text() == ""
    assert ADMIN_PASSWORD not in result.stdout + result.stderr


@pytest.mark.integration
def test_no_jobs_means_no_docker_call(release, require_tool):
    require_tool("bash")
    (release / "jobs.txt").write_text("")
    result, calls = run_jobs(release)
    assert (result.returncode, calls) == (0, [])
