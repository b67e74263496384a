"""The policy pack over real plans: a shipped stack passes every control, and a copy of its plan
with one input broken fails exactly the control that guards it.

A plan is the offline plan of a shipped stack file, shown to the pack as the engine shows it
(tests/policy_fakes.policy_view) with the stack's own policy config. A broken copy changes one
registration (tests/aws_plans.broken); the pack must then report the plan's own findings plus
exactly the expected ones. The AWS controls are broken over examples/aws.yaml in
tests/test_aws_security.py; together the two tables break every control of the pack.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from multicloud.infra.offline import Plan
from multicloud.policies.controls import (
    DO_APP,
    DO_DATABASE_FIREWALL,
    DO_DROPLET,
    DO_LOAD_BALANCER,
    DO_SPACES_BUCKET,
    HCLOUD_FIREWALL,
    HCLOUD_FLOATING_IP,
    HCLOUD_SERVER,
    HCLOUD_VOLUME,
    POLICIES,
    R2_MANAGED_DOMAIN,
)
from tests.aws_plans import Mutation, broken, drop_input, set_input, set_option
from tests.conftest import ROOT, one
from tests.policy_fakes import plan_with_dependencies, policy_config, policy_view, run

Finding = tuple[str, str, str]
"""(policy, name of the offending resource, message)"""

Dependencies = dict[str, dict[str, list[str]]]


@cache
def planned(stack_file: str) -> tuple[Plan, Dependencies]:
    """The offline plan of a shipped stack file (relative to the repository) and its
    registrations' property dependencies."""
    path = ROOT / stack_file
    stack = path.name.split(".")[1] if path.name.startswith("Pulumi.") else path.stem
    return plan_with_dependencies(path, stack, ROOT)


def findings(result: Plan, dependencies: Dependencies, config: dict[str, Any] | None = None) -> set[Finding]:
    """Every violation the whole pack reports on a plan, with the stack's policy config."""
    resources = policy_view(result, dependencies)
    names = {r.urn: r.name for r in resources}
    config = policy_config(result.spec) if config is None else config
    return {
        (p.name, names[urn or ""], message) for p in POLICIES for message, urn in run(p, resources, config)
    }


@dataclass(frozen=True)
class Break:
    """One input of one registration of a shipped plan, broken so that `policy` fails."""

    policy: str
    id: str
    plan: str
    type: str
    name: str
    mutate: Mutation
    message: str
    offender: str = ""
    """The resource the violation names; "" for the broken one."""
    also: tuple[Finding, ...] = ()
    """Other controls the same break trips."""

    def expected(self) -> set[Finding]:
        return {(self.policy, self.offender or self.name, self.message), *self.also}


def check_break(b: Break) -> None:
    result, dependencies = planned(b.plan)
    before = findings(result, dependencies)
    after = findings(broken(result, b.type, b.name, b.mutate), dependencies)
    assert after == before | b.expected()
    assert not before & b.expected()


def append_input(key: str, text: str) -> Mutation:
    """Mutation: append `text` to a string input."""

    def mutate(reg: Any, result: Any) -> None:
        for inputs in (reg.inputs, reg.raw_inputs):
            inputs[key] += text

    return mutate


# --- Hetzner, DigitalOcean, VPS machines, data protection -----------------------------------

HETZNER = "Pulumi.prod.yaml"
DROPLETS = "examples/digitalocean.yaml"
APP_PLATFORM = "examples/digitalocean-app-platform.yaml"
WORLD_HALVES = ["0.0.0.0/1", "128.0.0.0/1"]
ONLY_WEB = "only 80, 443 and ICMP may be public, SSH only from the admin networks"
IGNORES = (
    "userData is not in ignoreChanges: a cloud-init change would replace the server; "
    'add ignore_changes=["user_data"]'
)
SECRET_IN_USER_DATA = (
    "userData contains {}: cloud metadata is readable on the server; "
    "ship secrets in the release bundle (0600 files) instead"
)
WITHOUT_PROTECT = (
    "deleteProtection without the protect option: a replacement would create the new resource and "
    "then fail to delete the old one; set protect or turn deleteProtection off"
)

