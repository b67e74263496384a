"""The variables a Hetzner host's containers get for DigitalOcean's managed Postgres and Valkey,
used by real clients against real servers that stand in for the clusters.

The servers present a certificate for `localhost` signed by a CA of their own, as a managed
cluster presents one for its public name signed by DigitalOcean's CA. The clients get exactly
what the planned example (examples/hetzner-compute-do-data.yaml) ships to its api container —
DATABASE_URL, PG*, REDIS_URL, REDIS_CA_FILE — with only the address and the CA file's path put
where this machine has them. What is proved: `psql` (libpq) and redis-py connect and verify the
server with those values; they refuse a server signed by another CA, a certificate for another
name, and a server that offers no TLS at all.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from multicloud.infra.offline import plan
from tests.conftest import ROOT
from tests.helpers import env_of
from tests.integration.conftest import stop
from tests.integration.test_postgres import _server_identity

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "examples" / "hetzner-compute-do-data.yaml"


@pytest.fixture(scope="module")
def shipped() -> dict[str, str]:
    """The api container's environment, as the example's release ships it to the host."""
    return env_of(plan(EXAMPLE, "prod", project_dir=ROOT), "box", "api")


@pytest.fixture(scope="module")
def pki(require_tool) -> Iterator[dict[str, Path]]:
    """Two CAs; a server key pair for `localhost` signed by the first (readable by the server)."""
    work, run = openssl_in(require_tool("openssl"), "multicloud-pki-")
    for ca in ("ca", "other-ca"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={ca}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            "-keyout", f"{ca}.key", "-out", f"{ca}.crt")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (work / "ext").write_text("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "ext", "-out", "server.crt")  # fmt: skip
    for name in ("ca.crt", "other-ca.crt", "server.crt"):
        (work / name).chmod(0o644)
    try:
        yield {name: work / f"{name}" for name in ("ca.crt", "other-ca.crt", "server.crt", "server.key")}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def openssl_in(openssl: str, prefix: str) -> tuple[Path, Callable[..., None]]:
    """A fresh directory others may read, and `run(*args)`: openssl there, asserted to succeed."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    work.chmod(0o755)

    def run(*args: str) -> None:
        done = subprocess.run(
            [openssl, *args], cwd=work, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr

    return work, run


def _rewired(url: str, host: str, port: int, ca_key: str, ca_path: Path) -> str:
    """`url` pointed at `host:port`, its CA parameter (if any) at `ca_path`; all else kept."""
    parts = urlsplit(url)
    netloc = f"{parts.netloc.rpartition('@')[0]}@{host}:{port}"
    query = [(k, str(ca_path) if k == ca_key else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="/"), parts.fragment))


# --- Postgres ----------------------------------------------------------------------------------


@contextmanager
def _postgres(bindir: Path, port: int, env: dict[str, str], tls: dict[str, Path] | None, skip_or_fail):
    """A server with the shipped database, user and password; TLS-only when `tls` is given
    (as a managed cluster is), else plain TCP only."""
    uid, gid, as_server = _server_identity(skip_or_fail)
    work = Path(tempfile.mkdtemp(prefix="multicloud-pg-tls-"))
    proc = log = None
    try:
        (work / "sock").mkdir()
        (work / "pwfile").write_text(env["PGPASSWORD"] + "\n")
        hba = "hostssl" if tls else "hostnossl"
        (work / "pg_hba.conf").write_text(f"{hba} all all 127.0.0.1/32 scram-sha-256\n")
        settings = {"listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": str(work / "sock"),
                    "hba_file": str(work / "pg_hba.conf"), "ssl": "on" if tls else "off"}  # fmt: skip
        if tls:
            key = work / "server.key"
            shutil.copy(tls["server.key"], key)
            os.chown(key, uid, gid)
            key.chmod(0o600)
            settings |= {"ssl_cert_file": str(tls["server.crt"]), "ssl_key_file": str(key)}
        for path in (work, work / "sock", work / "pwfile", work / "pg_hba.conf"):
            os.chown(path, uid, gid)
        server_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LC_ALL": "C"}
        initdb = subprocess.run(
            [str(bindir / "initdb"), "-D", str(work / "data"), "--username", env["PGUSER"],
             "--pwfile", str(work / "pwfile"), "--auth-host=scram-sha-256", "--auth-local=scram-sha-256"],
            env=server_env, capture_output=True, text=True, timeout=180, check=False, **as_server,
        )  # fmt: skip
        assert initdb.returncode == 0, initdb.stdout + initdb.stderr
        log = (work / "postgres.log").open("w")
        args = [arg for k, v in settings.items() for arg in ("-c", f"{k}={v}")]
        proc = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(work / "data"), *args],
            stdout=log, stderr=subprocess.STDOUT, env=server_env, cwd=work, **as_server,
        )  # fmt: skip
        _wait(lambda: _pg_ready(bindir, port), proc, work / "postgres.log")
        admin = {**_client_env(work), "PGPASSWORD": env["PGPASSWORD"]}
        sslmode = "require" if tls else "disable"
        created = subprocess.run(
            [str(bindir / "psql"), "-X", "-w", "-v", "ON_ERROR_STOP=1", "-d",
             f"host=127.0.0.1 port={port} user={env['PGUSER']} dbname=postgres sslmode={sslmode}",
             "-c", f'CREATE DATABASE "{env["PGDATABASE"]}"'],
            env=admin, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        yield work
    finally:
        if proc is not None:
            stop(proc, signal.SIGINT, timeout=30)  # Postgres's fast shutdown
        if log is not None:
            log.close()
        shutil.rmtree(work, ignore_errors=True)


def _pg_ready(bindir: Path, port: int) -> bool:
    ready = subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-t", "1"],
                           capture_output=True, timeout=10, check=False)  # fmt: skip
    return ready.returncode == 0


