"""ManagedPostgres on DigitalOcean: a managed cluster in the droplets' VPC, a database, a user,
and a database firewall that trusts only the stack's droplets (by the fleet tag)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from tests.aws_plans import RecordedPlan, broken, out, set_input
from tests.conftest import of_type, one
from tests.do_plans import (
    CLUSTER,
    DATABASE,
    DB_FIREWALL,
    DROPLET,
    FLEET,
    TAG,
    USER,
    VPC,
    do_config,
    fleet_tag,
    service,
)
from tests.helpers import WORLD, bundle, child_set, env_of

POSTGRES = "multicloud:index:ManagedPostgres"


@pytest.fixture(scope="module")
def prod(aws_plan) -> RecordedPlan:
    return aws_plan(do_config("prod"), "prod")


def trusted_only_the_fleet(result: RecordedPlan, firewall_name: str) -> bool:
    """The database firewall has exactly one rule: the fleet's tag, which every droplet carries."""
    rules = one(result, DB_FIREWALL, firewall_name).inputs["rules"]
    tag = fleet_tag(result)
    droplets = of_type(result, DROPLET)
    return rules == [{"type": "tag", "value": tag}] and all(tag in d.inputs["tags"] for d in droplets)


def world_rules(rules: list[dict]) -> list[dict]:
    """ip_addr rules that admit the whole internet."""
    return [r for r in rules if r["type"] == "ip_addr" and r["value"] in WORLD]


def test_component_children(prod):
    db = one(prod, POSTGRES, "db")
    assert child_set(prod, db) == {
        (CLUSTER, "db-cluster"),
        (DATABASE, "db-database"),
        (USER, "db-user"),
        (DB_FIREWALL, "db-firewall"),
    }
    # The cache has its own cluster; nothing of the Hetzner or AWS backends is created.
    assert {c.name for c in of_type(prod, CLUSTER)} == {"db-cluster", "cache-cluster"}
    assert not [r for r in prod.registrations if r.type.startswith(("hcloud:", "aws:"))]


def test_prod_cluster_inputs(prod):
    cluster = one(prod, CLUSTER, "db-cluster")
    assert cluster.inputs == {
        "name": "multicloud-prod-db",
        "engine": "pg",
        "version": "16",
        "size": "db-s-1vcpu-1gb",
        "region": "fra1",
        "nodeCount": 1,
        "privateNetworkUuid": one(prod, VPC).id,
        # No storageSizeMib: the size includes its storage (components.contracts.digitalocean).
        "tags": [fleet_tag(prod)],
    }
    assert (cluster.protect, cluster.delete_before_replace) == (True, False)
    assert prod.property_dependencies[cluster.urn]["privateNetworkUuid"] == [one(prod, VPC).urn]


@pytest.mark.parametrize(("environment", "protected"), [("prod", True), ("dev", False), ("staging", False)])
def test_protect_in_prod_only(aws_plan, environment, protected):
    result = aws_plan(do_config(environment), environment)
    # The cluster, the app's database (its tables) and its user (who owns them) hold data.
    for type_token in (CLUSTER, DATABASE, USER):
        assert all(r.protect is protected for r in of_type(result, type_token))
    assert all(r.protect is False for r in of_type(result, DB_FIREWALL))


@pytest.mark.parametrize(
    ("fields", "size", "nodes"),
    [
        ({}, "db-s-1vcpu-1gb", 1),
        ({"size": {"cpu": 2, "memory_gb": 4}}, "db-s-2vcpu-4gb", 1),
        ({"size": {"cpu": 1, "memory_gb": 2}}, "db-s-1vcpu-2gb", 1),
        ({"size": {"cpu": 3, "memory_gb": 6}}, "db-s-4vcpu-8gb", 1),
        ({"size": {"cpu": 2, "memory_gb": 4}, "multi_az": True}, "db-s-2vcpu-4gb", 2),
    ],
    ids=["default", "2-4", "1-2", "3-6", "2-4-standby"],
)
def test_size_slug_and_nodes_from_the_neutral_size(aws_plan, fields, size, nodes):
    cluster = one(aws_plan(service(do_config(), "db", **fields), "prod"), CLUSTER, "db-cluster")
    assert (cluster.inputs["size"], cluster.inputs["nodeCount"]) == (size, nodes)


