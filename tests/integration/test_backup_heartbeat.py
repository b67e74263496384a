"""Backups that cannot fail quietly: the units' exact commands, reporting to a heartbeat.

The backup and verification units run `heartbeat.sh KEY SCRIPT SERVICE` (their ExecStart
lines, rendered by components._vps.render.backup_units). Here those lines run unchanged
against a real Postgres, real restic and a moto S3 server (the harness of
test_backup_restore.py), from a bin/ directory holding exactly the scripts a release ships
(render.SHIPPED_SCRIPTS). The heartbeat is a stand-in HTTP server on 127.0.0.1 that records
what Healthchecks.io would receive.

Proved: a successful backup pings the check; a backup whose repository is unreachable pings
`/<exit status>` with the end of its output — restic's own error — and nothing secret; a job
systemd stops (SIGTERM to the unit's processes) reports that it was stopped; the verification reports to its own check; without a URL the
job runs unreported; a tampered URL stops the job (its silence is the alert); a heartbeat
that cannot be reached never fails the backup.
"""

from __future__ import annotations

import http.server
import shlex
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from multicloud.components._vps.model import APP_DIR
from multicloud.components._vps.render import SHIPPED_SCRIPTS, backup_units
from tests.integration.test_backup_restore import (  # noqa: F401 - fixtures
    DB_PASSWORD,
    RESTIC_PASSWORD,
    SCRIPTS,
    SERVICE,
    host,
    make_pg,
    server_identity,
    source_pg,
)

CHECK = "5b2c1e4f-8a7d-4c3b-9e1f-0a2b3c4d5e6f"
VERIFY_CHECK = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"


@dataclass
class Ping:
    method: str
    path: str
    body: str


