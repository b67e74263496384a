"""The pricers, one module per provider: each type token has one pricer or is free, every line
carries its catalog source, and a SKU the catalog lacks is marked, never priced silently."""

from __future__ import annotations

import pytest

from multicloud.components._lib import types
from multicloud.costs.catalog import load
from multicloud.costs.pricers import FREE, PRICERS, PROVIDERS, Resource, price
from multicloud.costs.pricers.base import UNPRICED_SKU

TOKENS = {value for name, value in vars(types).items() if name.isupper() and not name.endswith("_PREFIX")}


def test_each_type_token_is_decided_once():
    priced = [token for module in PROVIDERS for token in module.PRICERS]
    free = [token for module in PROVIDERS for token in module.FREE]
    assert len(priced) == len(set(priced)) and len(free) == len(set(free))
    assert set(priced) & set(free) == set()
    assert (set(PRICERS), FREE) == (set(priced), set(free))


def test_every_token_the_pricers_match_on_is_spelled_in_the_types_module():
    assert set(PRICERS) | FREE <= TOKENS


# One resource per pricer, with inputs that name catalog SKUs.
KNOWN = {
    types.HCLOUD_SERVER: {"serverType": "cx23", "backups": True},
    types.HCLOUD_VOLUME: {"size": 10},
    types.HCLOUD_FLOATING_IP: {},
    types.DYNAMIC_RESOURCE: {"endpoint": "https://fsn1.your-objectstorage.com"},
    types.CLOUDFLARE_R2_BUCKET: {},
    types.CLOUDFLARE_PAGES_PROJECT: {},
    types.AWS_ECS_TASK_DEFINITION: {"cpu": "256", "memory": "512"},
    types.AWS_SECRETSMANAGER_SECRET: {},
    types.AWS_LB_LOAD_BALANCER: {},
    types.AWS_EC2_NAT_GATEWAY: {},
    types.AWS_EC2_EIP: {},
    types.AWS_RDS_INSTANCE: {"instanceClass": "db.t4g.micro"},
    types.AWS_ELASTICACHE_REPLICATION_GROUP: {"nodeType": "cache.t4g.micro"},
    types.AWS_S3_BUCKET: {},
    types.AWS_CLOUDFRONT_DISTRIBUTION: {},
    types.AWS_CLOUDWATCH_LOG_GROUP: {},
    types.DO_DROPLET: {"size": "s-1vcpu-1gb", "backups": True},
    types.DO_VOLUME: {"size": 10},
    types.DO_DATABASE_CLUSTER: {"engine": "pg", "size": "db-s-1vcpu-2gb"},
    types.DO_DATABASE_FIREWALL: {
        "rules": [{"type": "tag", "value": "t"}, {"type": "ip_addr", "value": "192.0.2.1"}]
    },
    types.DO_SPACES_BUCKET: {},
    types.DO_LOAD_BALANCER: {},
    types.DO_APP: {"spec": {"services": [{"name": "api", "instanceSizeSlug": "apps-s-1vcpu-0.5gb"}]}},
    types.DO_UPTIME_CHECK: {},
    types.AWS_ROUTE53_HEALTH_CHECK: {"type": "HTTPS"},
    types.AWS_CLOUDWATCH_METRIC_ALARM: {},
    types.CHECKLY_URL_MONITOR: {},
    types.CHECKLY_SSL_MONITOR: {},
    types.HEALTHCHECKS_CHECK: {"name": "x"},
}
# Whose catalog prices a token: by token, else by its package.
CURRENCY = {"hcloud": "hetzner", "pulumi-python": "hetzner", types.HEALTHCHECKS_CHECK: "healthchecks"}


def test_every_pricer_is_exercised():
    assert set(KNOWN) == set(PRICERS)


@pytest.mark.parametrize("token", sorted(KNOWN))
def test_every_line_has_its_source_and_its_catalogs_currency(token):
    (res,) = [Resource(f"urn:{token}", token, "x", None, KNOWN[token])]
    lines = price([res]).lines
    package = token.split(":")[0]
    provider = CURRENCY.get(token, CURRENCY.get(package, package))
    assert lines
    for line in lines:
        assert line.source and line.source.startswith("https://"), line
        assert line.currency == load(provider)["currency"], line
        assert line.note != UNPRICED_SKU


UNKNOWN = [
    (types.HCLOUD_SERVER, {"serverType": "cx999"}, "server cx999 (not in catalog)", "EUR"),
    (types.DO_DROPLET, {"size": "s-99vcpu"}, "droplet s-99vcpu (not in catalog)", "USD"),
    (types.AWS_RDS_INSTANCE, {"instanceClass": "db.x9.huge"}, "RDS db.x9.huge (not in catalog)", "USD"),
    (
        types.AWS_ELASTICACHE_REPLICATION_GROUP,
        {"nodeType": "cache.x9"},
        "ElastiCache cache.x9 (not in catalog)",
        "USD",
    ),
    (
        types.DO_DATABASE_CLUSTER,
        {"engine": "valkey", "size": "db-x"},
        "managed Valkey db-x (not in catalog)",
        "USD",
    ),
    (
        types.DO_APP,
        {"spec": {"workers": [{"name": "jobs", "instanceSizeSlug": "apps-x"}]}},
        "App Platform jobs apps-x × 1 (not in catalog)",
        "USD",
    ),
]


@pytest.mark.parametrize(("token", "inputs", "name", "currency"), UNKNOWN)
def test_a_sku_the_catalog_lacks_is_listed_at_zero_and_marked(token, inputs, name, currency):
    lines = price([Resource("urn:x", token, "x", None, inputs)]).lines
    unpriced = [line for line in lines if line.note == UNPRICED_SKU]
    assert [(line.name, line.monthly, line.source, line.currency) for line in unpriced] == [
        (name, 0.0, None, currency)
    ]
