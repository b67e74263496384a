"""ManagedPostgres on a Hetzner host: the container in the release bundle, its secret, its reach."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import base_config, one
from tests.helpers import bundle, child_set, compose, env_of, mount_target, release_command, with_data_host

PASSWORD = "random:index/randomPassword:RandomPassword"


def settings(command: list[str]) -> dict[str, str]:
    """`-c name=value` pairs of a postgres command line."""
    assert command[0] == "postgres"
    flags, values = command[1::2], command[2::2]
    assert set(flags) == {"-c"}
    return dict(v.split("=", 1) for v in values)


def test_component_owns_its_password_and_backup_key(run_plan):
    result = run_plan(base_config())
    db = one(result, "multicloud:index:ManagedPostgres", "db")
    assert child_set(result, db) == {(PASSWORD, "db-password"), (PASSWORD, "db-backup-password")}
    password = one(result, PASSWORD, "db-password")
    # Alphanumeric, long: it goes into a URL and a file without escaping.
    assert password.inputs == {"length": 32, "special": False}


def test_compose_service_runs_unprivileged_with_scram_and_tls(run_plan):
    svc = compose(run_plan(base_config()), "main")["services"]["db"]
    assert svc["image"] == "postgres:16"
    assert svc["user"] == "999:999"
    assert svc["cap_drop"] == ["ALL"]
    assert svc["security_opt"] == ["no-new-privileges:true"]
    assert "ports" not in svc
    assert "environment" not in svc
    assert svc["env_file"] == ["env/db.env"]
    flags = settings(svc["command"])
    assert flags["password_encryption"] == "scram-sha-256"
    assert flags["ssl"] == "on"
    assert flags["ssl_min_protocol_version"] == "TLSv1.2"
    # The shipped pg_hba.conf is the one the server reads.
    assert flags["hba_file"] == mount_target(svc, "./config/db/pg_hba.conf")
    assert "/srv/data/db/pgdata:/var/lib/postgresql/data" in svc["volumes"]
    assert svc["healthcheck"]["test"] == ["CMD-SHELL", "pg_isready -U app -d app"]


@pytest.mark.parametrize("version", ["14", "17", "18"])
def test_version_selects_the_image_tag(run_plan, version):
    config = base_config()
    config["services"]["db"]["version"] = version
    assert compose(run_plan(config), "main")["services"]["db"]["image"] == f"postgres:{version}"


def test_with_two_hosts_the_port_is_bound_to_the_private_ip_only(run_plan):
    result = run_plan(with_data_host(base_config()))
    svc = compose(result, "data")["services"]["db"]
    assert svc["ports"] == ["10.0.1.133:5432:5432"]
    assert "db" not in compose(result, "main")["services"]
    # The TLS certificate names the private address too.
    assert bundle(result, "data")["prepare.txt"].text == "prepare-postgres.sh db 16 10.0.1.133\n"


def test_single_host_prepares_tls_for_the_service_name_only(run_plan):
    assert bundle(run_plan(base_config()), "main")["prepare.txt"].text == "prepare-postgres.sh db 16\n"


def test_password_file_is_readable_by_postgres_alone(run_plan):
    result = run_plan(base_config())
    files = bundle(result, "main")
    secret = files["secrets/db/password"]
    assert (secret.mode, secret.uid, secret.gid) == (0o400, 999, 999)
    assert secret.text in result.secret_values
    hba = files["config/db/pg_hba.conf"]
    assert hba.mode == 0o444 and secret.text not in hba.text
    assert "db/pgdata 999 999 700" in files["data-dirs.txt"].text.splitlines()


def test_env_file_points_at_the_password_file_and_holds_no_password(run_plan):
    result = run_plan(base_config())
    files = bundle(result, "main")
    env = env_of(result, "main", "db")
    password_file = mount_target(compose(result, "main")["services"]["db"], "./secrets/db/password")
    assert env == {
        "PGDATA": "/var/lib/postgresql/data",
        "POSTGRES_DB": "app",
        "POSTGRES_INITDB_ARGS": "--auth-local=scram-sha-256 --auth-host=scram-sha-256",
        "POSTGRES_PASSWORD_FILE": password_file,
        "POSTGRES_USER": "app",
    }
    assert files["env/db.env"].mode == 0o600
    password = files["secrets/db/password"].text
    assert password not in files["compose.yaml"].text
    assert password not in files["env/db.env"].text


def test_pg_hba_requires_scram_and_rejects_plain_tcp(run_plan):
    lines = [
        line.split()
        for line in bundle(run_plan(base_config()), "main")["config/db/pg_hba.conf"].text.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all(fields[-1] in ("scram-sha-256", "reject") for fields in lines)
    assert not any("trust" in fields or "md5" in fields or "password" in fields for fields in lines)
    assert [f for f in lines if f[0] == "host"] == [
        ["host", "all", "all", "0.0.0.0/0", "reject"],
        ["host", "all", "all", "::/0", "reject"],
    ]


def test_linked_service_gets_a_tls_url_to_the_container(run_plan):
    result = run_plan(base_config())
    password = bundle(result, "main")["secrets/db/password"].text
    env = env_of(result, "main", "api")
    url = urlsplit(env["DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert (url.hostname, url.port, url.path) == ("db", 5432, "/app")
    assert (url.username, url.password) == ("app", password)
    assert parse_qs(url.query) == {"sslmode": ["require"]}
    assert (env["PGHOST"], env["PGPORT"], env["PGDATABASE"], env["PGUSER"], env["PGPASSWORD"]) == (
        "db",
        "5432",
        "app",
        "app",
        password,
    )


def test_database_and_username_are_configurable(run_plan):
    config = base_config()
    config["services"]["db"].update(database="shop", username="shopper")
    result = run_plan(config)
    assert env_of(result, "main", "db")["POSTGRES_DB"] == "shop"
    assert env_of(result, "main", "db")["POSTGRES_USER"] == "shopper"
    url = urlsplit(env_of(result, "main", "api")["DATABASE_URL"])
    assert (url.username, url.path) == ("shopper", "/shop")


def test_bundle_travels_as_a_secret(run_plan):
    cmd = release_command(run_plan(base_config()), "main")
    assert cmd.inputs["stdin"] == "[secret]"
    assert cmd.inputs["connection"] == "[secret]"
    assert cmd.raw_inputs["stdin"] != "[secret]"


def test_two_postgres_on_one_private_host_get_distinct_host_ports(run_plan):
    config = with_data_host(base_config())
    config["services"]["db2"] = {
        "kind": "postgres",
        "target": "hetzner",
        "host": "data",
        "backup": {"bucket": "uploads"},
    }
    config["services"]["worker"] = {
        "kind": "worker",
        "target": "hetzner",
        "host": "main",
        "image": "ghcr.io/acme/api:1.4.2",
        "links": ["db2"],
    }
    result = run_plan(config)
    services = compose(result, "data")["services"]
    published = services["db"]["ports"] + services["db2"]["ports"]
    assert len({p.rsplit(":", 1)[0] for p in published}) == 2, published
    assert env_of(result, "main", "worker")["PGPORT"] != env_of(result, "main", "api")["PGPORT"]