class _Recorder(http.server.BaseHTTPRequestHandler):
    pings: list[Ping]

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        self.server.pings.append(Ping(self.command, self.path, body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    do_GET = do_POST = do_HEAD = _record

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def heartbeat() -> Iterator[tuple[str, list[Ping]]]:
    """A Healthchecks.io stand-in on 127.0.0.1: its base URL and what it received."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.pings = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.pings  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def exec_start(unit: str, app_dir: Path) -> list[str]:
    """The ExecStart command of a rendered backup unit, with the release's app dir at `app_dir`."""
    files = {f.path: f.content for f in backup_units(SERVICE, "*-*-* 02:30:00")}
    lines = [ln for ln in files[f"systemd/{unit}"].splitlines() if ln.startswith("ExecStart=")]
    assert len(lines) == 1
    return shlex.split(lines[0].removeprefix("ExecStart=").replace(APP_DIR, str(app_dir)))


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """bin/ as a release leaves it: the shipped scripts, nothing else."""
    app = tmp_path / "app"
    (app / "bin").mkdir(parents=True)
    for name in SHIPPED_SCRIPTS:
        shutil.copy(SCRIPTS / name, app / "bin" / name)
        (app / "bin" / name).chmod(0o755)
    return app


def run_unit(host, released: Path, unit: str, timeout: float = 300):  # noqa: F811
    import subprocess

    result = subprocess.run(
        exec_start(unit, released),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=host.env(),
        check=False,
    )
    for secret in (RESTIC_PASSWORD, DB_PASSWORD):
        assert secret not in result.stdout + result.stderr
    return result


def paths(pings: list[Ping]) -> list[str]:
    return [p.path for p in pings]


@pytest.mark.integration
def test_a_backup_pings_start_then_success(host, source_pg, released, heartbeat):  # noqa: F811
    url, pings = heartbeat
    host.target = source_pg
    host.settings(HEARTBEAT_URL=f"{url}/{CHECK}", VERIFY_HEARTBEAT_URL=f"{url}/{VERIFY_CHECK}")
    result = run_unit(host, released, f"multicloud-backup-{SERVICE}.service")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "backed up db as snapshot" in result.stdout  # the output still reaches the journal
    assert paths(pings) == [f"/{CHECK}"]
    assert len(host.snapshots()) == 1

    verify = run_unit(host, released, f"multicloud-verify-{SERVICE}.service")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert paths(pings)[1:] == [f"/{VERIFY_CHECK}"]


@pytest.mark.integration
def test_an_unreachable_repository_reports_the_failure_with_its_cause(
    host,  # noqa: F811
    source_pg,  # noqa: F811
    released,
    heartbeat,
    free_port,
):
    url, pings = heartbeat
    host.target = source_pg
    closed = free_port()  # nothing listens there
    host.settings(
        RESTIC_REPOSITORY=f"s3:http://127.0.0.1:{closed}/backups/postgres/{SERVICE}",
        HEARTBEAT_URL=f"{url}/{CHECK}",
    )
    result = run_unit(host, released, f"multicloud-backup-{SERVICE}.service")
    assert result.returncode != 0
    assert paths(pings) == [f"/{CHECK}/{result.returncode}"]
    (failure,) = pings
    assert failure.method == "POST"
    assert f"exited with status {result.returncode}" in failure.body
    # restic's own words, as the operator needs them: where it could not connect.
    assert "connection refused" in failure.body and f"127.0.0.1:{closed}" in failure.body
    for secret in (RESTIC_PASSWORD, DB_PASSWORD, "testing"):
        assert secret not in failure.body


@pytest.mark.integration
def test_the_body_is_bounded(host, released, heartbeat, tmp_path):  # noqa: F811
    url, pings = heartbeat
    host.settings(HEARTBEAT_URL=f"{url}/{CHECK}")
    noisy = tmp_path / "noisy.sh"
    noisy.write_text(
        "#!/bin/sh\nfor i in $(seq 1 5000); do echo \"line $i $(printf '%0100d' 0)\"; done\nexit 3\n"
    )
    noisy.chmod(0o755)
    import subprocess

    result = subprocess.run(
        ["bash", str(released / "bin" / "heartbeat.sh"), "HEARTBEAT_URL", str(noisy)],
        capture_output=True, text=True, timeout=60, env=host.env(), check=False,
    )  # fmt: skip
    assert result.returncode == 3
    assert paths(pings) == [f"/{CHECK}/3"]
    assert len(pings[0].body.encode()) <= 10_200
    assert "line 5000 " in pings[0].body and "line 1 " not in pings[0].body


@pytest.mark.integration
def test_without_a_url_the_job_runs_unreported(host, source_pg, released, heartbeat):  # noqa: F811
    _, pings = heartbeat
    host.target = source_pg
    result = run_unit(host, released, f"multicloud-backup-{SERVICE}.service")
    assert result.returncode == 0, result.stdout + result.stderr
    assert pings == []


@pytest.mark.integration
@pytest.mark.parametrize(
    "value", ["ftp://example.com/x", 'https://hc-ping.com/x"; rm -rf /', "https://h/$(id)"]
)
def test_a_tampered_url_stops_the_job(host, source_pg, released, heartbeat, value):  # noqa: F811
    _, pings = heartbeat
    host.target = source_pg
    host.settings(HEARTBEAT_URL=value)
    result = run_unit(host, released, f"multicloud-backup-{SERVICE}.service")
    assert result.returncode == 2
    assert "heartbeat.sh" in result.stderr
    assert pings == []
    assert not host.state("last-success").exists()


@pytest.mark.integration
def test_an_unreachable_heartbeat_never_fails_the_backup(host, source_pg, released, free_port):  # noqa: F811
    host.target = source_pg
    host.settings(HEARTBEAT_URL=f"http://127.0.0.1:{free_port()}/{CHECK}")
    result = run_unit(host, released, f"multicloud-backup-{SERVICE}.service")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "could not report" in result.stderr
    assert host.state("last-success").exists()


@pytest.mark.integration
def test_a_job_systemd_stops_reports_the_stop(host, released, heartbeat, tmp_path):  # noqa: F811
    """systemd stops a unit with SIGTERM to all its processes (KillMode=control-group)."""
    import os
    import signal
    import subprocess
    import time

    url, pings = heartbeat
    host.settings(HEARTBEAT_URL=f"{url}/{CHECK}")
    slow = tmp_path / "slow.sh"
    slow.write_text("#!/bin/sh\necho dumping\nsleep 60\necho never\n")
    slow.chmod(0o755)
    with subprocess.Popen(
        ["bash", str(released / "bin" / "heartbeat.sh"), "HEARTBEAT_URL", str(slow)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=host.env(), start_new_session=True,
    ) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "dumping\n"
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    assert proc.returncode == 143
    deadline = time.monotonic() + 10
    while not pings and time.monotonic() < deadline:
        time.sleep(0.1)
    assert paths(pings) == [f"/{CHECK}/143"]
    assert "slow.sh was stopped (SIGTERM)" in pings[0].body and "dumping" in pings[0].body
