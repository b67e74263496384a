"""The host units a stack ships, checked by systemd itself, and bin/run-job.sh run for real.

`systemd-analyze verify` reads every unit of the Infrar example's release (the job's service and
timer, the backup and verification timers) in a root that holds systemd's own units, the
shipped scripts and a stand-in docker.service: no error and no warning. The job's timer fires
when its cron schedule says (`systemd-analyze calendar` against croniter). run-job.sh runs
with a stand-in `docker` on PATH that records its arguments: it runs the job's compose service
once under a fixed name, skips a run while the previous one holds the lock, and stops the
container when systemd stops the run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from multicloud.components._lib.schedule import parse
from multicloud.infra.offline import plan
from tests.conftest import ROOT
from tests.helpers import bundle
from tests.integration.test_schedule_systemd import BASE, systemd_runs

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "examples" / "infrar.yaml"


@pytest.fixture(scope="module")
def shipped() -> dict:
    return bundle(plan(EXAMPLE, "prod", project_dir=ROOT), "box")


def systemd_root(tmp_path: Path, shipped: dict) -> Path:
    """A root with systemd's own units, the release's scripts and units, and docker.service."""
    root = tmp_path / "root"
    units = next(p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir())
    shutil.copytree(units, root / "usr/lib/systemd/system", symlinks=True)
    system = root / "etc/systemd/system"
    system.mkdir(parents=True)
    (system / "docker.service").write_text(
        "[Unit]\nDescription=stand-in for the Docker engine\n[Service]\nExecStart=/bin/true\n"
    )
    for path, member in shipped.items():
        if path.startswith(("bin/", "systemd/")):
            target = root / "srv/app" / path if path.startswith("bin/") else system / Path(path).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(member.text)
            target.chmod(member.mode)
    return root


def test_systemd_accepts_every_shipped_unit(require_tool, shipped, tmp_path):
    tool = require_tool("systemd-analyze", "systemd")
    root = systemd_root(tmp_path, shipped)
    names = sorted(Path(p).name for p in shipped if p.startswith("systemd/"))
    assert {"multicloud-job-pricing-sync.service", "multicloud-job-pricing-sync.timer"} <= set(names)
    done = subprocess.run(
        [tool, "verify", f"--root={root}", "--man=no", *(f"/etc/systemd/system/{n}" for n in names)],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # an unknown key is only a warning: none allowed


def test_the_timer_fires_when_the_cron_schedule_says(require_tool, shipped):
    timer = shipped["systemd/multicloud-job-pricing-sync.timer"].text
    (event,) = [
        line.removeprefix("OnCalendar=") for line in timer.splitlines() if line.startswith("OnCalendar=")
    ]
    expected = parse("0 */6 * * *").next_runs(BASE, 4)
    assert systemd_runs(require_tool("systemd-analyze", "systemd"), event) == expected
    assert expected[0] == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


# --- bin/run-job.sh -------------------------------------------------------------------------------

FAKE_DOCKER = """#!/usr/bin/env bash
# Stands in for docker: records each call; `compose … run` sleeps like a job that takes a while
# (SLEEP seconds) and exits 0 when stopped by `docker stop`.
echo "$*" >> "$CALLS"
case " $* " in
  *" ps "*)
    if [ -e "$STARTING" ] && [ ! -e "$HEALTHY" ]; then echo 0123abcd; fi ;;
  *" run "*)
    echo $$ > "$RUNNING"
    trap 'exit 143' TERM
    for _ in $(seq "$((SLEEP * 10))"); do sleep 0.1; [ -e "$STOPPED" ] && exit 143; done ;;
  *" stop "*) touch "$STOPPED" ;;
