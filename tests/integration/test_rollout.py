"""components/_vps/scripts/rollout.sh, run by real bash with real curl against a stand-in docker.

The stand-in (rollout_fakes/fake_docker.py, first on PATH) keeps a small "daemon" state in a
temporary directory; each container it starts is a real HTTP server process on its own
loopback address 127.0.0.N and the service's PORT, behaving as its image tag says
(`api:v2-healthy`, `-unhealthy`, `-hang`, `-unpullable`). compose.yaml and the env file are
rendered by the real renderers, exactly as a release ships them.

While a rollout runs, `Traffic` plays Caddy's part: it resolves the service like Docker's
DNS (every running container of the service), dials the addresses in turn as Go does (a
refused connection moves on to the next address) and records every answer, so a moment
with no healthy container shows up as a failed request.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import pytest

from multicloud import components
from multicloud.components._vps.model import Container, HostWorkloads, Site
from multicloud.components._vps.render import compose, env_file
from tests.integration.rollout_fakes import fake_docker

SCRIPT = Path(components._vps.__file__).resolve().parent / "scripts" / "rollout.sh"
SERVICE = "api"
HEALTH_PATH = "/healthz"
SECRET = "s3cr3t-Rollout-Value-7f1c9a"
DATABASE_URL = "postgres://app:pw-Do-Not-Print-42@db:5432/app"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Host:
    """A release directory, the stand-in docker's state and the environment to run the script in."""

    release: Path
    state: Path
    port: int
    env: dict[str, str]
    outputs: list[str] = field(default_factory=list)

    def ship(self, image: str, replicas: int = 1) -> None:
        """Write compose.yaml and env/api.env the way a release bundle does."""
        env = {
            "PORT": str(self.port),
            "HEALTH_PATH": HEALTH_PATH,
            "SECRET_KEY": SECRET,
            "DATABASE_URL": DATABASE_URL,
        }
        workloads = HostWorkloads()
        workloads.add(
            Container(name=SERVICE, image=image, env=env, replicas=replicas),
            Site(
                fqdn="api.example.com",
                upstream=SERVICE,
                port=self.port,
                health_path=HEALTH_PATH,
                replicas=replicas,
            ),
        )
        (self.release / "compose.yaml").write_text(compose(workloads))
        (self.release / "env").mkdir(exist_ok=True)
        (self.release / "env" / f"{SERVICE}.env").write_text(env_file(env))

    def rollout(self, timeout: int = 20, project: str | None = None, bound: float = 60) -> Result:
        """`rollout.sh api PORT /healthz TIMEOUT`, as release.sh calls it."""
        return self.run_script(
            [SERVICE, str(self.port), HEALTH_PATH, str(timeout)], project=project, bound=bound
        )

    def run_script(self, argv: list[str], project: str | None = None, bound: float = 60) -> Result:
        """Run rollout.sh in the release directory; its whole process group dies if it overruns."""
        env = dict(self.env)
        if project:
            env["COMPOSE_PROJECT"] = project
        start = time.monotonic()
        proc = subprocess.Popen(
            ["bash", str(SCRIPT), *argv],
            cwd=self.release,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=bound)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"rollout.sh ran longer than {bound}s:\n{out}{err}")
        result = Result(proc.returncode, out, err, time.monotonic() - start)
        self.outputs.append(result.output)
        return result

    def containers(self, status: str | None = "running", project: str = "multicloud") -> list[dict[str, Any]]:
        return [
            r
            for r in fake_docker.load_containers(self.state)
            if r["service"] == SERVICE
            and r["project"] == project
            and (status is None or r["status"] == status)
        ]

    def calls(self) -> list[list[str]]:
        path = self.state / "calls.log"
        return [json.loads(line)["argv"] for line in path.read_text().splitlines()] if path.exists() else []

    def get(self, addr: str, path: str = "/") -> tuple[int, str]:
        conn = http.client.HTTPConnection(addr, self.port, timeout=3)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.getheader("X-Version") or ""
        finally:
            conn.close()

    def docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The stand-in itself, as an operator on the host would use it."""
        return subprocess.run(
            ["docker", *args],
            cwd=self.release,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )


@pytest.fixture
def host(tmp_path: Path, require_tool, free_port, isolated_env) -> Any:
    require_tool("bash")
    require_tool("curl")
    release = tmp_path / "release"
    state = tmp_path / "docker-state"
    bin_dir = tmp_path / "bin"
    for d in (release, state, bin_dir):
        d.mkdir()
    wrapper = bin_dir / "docker"
    fake = Path(fake_docker.__file__).resolve()
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(fake))} "$@"\n')
    wrapper.chmod(0o755)
    env = {
        **isolated_env,
        "PATH": f"{bin_dir}{os.pathsep}{isolated_env['PATH']}",
        "FAKE_DOCKER_STATE": str(state),
        "FAKE_CONTAINER_MAX_LIFETIME": "90",  # backstop should a finalizer never run
    }
    h = Host(release=release, state=state, port=free_port(), env=env)
    try:
        yield h
    finally:
        fake_docker.kill_all(state)
        deadline = time.monotonic() + 10
        while any(fake_docker.alive(r["pid"], r["starttime"]) for r in fake_docker.load_containers(state)):
            assert time.monotonic() < deadline, "fake containers survived SIGKILL"
            time.sleep(0.05)


class Traffic:
    """Caddy in front of the service: resolve by service name, dial in turn, record each answer."""

    def __init__(self, host: Host, interval: float = 0.02) -> None:
        self.host = host
        self.interval = interval
        self.samples: list[tuple[float, bool, str]] = []  # (time, ok, version or error)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "traffic thread did not stop"

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), *self._request()))
            self._stop.wait(self.interval)

    def _request(self) -> tuple[bool, str]:
        addresses = [r["addr"] for r in self.host.containers()]  # Docker's DNS: running containers
        random.shuffle(addresses)
        for addr in addresses:
            conn = http.client.HTTPConnection(addr, self.host.port, timeout=2)
            try:
                conn.connect()
            except ConnectionRefusedError:
                conn.close()
                continue  # Go's dialer tries the next address
            except OSError as exc:
                conn.close()
                return False, f"{addr}: {exc!r}"
            try:
                conn.request("GET", "/")
                response = conn.getresponse()
                response.read()
                version = response.getheader("X-Version") or ""
                return (
                    response.status == 200,
                    version if response.status == 200 else f"{addr}: {response.status}",
                )
            except OSError as exc:
                return False, f"{addr}: {exc!r}"
            finally:
                conn.close()
        return False, f"no upstream answered among {addresses}"

    @property
    def failures(self) -> list[tuple[float, bool, str]]:
        return [s for s in self.samples if not s[1]]

    @property
    def versions(self) -> list[str]:
        return [s[2] for s in self.samples if s[1]]


def _assert_serving(host: Host, version: str, count: int) -> list[dict[str, Any]]:
    running = host.containers()
    assert len(running) == count, running
    for r in running:
        assert r["version"] == version
        assert fake_docker.alive(r["pid"], r["starttime"])
        assert host.get(r["addr"], HEALTH_PATH) == (200, version)
    return running


def _first_release(host: Host, replicas: int = 1) -> list[dict[str, Any]]:
    host.ship("registry.example/api:v1-healthy", replicas=replicas)
    result = host.rollout()
    assert result.returncode == 0, result.output
    return _assert_serving(host, "v1", replicas)


# --- scenarios ----------------------------------------------------------------------------------


@pytest.mark.integration
def test_first_release_starts_the_service_and_waits_for_health(host):
    host.ship("registry.example/api:v1-healthy")

    result = host.rollout()

    assert result.returncode == 0, result.output
    assert result.stdout.strip() == "rolled out api: 1 new container(s)"
    _assert_serving(host, "v1", 1)
    # Only the named service, never its dependencies or the proxy.
    ups = [c for c in host.calls() if c[:1] == ["compose"] and "up" in c]
    assert ups and all("--no-deps" in c and c[-1] == SERVICE for c in ups), ups
    assert all(
        c[:5] == ["compose", "-p", "multicloud", "-f", "compose.yaml"]
        for c in host.calls()
        if c[0] == "compose"
    )


@pytest.mark.integration
def test_first_release_honours_compose_project(host):
    host.ship("registry.example/api:v1-healthy")

    result = host.rollout(project="shop")

    assert result.returncode == 0, result.output
    assert len(host.containers(project="shop")) == 1
    assert host.containers(project="multicloud") == []


@pytest.mark.integration
def test_update_replaces_the_container_without_a_gap(host):
    (old,) = _first_release(host)
    host.ship("registry.example/api:v2-healthy")

    with Traffic(host) as traffic:
        time.sleep(0.3)
        result = host.rollout()
        time.sleep(0.3)

    assert result.returncode == 0, result.output
    assert result.stdout.strip() == "rolled out api: 1 new container(s)"
    (new,) = _assert_serving(host, "v2", 1)
    assert new["id"] != old["id"]
    assert fake_docker.find(host.state, old["id"]) is None, "old container not removed"
    assert not fake_docker.alive(old["pid"], old["starttime"])
    assert ["stop", "-t", "30", old["id"]] in host.calls()
    assert ["rm", old["id"]] in host.calls()
    # Availability: every request during the rollout got a 200, first from v1, then from v2.
    assert len(traffic.samples) > 20, traffic.samples
    assert traffic.failures == [], traffic.failures[:5]
    assert traffic.versions[0] == "v1" and traffic.versions[-1] == "v2"


@pytest.mark.integration
def test_update_with_two_replicas_replaces_both(host):
    old = _first_release(host, replicas=2)
    host.ship("registry.example/api:v2-healthy", replicas=2)

    with Traffic(host) as traffic:
        result = host.rollout()
        time.sleep(0.3)

    assert result.returncode == 0, result.output
    assert result.stdout.strip() == "rolled out api: 2 new container(s)"
    new = _assert_serving(host, "v2", 2)
    assert {r["id"] for r in new}.isdisjoint(r["id"] for r in old)
    assert len({r["addr"] for r in new + old}) == 4, "each container has its own address"
    for r in old:
        assert fake_docker.find(host.state, r["id"]) is None
        assert not fake_docker.alive(r["pid"], r["starttime"])
    assert ["compose", "-p", "multicloud", "-f", "compose.yaml", "up", "-d", "--no-deps", "--no-recreate",
            "--scale", "api=4", "api"] in host.calls()  # fmt: skip
    assert traffic.failures == [], traffic.failures[:5]
    assert traffic.versions[-1] == "v2"


@pytest.mark.integration
def test_unhealthy_new_version_is_removed_and_the_old_keeps_serving(host):
    (old,) = _first_release(host)
    host.ship("registry.example/api:v2-unhealthy")
    created_before = {r["id"] for r in host.containers(status=None)}

    result = host.rollout(timeout=3)

    assert result.returncode == 1, result.output
    assert "rollout of api failed" in result.stderr
    assert "the previous version keeps serving" in result.stderr
    assert "rolled out" not in result.stdout
    (still,) = _assert_serving(host, "v1", 1)
    assert still["id"] == old["id"] and still["pid"] == old["pid"], "old container was touched"
    assert {r["id"] for r in host.containers(status=None)} == created_before, "new container left behind"
    new_ids = {a for c in host.calls() if c[0] in ("stop", "rm") for a in c[1:] if len(a) == 64}
    assert new_ids and old["id"] not in new_ids


@pytest.mark.integration
def test_new_version_that_never_answers_times_out_and_the_old_keeps_serving(host):
    (old,) = _first_release(host)
    host.ship("registry.example/api:v2-hang")

    result = host.rollout(timeout=3, bound=30)

    assert result.returncode == 1, result.output
    assert "the previous version keeps serving" in result.stderr
    assert 3 <= result.seconds < 15, result.seconds
    (still,) = _assert_serving(host, "v1", 1)
    assert still["id"] == old["id"]
    assert [r["id"] for r in host.containers(status=None)] == [old["id"]]


@pytest.mark.integration
def test_compose_failure_leaves_the_old_version_running(host):
    (old,) = _first_release(host)
    host.ship("registry.example/api:v2-unpullable")

    result = host.rollout()

    assert result.returncode == 1, result.output
    assert "the previous version keeps serving" in result.stderr
    (still,) = _assert_serving(host, "v1", 1)
    assert still["id"] == old["id"]


@pytest.mark.integration
def test_a_stopped_leftover_is_replaced_too(host):
    # A stopped old container must count as old: otherwise compose would restart it to
    # reach --scale, it would pass for the new version and the real new one never start.
    old = _first_release(host, replicas=2)
    assert host.docker("stop", old[1]["id"]).returncode == 0
    host.ship("registry.example/api:v2-healthy", replicas=2)

    result = host.rollout()

    assert result.returncode == 0, result.output
    _assert_serving(host, "v2", 2)
    assert host.containers(status=None) == host.containers()  # nothing stopped left behind


@pytest.mark.integration
def test_first_release_that_never_gets_healthy_fails(host):
    host.ship("registry.example/api:v1-unhealthy")

    result = host.rollout(timeout=2)

    assert result.returncode == 1, result.output
    assert "rollout of api failed" in result.stderr


@pytest.mark.integration
def test_output_never_contains_environment_values(host):
    _first_release(host)
    host.ship("registry.example/api:v2-healthy")
    assert host.rollout().returncode == 0
    host.ship("registry.example/api:v3-unhealthy")
    assert host.rollout(timeout=2).returncode == 1
    host.ship("registry.example/api:v4-hang")
    assert host.rollout(timeout=2).returncode == 1

    # Positive control: the secrets are there to leak (inspect, logs, response bodies)...
    (running,) = host.containers()
    assert SECRET in host.docker("inspect", running["id"]).stdout
    assert SECRET in host.docker("logs", running["id"]).stdout
    assert DATABASE_URL in host.docker("compose", "-p", "multicloud", "-f", "compose.yaml", "config").stdout
    body = subprocess.run(
        ["curl", "-sS", "--noproxy", "*", f"http://{running['addr']}:{host.port}{HEALTH_PATH}"],
        capture_output=True, text=True, timeout=10, check=False,
    ).stdout  # fmt: skip
    assert SECRET in body
    # ...and none of them ever reached the script's output.
    assert len(host.outputs) == 4
    for output in host.outputs:
        for value in (SECRET, DATABASE_URL, "pw-Do-Not-Print-42"):
            assert value not in output, output


@pytest.mark.integration
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["api", "8000"],
        ["api", "http", "/healthz"],
        ["api", "0", "/healthz"],
        ["api", "8000", "healthz"],
        ["api", "8000", "/healthz", "soon"],
        ["api; rm -rf /", "8000", "/healthz"],
        ["api", "8000", "/healthz", "5", "extra"],
    ],
)
def test_bad_arguments_are_refused_before_touching_docker(host, args):
    host.ship("registry.example/api:v1-healthy")

    result = host.run_script(args)

    assert result.returncode == 2, result.output
    assert "usage: rollout.sh" in result.stderr
    assert host.calls() == []
