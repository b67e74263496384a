"""A real `redis-server` started from the rendered redis.conf.

The password is the only thing keeping the official image's Redis closed (it is built with
protected mode off), and AOF is what makes it survive a restart; both are proved against a
running server on 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from multicloud.components._vps.render import redis_conf
from tests.integration.conftest import stop

PASSWORD = "Zq8wN3vTt5LkR2mYc7HbP4sXa9GfJ6eD"
MEMORY_MB = 64
CONTAINER_DIR_LINE = "dir /data"  # the data volume's mount point inside the container


@pytest.fixture
def redis_server(require_tool, free_port, run, isolated_env, tmp_path):
    """(port, data_dir, redis-cli) of a server running the rendered config; stopped afterwards."""
    server = require_tool("redis-server", "redis-server")
    cli = require_tool("redis-cli", "redis-tools")
    data = tmp_path / "data"
    data.mkdir()
    conf = redis_conf(PASSWORD, MEMORY_MB)
    # Redis 7 applies `dir` (a chdir) while reading the file, before command-line overrides, so a
    # missing /data is fatal even with `--dir`. Point that one line at the test directory; every
    # other line is exactly as rendered.
    lines = conf.splitlines(keepends=True)
    assert sum(line.strip() == CONTAINER_DIR_LINE for line in lines) == 1, conf
    path = tmp_path / "redis.conf"
    path.write_text(
        "".join(f"dir {data}\n" if line.strip() == CONTAINER_DIR_LINE else line for line in lines)
    )
    path.chmod(0o600)

    port = free_port()
    log = (tmp_path / "redis.log").open("w")
    proc = subprocess.Popen(
        [
            server,
            str(path),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--daemonize",
            "no",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=isolated_env,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"redis-server exited with {proc.returncode}:\n{(tmp_path / 'redis.log').read_text()}"
                )
            pong = run([cli, "-h", "127.0.0.1", "-p", str(port), "ping"], timeout=5, env=isolated_env)
            if "NOAUTH" in pong.stdout + pong.stderr or "PONG" in pong.stdout:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server did not answer:\n{(tmp_path / 'redis.log').read_text()}")
            time.sleep(0.1)
        yield port, data, cli
    finally:
        stop(proc)
        log.close()


def _cli(run, cli, port, env, *args, password: str | None = None):
    auth = ["-a", password, "--no-auth-warning"] if password is not None else []
    result = run([cli, "-h", "127.0.0.1", "-p", str(port), *auth, *args], timeout=10, env=env)
    return (result.stdout + result.stderr).strip()


@pytest.mark.integration
def test_redis_requires_the_password(redis_server, run, isolated_env):
    port, _, cli = redis_server
    # redis-cli may exit 0 on a server error reply: judge by the text.
    assert "NOAUTH" in _cli(run, cli, port, isolated_env, "ping")
    assert "WRONGPASS" in _cli(run, cli, port, isolated_env, "ping", password="not-the-password")
    assert _cli(run, cli, port, isolated_env, "ping", password=PASSWORD) == "PONG"


@pytest.mark.integration
def test_redis_settings_are_applied(redis_server, run, isolated_env):
    port, data, cli = redis_server

    def config_get(name: str) -> str:
        out = _cli(run, cli, port, isolated_env, "CONFIG", "GET", name, password=PASSWORD).splitlines()
        assert out[0] == name, out
        return out[1]

    assert config_get("appendonly") == "yes"
    assert config_get("appendfsync") == "everysec"
    assert config_get("maxmemory") == str(MEMORY_MB * 1024 * 1024)
    assert config_get("maxmemory-policy") == "noeviction"
    assert config_get("protected-mode") == "yes"
    assert config_get("bind") == "127.0.0.1"
    assert Path(config_get("dir")) == data


@pytest.mark.integration
def test_writes_reach_the_append_only_file(redis_server, run, isolated_env):
    port, data, cli = redis_server
    key = "multicloud-integration-key"

    assert _cli(run, cli, port, isolated_env, "SET", key, "v1", password=PASSWORD) == "OK"

    # Redis 7 keeps a multi-part AOF in appendonlydir/; `appendfsync everysec` → on disk within ~1s.
    aof_dir = data / "appendonlydir"
    deadline = time.monotonic() + 10
    while True:
        incr = list(aof_dir.glob("*.incr.aof")) if aof_dir.is_dir() else []
        if any(key.encode() in p.read_bytes() for p in incr):
            break
        assert time.monotonic() < deadline, f"{key} never reached the AOF in {aof_dir}: {incr}"
        time.sleep(0.2)
    assert (aof_dir / "appendonly.aof.manifest").is_file()


@pytest.mark.integration
@pytest.mark.parametrize("password", ["has space", "quote'd", "new\nline", "semi;colon", "", "pässwörd!"])
def test_redis_conf_rejects_non_alphanumeric_password(password):
    with pytest.raises(ValueError, match="alphanumeric"):
        redis_conf(password, MEMORY_MB)