def _wait(ready, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"server did not become ready:\n{log.read_text()}")
        time.sleep(0.2)


def _client_env(work: Path) -> dict[str, str]:
    """A client with no ~/.postgresql/root.crt and no password file to fall back on."""
    home = work / "client-home"
    home.mkdir(exist_ok=True)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C",
            "PGCONNECT_TIMEOUT": "5", "PGPASSFILE": str(work / "no-pgpass")}  # fmt: skip


@pytest.fixture(scope="module")
def tls_postgres(postgres_bindir, free_port, pki, shipped, skip_or_fail) -> Iterator[int]:
    port = free_port()
    with _postgres(postgres_bindir, port, shipped, pki, skip_or_fail):
        yield port


def _psql(bindir: Path, env: dict[str, str], *conninfo: str) -> subprocess.CompletedProcess[str]:
    sql = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    database = [arg for c in conninfo for arg in ("-d", c)]
    cmd = [str(bindir / "psql"), "-X", "-w", "-At", *database, "-c", sql]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30, check=False)


def test_the_shipped_values_ask_for_full_verification(shipped):
    """The premise of the tests below, as shipped: verify-full, and the CA where it is mounted."""
    query = dict(parse_qsl(urlsplit(shipped["DATABASE_URL"]).query))
    assert query == {"sslmode": "verify-full", "sslrootcert": shipped["PGSSLROOTCERT"]}
    assert shipped["PGSSLMODE"] == "verify-full"
    assert urlsplit(shipped["REDIS_URL"]).scheme == "rediss"


def test_database_url_connects_and_verifies(postgres_bindir, tls_postgres, pki, shipped, tmp_path):
    url = _rewired(shipped["DATABASE_URL"], "localhost", tls_postgres, "sslrootcert", pki["ca.crt"])
    done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "t"


def test_the_pg_variables_alone_connect_and_verify(postgres_bindir, tls_postgres, pki, shipped, tmp_path):
    names = ("PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE")
    env = {**_client_env(tmp_path), **{k: shipped[k] for k in names}}
    env |= {"PGHOST": "localhost", "PGPORT": str(tls_postgres), "PGSSLROOTCERT": str(pki["ca.crt"])}
    done = _psql(postgres_bindir, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "t"


def test_a_server_signed_by_another_ca_is_refused(postgres_bindir, tls_postgres, pki, shipped, tmp_path):
    url = _rewired(shipped["DATABASE_URL"], "localhost", tls_postgres, "sslrootcert", pki["other-ca.crt"])
    done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode != 0
    assert "certificate verify failed" in done.stderr


def test_a_certificate_for_another_name_is_refused(postgres_bindir, tls_postgres, pki, shipped, tmp_path):
    # The certificate names localhost; reached as 127.0.0.1, verify-full must refuse it.
    url = _rewired(shipped["DATABASE_URL"], "127.0.0.1", tls_postgres, "sslrootcert", pki["ca.crt"])
    done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode != 0
    assert "does not match host name" in done.stderr


def test_a_server_without_tls_is_refused(postgres_bindir, free_port, pki, shipped, tmp_path, skip_or_fail):
    port = free_port()
    with _postgres(postgres_bindir, port, shipped, None, skip_or_fail):
        url = _rewired(shipped["DATABASE_URL"], "localhost", port, "sslrootcert", pki["ca.crt"])
        done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode != 0
    assert "server does not support SSL" in done.stderr


# --- Valkey / Redis ----------------------------------------------------------------------------


@contextmanager
def _redis(server: str, port: int, password: str, tls: dict[str, Path] | None, work: Path):
    """redis-server requiring the shipped password; TLS-only when `tls` is given."""
    conf = ["bind 127.0.0.1", 'save ""', "appendonly no", f"dir {work}", f"requirepass {password}"]
    if tls:
        conf += ["port 0", f"tls-port {port}", f"tls-cert-file {tls['server.crt']}",
                 f"tls-key-file {tls['server.key']}", "tls-auth-clients no"]  # fmt: skip
    else:
        conf += [f"port {port}"]
    (work / "redis.conf").write_text("\n".join(conf) + "\n")
    log_path = work / "redis.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([server, str(work / "redis.conf")], stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: _listening(port), proc, log_path)
            yield
        finally:
            stop(proc)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _redis_ping(shipped: dict[str, str], host: str, port: int, ca: Path, timeout: float = 5) -> object:
    """What an app does with the variables (docs/links.md): from_url(REDIS_URL, ssl_ca_certs=REDIS_CA_FILE)."""
    import redis

    url = _rewired(shipped["REDIS_URL"], host, port, "", ca)
    client = redis.Redis.from_url(
        url, ssl_ca_certs=str(ca), socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        return client.ping()
    finally:
        client.close()


@pytest.fixture(scope="module")
def tls_redis(require_tool, free_port, pki, shipped) -> Iterator[int]:
    server = require_tool("redis-server", "redis-server")
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="multicloud-redis-tls-"))
    try:
        with _redis(server, port, _password(shipped), pki, work):
            yield port
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _password(shipped: dict[str, str]) -> str:
    from urllib.parse import unquote

    return unquote(urlsplit(shipped["REDIS_URL"]).password or "")


