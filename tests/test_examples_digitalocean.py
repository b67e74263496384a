"""The two DigitalOcean examples plan, and hold what they promise.

examples/digitalocean.yaml is the WRData MVP: its plan must show droplets, volumes, firewalls,
the VPC, the load balancer, the managed database clusters with their firewalls and the Spaces
bucket (the issue's "done when"). examples/digitalocean-app-platform.yaml is the same
application without droplets. In both, no database firewall trusts the world, and every
consumer reaches PostgreSQL with sslmode=require and Valkey over TLS (rediss://).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.aws_plans import RecordedPlan, broken, example_config, out, set_input
from tests.conftest import of_type, one
from tests.do_plans import (
    APP,
    ATTACHMENT,
    CERTIFICATE,
    CF_RECORD,
    CLUSTER,
    DB_FIREWALL,
    DNS_RECORD,
    DROPLET,
    FIREWALL,
    LOAD_BALANCER,
    RELEASE,
    SPACES,
    SPACES_KEY,
    VOLUME,
    VPC,
    dependency_names,
    fleet_tag,
)
from tests.helpers import WORLD, env_of

WRDATA_HOSTS = ("api-a", "api-b", "workers")
# Services on droplets: (host, service) for every env file of the WRData example.
WRDATA_CONSUMERS = [("api-a", "api"), ("api-b", "api"), ("workers", "collector"), ("workers", "scheduler")]


@pytest.fixture(scope="module")
def wrdata(aws_plan) -> RecordedPlan:
    return aws_plan(example_config("digitalocean.yaml"), "prod")


@pytest.fixture(scope="module")
def app_platform(aws_plan) -> RecordedPlan:
    return aws_plan(example_config("digitalocean-app-platform.yaml"), "prod")


def names(result: RecordedPlan, type_token: str) -> set[str]:
    return {r.name for r in of_type(result, type_token)}


def untrusted(result: RecordedPlan) -> list[tuple[str, dict]]:
    """Database firewall rules that trust anything but the fleet's tag or the stack's own VPC
    range: an address (the world above all), another tag, an app, a foreign range."""
    tag = fleet_tag(result)
    vpc_range = out(result, one(result, VPC), "ipRange")
    return [
        (fw.name, rule)
        for fw in of_type(result, DB_FIREWALL)
        for rule in fw.inputs["rules"]
        if rule not in ({"type": "tag", "value": tag}, {"type": "ip_addr", "value": vpc_range})
    ]


def world_rules(result: RecordedPlan) -> list[tuple[str, dict]]:
    return [
        (fw.name, rule)
        for fw in of_type(result, DB_FIREWALL)
        for rule in fw.inputs["rules"]
        if rule["type"] == "ip_addr" and rule["value"] in WORLD
    ]


def app_env(result: RecordedPlan, app: str) -> dict[str, str]:
    """The variables of an App Platform app's one component (secrets unwrapped)."""
    spec = one(result, APP, f"{app}-app").raw_inputs["spec"]
    (component,) = spec.get("services", []) + spec.get("workers", [])
    return {e["key"]: e["value"] for e in component["envs"]}


def assert_tls(env: dict[str, str]) -> None:
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme == "postgresql"
    assert parse_qs(database.query) == {"sslmode": ["require"]}
    assert env["REDIS_URL"].startswith("rediss://")


# --- WRData on droplets ---------------------------------------------------------------------


def test_wrdata_plan_shows_what_the_issue_asks_for(wrdata):
    assert names(wrdata, DROPLET) == {f"{h}-droplet" for h in WRDATA_HOSTS}
    assert names(wrdata, VOLUME) == {f"{h}-volume" for h in WRDATA_HOSTS}
    assert names(wrdata, ATTACHMENT) == {f"{h}-volume-attachment" for h in WRDATA_HOSTS}
    assert names(wrdata, RELEASE) == {f"{h}-release" for h in WRDATA_HOSTS}
    assert names(wrdata, FIREWALL) == {f"{h}-firewall" for h in WRDATA_HOSTS} | {"api-lb-firewall"}
    assert names(wrdata, VPC) == {"digitalocean-fleet-vpc"}
    assert names(wrdata, LOAD_BALANCER) == {"api-lb"}
    assert names(wrdata, CERTIFICATE) == {"api-certificate"}
    assert names(wrdata, CLUSTER) == {"db-cluster", "cache-cluster"}
    assert names(wrdata, DB_FIREWALL) == {"db-firewall", "cache-firewall"}
    assert names(wrdata, SPACES) == {"files-bucket"}
    assert names(wrdata, SPACES_KEY) == {"files-key"}
    assert names(wrdata, APP) == {"web-app"}  # the dashboard; the api and workers are on droplets
    assert names(wrdata, DNS_RECORD) == {"api-dns-a", "web-cname"}
    assert of_type(wrdata, CF_RECORD) == []
    assert not [r for r in wrdata.registrations if r.type.startswith(("aws:", "hcloud:", "cloudflare:"))]


