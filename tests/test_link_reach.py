"""Every link has a network path, or validate refuses it: none validates and stays unreachable.

A database or cache listens on a private network: a host's compose network and the stack's
Hetzner network, a DigitalOcean VPC behind the cluster firewall, an AWS VPC behind a security
group. Each backend wires consumers on its own provider. Across providers only the pairs below
are wired (admission of the consumer's addresses, TLS it verifies: tests/test_internet_links.py
and tests/integration/test_internet_tls.py prove them); every other such link is refused,
naming it.
"""

from __future__ import annotations

import itertools

import pytest

from multicloud.components.capabilities import (
    INTERNET,
    INTERNET_LINKS,
    PRIVATE_KINDS,
    UNWIRED,
    link_path,
    supported_targets,
)
from multicloud.infra.cli import main
from multicloud.stacks.checks import check
from multicloud.stacks.spec import StackSpec
from tests.conftest import write_stack

CONSUMERS = [(kind, t) for kind in ("api", "worker") for t in supported_targets(kind)]
DEPENDENCIES = [(kind, t) for kind in ("postgres", "redis", "bucket") for t in supported_targets(kind)]
# Written out, not read from the table: widening it must be a decision this test sees.
WIRED_ACROSS = {
    ("hetzner", "postgres", "digitalocean"),
    ("hetzner", "redis", "digitalocean"),
    ("aws", "postgres", "digitalocean"),  # behind the NAT gateway (tests/test_internet_links.py)
    ("aws", "redis", "digitalocean"),
    (
        "aws",
        "postgres",
        "hetzner",
    ),  # published by the host to the NAT address (tests/test_internet_links_hetzner.py)
    ("aws", "redis", "hetzner"),
    # RDS made publicly accessible, admitting the hosts' addresses (tests/test_internet_links_rds.py)
    ("hetzner", "postgres", "aws"),
    ("digitalocean", "postgres", "aws"),  # droplets; App Platform refused below
}


def test_the_pairs_wired_across_providers_are_exactly_these():
    assert INTERNET_LINKS == WIRED_ACROSS


def _spec(consumer: tuple[str, str], dependency: tuple[str, str]) -> StackSpec:
    (kind, target), (dep_kind, dep_target) = consumer, dependency
    app = {"kind": kind, "target": target, "image": "ghcr.io/acme/api:1.4.2", "links": ["dep"]}
    if kind == "api":
        app |= {"port": 8080}
    services = {"app": app, "dep": {"kind": dep_kind, "target": dep_target}}
    config = {"environment": "dev", "domain": "example.com", "services": services}
    if target == "aws":  # tasks with a fixed egress address, which a cross-provider link needs
        config["aws"] = {"region": "us-east-1", "nat": "managed"}
    return StackSpec.model_validate(config)


@pytest.mark.parametrize(("consumer", "dependency"), list(itertools.product(CONSUMERS, DEPENDENCIES)))
def test_every_pair_is_reachable_or_refused_naming_the_link(consumer, dependency):
    (_, target), (dep_kind, dep_target) = consumer, dependency
    refused = [
        message for path, message in check(_spec(consumer, dependency)) if path == "services.app.links[0]"
    ]
    if (target, dep_kind, dep_target) in WIRED_ACROSS:
        assert refused == []
        assert link_path(target, dep_kind, dep_target) == INTERNET
    elif dep_kind in PRIVATE_KINDS and target != dep_target:
        assert link_path(target, dep_kind, dep_target) == UNWIRED
        assert len(refused) == 1
        assert refused[0].startswith(f"dep is a {dep_kind} on {dep_target} (")
        assert f"app runs on {target}: nothing connects them" in refused[0]
        assert f"(app on {dep_target}, or dep on {target})" in refused[0]
    else:
        assert refused == []
        assert link_path(target, dep_kind, dep_target) in ("private network", "public endpoint")


@pytest.mark.parametrize("kind", ["api", "worker"])
def test_app_platform_apps_cannot_reach_rds_they_have_no_fixed_address(kind):
    app = {
        "kind": kind,
        "target": "digitalocean",
        "runtime": "app_platform",
        "image": "ghcr.io/acme/api:1.4.2",
        "links": ["dep"],
    } | ({"port": 8080} if kind == "api" else {})
    spec = StackSpec.model_validate(
        {"environment": "dev", "domain": "example.com", "aws": {"region": "us-east-1"},
         "digitalocean": {"region": "fra1"},
         "services": {"app": app, "dep": {"kind": "postgres", "target": "aws"}}}
    )  # fmt: skip
    refused = [message for path, message in check(spec) if path == "services.app.links[0]"]
    assert refused == [
        (
            "dep is a postgres on aws, which admits fixed addresses only: App Platform apps leave from "
            "shared ones; run app on the stack's droplets (runtime: droplet), or put dep on digitalocean"
        )
    ]


def test_validate_refuses_an_unreachable_link_and_builds_nothing(tmp_path, capsys):
    """A whole stack file: a Hetzner api linking ElastiCache is exit 2 with the one line, no plan."""
    config = {
        "environment": "dev",
        "domain": "example.com",
        "aws": {"region": "us-east-1"},
        "hosts": {"main": {"target": "hetzner", "location": "fsn1", "size": {"cpu": 2, "memory_gb": 4}}},
        "admin": {
            "ssh_public_keys": [
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example.com"
            ],
            "cidrs": ["203.0.113.0/24"],
        },
        "dns": {"provider": "cloudflare", "zone_id": "0" * 32},
        "services": {
            "api": {"kind": "api", "target": "hetzner", "host": "main", "image": "ghcr.io/acme/api:1.4.2",
                    "port": 8080, "links": ["db"]},
            "db": {"kind": "redis", "target": "aws"},
        },
    }  # fmt: skip
    path = write_stack(tmp_path / "Pulumi.dev.yaml", config)
    assert main(["validate", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "multicloud:services.api.links[0]: db is a redis on aws (private in the stack's AWS VPC)" in err
    assert err.count("\n") == 1