@pytest.mark.parametrize("version", ["15", "17"])
def test_version_is_passed_through(aws_plan, version):
    cluster = one(aws_plan(service(do_config(), "db", version=version), "prod"), CLUSTER, "db-cluster")
    assert cluster.inputs["version"] == version


@pytest.mark.parametrize(
    ("storage_gb", "size"), [(10, "db-s-1vcpu-1gb"), (11, "db-s-1vcpu-2gb"), (60, "db-s-2vcpu-4gb")]
)
def test_storage_picks_a_size_that_includes_it(aws_plan, storage_gb, size):
    cluster = one(aws_plan(service(do_config(), "db", storage_gb=storage_gb), "prod"), CLUSTER, "db-cluster")
    assert cluster.inputs["size"] == size
    assert "storageSizeMib" not in cluster.inputs


def test_database_and_user_belong_to_the_cluster(prod):
    cluster_id = one(prod, CLUSTER, "db-cluster").id
    assert one(prod, DATABASE).inputs == {"clusterId": cluster_id, "name": "app"}
    assert one(prod, USER).inputs == {"clusterId": cluster_id, "name": "app"}


def test_custom_database_and_user_names(aws_plan):
    result = aws_plan(service(do_config(), "db", database="orders", username="orders_app"), "prod")
    assert one(result, DATABASE).inputs["name"] == "orders"
    assert one(result, USER).inputs["name"] == "orders_app"
    assert env_of(result, "edge", "api")["PGUSER"] == "orders_app"


# --- firewall -------------------------------------------------------------------------------


def test_firewall_trusts_exactly_the_fleet_tag(prod):
    firewall = one(prod, DB_FIREWALL, "db-firewall")
    tag = one(prod, TAG, f"{FLEET}-tag").inputs["name"]
    assert firewall.inputs == {
        "clusterId": one(prod, CLUSTER, "db-cluster").id,
        "rules": [{"type": "tag", "value": tag}],
    }
    assert trusted_only_the_fleet(prod, "db-firewall")
    assert world_rules(firewall.inputs["rules"]) == []
    assert not [r for r in firewall.inputs["rules"] if r["type"] == "ip_addr"]


def test_every_droplet_carries_the_trusted_tag_so_the_api_can_connect(prod):
    (droplet,) = of_type(prod, DROPLET)
    assert fleet_tag(prod) in droplet.inputs["tags"]


def test_firewall_detectors_fire_on_a_broken_copy(prod):
    rules = one(prod, DB_FIREWALL, "db-firewall").inputs["rules"]
    opened = broken(
        prod,
        DB_FIREWALL,
        "db-firewall",
        set_input("rules", [*rules, {"type": "ip_addr", "value": "0.0.0.0/0"}]),
    )
    assert not trusted_only_the_fleet(opened, "db-firewall")
    assert world_rules(one(opened, DB_FIREWALL, "db-firewall").inputs["rules"]) == [
        {"type": "ip_addr", "value": "0.0.0.0/0"}
    ]
    other_tag = broken(
        prod, DB_FIREWALL, "db-firewall", set_input("rules", [{"type": "tag", "value": "web"}])
    )
    assert not trusted_only_the_fleet(other_tag, "db-firewall")


@pytest.mark.parametrize("name", ["db", "cache"])
def test_database_firewall_waits_for_the_fleet_tag(prod, name):
    firewall = one(prod, DB_FIREWALL, f"{name}-firewall")
    tag = one(prod, TAG, f"{FLEET}-tag")
    assert tag.urn in prod.dependencies[firewall.urn]


# --- connection -----------------------------------------------------------------------------


