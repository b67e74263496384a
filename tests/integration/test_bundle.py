"""The release bundle, unpacked by the system `tar` the way release.sh unpacks it on the host.

release.sh runs `base64 -d | tar -xzf - --same-owner --same-permissions`; the modes and
owners in the archive are what protect secrets on the server (Postgres' password file must
be 0400 and owned by uid 999). Python's tarfile cross-checks the headers and the `data`
extraction filter proves no member escapes the target directory.
"""

from __future__ import annotations

import base64
import io
import os
import stat
import tarfile

import pytest
import yaml

from multicloud.components._vps.model import (
    POSTGRES_UID,
    REDIS_UID,
    Container,
    DataDir,
    File,
    HostWorkloads,
    Site,
)
from multicloud.components._vps.render import (
    bundle,
    bundle_files,
    container_path,
    pg_hba,
    postgres_settings,
    redis_conf,
)

DEVICE = "/dev/disk/by-id/scsi-0HC_Volume_1"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example.com"
EMAIL = "ops@example.com"
PG_PASSWORD = "Pq3Wm8Zr5Tx1Lc7Vn2Bk9Hs4Jd6Fy0Ga"
REDIS_PASSWORD = "Rk5Tn1Xw8Qm3Zc6Vb9Lp2Hs7Jd4Fy0Gb"
APP_SECRET = "app-signing-key-$HOME-with spaces"


def _workloads() -> HostWorkloads:
    pg_secret = File("secrets/db/password", PG_PASSWORD, mode=0o400, uid=POSTGRES_UID, gid=POSTGRES_UID)
    hba = File("config/db/pg_hba.conf", pg_hba(), mode=0o444)
    settings = postgres_settings(hba_file=container_path(hba))
    redis_file = File(
        "secrets/cache/redis.conf", redis_conf(REDIS_PASSWORD, 64), mode=0o400, uid=REDIS_UID, gid=REDIS_UID
    )
    workloads = HostWorkloads()
    workloads.add(
        Container(
            name="db",
            image="postgres:17",
            command=["postgres"] + [a for k, v in settings.items() for a in ("-c", f"{k}={v}")],
            env={
                "POSTGRES_USER": "app",
                "POSTGRES_DB": "app",
                "POSTGRES_PASSWORD_FILE": container_path(pg_secret),
                "PGDATA": "/var/lib/postgresql/data",
            },
            files=[pg_secret, hba],
            mounts=[
                "/srv/data/db/pgdata:/var/lib/postgresql/data",
                "/srv/data/db/tls:/etc/postgresql/tls:ro",
            ],
            data_dirs=[DataDir("db/pgdata", POSTGRES_UID, POSTGRES_UID, 0o700)],
            user=f"{POSTGRES_UID}:{POSTGRES_UID}",
            healthcheck=["CMD-SHELL", "pg_isready -U app -d app"],
            prepare_script="prepare-postgres.sh db",
        )
    )
    workloads.add(
        Container(
            name="cache",
            image="redis:7.4",
            command=["redis-server", container_path(redis_file)],
            files=[redis_file],
            mounts=["/srv/data/cache:/data"],
            data_dirs=[DataDir("cache", REDIS_UID, REDIS_UID, 0o700)],
            user=f"{REDIS_UID}:{REDIS_UID}",
        )
    )
    workloads.add(
        Container(
            name="api",
            image="ghcr.io/example/api:1.2.3",
            env={
                "DATABASE_URL": f"postgresql://app:{PG_PASSWORD}@db:5432/app?sslmode=require",
                "REDIS_URL": f"redis://:{REDIS_PASSWORD}@cache:6379/0",
                "APP_SECRET": APP_SECRET,
            },
            replicas=2,
            read_only=True,
            tmpfs=["/tmp"],
            depends_on=["db", "cache"],
            healthcheck=["CMD", "wget", "-qO-", "http://localhost:8000/healthz"],
        ),
        Site("api.example.com", "api", 8000, "/healthz", replicas=2),
    )
    return workloads


SECRETS = [PG_PASSWORD, REDIS_PASSWORD, APP_SECRET]


@pytest.fixture
def files() -> list[File]:
    return bundle_files(_workloads(), DEVICE, EMAIL, [KEY])