esac
exit 0
"""


@pytest.fixture
def job_env(tmp_path, shipped, require_tool) -> dict[str, str]:
    require_tool("flock", "util-linux")
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    (bindir / "docker").write_text(FAKE_DOCKER)
    (bindir / "docker").chmod(0o755)
    app = tmp_path / "app"
    (app / "bin").mkdir(parents=True)
    (app / "bin/run-job.sh").write_text(shipped["bin/run-job.sh"].text)
    (app / "bin/run-job.sh").chmod(0o755)
    (tmp_path / "lock").mkdir()
    return {
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "APP_DIR": str(app),
        "LOCK_DIR": str(tmp_path / "lock"),
        "CALLS": str(tmp_path / "calls"),
        "RUNNING": str(tmp_path / "running"),
        "STOPPED": str(tmp_path / "stopped"),
        "STARTING": str(tmp_path / "starting"),
        "HEALTHY": str(tmp_path / "healthy"),
        "SLEEP": "0",
        "HEALTH_POLL": "0.1",
    }


def _run(env: dict[str, str], *args: str, sleep: str = "0", health_wait: str = "300") -> subprocess.Popen:
    return subprocess.Popen(
        [f"{env['APP_DIR']}/bin/run-job.sh", *args],
        env={**env, "SLEEP": sleep, "HEALTH_WAIT": health_wait}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _calls(env: dict[str, str]) -> list[str]:
    path = Path(env["CALLS"])
    return path.read_text().splitlines() if path.exists() else []


def _wait_for(path: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while not Path(path).exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)


def test_a_run_starts_the_jobs_compose_service_once_under_a_fixed_name(job_env):
    proc = _run(job_env, "pricing-sync")
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert _calls(job_env) == [
        "rm -f multicloud_job_pricing-sync",
        "ps -q --filter label=com.docker.compose.project=multicloud --filter health=starting",
        (
            "compose -p multicloud -f compose.yaml --profile scheduled run --rm --no-deps "
            "--name multicloud_job_pricing-sync pricing-sync"
        ),
    ]


def test_a_run_waits_while_the_projects_containers_are_starting(job_env):
    """After a reboot the caught-up run starts before Postgres answers: it waits for it."""
    Path(job_env["STARTING"]).touch()
    proc = _run(job_env, "pricing-sync")
    time.sleep(1)
    assert proc.poll() is None and not [c for c in _calls(job_env) if c.startswith("compose")]
    Path(job_env["HEALTHY"]).touch()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert _calls(job_env)[-1].startswith("compose ")


def test_the_wait_is_bounded(job_env):
    Path(job_env["STARTING"]).touch()  # never healthy
    proc = _run(job_env, "pricing-sync", health_wait="1")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert _calls(job_env)[-1].startswith("compose ")


def test_a_run_while_the_previous_one_goes_on_is_skipped(job_env):
    first = _run(job_env, "pricing-sync", sleep="20")
    try:
        _wait_for(job_env["RUNNING"], first)
        second = _run(job_env, "pricing-sync")
        _, err = second.communicate(timeout=30)
        assert second.returncode == 0
        assert "still running from its previous start; this run is skipped" in err
        assert len([c for c in _calls(job_env) if c.startswith("compose ")]) == 1
    finally:
        Path(job_env["STOPPED"]).touch()  # ends the stand-in's sleep
        first.communicate(timeout=30)


def test_stopping_the_run_stops_the_container(job_env):
    proc = _run(job_env, "pricing-sync", sleep="20")
    _wait_for(job_env["RUNNING"], proc)
    proc.send_signal(signal.SIGTERM)  # what systemd sends at TimeoutStartSec or `systemctl stop`
    proc.communicate(timeout=30)
    assert "stop --time 30 multicloud_job_pricing-sync" in _calls(job_env)
    assert proc.returncode != 0


@pytest.mark.parametrize("name", ["", "../etc", "a b", "-rf"])
def test_a_bad_job_name_is_refused_before_anything_runs(job_env, name):
    proc = _run(job_env, name)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "invalid job name" in err
    assert _calls(job_env) == []


def test_a_release_removes_the_long_running_container_of_a_service_that_became_a_job(job_env, tmp_path):
    """release.sh's own loop (run by bash): the worker's old container goes; compose would keep it."""
    script = (ROOT / "components/_vps/scripts/release.sh").read_text()
    start = script.index("while read -r job; do")
    loop = script[start : script.index("done < scheduled.txt", start) + len("done < scheduled.txt")]
    (tmp_path / "scheduled.txt").write_text("pricing-sync\n")
    fake = Path(job_env["PATH"].split(":")[0]) / "docker"
    fake.write_text(FAKE_DOCKER.replace('  *" ps "*)', '  *" ps -aq "*) echo c0ffee ;;\n  *" ps "*)'))
    done = subprocess.run(["bash", "-c", f"set -euo pipefail\nCOMPOSE_PROJECT=multicloud\n{loop}"], cwd=tmp_path,
                          env=job_env, capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _calls(job_env) == [
        (
            "ps -aq --filter label=com.docker.compose.project=multicloud --filter "
            "label=com.docker.compose.service=pricing-sync --filter label=com.docker.compose.oneoff=False"
        ),
        "rm -f c0ffee",
    ]
