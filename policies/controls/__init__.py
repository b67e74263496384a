"""Data-safety controls as CrossGuard policies: encryption, exposure, TLS, secrets, protection.

One module per provider and service (aws_rds, aws_elasticache, aws_s3, aws_elb, aws_ecs,
aws_cloudfront, hetzner, digitalocean, cloudflare), plus the checks shared by Hetzner servers
and DigitalOcean droplets (vps) and the controls across providers (stack: ingress, data
protection); each validate function sits directly above the policy that registers it.

Policies are named after the Checkov (`ckv-…`, `ckv2-…`) or Trivy (`aws-…`) check they mirror
where one exists; neither scanner reads Pulumi programs, so the pack re-implements them.
Toolkit-owned controls (no scanner has them) have descriptive names.

Values the engine does not know yet (outputs of resources not created during `preview`)
never fail a check: the check skips that value, and the engine runs it again at `up`, when it
is known. A property that is *absent* is read as the provider's default, so an insecure
default (e.g. `storageEncrypted` unset = false) fails, like Checkov's missing attributes.

Prod-only controls read the policy config value `environment` (dev | staging | prod, default
prod), passed per policy with `--policy-pack-config` (see policies/config/<stack>.json).
"""

from __future__ import annotations

from pulumi_policy.policy import Policy

from multicloud.policies.controls import (
    aws_cloudfront,
    aws_ecs,
    aws_elasticache,
    aws_elb,
    aws_rds,
    aws_s3,
    cloudflare,
    digitalocean,
    hetzner,
    stack,
    vps,
)
from multicloud.policies.controls.aws_cloudfront import DISTRIBUTION
from multicloud.policies.controls.aws_ecs import ECS_SERVICE, TASK_DEFINITION
from multicloud.policies.controls.aws_elasticache import CACHE
from multicloud.policies.controls.aws_elb import LISTENERS, LOAD_BALANCERS
from multicloud.policies.controls.aws_rds import RDS, RDS_PARAMETER_GROUP
from multicloud.policies.controls.aws_s3 import (
    BUCKET_POLICY,
    BUCKETS,
    ENCRYPTION_CONFIGS,
    PUBLIC_ACCESS_BLOCK,
    VERSIONING_CONFIGS,
)
from multicloud.policies.controls.aws_security_groups import INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE
from multicloud.policies.controls.cloudflare import R2_CUSTOM_DOMAIN, R2_MANAGED_DOMAIN
from multicloud.policies.controls.digitalocean import (
    DO_APP,
    DO_DATABASE_CLUSTER,
    DO_DATABASE_FIREWALL,
    DO_DROPLET,
    DO_FIREWALL,
    DO_LOAD_BALANCER,
    DO_RESERVED_IP,
    DO_SPACES_BUCKET,
    DO_VOLUME,
)
from multicloud.policies.controls.hetzner import (
    HCLOUD_FIREWALL,
    HCLOUD_FLOATING_IP,
    HCLOUD_SERVER,
    HCLOUD_VOLUME,
)
from multicloud.policies.controls.stack import DYNAMIC, VPS_HOST, holds_data
from multicloud.policies.controls.vps import MACHINES

# The pack in the order it has always listed its policies (AWS by service, then ingress,
# VPS machines, data protection, DigitalOcean, Cloudflare).
POLICIES: list[Policy] = [
    *aws_rds.POLICIES,
    *aws_elasticache.POLICIES,
    *aws_s3.POLICIES,
    *aws_elb.POLICIES,
    *aws_ecs.POLICIES,
    *aws_cloudfront.POLICIES,
    stack.NO_WORLD_INGRESS,
    hetzner.FIREWALL_ADMIN_ONLY,
    hetzner.FIREWALL_ATTACHED,
    *vps.POLICIES,
    hetzner.DELETE_PROTECTION,
    *stack.DATA_POLICIES,
    *digitalocean.POLICIES,
    *cloudflare.POLICIES,
]

ENVIRONMENT_POLICIES = [
    p.name
    for p in POLICIES
    if p.config_schema is not None and "environment" in (p.config_schema.properties or {})
]
"""Policies that read `environment` from their config."""

__all__ = [
    "BUCKETS",
    "BUCKET_POLICY",
    "CACHE",
    "DISTRIBUTION",
    "DO_APP",
    "DO_DATABASE_CLUSTER",
    "DO_DATABASE_FIREWALL",
    "DO_DROPLET",
    "DO_FIREWALL",
    "DO_LOAD_BALANCER",
    "DO_RESERVED_IP",
    "DO_SPACES_BUCKET",
    "DO_VOLUME",
    "DYNAMIC",
    "ECS_SERVICE",
    "ENCRYPTION_CONFIGS",
    "ENVIRONMENT_POLICIES",
    "HCLOUD_FIREWALL",
    "HCLOUD_FLOATING_IP",
    "HCLOUD_SERVER",
    "HCLOUD_VOLUME",
    "INGRESS_RULE",
    "LISTENERS",
    "LOAD_BALANCERS",
    "MACHINES",
    "POLICIES",
    "PUBLIC_ACCESS_BLOCK",
    "R2_CUSTOM_DOMAIN",
    "R2_MANAGED_DOMAIN",
    "RDS",
    "RDS_PARAMETER_GROUP",
    "SECURITY_GROUP",
    "SECURITY_GROUP_RULE",
    "TASK_DEFINITION",
    "VERSIONING_CONFIGS",
    "VPS_HOST",
    "holds_data",
]
