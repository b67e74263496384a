"""Postgres and Redis on a Hetzner host, exposed to Fargate tasks: real servers started with the
files the host's release ships, real clients with the variables the tasks get.

The example (examples/fargate-hetzner-data.yaml) is planned; its host bundle gives pg_hba.conf,
the Postgres settings and redis.conf, its task definitions and SSM parameters give
DATABASE_URL, PG* and REDIS_URL. The key pairs pulumi-tls makes at deploy time are made here by
openssl with the same profile (components._lib.private_ca: RSA 3072, a CA for certificate
signing, a server certificate for the host's IP address with serverAuth), for 127.0.0.1, which
stands for the host's address. Only addresses, ports and file locations are changed to this
machine's. What is proved: Postgres accepts the shipped pg_hba.conf as written and refuses
plain TCP; libpq (`verify-full`) and redis-py (`rediss://` with REDIS_CA_FILE) connect and
verify; they refuse a server signed by another CA and a certificate for another address.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from multicloud.components._lib import private_ca, types
from multicloud.infra.offline import Plan, plan
from tests.conftest import ROOT, one
from tests.helpers import bundle, compose
from tests.integration.conftest import stop
from tests.integration.test_internet_tls import (
    _client_env,
    _listening,
    _pg_ready,
    _psql,
    _redis_ping,
    _rewired,
    _wait,
)
from tests.integration.test_postgres import _server_identity

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "examples" / "fargate-hetzner-data.yaml"


@pytest.fixture(scope="module")
def example() -> Plan:
    return plan(EXAMPLE, "prod", project_dir=ROOT)


@pytest.fixture(scope="module")
def task_env(example) -> dict[str, str]:
    """What the api task's app gets: its plain variables and its SSM secrets' values."""
    task = one(example, types.AWS_ECS_TASK_DEFINITION, "api-task")
    import json

    (app,) = [c for c in json.loads(task.raw_inputs["containerDefinitions"]) if c["name"] == "api"]
    env = {e["name"]: e["value"] for e in app["environment"]}
    for ref in app["secrets"]:
        (parameter,) = [
            r
            for r in example.registrations
            if r.type == types.AWS_SSM_PARAMETER and ref["valueFrom"].endswith(":" + r.name)
        ]
        env[ref["name"]] = parameter.raw_inputs["value"]
    return env


@pytest.fixture(scope="module")
def pki(require_tool) -> Iterator[dict[str, Path]]:
    """The dependency's CA and a server pair for 127.0.0.1 (private_ca's profile); another CA."""
    openssl = require_tool("openssl")
    work = Path(tempfile.mkdtemp(prefix="multicloud-exposed-pki-"))
    work.chmod(0o755)
    key = f"rsa:{private_ca.RSA_BITS}"
    assert private_ca.KEY_ALGORITHM == "RSA"

    def run(*args: str) -> None:
        done = subprocess.run(
            [openssl, *args], cwd=work, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr

    assert private_ca.CA_USES == ("cert_signing", "crl_signing")
    for ca in ("ca", "other-ca"):
        run("req", "-x509", "-newkey", key, "-nodes", "-days", "2", "-subj", f"/CN={ca}/O=multicloud",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", f"{ca}.key", "-out", f"{ca}.crt")  # fmt: skip
    assert private_ca.SERVER_USES == ("digital_signature", "key_encipherment", "server_auth")
    run("req", "-newkey", key, "-nodes", "-subj", "/CN=db/O=multicloud",
        "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (work / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:db\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "server.ext", "-out", "server.crt")  # fmt: skip
    for path in work.iterdir():
        path.chmod(0o644)
    try:
        yield {p.name: p for p in work.iterdir()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- Postgres ----------------------------------------------------------------------------------


def _settings(example: Plan) -> dict[str, str]:
    """The `-c name=value` settings of the host's db container, as shipped."""
    command = compose(example, "data")["services"]["db"]["command"]
    assert command[0] == "postgres"
    return dict(arg.split("=", 1) for arg in command[2::2])


@pytest.fixture(scope="module")
def exposed_postgres(example, task_env, pki, postgres_bindir, free_port, skip_or_fail) -> Iterator[int]:
    """A server with the shipped settings and pg_hba.conf, the pair for 127.0.0.1, the task's
    database, user and password."""
    uid, gid, as_server = _server_identity(skip_or_fail)
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="multicloud-exposed-pg-"))
    proc = log = None
    try:
        (work / "sock").mkdir()
        (work / "pwfile").write_text(task_env["PGPASSWORD"] + "\n")
        (work / "pg_hba.conf").write_text(bundle(example, "data")["config/db/pg_hba.conf"].text)
        shutil.copy(pki["server.crt"], work / "server.crt")
        shutil.copy(pki["server.key"], work / "server.key")
        for path in work.iterdir():
            os.chown(path, uid, gid)
        os.chown(work, uid, gid)
        (work / "server.key").chmod(0o400)  # the mode the release ships it with
        settings = _settings(example) | {
            "listen_addresses": "127.0.0.1",  # shipped: "*" (the container's interfaces)
            "port": str(port),
            "unix_socket_directories": str(work / "sock"),
            "hba_file": str(work / "pg_hba.conf"),
            "ssl_cert_file": str(work / "server.crt"),
            "ssl_key_file": str(work / "server.key"),
        }
        server_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LC_ALL": "C"}
        initdb = subprocess.run(
            [str(postgres_bindir / "initdb"), "-D", str(work / "data"), "--username", task_env["PGUSER"],
             "--pwfile", str(work / "pwfile"), "--auth-host=scram-sha-256", "--auth-local=scram-sha-256"],
            env=server_env, capture_output=True, text=True, timeout=180, check=False, **as_server,
        )  # fmt: skip
        assert initdb.returncode == 0, initdb.stdout + initdb.stderr
        log = (work / "postgres.log").open("w")
        args = [arg for k, v in settings.items() for arg in ("-c", f"{k}={v}")]
        proc = subprocess.Popen(
            [str(postgres_bindir / "postgres"), "-D", str(work / "data"), *args],
            stdout=log, stderr=subprocess.STDOUT, env=server_env, cwd=work, **as_server,
        )  # fmt: skip
        _wait(lambda: _pg_ready(postgres_bindir, port), proc, work / "postgres.log")
        yield port
    finally:
        if proc is not None:
            stop(proc, signal.SIGINT, timeout=30)
        if log is not None:
            log.close()
        shutil.rmtree(work, ignore_errors=True)


