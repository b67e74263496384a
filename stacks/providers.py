"""Explicit, named provider instances for a stack.

Components never construct providers (they inherit them through `providers=`). Named
providers exist from the first deploy on, because switching a resource from the default
provider to an explicit one later replaces it. Each SDK is imported only when the spec uses
its provider, so a Hetzner + Cloudflare stack never loads `pulumi_digitalocean`.

Explicit providers do not read `hcloud:token`-style stack config by themselves, so the
token is read here and passed in (falling back to the provider's environment variable,
HCLOUD_TOKEN / CLOUDFLARE_API_TOKEN, when the config is unset).
"""

from __future__ import annotations

from functools import cached_property

import pulumi

from stacks.spec import StackSpec


class Providers:
    """Lazily created providers, one per cloud."""

    def __init__(self, spec: StackSpec):
        self.spec = spec

    @cached_property
    def hcloud(self) -> pulumi.ProviderResource:
        """The Hetzner Cloud provider."""
        import pulumi_hcloud as hcloud

        return hcloud.Provider("hcloud", token=pulumi.Config("hcloud").get_secret("token"))

    @cached_property
    def cloudflare(self) -> pulumi.ProviderResource:
        """The Cloudflare provider."""
        import pulumi_cloudflare as cloudflare

        return cloudflare.Provider("cloudflare", api_token=pulumi.Config("cloudflare").get_secret("apiToken"))

    def for_target(self, target: str) -> list[pulumi.ProviderResource]:
        """Providers a component on `target` needs (its own, plus DNS when that differs)."""
        providers = []
        if target == "hetzner":
            providers.append(self.hcloud)
        if target == "cloudflare" or (self.spec.dns is not None and self.spec.dns.provider == "cloudflare"):
            providers.append(self.cloudflare)
        return providers
