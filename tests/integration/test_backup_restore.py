"""Postgres backups end to end: the shipped scripts, real restic, a real S3 server, real Postgres.

backup-postgres.sh, restore-postgres.sh, verify-backup.sh and backup-status.sh run unchanged.
The only stand-in is `docker`: a small script first on PATH that implements
`docker exec [-i] CONTAINER sh -c SCRIPT ARGS...` by running `sh -c SCRIPT ARGS...` here, with
an empty environment (as a container would have) plus PGHOST/PGPORT pointing at a test
server's socket, and as the server's OS user when the tests run as root. `restic` is the
real binary behind a wrapper that records its command lines. The repository lives in a moto
S3 bucket on 127.0.0.1.

The claims proved: a backup lands in the bucket as ciphertext only; a restore into a fresh
server (and over a changed one) reproduces every row; retention keeps what it is told to;
verification reads the whole archive and rejects a truncated one; a failed pg_dump fails the
backup, leaves no snapshot behind and does not count as a success; the status report's
exit code follows the ages; no secret is ever on a command line or printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

from multicloud import components
from multicloud.components._vps.render import backup_env
from tests.integration.test_postgres import _server_identity, component_initdb_args

SCRIPTS = Path(components._vps.__file__).resolve().parent / "scripts"
BACKUP_SCRIPTS = ["backup-postgres.sh", "restore-postgres.sh", "verify-backup.sh", "backup-status.sh"]
SERVICE = "db"
USER = "app"
DATABASE = "app"
DB_PASSWORD = "Pq8Wn3Xv6Lz1Rb5Tk9Hm2Jc7Fd4Gs0Ya"
RESTIC_PASSWORD = "rp-Xo4Nf8Qa2Ue6Mi0Kw3Zt7Hc1Vb5Ly9"
AWS_SECRET = "testing"  # moto accepts any key; the secret-leak checks use the two above
BUCKET = "backups"
CANARY = "PLAINTEXT-CANARY-ROW"
TABLES = ["customers", "orders_ledger"]

SEED_SQL = f"""
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    email text,
    balance numeric(12, 2),
    active boolean,
    created timestamptz,
    tags text[],
    profile jsonb,
    avatar bytea,
    ref uuid
);
INSERT INTO customers
SELECT g,
       'customer ' || g || ' Zoë «ünïcødé» ' || repeat('x', g % 17),
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'user' || g || '@example.test' END,
       (g * 13.37)::numeric(12, 2),
       g % 3 = 0,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '17 minutes',
       ARRAY['t' || (g % 5), 'k' || (g % 11)],
       jsonb_build_object('score', g % 100, 'nested', jsonb_build_object('a', g, 'b', g % 2 = 0)),
       decode(md5(g::text), 'hex'),
       md5('ref' || g)::uuid
FROM generate_series(1, 3000) AS g;

CREATE TABLE orders_ledger (
    id serial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    amount double precision,
    note text,
    placed date,
    took interval
);
INSERT INTO orders_ledger (customer_id, amount, note, placed, took)
SELECT 1 + (g % 3000),
       g / 7.0,
       '{CANARY} ' || g || ' line one' || chr(10) || 'line two, with a tab' || chr(9) || 'and ''quotes''',
       date '2023-06-01' + (g % 400),
       make_interval(mins => g % 500)