def _url(task_env: dict[str, str], port: int, ca: Path, host: str = "127.0.0.1", database: str = "") -> str:
    url = _rewired(task_env["DATABASE_URL"], host, port, "sslrootcert", ca)
    return url.replace(f"/{task_env['PGDATABASE']}?", f"/{database}?") if database else url


def test_postgres_reads_the_shipped_pg_hba_without_an_error(
    exposed_postgres, task_env, pki, postgres_bindir, tmp_path
):
    url = _url(task_env, exposed_postgres, pki["ca.crt"], database="postgres")
    sql = "SELECT count(*) FILTER (WHERE error IS NOT NULL), count(*) FROM pg_hba_file_rules"
    done = subprocess.run(
        [str(postgres_bindir / "psql"), "-X", "-w", "-At", "-d", url, "-c", sql],
        env=_client_env(tmp_path), capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    errors, rules = done.stdout.strip().split("|")
    assert (errors, rules) == ("0", "5")


def test_the_tasks_database_url_connects_and_verifies(
    exposed_postgres, task_env, pki, postgres_bindir, tmp_path
):
    assert task_env["PGSSLMODE"] == "verify-full"
    url = _url(task_env, exposed_postgres, pki["ca.crt"], database="postgres")
    done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "t"


def test_a_server_signed_by_another_ca_is_refused(exposed_postgres, task_env, pki, postgres_bindir, tmp_path):
    url = _url(task_env, exposed_postgres, pki["other-ca.crt"], database="postgres")
    done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode != 0 and "certificate verify failed" in done.stderr


def test_a_certificate_for_another_address_is_refused(
    exposed_postgres, task_env, pki, postgres_bindir, tmp_path
):
    # The certificate names 127.0.0.1 (and `db`); reached by another name, verify-full refuses.
    url = _url(task_env, exposed_postgres, pki["ca.crt"], host="localhost", database="postgres")
    done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode != 0 and "does not match host name" in done.stderr


def test_plain_tcp_is_refused_by_the_shipped_pg_hba(exposed_postgres, task_env, postgres_bindir, tmp_path):
    conninfo = (
        f"host=127.0.0.1 port={exposed_postgres} dbname=postgres user={task_env['PGUSER']} sslmode=disable"
    )
    env = {**_client_env(tmp_path), "PGPASSWORD": task_env["PGPASSWORD"]}
    done = _psql(postgres_bindir, env, conninfo)
    assert done.returncode != 0 and "no encryption" in done.stderr


# --- Redis -------------------------------------------------------------------------------------


def _conf(example: Plan, work: Path, port: int, tls_port: int, pki: dict[str, Path]) -> str:
    """The shipped redis.conf with this machine's address, ports and file locations."""
    shipped = bundle(example, "data")["secrets/cache/redis.conf"].text
    local = {
        "bind": "bind 127.0.0.1",
        "port": f"port {port}",
        "tls-port": f"tls-port {tls_port}",
        "dir": f"dir {work}",
        "tls-cert-file": f"tls-cert-file {pki['server.crt']}",
        "tls-key-file": f"tls-key-file {pki['server.key']}",
        "tls-ca-cert-file": f"tls-ca-cert-file {pki['ca.crt']}",
    }
    lines = [local.get(line.split(" ", 1)[0], line) for line in shipped.splitlines()]
    assert sum(line in local.values() for line in lines) == len(local), "a shipped setting is missing"
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def exposed_redis(example, pki, require_tool, free_port) -> Iterator[int]:
    server = require_tool("redis-server", "redis-server")
    port, tls_port = free_port(), free_port()
    work = Path(tempfile.mkdtemp(prefix="multicloud-exposed-redis-"))
    try:
        (work / "redis.conf").write_text(_conf(example, work, port, tls_port, pki))
        log_path = work / "redis.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen([server, str(work / "redis.conf")], stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait(lambda: _listening(tls_port), proc, log_path)
                yield tls_port
            finally:
                stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_the_tasks_redis_url_connects_and_verifies(exposed_redis, task_env, pki):
    assert task_env["REDIS_URL"].startswith("rediss://")
    assert _redis_ping(task_env, "127.0.0.1", exposed_redis, pki["ca.crt"]) is True


def test_redis_signed_by_another_ca_is_refused(exposed_redis, task_env, pki):
    import redis

    with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed"):
        _redis_ping(task_env, "127.0.0.1", exposed_redis, pki["other-ca.crt"])


def test_redis_certificate_for_another_address_is_refused(exposed_redis, task_env, pki):
    import redis

    with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed|match"):
        _redis_ping(task_env, "localhost", exposed_redis, pki["ca.crt"])