def test_wrdata_everything_is_in_one_vpc_in_fra1(wrdata):
    vpc = one(wrdata, VPC)
    assert vpc.inputs["region"] == "fra1"
    assert {d.inputs["vpcUuid"] for d in of_type(wrdata, DROPLET)} == {vpc.id}
    assert {c.inputs["privateNetworkUuid"] for c in of_type(wrdata, CLUSTER)} == {vpc.id}
    assert one(wrdata, LOAD_BALANCER).inputs["vpcUuid"] == vpc.id


def test_wrdata_database_clusters(wrdata):
    db, cache = one(wrdata, CLUSTER, "db-cluster").inputs, one(wrdata, CLUSTER, "cache-cluster").inputs
    # version 16, 2 vCPU / 4 GB with a standby node (multi_az).
    assert (db["engine"], db["version"], db["size"], db["nodeCount"]) == ("pg", "16", "db-s-2vcpu-4gb", 2)
    assert (cache["engine"], cache["evictionPolicy"]) == ("valkey", "noeviction")
    for name in ("db", "cache"):
        firewall = one(wrdata, DB_FIREWALL, f"{name}-firewall").inputs
        assert firewall["clusterId"] == one(wrdata, CLUSTER, f"{name}-cluster").id
        # Every consumer is on a droplet: the fleet's tag, no app rule.
        assert firewall["rules"] == [{"type": "tag", "value": fleet_tag(wrdata)}]
    assert {fleet_tag(wrdata) in d.inputs["tags"] for d in of_type(wrdata, DROPLET)} == {True}


def test_wrdata_load_balancer_fronts_the_two_api_droplets(wrdata):
    lb = one(wrdata, LOAD_BALANCER, "api-lb")
    api_droplets = sorted(int(one(wrdata, DROPLET, f"{h}-droplet").id) for h in ("api-a", "api-b"))
    assert sorted(lb.inputs["dropletIds"]) == api_droplets
    assert [(r["entryPort"], r["targetPort"]) for r in lb.inputs["forwardingRules"]] == [
        (443, 8000),
        (80, 8000),
    ]
    assert (lb.inputs["healthcheck"]["port"], lb.inputs["healthcheck"]["path"]) == (8000, "/healthz")
    assert one(wrdata, FIREWALL, "api-lb-firewall").inputs["inboundRules"] == [
        {"protocol": "tcp", "portRange": "8000", "sourceLoadBalancerUids": [lb.id]}
    ]
    assert one(wrdata, DNS_RECORD, "api-dns-a").inputs["value"] == out(wrdata, lb, "ip")


def test_wrdata_consumers_use_tls_to_the_databases(wrdata):
    for host, service in WRDATA_CONSUMERS:
        assert_tls(env_of(wrdata, host, service))


# --- the same application on App Platform ---------------------------------------------------


def test_app_platform_example_has_no_droplets(app_platform):
    for type_token in (DROPLET, VOLUME, FIREWALL, LOAD_BALANCER, RELEASE):
        assert of_type(app_platform, type_token) == []
    assert names(app_platform, APP) == {"api-app", "collector-app", "web-app"}
    assert names(app_platform, VPC) == {"digitalocean-fleet-vpc"}
    assert names(app_platform, CLUSTER) == {"db-cluster", "cache-cluster"}
    assert names(app_platform, DB_FIREWALL) == {"db-firewall", "cache-firewall"}
    assert names(app_platform, SPACES) == {"files-bucket"}
    # DNS stays at Cloudflare: one CNAME per public app.
    assert names(app_platform, CF_RECORD) == {"api-dns-cname", "web-cname"}
    assert of_type(app_platform, DNS_RECORD) == []