FROM generate_series(1, 5000) AS g;
CREATE INDEX orders_ledger_customer ON orders_ledger (customer_id);
CREATE VIEW big_orders AS SELECT * FROM orders_ledger WHERE amount > 500;
"""


# --- a real Postgres -------------------------------------------------------------------


@dataclass
class Pg:
    bindir: Path
    work: Path
    port: int
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    logs: list = field(default_factory=list)

    @property
    def socket_dir(self) -> Path:
        return self.work / "sock"

    def psql(self, sql: str, database: str = DATABASE) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-w",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                USER,
                "-d",
                database,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(self.work),
                "PGPASSWORD": DB_PASSWORD,
                "PGPASSFILE": str(self.work / "no-pgpass"),
                "PGCONNECT_TIMEOUT": "5",
                "LC_ALL": "C",
            },
        )

    def sql(self, sql: str, database: str = DATABASE) -> str:
        result = self.psql(sql, database)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def fingerprint(self) -> dict[str, tuple[str, ...]]:
        """Row count and an md5 over every row's text, per table, plus the id sequence."""
        out = {
            table: tuple(
                self.sql(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY id)) FROM {table} t").split(
                    "|"
                )
            )
            for table in TABLES
        }
        out["orders_ledger_id_seq"] = (self.sql("SELECT last_value FROM orders_ledger_id_seq"), "")
        return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


def start_pg(bindir: Path, free_port: Callable[[], int], as_server: dict, uid: int, gid: int) -> Pg:
    """initdb (with the component's auth flags), start on a free 127.0.0.1 port, create app/app.
    A port taken between choosing and binding it (another worker's client) is chosen again."""
    for _ in range(4):
        try:
            return _start_pg(bindir, free_port(), as_server, uid, gid)
        except PortTaken:
            continue
    pytest.fail("postgres found no free port in 4 tries")


class PortTaken(Exception):
    """postgres could not bind the port it was given: something took it meanwhile."""


