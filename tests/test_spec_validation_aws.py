"""Config validation for AWS targets: a corpus of bad configs, each with its exact path and message.

Same style as tests/test_spec_validation.py: a valid stack plus one mutation, parsed by
`stacks.loader.parse` directly (no Pulumi involved), must give exactly one problem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from multicloud.infra.cli import main
from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.aws_plans import aws_config, example_config
from tests.conftest import ROOT, base_config

Values = dict[str, Any]
Mutation = Callable[[Values], None]


def problems(values: Values, secrets: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        parse(RawConfig(values, secrets))
    return err.value.problems


def update(service: str, **fields: Any) -> Mutation:
    def mutate(values: Values) -> None:
        values["services"][service].update(fields)

    return mutate


def drop(key: str) -> Mutation:
    def mutate(values: Values) -> None:
        del values[key]

    return mutate


AWS_CORPUS = [
    pytest.param(
        drop("aws"),
        ("aws", "services.api runs on AWS; set aws: {region: us-east-1} (or your region)"),
        id="aws-target-without-aws-section",
    ),
    pytest.param(
        drop("dns"),
        (
            "dns",
            "services.api on AWS needs dns: {provider: route53 | cloudflare, zone_id: ...} for its certificate",
        ),
        id="api-on-aws-without-dns",
    ),
    pytest.param(
        update("db", storage_gb=10),
        ("services.db.storage_gb", "RDS gp3 storage starts at 20 GB; set 20 or more"),
        id="rds-storage-below-20",
    ),
    pytest.param(
        update("cache", engine="redis", version="7.4"),
        ("services.cache.version", "ElastiCache redis runs 7.1; remove version or pick one"),
        id="redis-7.4-on-elasticache",
    ),
    pytest.param(
        update("cache", version="7.4"),
        ("services.cache.version", "ElastiCache valkey runs 7.2, 8.0, 8.1; remove version or pick one"),
        id="valkey-7.4-on-elasticache",
    ),
    pytest.param(
        update("uploads", location="eu-west-1"),
        ("services.uploads.location", "AWS buckets live in the stack's region us-east-1; remove location"),
        id="bucket-outside-the-stack-region",
    ),
    pytest.param(
        update("api", replicas=3, max_replicas=2),
        ("services.api.max_replicas", "must be at least replicas (3)"),
        id="max-replicas-below-replicas",
    ),
    pytest.param(
        update("api", size={"cpu": 32, "memory_gb": 64}),
        ("services.api.size", "Fargate tops out at 16 vCPU / 120 GB; 32 vCPU / 64 GB does not fit"),
        id="size-too-large-for-fargate",
    ),
    pytest.param(
        update("db", size={"cpu": 2, "memory_gb": 2}, instance_class="db.t4g.small"),
        ("services.db", "give size or instance_class, not both"),
        id="postgres-size-and-instance-class",
    ),
    pytest.param(
        update("db", size={"cpu": 8, "memory_gb": 64}),
        (
            "services.db.size",
            (
                "no catalogued RDS class has 8 vCPU and 64 GB; the largest is db.t4g.medium; "
                "set instance_class (e.g. db.m7g.large) for bigger ones"
            ),
        ),
        id="postgres-size-beyond-the-catalog",
    ),
    pytest.param(
        update("cache", memory_mb=4096),
        (
            "services.cache.memory_mb",
            (
                "no catalogued ElastiCache node has 4096 MB; the largest is cache.t4g.medium; "
                "set node_type (e.g. cache.m7g.large) for bigger ones"
            ),
        ),
        id="redis-memory-beyond-the-catalog",
    ),
]


@pytest.mark.parametrize(("mutation", "expected"), AWS_CORPUS)
def test_bad_aws_config_is_reported_at_its_path(mutation, expected):
    values = aws_config()
    mutation(values)
    assert problems(values) == [expected]


def test_a_route53_zone_id_starts_with_z():
    values = aws_config()
    values["dns"]["zone_id"] = "A0123456789ABCDEFGHIJ"
    assert [p for p, _ in problems(values)] == ["dns.zone_id"]


# Fields only AWS honours, set on a Hetzner service: an error, never silently ignored.
# (service, fields, field, the targets that do honour it)
HETZNER_CORPUS = [
    pytest.param("api", {"max_replicas": 3}, "max_replicas", "aws, digitalocean", id="api-max-replicas"),
    pytest.param("api", {"arch": "arm64"}, "arch", "aws", id="api-arch"),
    pytest.param(
        "db", {"instance_class": "db.t4g.small"}, "instance_class", "aws", id="postgres-instance-class"
    ),
    pytest.param("db", {"multi_az": True}, "multi_az", "aws, digitalocean", id="postgres-multi-az"),
    pytest.param("db", {"backup_days": 7}, "backup_days", "aws", id="postgres-backup-days"),
    pytest.param("db", {"size": {"cpu": 2, "memory_gb": 2}}, "size", "aws, digitalocean", id="postgres-size"),
    pytest.param("cache", {"nodes": 2}, "nodes", "aws, digitalocean", id="redis-nodes"),
    pytest.param("cache", {"node_type": "cache.t4g.small"}, "node_type", "aws", id="redis-node-type"),
]


@pytest.mark.parametrize(("service", "fields", "field", "targets"), HETZNER_CORPUS)
def test_aws_only_field_on_hetzner_names_its_path(service, fields, field, targets):
    values = base_config() | {"ssh_private_key": "deploy-key"}
    values["services"][service].update(fields)
    assert problems(values, frozenset({"ssh_private_key"})) == [
        (f"services.{service}.{field}", f"not supported on hetzner; only on: {targets}")
    ]


def test_even_a_default_value_of_an_aws_only_field_is_refused_on_hetzner():
    values = base_config() | {"ssh_private_key": "deploy-key"}
    values["services"]["db"]["multi_az"] = False
    assert problems(values, frozenset({"ssh_private_key"})) == [
        ("services.db.multi_az", "not supported on hetzner; only on: aws, digitalocean")
    ]


def test_several_aws_problems_are_reported_together():
    values = aws_config()
    values["services"]["db"]["storage_gb"] = 10
    values["services"]["api"].update(replicas=3, max_replicas=2)
    values["services"]["uploads"]["location"] = "eu-west-1"
    assert sorted(p for p, _ in problems(values)) == [
        "services.api.max_replicas",
        "services.db.storage_gb",
        "services.uploads.location",
    ]


@pytest.mark.parametrize("config", [aws_config, example_config], ids=["base", "example"])
def test_valid_aws_stacks_parse(config):
    spec = parse(RawConfig(config()))
    assert spec.aws is not None and spec.aws.region == "us-east-1"


def test_bucket_location_equal_to_the_region_is_accepted():
    values = aws_config()
    values["services"]["uploads"]["location"] = "us-east-1"
    assert parse(RawConfig(values)).services["uploads"].location == "us-east-1"


def test_cli_validates_the_aws_example(capsys):
    assert main(["validate", "--config", str(ROOT / "examples" / "aws.yaml")]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "valid" in out