BREAKS = [
    Break(
        "ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
        "8080-to-world",
        HETZNER,
        HCLOUD_FIREWALL,
        "main-firewall",
        set_input("rules.0.port", "8080"),
        f"rules[0] opens tcp 8080 to the whole internet (0.0.0.0/0, ::/0); {ONLY_WEB}",
    ),
    Break(
        "no-world-ingress-admin-and-data-ports",
        "hetzner-ssh-to-both-halves",
        HETZNER,
        HCLOUD_FIREWALL,
        "main-firewall",
        set_input("rules.2.sourceIps", WORLD_HALVES),
        "rules[2] opens 22 (SSH) to the whole internet (0.0.0.0/1, 128.0.0.0/1)",
        also=(
            (
                "ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
                "main-firewall",
                f"rules[2] opens tcp 22 to the whole internet (0.0.0.0/1, 128.0.0.0/1); {ONLY_WEB}",
            ),
        ),
    ),
    Break(
        "hcloud-server-firewall-attached",
        "none",
        HETZNER,
        HCLOUD_SERVER,
        "main-server",
        set_input("firewallIds", []),
        "no firewall at creation: set firewallIds so the server never boots unprotected",
    ),
    Break(
        "ckv-dio-2-like-hcloud-ssh-keys",
        "hetzner",
        HETZNER,
        HCLOUD_SERVER,
        "main-server",
        set_input("sshKeys", []),
        "no sshKeys: Hetzner then sets a root password and mails it; pass sshKeys",
    ),
    Break(
        "ckv-dio-2-like-hcloud-ssh-keys",
        "droplet",
        DROPLETS,
        DO_DROPLET,
        "api-a-droplet",
        drop_input("sshKeys"),
        "no sshKeys: DigitalOcean then sets a root password and mails it; pass sshKeys",
    ),
    Break(
        "hcloud-server-no-secrets-in-user-data",
        "hetzner",
        HETZNER,
        HCLOUD_SERVER,
        "main-server",
        append_input("userData", "write_files:\n- path: /etc/redis.conf\n  content: requirepass hunter2\n"),
        SECRET_IN_USER_DATA.format("'requirepass'"),
    ),
    Break(
        "hcloud-server-no-secrets-in-user-data",
        "droplet",
        DROPLETS,
        DO_DROPLET,
        "workers-droplet",
        append_input("userData", "# -----BEGIN OPENSSH PRIVATE KEY-----\n"),
        SECRET_IN_USER_DATA.format("'PRIVATE KEY'"),
    ),
    Break(
        "hcloud-server-ignores-user-data",
        "hetzner",
        HETZNER,
        HCLOUD_SERVER,
        "main-server",
        set_option(ignore_changes=["sshKeys", "image"]),
        IGNORES,
    ),
    Break(
        "hcloud-server-ignores-user-data",
        "droplet",
        DROPLETS,
        DO_DROPLET,
        "api-b-droplet",
        set_option(ignore_changes=[]),
        IGNORES,
    ),
    Break(
        "hcloud-delete-protection",
        "volume-flag-off",
        HETZNER,
        HCLOUD_VOLUME,
        "main-volume",
        set_input("deleteProtection", False),
        "deleteProtection must be true in prod",
    ),
    Break(
        "hcloud-delete-protection",
        "floating-ip-unprotected",
        HETZNER,
        HCLOUD_FLOATING_IP,
        "main-floating-ip",
        set_option(protect=False),
        WITHOUT_PROTECT,
        also=(
            (
                "prod-protect-stateful",
                "main-floating-ip",
                (
                    f"main-floating-ip ({HCLOUD_FLOATING_IP}) holds data but is not protected: "
                    "set protect=True in prod"
                ),
            ),
        ),
    ),
    Break(
        "no-delete-before-replace-on-data-stores",
        "volume",
        HETZNER,
        HCLOUD_VOLUME,
        "main-volume",
        set_option(delete_before_replace=True),
        "deleteBeforeReplace on a data store deletes the data before its replacement exists; remove it",
    ),
    Break(
        "do-database-firewall-not-world",
        "both-halves",
        DROPLETS,
        DO_DATABASE_FIREWALL,
        "db-firewall",
        set_input("rules", [{"type": "ip_addr", "value": v} for v in WORLD_HALVES]),
        "rules trust ip_addr 0.0.0.0/1, 128.0.0.0/1: together every address on the internet may connect "
        "to the database; trust the droplets' tag (type tag) or their addresses instead",
    ),
    Break(
        "ckv-dio-3-spaces-bucket-private",
        "public-read-write",
        DROPLETS,
        DO_SPACES_BUCKET,
        "files-bucket",
        set_input("acl", "public-read-write"),
        "acl is public-read-write: anyone may list or read the bucket; set acl=private and hand out "
        "scoped Spaces keys (or presigned URLs) instead",
    ),
    Break(
        "do-droplet-firewall-at-creation",
        "fleet-tag-only",
        DROPLETS,
        DO_DROPLET,
        "api-a-droplet",
        set_input("tags", ["multicloud-digitalocean"]),
        "api-a-droplet: no firewall of this stack selects any of its tags, so it boots unprotected; "
        "give it a tag a firewall names in `tags`",
    ),
    Break(
        "do-load-balancer-https-only",
        "default-ciphers",
        DROPLETS,
        DO_LOAD_BALANCER,
        "api-lb",
        set_input("tlsCipherPolicy", "DEFAULT"),
        "tlsCipherPolicy is DEFAULT: the DEFAULT policy still offers legacy ciphers; set STRONG",
    ),
    Break(
        "do-load-balancer-https-only",
        "no-certificate",
        DROPLETS,
        DO_LOAD_BALANCER,
        "api-lb",
        set_input("forwardingRules.0.certificateName", None),
        "forwardingRules[0] takes HTTPS without a certificate",
    ),
    Break(
        "do-app-platform-secrets-encrypted",
        "database-url-general",
        APP_PLATFORM,
        DO_APP,
        "api-app",
        set_input("spec.services.0.envs.0.type", "GENERAL"),
        "spec.services[0].envs[0] DATABASE_URL is type GENERAL: it carries a credential that App "
        "Platform then shows in its console and build logs; set type SECRET",
    ),
]