def _start_pg(bindir: Path, port: int, as_server: dict, uid: int, gid: int) -> Pg:
    work = Path(tempfile.mkdtemp(prefix="multicloud-backup-pg-"))
    pg = Pg(bindir, work, port)
    (work / "sock").mkdir()
    pwfile = work / "pwfile"
    pwfile.write_text(DB_PASSWORD + "\n")
    pwfile.chmod(0o600)
    for path in (work, work / "sock", pwfile):
        os.chown(path, uid, gid)
    server_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LC_ALL": "C"}
    initdb = subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(work / "data"),
            "--username",
            USER,
            "--pwfile",
            str(pwfile),
            "--encoding",
            "UTF8",
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
    pg.log_path = work / "postgres.log"
    log = pg.log_path.open("w")
    pg.logs.append(log)
    pg.proc = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(work / "data"),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={port}",
            "-c",
            f"unix_socket_directories={work / 'sock'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=server_env,
        cwd=work,
        **as_server,
    )
    deadline = time.monotonic() + 60
    while True:
        if pg.proc.poll() is not None:
            text = pg.log_path.read_text()
            cleanup_pg(pg)
            if "Address already in use" in text:
                raise PortTaken(port)
            pytest.fail(f"postgres exited with {pg.proc.returncode}:\n{text}")
        ready = subprocess.run(
            [str(bindir / "pg_isready"), "-h", str(work / "sock"), "-p", str(port), "-t", "1"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if ready.returncode == 0:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"postgres did not become ready:\n{pg.log_path.read_text()}")
        time.sleep(0.2)
    pg.sql(f"CREATE DATABASE {DATABASE} OWNER {USER}", database="postgres")
    return pg


def cleanup_pg(pg: Pg) -> None:
    pg.stop()
    for log in pg.logs:
        log.close()
    shutil.rmtree(pg.work, ignore_errors=True)


@pytest.fixture(scope="module")
def server_identity(skip_or_fail) -> tuple[int, int, dict]:
    return _server_identity(skip_or_fail)


@pytest.fixture
def make_pg(postgres_bindir, free_port, server_identity) -> Iterator[Callable[[], Pg]]:
    """`make_pg()` → a fresh, empty server with database app owned by app; stopped at teardown."""
    uid, gid, as_server = server_identity
    started: list[Pg] = []

    def make() -> Pg:
        pg = start_pg(postgres_bindir, free_port, as_server, uid, gid)
        started.append(pg)
        return pg

    yield make
    for pg in started:
        cleanup_pg(pg)


@pytest.fixture(scope="module")
def source_pg(postgres_bindir, free_port, server_identity) -> Iterator[Pg]:
    """The server being backed up, seeded once: two tables, 8000 rows of varied types."""
    uid, gid, as_server = server_identity
    pg = start_pg(postgres_bindir, free_port, as_server, uid, gid)
    try:
        pg.sql(SEED_SQL)
        yield pg
    finally:
        cleanup_pg(pg)


# --- the host around the scripts --------------------------------------------------------


@dataclass
class Host:
    """What a VPS host gives the scripts: settings file, docker, restic, a data directory."""

    tmp: Path
    s3_url: str
    env_file: Path
    data_dir: Path
    base_env: dict[str, str]
    command_log: Path
    secrets_dir: Path
    target: Pg | None = None

    def settings(self, **overrides: str) -> None:
        """(Re)write the 0600 settings file the scripts read."""
        values = {
            "RESTIC_REPOSITORY": f"s3:{self.s3_url}/{BUCKET}/postgres/{SERVICE}",
            "RESTIC_PASSWORD": RESTIC_PASSWORD,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "PGUSER": USER,
            "PGDATABASE": DATABASE,
            "PGPASSWORD_FILE": str(self.secrets_dir / "password"),
            "DATA_DIR": str(self.data_dir),
        } | overrides
        # Written by the same function that renders the file for a host's release.
        self.env_file.write_text(backup_env(values))
        self.env_file.chmod(0o600)

    def env(self) -> dict[str, str]:
        env = dict(self.base_env)
        if self.target is not None:
            env["STUB_PGHOST"] = str(self.target.socket_dir)
            env["STUB_PGPORT"] = str(self.target.port)
        return env

    def script(self, name: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["bash", str(SCRIPTS / name), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            check=False,
        )
        for secret in (RESTIC_PASSWORD, DB_PASSWORD):
            assert secret not in result.stdout + result.stderr, f"{name} printed a secret"
        return result

    def restic(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        """Real restic with the repository's settings, for the test's own look at the repository."""
        env = self.env() | {
            "RESTIC_REPOSITORY": f"s3:{self.s3_url}/{BUCKET}/postgres/{SERVICE}",
            "RESTIC_PASSWORD": RESTIC_PASSWORD,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        return subprocess.run(
            [shutil.which("restic") or "restic", *args],
            capture_output=True,
            env=env,
            timeout=120,
            check=False,
        )

    def snapshots(self) -> list[dict]:
        result = self.restic("snapshots", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def state(self, name: str) -> Path:
        return self.data_dir / SERVICE / "backup" / name

    def s3(self):
        return boto3.client(
            "s3",
            endpoint_url=self.s3_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key=AWS_SECRET,
        )


DOCKER_STUB = """#!/bin/sh
# Stand-in for `docker exec [-i] CONTAINER sh -c SCRIPT ARGS...` (nothing else).
printf 'docker' >>"{log}"; printf ' %s' "$@" >>"{log}"; printf '\\n' >>"{log}"
[ "$1" = exec ] || {{ echo "docker stand-in: only exec is implemented" >&2; exit 125; }}
shift
if [ "$1" = -i ]; then shift; fi
if [ "$1" != "{container}" ]; then
  echo "Error response from daemon: No such container: $1" >&2
  exit 1
fi
shift
if [ "$1" != sh ] || [ "$2" != -c ]; then
  echo "docker stand-in: only sh -c SCRIPT ARGS is implemented" >&2
  exit 125
fi
# A container sees none of the host's environment: only what its image sets.
exec /usr/bin/env -i PATH="{path}" HOME=/nonexistent LC_ALL=C \\
  PGHOST="$STUB_PGHOST" PGPORT="$STUB_PGPORT" PGCONNECT_TIMEOUT=5 {as_user} "$@"
"""

RESTIC_WRAPPER = """#!/bin/sh
# The real restic, with each command line recorded.
printf 'restic' >>"{log}"; printf ' %s' "$@" >>"{log}"; printf '\\n' >>"{log}"
exec "{restic}" "$@"
"""


@pytest.fixture
def host(tmp_path, s3_server, require_tool, postgres_bindir, server_identity) -> Iterator[Host]:
    restic = require_tool("restic")
    require_tool("flock", "util-linux")
    uid, gid, _ = server_identity
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "commands.log"
    log.touch()
    as_user = f"/usr/bin/setpriv --reuid={uid} --regid={gid} --clear-groups --" if os.geteuid() == 0 else ""
    if as_user:
        require_tool("setpriv", "util-linux")
    (bin_dir / "docker").write_text(
        DOCKER_STUB.format(
            log=log, container=SERVICE, path=f"{postgres_bindir}:/usr/bin:/bin", as_user=as_user
        )
    )
    (bin_dir / "restic").write_text(RESTIC_WRAPPER.format(log=log, restic=restic))
    for exe in ("docker", "restic"):
        (bin_dir / exe).chmod(0o755)

    # The password file as the container sees it: readable by the server's user alone.
    secrets_dir = Path(tempfile.mkdtemp(prefix="multicloud-backup-secrets-"))
    (secrets_dir / "password").write_text(DB_PASSWORD + "\n")
    (secrets_dir / "password").chmod(0o400)
    for path in (secrets_dir, secrets_dir / "password"):
        os.chown(path, uid, gid)

    home = tmp_path / "home"
    home.mkdir()
    boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key=AWS_SECRET,
    ).create_bucket(Bucket=BUCKET)
    h = Host(
        tmp=tmp_path,
        s3_url=s3_server,
        env_file=tmp_path / "backup" / f"{SERVICE}.env",
        data_dir=tmp_path / "data",
        base_env={
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(home),
            "RESTIC_CACHE_DIR": str(tmp_path / "restic-cache"),
            "BACKUP_ENV": str(tmp_path / "backup" / f"{SERVICE}.env"),
            "DATA_DIR": str(tmp_path / "data"),  # backup-status.sh reads no settings file
            "LC_ALL": "C",
        },
        command_log=log,
        secrets_dir=secrets_dir,
    )
    h.env_file.parent.mkdir()
    h.settings()
    try:
        yield h
    finally:
        # Every command line of the run, docker's and restic's, is free of secrets.
        commands = log.read_text()
        for secret in (RESTIC_PASSWORD, DB_PASSWORD):
            assert secret not in commands, "a secret was passed on a command line"
        shutil.rmtree(secrets_dir, ignore_errors=True)


def unix_time(path: Path) -> int:
    text = path.read_text()
    assert re.fullmatch(r"\d+\n", text), text
    return int(text)


# --- the tests --------------------------------------------------------------------------


@pytest.mark.integration
def test_backup_lands_in_the_bucket_encrypted_and_restores_every_row(host, source_pg, make_pg):
    host.target = source_pg
    before = source_pg.fingerprint()
    assert before["customers"][0] == "3000" and before["orders_ledger"][0] == "5000"

    backup = host.script("backup-postgres.sh", SERVICE)
    assert backup.returncode == 0, backup.stdout + backup.stderr

    # The snapshot, as restic sees it.
    snapshots = host.snapshots()
    assert len(snapshots) == 1
    assert snapshots[0]["tags"] == [SERVICE]
    assert snapshots[0]["hostname"] == "multicloud"
    assert snapshots[0]["paths"] == [f"/{SERVICE}.dump"]
    assert snapshots[0]["short_id"] in backup.stdout

    # The bucket holds a restic repository under the prefix, and nothing readable.
    client = host.s3()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    prefix = f"postgres/{SERVICE}/"
    assert keys and all(k.startswith(prefix) for k in keys), keys
    assert len([k for k in keys if k.startswith(prefix + "snapshots/")]) == 1
    assert any(k.startswith(prefix + "data/") for k in keys)
    bodies = [client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys]
    for needle in ("orders_ledger", "customers", CANARY, "CREATE TABLE", "PGDMP", DB_PASSWORD):
        assert not any(needle.encode() in body for body in bodies), f"{needle!r} is readable in the bucket"

    # Control: the same dump unencrypted does show the table names (pg_dump's TOC is plain).
    plain = host.restic("dump", "latest", f"/{SERVICE}.dump")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith(b"PGDMP") and b"orders_ledger" in plain.stdout

    # last-success: a unix time, world-readable, just now.
    last = host.state("last-success")
    assert abs(unix_time(last) - time.time()) < 120
    assert (last.stat().st_mode & 0o777) == 0o644

    # Restore into a second, fresh server.
    fresh = make_pg()
    assert fresh.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"
    host.target = fresh
    restore = host.script("restore-postgres.sh", SERVICE)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert f"snapshot {snapshots[0]['id']} taken at {snapshots[0]['time']}" in restore.stdout
    assert fresh.fingerprint() == before
    assert fresh.sql("SELECT count(*) FROM big_orders") == source_pg.sql("SELECT count(*) FROM big_orders")
    assert fresh.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_ledger_customer'") == "1"

    # Restore again over a changed database, by explicit snapshot ID: --clean puts it back.
    fresh.sql(
        "DELETE FROM orders_ledger WHERE id % 2 = 0; UPDATE customers SET name = 'changed'; "
        "INSERT INTO orders_ledger (customer_id, amount) VALUES (1, 1)"
    )
    assert fresh.fingerprint() != before
    again = host.script("restore-postgres.sh", SERVICE, snapshots[0]["short_id"])
    assert again.returncode == 0, again.stdout + again.stderr
    assert fresh.fingerprint() == before


@pytest.mark.integration
def test_restore_refuses_an_unknown_snapshot_and_changes_nothing(host, source_pg, make_pg):
    host.target = source_pg
    assert host.script("backup-postgres.sh", SERVICE).returncode == 0
    target = make_pg()
    target.sql("CREATE TABLE keep_me (id int PRIMARY KEY); INSERT INTO keep_me VALUES (1)")
    host.target = target
    docker_calls = host.command_log.read_text().count("docker exec")

    missing = host.script("restore-postgres.sh", SERVICE, "deadbeef")
    assert missing.returncode != 0
    assert "no snapshot 'deadbeef' of db" in missing.stderr
    assert host.command_log.read_text().count("docker exec") == docker_calls  # pg_restore never ran
    assert target.sql("SELECT count(*) FROM keep_me") == "1"


@pytest.mark.integration
def test_retention_keeps_what_it_is_told(host, source_pg):
    host.target = source_pg
    host.settings(KEEP_DAILY="1", KEEP_WEEKLY="0", KEEP_MONTHLY="0")
    first = host.script("backup-postgres.sh", SERVICE)
    assert first.returncode == 0, first.stderr
    second = host.script("backup-postgres.sh", SERVICE)
    assert second.returncode == 0, second.stderr

    snapshots = host.snapshots()
    assert len(snapshots) == 1, snapshots
    assert snapshots[0]["short_id"] in second.stdout  # the newest is the one kept
    assert host.restic("check").returncode == 0
    assert "--keep-daily 1 --keep-weekly 0 --keep-monthly 0 --prune" in host.command_log.read_text()


@pytest.mark.integration
def test_default_retention_keeps_both_backups_of_a_day(host, source_pg):
    host.target = source_pg
    for _ in range(2):
        result = host.script("backup-postgres.sh", SERVICE)
        assert result.returncode == 0, result.stderr
    # Seven dailies by default, but one per day: the day's newest counts, the older one
    # of the same day goes.
    assert len(host.snapshots()) == 1
    assert "--keep-daily 7 --keep-weekly 4 --keep-monthly 6 --prune" in host.command_log.read_text()


@pytest.mark.integration
def test_verify_reads_the_latest_dump_and_records_it(host, source_pg):
    host.target = source_pg
    assert not host.state("last-verified").exists()
    nothing = host.script("verify-backup.sh", SERVICE)
    assert nothing.returncode != 0  # no repository yet
    assert not host.state("last-verified").exists()

    assert host.script("backup-postgres.sh", SERVICE).returncode == 0
    verified = host.script("verify-backup.sh", SERVICE)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "2 tables" in verified.stdout
    stamp = host.state("last-verified")
    assert abs(unix_time(stamp) - time.time()) < 120
    assert (stamp.stat().st_mode & 0o777) == 0o644
    log = host.command_log.read_text()
    assert "restic check" in log and "pg_restore --list" in log

    status = host.script("backup-status.sh", SERVICE)
    assert status.returncode == 0, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert report["ok"] is True
    assert report["last_verified"] == unix_time(stamp)


@pytest.mark.integration
def test_verify_rejects_a_truncated_dump(host, source_pg):
    host.target = source_pg
    assert host.script("backup-postgres.sh", SERVICE).returncode == 0
    good = host.restic("dump", "latest", f"/{SERVICE}.dump").stdout
    assert len(good) > 10_000

    # A newer snapshot holding only the first half of a valid dump (the table of contents
    # is intact, so `pg_restore --list` alone would pass it).
    half = good[: len(good) // 2]
    env = host.env() | {
        "RESTIC_REPOSITORY": f"s3:{host.s3_url}/{BUCKET}/postgres/{SERVICE}",
        "RESTIC_PASSWORD": RESTIC_PASSWORD,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    put = subprocess.run(
        [
            "restic",
            "backup",
            "--stdin",
            "--stdin-filename",
            f"{SERVICE}.dump",
            "--tag",
            SERVICE,
            "--host",
            "multicloud",
        ],
        input=half,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert put.returncode == 0, put.stderr
    listed = subprocess.run(
        ["sh", "-c", "pg_restore --list >/dev/null"],
        input=half,
        capture_output=True,
        timeout=60,
        env={"PATH": f"{source_pg.bindir}:/usr/bin:/bin"},
        check=False,
    )
    assert listed.returncode == 0, listed.stderr  # the reason the full read is needed

    failed = host.script("verify-backup.sh", SERVICE)
    assert failed.returncode != 0, failed.stdout
    assert not host.state("last-verified").exists()


def kill_pg_dump_mid_stream(host: Host, pg: Pg) -> subprocess.CompletedProcess[str]:
    """Run a backup and terminate pg_dump's connection while it streams table data."""
    proc = subprocess.Popen(
        ["bash", str(SCRIPTS / "backup-postgres.sh"), SERVICE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=host.env(),
    )
    try:
        deadline = time.monotonic() + 60
        killed = ""
        while killed != "t":
            assert proc.poll() is None, "the dump finished before it could be interrupted"
            assert time.monotonic() < deadline, "pg_dump never started copying"
            killed = pg.sql(
                "SELECT coalesce(bool_or(pg_terminate_backend(pid)), false) FROM pg_stat_activity "
                "WHERE application_name = 'pg_dump' AND query LIKE 'COPY public.big %'"
            )
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    for secret in (RESTIC_PASSWORD, DB_PASSWORD):
        assert secret not in stdout + stderr
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.integration
@pytest.mark.parametrize("breakage", ["wrong database", "server stopped", "connection lost mid-dump"])
def test_a_failed_dump_fails_the_backup_and_leaves_no_snapshot(host, make_pg, breakage):
    pg = make_pg()
    pg.sql(
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g"
    )
    host.target = pg
    ok = host.script("backup-postgres.sh", SERVICE)
    assert ok.returncode == 0, ok.stderr
    good = host.snapshots()
    old = int(time.time()) - 3 * 86400
    host.state("last-success").write_text(f"{old}\n")

    if breakage == "wrong database":
        host.settings(PGDATABASE="no_such_database")
        failed = host.script("backup-postgres.sh", SERVICE)
    elif breakage == "server stopped":
        pg.stop()
        failed = host.script("backup-postgres.sh", SERVICE)
    else:
        # Enough data (~70 MB) that the dump streams for seconds.
        pg.sql(
            "CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big "
            "SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 1000000) g"
        )
        failed = kill_pg_dump_mid_stream(host, pg)
        # restic stored what had arrived as a snapshot; the script removed it again.
        assert "removed the incomplete snapshot" in failed.stderr, failed.stderr

    assert failed.returncode != 0, failed.stdout
    assert "pg_dump" in failed.stderr
    assert host.state("last-success").read_text() == f"{old}\n"
    assert [s["id"] for s in host.snapshots()] == [s["id"] for s in good]
    assert "forget --tag" not in host.command_log.read_text().split("backup --stdin")[-1]  # no retention
    status = host.script("backup-status.sh", SERVICE)
    assert status.returncode == 1


@pytest.mark.integration
def test_backup_status_follows_the_ages(host):
    # No Postgres needed: the report reads two files.
    def status(*limits: str) -> tuple[int, dict]:
        result = host.script("backup-status.sh", SERVICE, *limits)
        assert result.stdout.count("\n") == 1, result.stdout + result.stderr
        return result.returncode, json.loads(result.stdout)

    code, report = status()
    assert code == 1
    assert report == {
        "service": SERVICE,
        "last_success": None,
        "last_verified": None,
        "backup_age_hours": None,
        "verify_age_hours": None,
        "ok": False,
    }

    state = host.state("last-success").parent
    state.mkdir(parents=True)
    now = int(time.time())
    host.state("last-success").write_text(f"{now - 3600}\n")
    code, report = status()
    assert (code, report["ok"], report["last_verified"]) == (1, False, None)  # never verified

    host.state("last-verified").write_text(f"{now - 2 * 86400}\n")
    code, report = status()
    assert (code, report["ok"]) == (0, True), report
    assert report["last_success"] == now - 3600
    assert 0.9 <= report["backup_age_hours"] <= 1.2
    assert 47.9 <= report["verify_age_hours"] <= 48.2

    host.state("last-success").write_text(f"{now - 27 * 3600}\n")  # older than 26 h
    assert status()[0] == 1
    assert status("30")[0] == 0  # within a looser limit

    host.state("last-verified").write_text(f"{now - 9 * 86400}\n")  # older than 192 h
    assert status("30")[0] == 1
    assert status("30", "240")[0] == 0

    host.state("last-success").write_text("garbage\n")
    code, report = status("30", "240")
    assert (code, report["last_success"]) == (1, None)

    host.state("last-success").unlink()
    assert status("30", "240")[0] == 1


@pytest.mark.integration
def test_settings_readable_by_others_are_refused(host, source_pg):
    host.target = source_pg
    host.env_file.chmod(0o644)
    for name in ("backup-postgres.sh", "restore-postgres.sh", "verify-backup.sh"):
        result = host.script(name, SERVICE)
        assert result.returncode == 1
        assert "chmod 0600" in result.stderr
    assert host.command_log.read_text() == ""  # nothing ran


@pytest.mark.integration
def test_backup_scripts_are_shellchecked_by_the_glob():
    from tests.integration.test_shellcheck import SCRIPTS as CHECKED

    names = {p.name for p in CHECKED}
    assert set(BACKUP_SCRIPTS) <= names
    for name in BACKUP_SCRIPTS:
        text = (SCRIPTS / name).read_text()
        assert text.startswith("#!/usr/bin/env bash\n")
        assert "\nset -euo pipefail\n" in text
