"""Cloudflare prices (USD): R2 by stored GB beyond the account's free tier (no egress fees);
Pages static sites, free. DNS records, Pages domains, tokens and lifecycle rules are free."""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.costs.pricers.base import Catalog, Context, Line, Pricers, Resource, line

CLOUDFLARE = Catalog("cloudflare")
PRICERS = Pricers()
FREE = frozenset(
    {
        types.CLOUDFLARE_DNS_RECORD,
        types.CLOUDFLARE_PAGES_DOMAIN,
        types.CLOUDFLARE_API_TOKEN,
        types.CLOUDFLARE_R2_BUCKET_LIFECYCLE,
    }
)


@PRICERS.register(types.CLOUDFLARE_R2_BUCKET)
def _r2(res: Resource, ctx: Context) -> list[Line]:
    r2 = CLOUDFLARE.entry("r2_standard")
    stored = ctx.usage.storage_gb
    # The 10 GB free tier is per account: it is taken off the first bucket only.
    free = r2["free"]["gb_month"] if ctx.first_time("r2-free-tier") else 0
    name = f"R2 storage ({stored:g} GB, {free:g} GB free)"
    return [line(res, name, max(0.0, stored - free), "GB-month", r2, "gb_month", usage_based=True)]


@PRICERS.register(types.CLOUDFLARE_PAGES_PROJECT)
def _pages(res: Resource, ctx: Context) -> list[Line]:
    pages = CLOUDFLARE.entry("pages_static")
    return [line(res, "Pages static site", 1, "month", pages, note=pages["note"])]