@pytest.fixture
def extracted(files, require_tool, run, isolated_env, tmp_path):
    """The bundle unpacked by the system tar with release.sh's flags."""
    tar = require_tool("tar")
    dest = tmp_path / "release"
    dest.mkdir()
    flags = ["--same-owner", "--same-permissions"] if os.geteuid() == 0 else ["--same-permissions"]
    result = run(
        [tar, "-xzf", "-", *flags, "-C", dest],
        timeout=60,
        env=isolated_env,
        input=base64.b64decode(bundle(files)),
        text=False,
    )
    assert result.returncode == 0, result.stderr
    return dest


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.integration
def test_system_tar_restores_secret_modes_and_owners(extracted):
    assert _mode(extracted / "secrets/db/password") == 0o400
    assert _mode(extracted / "secrets/cache/redis.conf") == 0o400
    assert (extracted / "secrets/db/password").read_text() == PG_PASSWORD
    for env_file in ("host.env", "env/db.env", "env/api.env"):
        assert _mode(extracted / env_file) == 0o600, env_file
    assert _mode(extracted / "bin/mount-data.sh") == 0o755
    assert _mode(extracted / "bin/prepare-postgres.sh") == 0o755
    assert _mode(extracted / "config/db/pg_hba.conf") == 0o444
    if os.geteuid() == 0:  # only root can extract foreign owners
        assert os.stat(extracted / "secrets/db/password").st_uid == POSTGRES_UID
        assert os.stat(extracted / "secrets/db/password").st_gid == POSTGRES_UID
        assert os.stat(extracted / "secrets/cache/redis.conf").st_uid == REDIS_UID
        assert os.stat(extracted / "env/api.env").st_uid == 0


@pytest.mark.integration
def test_tar_headers_carry_owner_and_mode(files, tmp_path):
    raw = base64.b64decode(bundle(files))
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        secret = members["secrets/db/password"]
        assert (secret.uid, secret.gid, secret.mode) == (POSTGRES_UID, POSTGRES_UID, 0o400)
        assert members["env/api.env"].mode == 0o600
        assert members["host.env"].mode == 0o600
        assert all(m.mtime == 0 for m in members.values())
        assert set(members) >= {f.path for f in files}
        # The `data` filter refuses absolute paths, `..`, links out of the tree and devices.
        tar.extractall(tmp_path / "py", filter="data")
    assert (tmp_path / "py/compose.yaml").is_file()


@pytest.mark.integration
def test_compose_publishes_only_caddy_and_inlines_no_secret(extracted):
    text = (extracted / "compose.yaml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]

    assert set(services) == {"db", "cache", "api", "caddy"}
    assert [name for name, svc in services.items() if svc.get("ports")] == ["caddy"]
    for secret in SECRETS:
        assert secret not in text
    # Every file compose mounts from the release directory is in the bundle.
    for svc in services.values():
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (extracted / source[2:]).is_file(), volume
    # The secrets reach the containers through env files and read-only mounts instead.
    assert PG_PASSWORD in (extracted / "env/api.env").read_text()
    db_targets = {v.split(":")[1] for v in services["db"]["volumes"] if v.startswith("./")}
    assert (
        f"POSTGRES_PASSWORD_FILE='{container_path(File('secrets/db/password', ''))}'"
        in (extracted / "env/db.env").read_text()
    )
    assert container_path(File("secrets/db/password", "")) in db_targets
    hba_setting = next(a for a in services["db"]["command"] if a.startswith("hba_file="))
    assert hba_setting.removeprefix("hba_file=") in db_targets


@pytest.mark.integration
def test_host_files_point_at_the_device_and_data_dirs(extracted):
    assert (extracted / "host.env").read_text() == f"DATA_DEVICE={DEVICE}\n"
    rows = [line.split() for line in (extracted / "data-dirs.txt").read_text().splitlines()]
    assert ["db/pgdata", str(POSTGRES_UID), str(POSTGRES_UID), "700"] in rows
    assert ["caddy/data", "0", "0", "700"] in rows
    assert (extracted / "prepare.txt").read_text() == "prepare-postgres.sh db\n"
    assert "email ops@example.com" in (extracted / "Caddyfile").read_text()


@pytest.mark.integration
def test_bundle_is_deterministic(files):
    first = bundle(files)
    assert bundle(files) == first
    assert bundle(list(reversed(files))) == first
    assert bundle(bundle_files(_workloads(), DEVICE, EMAIL, [KEY])) == first