def test_app_platform_example_api_autoscales_and_the_worker_is_fixed(app_platform):
    (api,) = one(app_platform, APP, "api-app").inputs["spec"]["services"]
    (collector,) = one(app_platform, APP, "collector-app").inputs["spec"]["workers"]
    assert (api["instanceSizeSlug"], api["autoscaling"]) == (
        "apps-d-1vcpu-1gb",
        {"minInstanceCount": 2, "maxInstanceCount": 4, "metrics": {"cpu": {"percent": 60}}},
    )
    assert (collector["instanceSizeSlug"], collector["instanceCount"]) == ("apps-s-1vcpu-0.5gb", 1)
    assert collector["runCommand"] == "celery -A wrdata worker -Q ingest"
    vpc = one(app_platform, VPC).id
    for app in ("api-app", "collector-app"):
        spec = one(app_platform, APP, app).inputs["spec"]
        assert (spec["region"], spec["vpcs"]) == ("fra", [{"id": vpc}])


def test_app_platform_example_database_firewalls_admit_the_droplets_and_the_vpc(app_platform):
    """The apps are admitted by the VPC they join: an app rule would need the app's ID, which
    exists only once its first deployment (which needs the database) succeeded."""
    expected = [
        {"type": "tag", "value": fleet_tag(app_platform)},
        {"type": "ip_addr", "value": out(app_platform, one(app_platform, VPC), "ipRange")},
    ]
    for name in ("db", "cache"):
        firewall = one(app_platform, DB_FIREWALL, f"{name}-firewall")
        assert firewall.inputs["rules"] == expected
        # And the apps wait for the firewall, not the other way round.
        assert (APP, "api-app") not in dependency_names(app_platform, firewall)
    for app in ("api-app", "collector-app"):
        waits_for = dependency_names(app_platform, one(app_platform, APP, app))
        assert {(DB_FIREWALL, "db-firewall"), (DB_FIREWALL, "cache-firewall")} <= waits_for


def test_app_platform_example_consumers_use_tls_to_the_databases(app_platform):
    for app in ("api", "collector"):
        assert_tls(app_env(app_platform, app))


# --- both: nothing trusts the world ---------------------------------------------------------


@pytest.mark.parametrize("example", ["wrdata", "app_platform"])
def test_no_database_firewall_rule_trusts_anything_else(request, example):
    result = request.getfixturevalue(example)
    assert of_type(result, DB_FIREWALL)
    assert untrusted(result) == []
    assert world_rules(result) == []


@pytest.mark.parametrize("example", ["wrdata", "app_platform"])
def test_the_detectors_fire_on_a_broken_copy(request, example):
    result = request.getfixturevalue(example)
    rules = one(result, DB_FIREWALL, "db-firewall").inputs["rules"]
    world = {"type": "ip_addr", "value": "0.0.0.0/0"}
    opened = broken(result, DB_FIREWALL, "db-firewall", set_input("rules", [*rules, world]))
    assert untrusted(opened) == [("db-firewall", world)]
    assert world_rules(opened) == [("db-firewall", world)]
    stranger = {"type": "ip_addr", "value": "10.200.0.0/16"}
    foreign = broken(result, DB_FIREWALL, "cache-firewall", set_input("rules", [*rules, stranger]))
    assert untrusted(foreign) == [("cache-firewall", stranger)]


def test_the_tls_check_fires_on_plain_connections():
    plain = {
        "DATABASE_URL": "postgresql://app:pw@private-db:25060/app?sslmode=disable",
        "REDIS_URL": "rediss://:pw@private-cache:25061/0",
    }
    with pytest.raises(AssertionError):
        assert_tls(plain)
    with pytest.raises(AssertionError):
        assert_tls(
            plain | {"DATABASE_URL": "postgresql://app:pw@h:25060/app", "REDIS_URL": "redis://:pw@h:1/0"}
        )
    with pytest.raises(AssertionError):
        assert_tls(
            {"DATABASE_URL": "postgresql://h/app?sslmode=require", "REDIS_URL": "redis://:pw@h:25061/0"}
        )
