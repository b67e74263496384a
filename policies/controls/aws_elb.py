"""AWS load balancers: HTTP listeners only redirect to HTTPS, HTTPS listeners use a modern TLS
policy, application load balancers drop invalid headers, and in prod are protected from
deletion."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from multicloud.components._lib import types
from multicloud.policies.controls._checks import MANDATORY, describe, is_true, property_check, props_of
from multicloud.policies.controls._values import MISSING, UNKNOWN, get, items, show

LOAD_BALANCERS = (types.AWS_LB_LOAD_BALANCER, types.AWS_ALB_LOAD_BALANCER)
LISTENERS = (types.AWS_LB_LISTENER, types.AWS_ALB_LISTENER)

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_MODERN_TLS = re.compile(r"ELBSecurityPolicy-TLS13-1-[23]-(?!.*Ext).+")


def _listener_protocol(props: dict[str, Any]) -> Any:
    protocol = get(props, "protocol")
    if protocol is MISSING:
        return "HTTP"  # an application load balancer's listener defaults to HTTP
    return protocol if protocol is UNKNOWN else str(protocol).upper()


def validate_alb_https_redirect(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, LISTENERS)
    if props is None or _listener_protocol(props) != "HTTP":
        return
    for index, action in enumerate(items(get(props, "defaultActions"))):
        kind = get(action, "type")
        if kind is UNKNOWN:
            continue
        if kind != "redirect":
            report_violation(
                f"defaultActions[{index}] is {show(kind)}; an HTTP listener may only redirect to HTTPS", None
            )
            continue
        target = get(action, "redirect", "protocol")
        if target is not UNKNOWN and target != "HTTPS":
            report_violation(
                f"defaultActions[{index}] redirects to {'the same protocol' if target is MISSING else target}; "
                "it must redirect to HTTPS",
                None,
            )


HTTPS_REDIRECT = ResourceValidationPolicy(
    name="ckv-aws-2-alb-https-redirect",
    description=describe(
        "HTTP load-balancer listeners only redirect to HTTPS (every default action is a redirect "
        "with protocol HTTPS); an unset protocol is HTTP."
    ),
    validate=validate_alb_https_redirect,
    enforcement_level=MANDATORY,
)


TLS_POLICY_CHECK = property_check(
    "ckv-aws-103-alb-tls-policy",
    describe(
        f"HTTPS/TLS listeners use {TLS_POLICY} or another ELBSecurityPolicy-TLS13-1-2/1-3 policy "
        "(not the -Ext variants, which Trivy AWS-0047 also rejects).",
        "no policy",
    ),
    LISTENERS,
    "sslPolicy",
    lambda policy: policy is not MISSING and _MODERN_TLS.fullmatch(str(policy)) is not None,
    lambda policy: (
        f"sslPolicy {policy} allows outdated TLS; use {TLS_POLICY} "
        "(or another ELBSecurityPolicy-TLS13-1-2/1-3 policy without -Ext)"
    ),
    unset_message=f"sslPolicy is not set; use {TLS_POLICY}",
    applies=lambda props: _listener_protocol(props) in ("HTTPS", "TLS"),
)


def _application(props: dict[str, Any]) -> bool:
    kind = get(props, "loadBalancerType")
    return kind is MISSING or kind == "application"


DROP_INVALID_HEADERS = property_check(
    "ckv-aws-131-alb-drop-invalid-headers",
    describe("Application load balancers set dropInvalidHeaderFields=true.", "false"),
    LOAD_BALANCERS,
    "dropInvalidHeaderFields",
    is_true,
    "dropInvalidHeaderFields must be true: headers with invalid names reach the targets otherwise",
    applies=_application,
)

DELETION_PROTECTION = property_check(
    "ckv-aws-150-alb-deletion-protection",
    describe("Prod: load balancers set enableDeletionProtection=true.", "false"),
    LOAD_BALANCERS,
    "enableDeletionProtection",
    is_true,
    "enableDeletionProtection must be true in prod",
    prod_only=True,
)

POLICIES = [HTTPS_REDIRECT, TLS_POLICY_CHECK, DROP_INVALID_HEADERS, DELETION_PROTECTION]
