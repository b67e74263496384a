"""Redis on DigitalOcean: a managed Valkey cluster in the droplets' VPC, never evicting, TLS
only, behind a database firewall that trusts only the stack's droplets."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from tests.aws_plans import RecordedPlan, broken, out, set_input
from tests.conftest import of_type, one
from tests.do_plans import CLUSTER, DB_FIREWALL, DROPLET, VPC, do_config, fleet_tag, service
from tests.helpers import WORLD, child_set, env_of

REDIS = "multicloud:index:Redis"


@pytest.fixture(scope="module")
def prod(aws_plan) -> RecordedPlan:
    return aws_plan(do_config("prod"), "prod")


def never_evicts(result: RecordedPlan) -> bool:
    return one(result, CLUSTER, "cache-cluster").inputs.get("evictionPolicy") == "noeviction"


def test_component_children(prod):
    assert child_set(prod, one(prod, REDIS, "cache")) == {
        (CLUSTER, "cache-cluster"),
        (DB_FIREWALL, "cache-firewall"),
    }
    # No password resource of our own: DigitalOcean generates it with the cluster.
    assert not [r for r in prod.registrations if r.name.startswith("cache-") and r.type.startswith("random:")]


def test_prod_cluster_inputs(prod):
    cluster = one(prod, CLUSTER, "cache-cluster")
    assert cluster.inputs == {
        "name": "multicloud-prod-cache",
        "engine": "valkey",
        "version": "8",
        "size": "db-s-1vcpu-1gb",
        "region": "fra1",
        "nodeCount": 1,
        "privateNetworkUuid": one(prod, VPC).id,
        "evictionPolicy": "noeviction",
        "tags": [fleet_tag(prod)],
    }
    assert (cluster.protect, cluster.delete_before_replace) == (True, False)
    assert never_evicts(prod)


def test_eviction_detector_fires_on_a_broken_copy(prod):
    lossy = broken(prod, CLUSTER, "cache-cluster", set_input("evictionPolicy", "allkeys_lru"))
    assert not never_evicts(lossy)


@pytest.mark.parametrize(("environment", "protected"), [("prod", True), ("dev", False)])
def test_protect_in_prod_only(aws_plan, environment, protected):
    result = aws_plan(do_config(environment), environment)
    assert one(result, CLUSTER, "cache-cluster").protect is protected
    assert one(result, DB_FIREWALL, "cache-firewall").protect is False


@pytest.mark.parametrize(
    ("fields", "size", "nodes"),
    [
        ({"memory_mb": 256}, "db-s-1vcpu-1gb", 1),
        ({"memory_mb": 1024}, "db-s-1vcpu-1gb", 1),
        ({"memory_mb": 1536}, "db-s-1vcpu-2gb", 1),
        ({"memory_mb": 1024, "nodes": 2}, "db-s-1vcpu-1gb", 2),
    ],
    ids=["256", "1024", "1536", "two-nodes"],
)
def test_size_slug_from_memory_and_nodes(aws_plan, fields, size, nodes):
    cluster = one(aws_plan(service(do_config(), "cache", **fields), "prod"), CLUSTER, "cache-cluster")
    assert (cluster.inputs["size"], cluster.inputs["nodeCount"]) == (size, nodes)


def test_version_is_the_major_of_the_engine_version(aws_plan):
    result = aws_plan(service(do_config(), "cache", version="8.1"), "prod")
    assert one(result, CLUSTER, "cache-cluster").inputs["version"] == "8"


def test_a_valkey_version_digitalocean_does_not_create_is_a_config_error(run_plan):
    from multicloud.stacks.loader import ConfigError

    with pytest.raises(ConfigError) as err:
        run_plan(service(do_config(), "cache", version="7.2"))
    assert err.value.lines() == [
        "multicloud:services.cache.version: DigitalOcean runs Valkey 8; remove version or pick 8.0"
    ]


def test_firewall_trusts_exactly_the_fleet_tag(prod):
    firewall = one(prod, DB_FIREWALL, "cache-firewall")
    assert firewall.inputs == {
        "clusterId": one(prod, CLUSTER, "cache-cluster").id,
        "rules": [{"type": "tag", "value": fleet_tag(prod)}],
    }
    assert not [r for r in firewall.inputs["rules"] if r["type"] == "ip_addr"]
    assert all(fleet_tag(prod) in d.inputs["tags"] for d in of_type(prod, DROPLET))


def test_world_rule_detector_fires_on_a_broken_copy(prod):
    opened = broken(
        prod, DB_FIREWALL, "cache-firewall", set_input("rules", [{"type": "ip_addr", "value": "::/0"}])
    )
    rules = one(opened, DB_FIREWALL, "cache-firewall").inputs["rules"]
    assert [r for r in rules if r["type"] == "ip_addr" and r["value"] in WORLD]


def test_linked_service_gets_a_tls_url_to_the_private_host(prod):
    url = env_of(prod, "edge", "api")["REDIS_URL"]
    assert url.startswith("rediss://")
    parts = urlsplit(url)
    cluster = one(prod, CLUSTER, "cache-cluster")
    assert (parts.hostname, parts.port, parts.path) == (out(prod, cluster, "privateHost"), 25061, "/0")
    assert (parts.hostname or "").startswith("private-")
    password = out(prod, cluster, "password")
    assert unquote(parts.password or "") == password
    assert password in prod.secret_values
