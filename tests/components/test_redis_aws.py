"""Redis on AWS: an ElastiCache replication group, encrypted, TLS with an auth token.

Most security settings asserted here by value are also controls of the policy pack
(policies/controls/aws_*.py), each shown to fail on a broken copy of a real plan
(tests/test_aws_security.py); the rest (private subnets, no IAM wildcards …) only here.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from multicloud.components.redis.aws import parameter_family
from tests.aws_plans import CACHE, PARAMETER, SG, aws_config, example_config, ids, ingress_into, out, subnets
from tests.conftest import one
from tests.helpers import child_set

REDIS = "multicloud:index:Redis"
PASSWORD = "random:index/randomPassword:RandomPassword"
SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup"
PARAMETER_GROUP = "aws:elasticache/parameterGroup:ParameterGroup"


@pytest.fixture(scope="module")
def prod(aws_plan):
    return aws_plan(aws_config("prod"), "prod")


@pytest.fixture(scope="module")
def dev(aws_plan):
    return aws_plan(aws_config("dev"), "dev")


def cache_config(environment: str = "prod", **cache: object) -> dict:
    config = aws_config(environment)
    config["services"]["cache"].update(cache)
    return config


def redis_oss() -> dict:
    return cache_config(engine="redis", memory_mb=1024)


def test_component_children(prod):
    cache = one(prod, REDIS, "cache")
    assert child_set(prod, cache) == {
        (PASSWORD, "cache-password"),
        (SUBNET_GROUP, "cache-subnets"),
        (SG, "cache-sg"),
        (PARAMETER_GROUP, "cache-params"),
        (CACHE, "cache-cache"),
    }


def test_prod_replication_group_inputs(prod):
    group = one(prod, CACHE, "cache-cache")
    assert group.inputs == {
        "replicationGroupId": "multicloud-prod-cache",
        "description": "cache (valkey 8.0)",
        "engine": "valkey",
        "engineVersion": "8.0",
        "nodeType": "cache.t4g.micro",
        "numCacheClusters": 1,
        "automaticFailoverEnabled": False,
        "multiAzEnabled": False,
        "port": 6379,
        "subnetGroupName": out(prod, one(prod, SUBNET_GROUP), "name"),
        "securityGroupIds": [one(prod, SG, "cache-sg").id],
        "parameterGroupName": out(prod, one(prod, PARAMETER_GROUP), "name"),
        "atRestEncryptionEnabled": True,
        "transitEncryptionEnabled": True,
        "authToken": "[secret]",
        "snapshotRetentionLimit": 7,
        "autoMinorVersionUpgrade": True,
        "tags": {"managed-by": "pulumi", "project": "multicloud", "stack": "prod", "component": "cache"},
    }
    assert (group.protect, group.delete_before_replace) == (True, False)
    token = out(prod, one(prod, PASSWORD, "cache-password"), "result")
    assert group.raw_inputs["authToken"] == token and token in prod.secret_values


def test_dev_keeps_no_snapshots_and_is_not_protected(dev):
    group = one(dev, CACHE, "cache-cache")
    assert group.inputs["snapshotRetentionLimit"] == 0
    assert group.protect is False
    # Encryption and the token do not depend on the environment.
    assert group.inputs["atRestEncryptionEnabled"] is True
    assert group.inputs["transitEncryptionEnabled"] is True
    assert group.inputs["authToken"] == "[secret]"


@pytest.mark.parametrize(
    ("config", "engine", "version", "family"),
    [(aws_config, "valkey", "8.0", "valkey8"), (redis_oss, "redis", "7.1", "redis7")],
    ids=["valkey-default", "redis-oss"],
)
def test_engine_and_version_defaults(aws_plan, config, engine, version, family):
    result = aws_plan(config(), "prod")
    group = one(result, CACHE).inputs
    assert (group["engine"], group["engineVersion"]) == (engine, version)
    assert one(result, PARAMETER_GROUP).inputs["family"] == family


@pytest.mark.parametrize(
    ("engine", "version", "family"),
    [("valkey", "7.2", "valkey7"), ("valkey", "8.1", "valkey8"), ("redis", "7.1", "redis7")],
)
def test_parameter_family(engine, version, family):
    assert parameter_family(engine, version) == family


def test_parameter_group_never_evicts(prod):
    params = one(prod, PARAMETER_GROUP, "cache-params")
    assert params.inputs["parameters"] == [{"name": "maxmemory-policy", "value": "noeviction"}]


@pytest.mark.parametrize(
    ("config", "memory_mb", "node_type"),
    [
        (aws_config, 256, "cache.t4g.micro"),
        (example_config, 512, "cache.t4g.micro"),
        (redis_oss, 1024, "cache.t4g.small"),
    ],
)
def test_node_type_from_memory(aws_plan, config, memory_mb, node_type):
    assert config()["services"]["cache"]["memory_mb"] == memory_mb
    assert one(aws_plan(config(), "prod"), CACHE).inputs["nodeType"] == node_type


def test_explicit_node_type_wins(aws_plan):
    result = aws_plan(cache_config(node_type="cache.m7g.large"), "prod")
    assert one(result, CACHE).inputs["nodeType"] == "cache.m7g.large"


@pytest.mark.parametrize(("config", "nodes"), [(aws_config, 1), (example_config, 2)])
def test_failover_and_multi_az_only_with_replicas(aws_plan, config, nodes):
    group = one(aws_plan(config(), "prod"), CACHE).inputs
    assert group["numCacheClusters"] == nodes
    assert group["automaticFailoverEnabled"] is (nodes > 1)
    assert group["multiAzEnabled"] is (nodes > 1)


def test_subnet_group_is_the_private_subnets(prod):
    group = one(prod, SUBNET_GROUP, "cache-subnets")
    assert group.inputs["subnetIds"] == ids(subnets(prod, "private"))
    assert group.inputs["name"] == "multicloud-prod-cache"


def test_linked_service_gets_a_tls_url_with_the_token(prod):
    url = one(prod, PARAMETER, "api-redis-url").raw_inputs["value"]
    assert url.startswith("rediss://")
    parts = urlsplit(url)
    group = one(prod, CACHE)
    assert (parts.hostname, parts.port, parts.path) == (
        out(prod, group, "primaryEndpointAddress"),
        6379,
        "/0",
    )
    assert unquote(parts.password or "") == group.raw_inputs["authToken"]


def test_each_linked_service_gets_one_rule_and_an_unlinked_one_none(aws_plan):
    config = aws_config("prod")
    config["services"]["jobs"] = {
        "kind": "worker",
        "target": "aws",
        "image": "ghcr.io/acme/api:1.4.2",
        "links": ["db"],
    }
    result = aws_plan(config, "prod")
    rules = ingress_into(result, one(result, SG, "cache-sg"))
    assert [
        (r.name, r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"])
        for r in rules
    ] == [("api-to-cache", one(result, SG, "api-tasks").id, 6379, 6379)]
    assert rules[0].inputs["ipProtocol"] == "tcp"
    assert not any("cidrIpv4" in r.inputs or "cidrIpv6" in r.inputs for r in rules)
    # The database admits both: the worker is linked there.
    assert len(ingress_into(result, one(result, SG, "db-sg"))) == 2
