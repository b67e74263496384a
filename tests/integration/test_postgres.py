"""A real Postgres server started with the generated configuration, probed with `psql`.

What is exercised exactly as shipped: the initdb auth flags of the Hetzner component, the TLS
key pair made by `scripts/prepare-postgres.sh`, `pg_hba()` and every `postgres_settings()`
value (only the listen address, port and socket directory are changed so the server binds to
127.0.0.1 on a free port). The claims proved: SCRAM passwords, TLS on every TCP connection,
plain TCP rejected, no way in without the password.
"""

from __future__ import annotations

import ast
import inspect
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import multicloud.components.postgres.hetzner as pg_component
from multicloud import components
from multicloud.components._vps.render import pg_hba, postgres_settings
from multicloud.components.postgres import setup_command
from tests.integration.conftest import stop

USER = "app"
PASSWORD = "Vb7Kq2Lw9Xc4Nm8Rt3Yp6Zs1Hd5Jf0Ga"
SERVICE = "db"
SAN_NAMES = ["127.0.0.1", "localhost"]  # extra names passed to the script, as a private IP would be
PREPARE_SCRIPT = Path(components._vps.__file__).resolve().parent / "scripts" / "prepare-postgres.sh"
PG_MAJOR = "16"  # any major: the script only compares it with an existing data directory
OVERRIDDEN = {"listen_addresses", "port", "unix_socket_directories"}


def component_initdb_args() -> list[str]:
    """POSTGRES_INITDB_ARGS exactly as components/postgres/hetzner.py passes it to the image."""
    for node in ast.walk(ast.parse(inspect.getsource(pg_component))):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "POSTGRES_INITDB_ARGS":
                    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                        raise AssertionError("POSTGRES_INITDB_ARGS is no longer a string literal")
                    return shlex.split(value.value)
    raise AssertionError("POSTGRES_INITDB_ARGS not found in components/postgres/hetzner.py")


@dataclass
class PgServer:
    port: int
    bindir: Path
    work: Path
    tls_dir: Path
    socket_dir: Path
    hba_file: Path
    owner_uid: int
    log: Path

    def client_env(self, password: str | None) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.work / "client-home"),  # no ~/.pgpass, no ~/.postgresql/root.crt
            "PGCONNECT_TIMEOUT": "5",
            "PGPASSFILE": str(self.work / "no-pgpass"),
            "LC_ALL": "C",
        }
        if password is not None:
            env["PGPASSWORD"] = password
        return env

    def psql(
        self, conninfo: str, sql: str, password: str | None = PASSWORD
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-w",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                conninfo,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            env=self.client_env(password),
            check=False,
        )

    def tcp(self, sslmode: str = "require", **extra: str) -> str:
        params = {
            "host": "127.0.0.1",
            "port": str(self.port),
            "user": USER,
            "dbname": "postgres",
            "sslmode": sslmode,
        }
        params.update(extra)
        return " ".join(f"{k}={v}" for k, v in params.items())


