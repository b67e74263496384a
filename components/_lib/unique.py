"""Globally unique physical names (bucket names are global per provider, across customers)."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from multicloud.components._lib.naming import physical_name


def unique_name(
    parent: pulumi.Resource, name: str, base: str, max_len: int = 63
) -> tuple[pulumi.Output[str], random.RandomString]:
    """`<base>-<6 random characters>`, fixed once created (a child `<name>-suffix`)."""
    suffix = random.RandomString(
        f"{name}-suffix", length=6, special=False, upper=False, opts=pulumi.ResourceOptions(parent=parent)
    )
    stem = physical_name(base, max_len=max_len - 7)
    return suffix.result.apply(lambda s: f"{stem}-{s}"), suffix