@pytest.mark.parametrize("stack_file", sorted({b.plan for b in BREAKS}))
def test_the_plans_broken_here_pass_every_control(stack_file: str) -> None:
    assert findings(*planned(stack_file)) == set()


@pytest.mark.parametrize("b", BREAKS, ids=lambda b: f"{b.policy}:{b.id}")
def test_each_control_catches_its_broken_plan(b: Break) -> None:
    check_break(b)


def test_an_r2_dev_domain_on_a_real_bucket_is_caught_unless_listed_public() -> None:
    """No shipped plan has an R2 domain: the prod plan gets one, for its uploads bucket."""
    result, dependencies = planned(HETZNER)
    bucket = one(result, "cloudflare:index/r2Bucket:R2Bucket", "uploads-bucket")
    inputs = {"accountId": bucket.raw_inputs["accountId"], "bucketName": bucket.raw_inputs["name"]}
    domain = dataclasses.replace(
        bucket,
        urn=bucket.urn.replace(
            "r2Bucket:R2Bucket::uploads-bucket", "r2ManagedDomain:R2ManagedDomain::uploads-r2-dev"
        ),
        type=R2_MANAGED_DOMAIN,
        name="uploads-r2-dev",
        inputs={**inputs, "enabled": True},
        raw_inputs={**inputs, "enabled": True},
    )
    exposed = dataclasses.replace(result, registrations=[*result.registrations, domain])
    assert findings(exposed, dependencies) == {
        (
            "r2-bucket-private",
            "uploads-r2-dev",
            (
                "the r2.dev domain makes bucket multicloud-prod-uploads public; "
                "disable it or list the bucket in public_buckets"
            ),
        )
    }
    listed = {**policy_config(result.spec), "public_buckets": ["multicloud-prod-uploads"]}
    assert findings(exposed, dependencies, listed) == set()