def test_database_url_uses_the_private_host_port_25060_and_tls(prod):
    env = env_of(prod, "edge", "api")
    cluster, user = one(prod, CLUSTER, "db-cluster"), one(prod, USER)
    private_host = out(prod, cluster, "privateHost")
    assert private_host.startswith("private-") and private_host != out(prod, cluster, "host")
    url = urlsplit(env["DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert (url.hostname, url.port, url.path, url.query) == (private_host, 25060, "/app", "sslmode=require")
    assert (url.username, unquote(url.password or "")) == ("app", out(prod, user, "password"))
    assert (env["PGHOST"], env["PGPORT"], env["PGDATABASE"], env["PGUSER"]) == (
        private_host,
        "25060",
        "app",
        "app",
    )
    assert env["PGPASSWORD"] == out(prod, user, "password")
    # The application user, never the cluster's admin.
    assert out(prod, cluster, "password") not in env["DATABASE_URL"]
    assert url.username != out(prod, cluster, "user")


def test_passwords_are_secrets(prod):
    assert out(prod, one(prod, USER), "password") in prod.secret_values


# --- the setup job every consumer runs before it starts: grants, then extensions --------------------------

JOB_VARIABLES = {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE", "PGCONNECT_TIMEOUT"}


@pytest.fixture(scope="module")
def timescale(aws_plan) -> RecordedPlan:
    config = do_config()
    config["services"]["db"]["extensions"] = ["timescaledb", "pg_trgm"]
    return aws_plan(config, "prod")


def test_the_job_runs_as_the_admin_on_the_private_host_with_tls(timescale):
    job = env_of(timescale, "edge", "db-setup")
    cluster = one(timescale, CLUSTER, "db-cluster")
    assert set(job) == JOB_VARIABLES
    assert job["PGHOST"] == out(timescale, cluster, "privateHost")
    assert (job["PGPORT"], job["PGDATABASE"], job["PGUSER"], job["PGSSLMODE"], job["PGCONNECT_TIMEOUT"]) == (
        "25060",
        "app",
        out(timescale, cluster, "user"),
        "require",
        "10",
    )
    assert job["PGPASSWORD"] == out(timescale, cluster, "password")
    assert job["PGPASSWORD"] in timescale.secret_values


def test_the_job_is_a_one_shot_compose_service_the_release_runs_first(timescale):
    import yaml

    files = bundle(timescale, "edge")
    compose = yaml.safe_load(files["compose.yaml"].text)["services"]
    job = compose["db-setup"]
    assert job["profiles"] == ["jobs"] and job["restart"] == "no"
    assert job["image"] == "postgres:16-alpine"
    assert (
        'GRANT USAGE, CREATE ON SCHEMA public TO "app"; '
        'CREATE EXTENSION IF NOT EXISTS "timescaledb" CASCADE; CREATE EXTENSION IF NOT EXISTS "pg_trgm" CASCADE;'
        in job["command"][2]
    )
    assert "$" not in job["command"][2]  # compose would interpolate it
    assert files["jobs.txt"].text == "db-setup\n"
    assert files["env/db-setup.env"].mode == 0o600
    # The app's own environment has no admin credentials.
    assert out(timescale, one(timescale, CLUSTER, "db-cluster"), "password") not in files["env/api.env"].text


def test_without_extensions_the_job_still_grants_the_app_its_schema(prod):
    """PostgreSQL 15+ lets only the database's owner (doadmin) create in schema public."""
    import yaml

    files = bundle(prod, "edge")
    assert files["jobs.txt"].text == "db-setup\n"
    command = yaml.safe_load(files["compose.yaml"].text)["services"]["db-setup"]["command"][2]
    assert 'GRANT USAGE, CREATE ON SCHEMA public TO "app";' in command
    assert "CREATE EXTENSION" not in command


def test_app_platform_consumers_run_it_as_a_pre_deploy_job(aws_plan):
    from tests.do_plans import APP, app_platform_config

    config = app_platform_config()
    config["services"]["db"]["extensions"] = ["vector"]
    result = aws_plan(config, "prod")
    for name in ("api", "worker"):
        (job,) = one(result, APP, f"{name}-app").inputs["spec"]["jobs"]
        assert (job["name"], job["kind"], job["instanceCount"]) == ("db-setup", "PRE_DEPLOY", 1)
        assert job["image"] == {
            "registryType": "DOCKER_HUB",
            "registry": "library",
            "repository": "postgres",
            "tag": "16-alpine",
        }
        assert 'CREATE EXTENSION IF NOT EXISTS "vector" CASCADE;' in job["runCommand"]
        types = {e["key"]: e["type"] for e in job["envs"]}
        assert types["PGPASSWORD"] == "SECRET" and types["PGHOST"] == "GENERAL"
        assert set(types) == JOB_VARIABLES