def _server_identity(skip_or_fail) -> tuple[int, int, dict]:
    """(uid, gid, Popen kwargs) to run initdb/postgres as; Postgres refuses to run as root."""
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("running as root needs a non-root `postgres` user to run the server")
        return pw.pw_uid, pw.pw_gid, {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    uid, gid = os.getuid(), os.getgid()
    # prepare-postgres.sh chowns to "$uid:$uid" (uid 999 = gid 999 in the image); a non-root
    # user can only do that when it belongs to the group with its own uid's number.
    if uid != gid and uid not in os.getgroups():
        skip_or_fail(
            f"prepare-postgres.sh chowns to {uid}:{uid}, which this non-root user cannot; run as root"
        )
    return uid, gid, {}


@pytest.fixture(scope="module")
def pg(postgres_bindir, require_tool, free_port, skip_or_fail):
    require_tool("openssl")
    bash = require_tool("bash")
    uid, gid, as_server = _server_identity(skip_or_fail)

    # Not tmp_path: pytest's base temp dir is private to the invoking user, and the server
    # may run as `postgres`.
    work = Path(tempfile.mkdtemp(prefix="multicloud-pg-"))
    proc: subprocess.Popen | None = None
    log = None
    try:
        for sub in ("client-home", "sock"):
            (work / sub).mkdir()
        volume = work / "volume"

        # 1. The TLS key pair, made by the shipped script as the release makes it.
        prepared = subprocess.run(
            [bash, str(PREPARE_SCRIPT), SERVICE, PG_MAJOR, *SAN_NAMES],
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "DATA_DIR": str(volume),
                "POSTGRES_UID": str(uid),
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert prepared.returncode == 0, prepared.stdout + prepared.stderr
        tls_dir = volume / SERVICE / "tls"

        # 2. pg_hba.conf as rendered, and the password file for initdb.
        hba_file = work / "pg_hba.conf"
        hba_file.write_text(pg_hba())
        pwfile = work / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        pwfile.chmod(0o600)
        for path in (work, work / "sock", hba_file, pwfile):
            os.chown(path, uid, gid)

        server_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LC_ALL": "C"}
        initdb = subprocess.run(
            [
                str(postgres_bindir / "initdb"),
                "-D",
                str(work / "data"),
                "--username",
                USER,
                "--pwfile",
                str(pwfile),
                *component_initdb_args(),
            ],
            env=server_env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            **as_server,
        )
        assert initdb.returncode == 0, initdb.stdout + initdb.stderr

        # 3. The server, with every generated setting.
        port = free_port()
        settings = postgres_settings(tls_dir=str(tls_dir), hba_file=str(hba_file))
        settings.update(
            listen_addresses="127.0.0.1", port=str(port), unix_socket_directories=str(work / "sock")
        )
        args = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        log_path = work / "postgres.log"
        log = log_path.open("w")
        proc = subprocess.Popen(
            [str(postgres_bindir / "postgres"), "-D", str(work / "data"), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env,
            cwd=work,
            **as_server,
        )

        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"postgres exited with {proc.returncode}:\n{log_path.read_text()}")
            ready = subprocess.run(
                [str(postgres_bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-t", "1"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            if ready.returncode == 0:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"postgres did not become ready:\n{log_path.read_text()}")
            time.sleep(0.2)

        yield PgServer(port, postgres_bindir, work, tls_dir, work / "sock", hba_file, uid, log_path)
    finally:
        if proc is not None:
            stop(proc, signal.SIGINT, timeout=30)  # fast shutdown
        if log is not None:
            log.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.integration
def test_initdb_args_come_from_the_component():
    args = component_initdb_args()
    assert "--auth-local=scram-sha-256" in args
    assert "--auth-host=scram-sha-256" in args


@pytest.mark.integration
def test_prepare_script_makes_a_private_key_postgres_accepts(pg):
    key, crt = pg.tls_dir / "server.key", pg.tls_dir / "server.crt"
    assert (key.stat().st_mode & 0o777) == 0o600
    assert (crt.stat().st_mode & 0o777) == 0o644
    assert (pg.tls_dir.stat().st_mode & 0o777) == 0o700
    assert key.stat().st_uid == pg.owner_uid == pg.tls_dir.stat().st_uid


@pytest.mark.integration
def test_prepare_script_is_idempotent(pg, require_tool):
    key_before = (pg.tls_dir / "server.key").read_bytes()
    again = subprocess.run(
        [require_tool("bash"), str(PREPARE_SCRIPT), SERVICE, PG_MAJOR, *SAN_NAMES],
        env={
            "PATH": os.environ.get("PATH", ""),
            "DATA_DIR": str(pg.tls_dir.parent.parent),
            "POSTGRES_UID": str(pg.owner_uid),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert (pg.tls_dir / "server.key").read_bytes() == key_before


@pytest.mark.integration
def test_password_over_tls_succeeds_and_is_stored_as_scram(pg):
    show_ssl = pg.psql(pg.tcp("require"), "SHOW ssl")
    assert show_ssl.returncode == 0, show_ssl.stderr
    assert show_ssl.stdout.strip() == "on"

    encrypted = pg.psql(pg.tcp("require"), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert encrypted.stdout.strip() == "t", encrypted.stderr

    scram = pg.psql(
        pg.tcp("require"), f"SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname='{USER}'"
    )
    assert scram.returncode == 0, scram.stderr
    assert scram.stdout.strip() == "t"


@pytest.mark.integration
def test_server_runs_every_generated_setting(pg):
    for key, value in postgres_settings(tls_dir=str(pg.tls_dir), hba_file=str(pg.hba_file)).items():
        if key in OVERRIDDEN:
            continue
        shown = pg.psql(pg.tcp("require"), f"SHOW {key}")
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.strip() == value, key


@pytest.mark.integration
def test_wrong_password_is_rejected(pg):
    result = pg.psql(pg.tcp("require"), "SELECT 1", password="not-the-password")
    assert result.returncode != 0
    assert "password authentication failed" in result.stderr


@pytest.mark.integration
def test_tcp_without_tls_is_rejected(pg):
    result = pg.psql(pg.tcp("disable"), "SELECT 1")
    assert result.returncode != 0
    assert "pg_hba.conf rejects connection" in result.stderr, result.stderr
    assert "no encryption" in result.stderr


@pytest.mark.integration
def test_no_password_is_rejected_over_tcp_and_socket(pg):
    tcp = pg.psql(pg.tcp("require"), "SELECT 1", password=None)
    assert tcp.returncode != 0
    assert "no password supplied" in tcp.stderr, tcp.stderr

    # The local line is SCRAM too, not trust or peer.
    local = pg.psql(
        f"host={pg.socket_dir} port={pg.port} user={USER} dbname=postgres", "SELECT 1", password=None
    )
    assert local.returncode != 0
    assert "no password supplied" in local.stderr, local.stderr
    local_ok = pg.psql(f"host={pg.socket_dir} port={pg.port} user={USER} dbname=postgres", "SELECT 1")
    assert local_ok.returncode == 0, local_ok.stderr


@pytest.mark.integration
@pytest.mark.parametrize("name", [SERVICE, *SAN_NAMES])
def test_certificate_verifies_for_the_names_given_to_the_script(pg, name):
    conninfo = pg.tcp(
        "verify-full", host=name, hostaddr="127.0.0.1", sslrootcert=str(pg.tls_dir / "server.crt")
    )
    result = pg.psql(conninfo, "SELECT 1")
    assert result.returncode == 0, result.stderr


@pytest.mark.integration
def test_certificate_does_not_verify_for_other_names(pg):
    # Negative control for the check above.
    conninfo = pg.tcp(
        "verify-full", host="other.example", hostaddr="127.0.0.1", sslrootcert=str(pg.tls_dir / "server.crt")
    )
    result = pg.psql(conninfo, "SELECT 1")
    assert result.returncode != 0
    assert "does not match host name" in result.stderr, result.stderr


@pytest.mark.integration
def test_prepare_script_refuses_a_major_version_change(tmp_path, require_tool):
    # The data directory says 15; a release asking for 16 must stop before anything restarts.
    data = tmp_path / "data"
    (data / SERVICE / "pgdata").mkdir(parents=True)
    (data / SERVICE / "pgdata" / "PG_VERSION").write_text("15\n")
    env = {"PATH": os.environ.get("PATH", ""), "DATA_DIR": str(data), "POSTGRES_UID": str(os.getuid())}
    args = [require_tool("bash"), str(PREPARE_SCRIPT), SERVICE]
    refused = subprocess.run([*args, "16"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 1
    assert "holds PostgreSQL 15 data; the release asks for 16" in refused.stderr
    assert not (data / SERVICE / "tls").exists()
    if os.getuid() == os.getgid():  # the script chowns to uid:uid
        same = subprocess.run(
            [*args, "15"], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert same.returncode == 0, same.stderr


# --- setup jobs: run as the admin, the way a consumer's job runs it ---------------------------

JOB_VARIABLES = {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE", "PGCONNECT_TIMEOUT"}


def _run_job(
    pg: PgServer,
    extensions: list[str],
    database: str = "postgres",
    app_user: str = USER,
    admin: tuple[str, str] = (USER, PASSWORD),
) -> subprocess.CompletedProcess[str]:
    """The job's command, with the job's variables pointed at the test server over TLS."""
    env = pg.client_env(admin[1]) | {
        "PATH": f"{pg.bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PGHOST": "127.0.0.1",
        "PGPORT": str(pg.port),
        "PGDATABASE": database,
        "PGUSER": admin[0],
        "PGSSLMODE": "require",
        "PGCONNECT_TIMEOUT": "10",
    }
    assert JOB_VARIABLES <= set(env)
    return subprocess.run(
        setup_command(database, app_user, extensions),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.integration
def test_the_setup_job_lets_the_app_create_tables_in_a_database_its_admin_owns(pg):
    """DigitalOcean's shape: the API creates the database as doadmin (not a superuser) and the
    app's user with no grants; on PostgreSQL 15+ that user cannot create in schema public
    until the job, run as doadmin, grants it."""
    admin, admin_pw, app, app_pw = (
        "doadmin",
        "Adm1nPassw0rdForTheTestOnly0000",
        "appuser",
        "AppPassw0rdForTheTestOnly000000",
    )
    for sql in (
        f"CREATE ROLE {admin} LOGIN CREATEDB CREATEROLE NOSUPERUSER PASSWORD '{admin_pw}'",
        f"CREATE ROLE {app} LOGIN NOSUPERUSER PASSWORD '{app_pw}'",
        f"CREATE DATABASE appdb OWNER {admin}",
    ):
        created = pg.psql(pg.tcp(), sql)
        assert created.returncode == 0, created.stderr
    as_app = pg.tcp(user=app, dbname="appdb")
    refused = pg.psql(as_app, "CREATE TABLE migrations (id int)", password=app_pw)
    assert refused.returncode != 0 and "permission denied for schema public" in refused.stderr

    for _ in range(2):  # every release runs it again
        job = _run_job(pg, [], database="appdb", app_user=app, admin=(admin, admin_pw))
        assert job.returncode == 0, job.stderr
    created = pg.psql(as_app, "CREATE TABLE migrations (id int); CREATE SCHEMA app_private", password=app_pw)
    assert created.returncode == 0, created.stderr


@pytest.mark.integration
def test_the_extensions_job_creates_them_and_is_idempotent(pg):
    for _ in range(2):  # every release runs it again
        result = _run_job(pg, ["pgcrypto", "hstore"])
        assert result.returncode == 0, result.stderr
    listed = pg.psql(pg.tcp(), "SELECT extname FROM pg_extension ORDER BY extname")
    assert {"hstore", "pgcrypto"} <= set(listed.stdout.split())


@pytest.mark.integration
def test_an_extension_brings_the_ones_it_requires(pg):
    """earthdistance requires cube: listed alone, CASCADE creates cube too."""
    result = _run_job(pg, ["earthdistance"])
    assert result.returncode == 0, result.stderr
    listed = pg.psql(pg.tcp(), "SELECT extname FROM pg_extension ORDER BY extname")
    assert {"cube", "earthdistance"} <= set(listed.stdout.split())
