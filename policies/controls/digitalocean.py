"""DigitalOcean: databases not trusted to the whole internet, Spaces buckets private, droplets
firewalled from their first boot, load balancers HTTPS only, and App Platform credentials
encrypted (type SECRET).

The checks droplets share with Hetzner servers are in vps.py; the firewall's inbound rules
also feed the cross-provider ingress control (stack.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from multicloud.components._lib import types
from multicloud.components.connection import SECRET_VARS
from multicloud.policies.controls._checks import MANDATORY, describe, property_check, props_of
from multicloud.policies.controls._network import (
    ALL_PORTS,
    Inbound,
    InboundRules,
    is_world,
    protocol_name,
    world_sources,
)
from multicloud.policies.controls._values import MISSING, UNKNOWN, get, items, plain, show

DO_FIREWALL = types.DO_FIREWALL
DO_DATABASE_FIREWALL = types.DO_DATABASE_FIREWALL
DO_DATABASE_CLUSTER = types.DO_DATABASE_CLUSTER
DO_VOLUME = types.DO_VOLUME
DO_SPACES_BUCKET = types.DO_SPACES_BUCKET
DO_RESERVED_IP = types.DO_RESERVED_IP
DO_DROPLET = types.DO_DROPLET
DO_LOAD_BALANCER = types.DO_LOAD_BALANCER
DO_APP = types.DO_APP


def do_port_range(protocol: Any, port: Any) -> Any:
    """A DigitalOcean firewall rule's portRange ("22", "8000-9000", "1-65535", "all", or "0"
    for every port, as the API reports it) as (low, high); None for protocols without ports
    (ICMP); UNKNOWN when the protocol or the range is unknown. An unset range on TCP/UDP is
    read as every port."""
    if UNKNOWN in (protocol, port):
        return UNKNOWN
    if protocol_name(protocol) not in ("tcp", "udp"):
        return None
    text = "" if port is MISSING else show(port).strip().lower()
    if text in ("", "all", "any", "0"):
        return ALL_PORTS
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        return ALL_PORTS


def _firewall(props: dict[str, Any]) -> Iterable[Inbound]:
    for index, rule in enumerate(items(get(props, "inboundRules"))):
        ports = do_port_range(get(rule, "protocol"), get(rule, "portRange"))
        yield f"inboundRules[{index}]", ports, items(get(rule, "sourceAddresses"))


INBOUND: dict[str, InboundRules] = {DO_FIREWALL: _firewall}


def validate_do_database_firewall_not_world(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = props_of(args, DO_DATABASE_FIREWALL)
    if props is None:
        return
    for index, rule in enumerate(items(get(props, "rules"))):
        kind, value = get(rule, "type"), get(rule, "value")
        if UNKNOWN in (rule, kind, value):
            continue
        if kind == "ip_addr" and is_world(value):
            report_violation(
                f"rules[{index}] trusts ip_addr {value}: every address on the internet may connect to the "
                "database; trust the droplets' tag (type tag) or their addresses instead",
                None,
            )
    addresses = [get(rule, "value") for rule in items(get(props, "rules")) if get(rule, "type") == "ip_addr"]
    together = world_sources(addresses)
    if together and not any(is_world(a) for a in together):
        report_violation(
            f"rules trust ip_addr {', '.join(together)}: together every address on the internet may "
            "connect to the database; trust the droplets' tag (type tag) or their addresses instead",
            None,
        )


DATABASE_FIREWALL_NOT_WORLD = ResourceValidationPolicy(
    name="do-database-firewall-not-world",
    description=describe(
        "DigitalOcean database firewalls (trusted sources) have no ip_addr rule for 0.0.0.0/0 or ::/0 "
        "(any zero-length prefix): managed PostgreSQL and Valkey are reachable only from what is trusted."
    ),
    validate=validate_do_database_firewall_not_world,
    enforcement_level=MANDATORY,
)

SPACES_PRIVATE = property_check(
    "ckv-dio-3-spaces-bucket-private",
    describe(
        "DigitalOcean Spaces buckets are private: acl is private (unset = private, the provider default); "
        "public-read lets anyone list and read the objects."
    ),
    DO_SPACES_BUCKET,
    "acl",
    lambda acl: acl is MISSING or acl == "private",  # unset: the provider's default, private
    lambda acl: (
        f"acl is {show(acl)}: anyone may list or read the bucket; set acl=private and hand out "
        "scoped Spaces keys (or presigned URLs) instead"
    ),
)


def validate_do_droplet_firewalled(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every droplet carries a tag some firewall of the stack selects, so the firewall applies
    from its first boot (a firewall by droplet ID could only follow the droplet's creation)."""
    selected: set[str] = set()
    for firewall in args.resources:
        if firewall.resource_type != DO_FIREWALL:
            continue
        tags = get(plain(firewall.props), "tags")
        if tags is UNKNOWN or UNKNOWN in items(tags):
            return  # preview: cannot tell yet
        selected |= {str(t) for t in items(tags)}
    for droplet in args.resources:
        if droplet.resource_type != DO_DROPLET:
            continue
        tags = get(plain(droplet.props), "tags")
        if tags is UNKNOWN or UNKNOWN in items(tags):
            continue
        if not selected & {str(t) for t in items(tags)}:
            report_violation(
                f"{droplet.name}: no firewall of this stack selects any of its tags, so it boots "
                "unprotected; give it a tag a firewall names in `tags`",
                droplet.urn,
            )