def test_redis_url_with_the_ca_file_connects_and_verifies(tls_redis, pki, shipped):
    assert _redis_ping(shipped, "localhost", tls_redis, pki["ca.crt"]) is True


def test_redis_signed_by_another_ca_is_refused(tls_redis, pki, shipped):
    import redis

    with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed"):
        _redis_ping(shipped, "localhost", tls_redis, pki["other-ca.crt"])


def test_redis_certificate_for_another_name_is_refused(tls_redis, pki, shipped):
    import redis

    with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed|match"):
        _redis_ping(shipped, "127.0.0.1", tls_redis, pki["ca.crt"])


def test_redis_without_tls_is_refused(require_tool, free_port, pki, shipped, tmp_path):
    import redis

    server, port = require_tool("redis-server", "redis-server"), free_port()
    # A plain server never answers the TLS handshake: the client fails (a timeout), never
    # falling back to plain text.
    refused = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
    with _redis(server, port, _password(shipped), None, tmp_path), pytest.raises(refused):
        _redis_ping(shipped, "localhost", port, pki["ca.crt"], timeout=2)


# --- Fargate: the CA writer container ----------------------------------------------------------


@pytest.fixture(scope="module")
def fargate_api(tmp_path_factory) -> dict[str, dict]:
    """The api task's containers when it links DigitalOcean's clusters from Fargate."""
    from tests.conftest import write_stack
    from tests.test_internet_links import containers, fargate_config

    path = write_stack(tmp_path_factory.mktemp("fargate") / "Pulumi.prod.yaml", fargate_config())
    return containers(plan(path, "prod", project_dir=ROOT), "api")


def test_the_ca_writer_script_passes_shellcheck(fargate_api, require_tool, tmp_path):
    shellcheck = require_tool("shellcheck")
    script = tmp_path / "writer.sh"
    script.write_text("#!/bin/sh\n" + fargate_api["tls-ca"]["command"][2] + "\n")
    done = subprocess.run(
        [shellcheck, "-s", "sh", str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout


def test_the_written_ca_lets_the_app_verify_the_server(
    fargate_api, require_tool, postgres_bindir, tls_postgres, pki, shipped, tmp_path
):
    """The writer's exact script, run by a real `sh` with the provider's CA in its variables
    (here the test CA) into a directory standing for the task volume; the app's PGSSLROOTCERT,
    so placed, verifies the server."""
    sh = require_tool("sh")
    writer, app = fargate_api["tls-ca"], {e["name"]: e["value"] for e in fargate_api["api"]["environment"]}
    volume = fargate_api["api"]["mountPoints"][0]["containerPath"]
    script = writer["command"][2].replace(volume + "/", f"{tmp_path}/")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env |= {e["name"]: pki["ca.crt"].read_text() for e in writer["environment"]}
    done = subprocess.run(
        [sh, "-c", script], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    written = tmp_path / app["PGSSLROOTCERT"].removeprefix(volume + "/")
    assert written.read_text() == pki["ca.crt"].read_text()
    assert written.stat().st_mode & 0o777 == 0o644
    url = _rewired(shipped["DATABASE_URL"], "localhost", tls_postgres, "sslrootcert", written)
    checked = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert checked.returncode == 0, checked.stderr
