"""Controls across providers: no inbound rule opens the admin and data ports to the whole
internet (AWS security groups, Hetzner and DigitalOcean firewalls), and data is protected
(prod protects every resource that holds data; none is deleted before its replacement exists).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from multicloud.components._lib import types
from multicloud.components._lib.stateful import is_stateful
from multicloud.policies.controls import aws_security_groups, digitalocean, hetzner
from multicloud.policies.controls._checks import (
    MANDATORY,
    config_names,
    describe,
    environment_schema,
    in_prod,
    names_property,
    props_of,
)
from multicloud.policies.controls._network import InboundRules, guarded, world_sources
from multicloud.policies.controls._values import UNKNOWN, get, plain
from multicloud.policies.controls.hetzner import HCLOUD_SERVER

VPS_HOST = "multicloud:index:VpsHost"
DYNAMIC = types.DYNAMIC_RESOURCE

# --- ingress --------------------------------------------------------------------------------

INBOUND: dict[str, InboundRules] = {
    **aws_security_groups.INBOUND,
    **hetzner.INBOUND,
    **digitalocean.INBOUND,
}
"""Each rule-bearing resource type's inbound rules."""


def validate_no_world_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, INBOUND)
    if props is None:
        return
    for where, ports, sources in INBOUND[args.resource_type](props):
        world = world_sources(sources)
        exposed = guarded(ports)
        if world and exposed:
            prefix = f"{where} " if where else ""
            report_violation(
                f"{prefix}opens {', '.join(exposed)} to the whole internet ({', '.join(world)})", None
            )


NO_WORLD_INGRESS = ResourceValidationPolicy(
    name="no-world-ingress-admin-and-data-ports",
    description=describe(
        "No inbound rule from 0.0.0.0/0 or ::/0 reaches 22 (SSH), 5432 (PostgreSQL) or 6379 (Redis), "
        "including port ranges that contain them and protocol -1/all: AWS SecurityGroupIngressRule, "
        "SecurityGroupRule and inline SecurityGroup ingress, hcloud Firewall rules and DigitalOcean "
        "Firewall inboundRules (portRange 'all', '0' or unset = every port; TCP/UDP, ICMP/GRE/ESP "
        "have no ports). No scanner checks 5432/6379."
    ),
    validate=validate_no_world_ingress,
    enforcement_level=MANDATORY,
)

# --- data: protect, replacement -------------------------------------------------------------


def holds_data(resource_type: str, props: dict[str, Any]) -> bool | None:
    """Whether a resource holds data (the one list: components._lib.stateful); None: cannot
    tell yet (a dynamic resource whose endpoint is unknown during preview)."""
    if resource_type == DYNAMIC:
        endpoint = get(props, "endpoint")
        if endpoint is UNKNOWN:
            return None
        return is_stateful(resource_type, {"endpoint": endpoint})
    return is_stateful(resource_type)


STATELESS_HOSTS_PROPERTY = names_property(
    "VpsHost names that run no postgres/redis: their servers need not be protected"
)


def validate_prod_protect_stateful(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    if not in_prod(args):
        return
    stateless = config_names(args, "stateless_hosts")
    for resource in args.resources:
        if resource.opts.protect or not holds_data(resource.resource_type, plain(resource.props)):
            continue
        parent = resource.parent
        if (
            resource.resource_type == HCLOUD_SERVER
            and parent is not None
            and parent.resource_type == VPS_HOST
            and parent.name in stateless
        ):
            continue
        report_violation(
            f"{resource.name} ({resource.resource_type}) holds data but is not protected: set protect=True in prod",
            resource.urn,
        )


PROD_PROTECT_STATEFUL = StackValidationPolicy(
    name="prod-protect-stateful",
    description=(
        "Prod: every resource holding data (components/_lib/stateful.py) has the protect option: "
        "RDS instances, ElastiCache groups, S3 and R2 buckets, Hetzner volumes, floating IPs and "
        "servers, DigitalOcean database clusters, their databases and users, volumes, Spaces buckets "
        "and reserved IPs, generated passwords, and Hetzner Object Storage buckets (dynamic "
        "resources with a your-objectstorage.com endpoint). A server whose "
        "VpsHost is listed in stateless_hosts (runs no postgres/redis) is exempt. "
        "A dynamic resource whose endpoint is unknown during preview is skipped."
    ),
    validate=validate_prod_protect_stateful,
    enforcement_level=MANDATORY,
    config_schema=environment_schema(stateless_hosts=STATELESS_HOSTS_PROPERTY),
)


def validate_no_delete_before_replace(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not args.opts.delete_before_replace:
        return
    if holds_data(args.resource_type, plain(args.props)):
        report_violation(
            "deleteBeforeReplace on a data store deletes the data before its replacement exists; remove it",
            None,
        )


NO_DELETE_BEFORE_REPLACE = ResourceValidationPolicy(
    name="no-delete-before-replace-on-data-stores",
    description=(
        "No resource holding data sets deleteBeforeReplace: it deletes the data before the "
        "replacement exists."
    ),
    validate=validate_no_delete_before_replace,
    enforcement_level=MANDATORY,
)

DATA_POLICIES = [PROD_PROTECT_STATEFUL, NO_DELETE_BEFORE_REPLACE]