DROPLET_FIREWALLED = StackValidationPolicy(
    name="do-droplet-firewall-at-creation",
    description=describe(
        "Every DigitalOcean droplet carries a tag that a firewall of the stack selects, so the "
        "firewall applies from its first boot (the counterpart of hcloud-server-firewall-attached)."
    ),
    validate=validate_do_droplet_firewalled,
    enforcement_level=MANDATORY,
)


def validate_do_load_balancer_https(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, DO_LOAD_BALANCER)
    if props is None:
        return
    rules = items(get(props, "forwardingRules"))
    if get(props, "redirectHttpToHttps") not in (True, UNKNOWN):
        report_violation(
            "redirectHttpToHttps is not true: plain HTTP requests are served instead of redirected; set it",
            None,
        )
    protocols = [get(r, "entryProtocol") for r in rules]
    known = get(props, "forwardingRules") is not UNKNOWN and UNKNOWN not in protocols
    if known and "https" not in protocols:
        report_violation(
            "no forwarding rule accepts HTTPS on the load balancer; add one with a certificate", None
        )
    for index, rule in enumerate(rules):
        if UNKNOWN in (rule, get(rule, "entryProtocol")):
            continue
        uncertified = get(rule, "certificateName") is MISSING and get(rule, "certificateId") is MISSING
        passthrough = get(rule, "tlsPassthrough") is True
        if get(rule, "entryProtocol") == "https" and not passthrough and uncertified:
            report_violation(f"forwardingRules[{index}] takes HTTPS without a certificate", None)
    policy = get(props, "tlsCipherPolicy")
    if policy not in (UNKNOWN, "STRONG"):
        report_violation(
            f"tlsCipherPolicy is {show(policy)}: the DEFAULT policy still offers legacy ciphers; set STRONG",
            None,
        )


LOAD_BALANCER_HTTPS = ResourceValidationPolicy(
    name="do-load-balancer-https-only",
    description=describe(
        "DigitalOcean load balancers take HTTPS with a certificate, redirect HTTP to HTTPS and use the "
        "STRONG TLS cipher policy (the counterpart of CKV_AWS_2/CKV_AWS_103 for the ALB)."
    ),
    validate=validate_do_load_balancer_https,
    enforcement_level=MANDATORY,
)


def validate_do_app_secrets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, DO_APP)
    if props is None:
        return
    spec = get(props, "spec")
    if spec in (UNKNOWN, MISSING):
        return
    for kind in ("services", "workers", "jobs"):
        for i, component in enumerate(items(get(spec, kind))):
            for j, env in enumerate(items(get(component, "envs"))):
                key, kind_of = get(env, "key"), get(env, "type")
                if key in SECRET_VARS and kind_of not in (UNKNOWN, "SECRET"):
                    report_violation(
                        f"spec.{kind}[{i}].envs[{j}] {key} is type {show(kind_of)}: it carries a credential "
                        "that App Platform then shows in its console and build logs; set type SECRET",
                        None,
                    )


APP_SECRETS = ResourceValidationPolicy(
    name="do-app-platform-secrets-encrypted",
    description=describe(
        "App Platform variables that carry credentials (DATABASE_URL, PGPASSWORD, REDIS_URL, S3 keys) "
        "are type SECRET: encrypted, and hidden in the console and logs."
    ),
    validate=validate_do_app_secrets,
    enforcement_level=MANDATORY,
)

POLICIES = [
    DATABASE_FIREWALL_NOT_WORLD,
    SPACES_PRIVATE,
    DROPLET_FIREWALLED,
    LOAD_BALANCER_HTTPS,
    APP_SECRETS,
]
