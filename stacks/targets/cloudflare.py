"""Cloudflare: what a stack on it must satisfy.

R2 buckets have no object versioning and take a location hint from Cloudflare's published
list (components.contracts.cloudflare); anything on Cloudflare needs the account, and a
Pages site needs the zone in Cloudflare DNS (Pages attaches a custom domain only there).
"""

from __future__ import annotations

from typing import Any

from multicloud.components.contracts import cloudflare
from multicloud.stacks.spec import BucketSpec, Problem, StackSpec, StaticSiteSpec
from multicloud.stacks.targets._raw import services_on as _here

# The account a comparison prices with when the stack has none (never deployed).
PLACEHOLDER_ACCOUNT = "0" * 32


def check(spec: StackSpec) -> list[Problem]:
    problems: list[Problem] = []
    for name, svc in spec.services.items():
        if not isinstance(svc, BucketSpec) or svc.target != "cloudflare":
            continue
        if svc.versioning:
            problems.append(
                (
                    f"services.{name}.versioning",
                    "R2 has no object versioning; remove it or use target hetzner",
                )
            )
        if svc.location is not None and svc.location not in cloudflare.R2_LOCATIONS:
            problems.append(
                (
                    f"services.{name}.location",
                    f"unknown cloudflare bucket location; allowed: {', '.join(cloudflare.R2_LOCATIONS)}",
                )
            )
    return problems + _account(spec)


def _account(spec: StackSpec) -> list[Problem]:
    problems = []
    for name, svc in spec.services.items():
        if svc.target == "cloudflare" and spec.cloudflare is None:
            problems.append(
                (
                    "cloudflare",
                    f"services.{name} runs on Cloudflare; set cloudflare: {{account_id: <32 hex>}}",
                )
            )
            break
    publishes = [
        n for n, s in spec.services.items() if isinstance(s, StaticSiteSpec) and s.target == "cloudflare"
    ]
    if publishes and (spec.dns is None or spec.dns.provider != "cloudflare"):
        problems.append(
            (
                "dns",
                f"services.{publishes[0]} on Cloudflare Pages needs dns: {{provider: cloudflare, zone_id: ...}}",
            )
        )
    return problems


# --- moving a stack here (infra cost --compare) ----------------------------------------


def moved_here(config: dict[str, Any], notes: list[str]) -> None:
    """Adjust a raw config whose components `--compare` just moved onto Cloudflare:
    an account (a placeholder), and R2's default location without versioning."""
    if "cloudflare" not in config:
        config["cloudflare"] = {"account_id": PLACEHOLDER_ACCOUNT}
        notes.append("placeholder account_id added for the comparison")
    for name, svc in _here(config, "cloudflare"):
        if svc.get("kind") == "bucket":
            svc.pop("location", None)
            if svc.pop("versioning", None):
                notes.append(f"{name}: versioning dropped (R2 has none)")
