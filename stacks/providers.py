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
    """Lazily created providers, one per provider (and per Object Storage location)."""

    def __init__(self, spec: StackSpec):
        self.spec = spec
        self._hetzner_s3: dict[str, pulumi.ProviderResource] = {}

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

    def hetzner_s3(
        self, location: str, access_key: pulumi.Input[str], secret_key: pulumi.Input[str]
    ) -> pulumi.ProviderResource:
        """An AWS provider that speaks to Hetzner Object Storage in `location`."""
        if location not in self._hetzner_s3:
            import pulumi_aws as aws

            from components.object_store.hetzner import endpoint

            self._hetzner_s3[location] = aws.Provider(
                f"hetzner-s3-{location}",
                region=location,
                access_key=access_key,
                secret_key=secret_key,
                endpoints=[aws.ProviderEndpointArgs(s3=endpoint(location))],
                # Not AWS: there is no STS, no account ID and no AWS region list to check.
                skip_credentials_validation=True,
                skip_metadata_api_check=True,
                skip_region_validation=True,
                skip_requesting_account_id=True,
                s3_use_path_style=True,
            )
        return self._hetzner_s3[location]

    def for_target(self, target: str) -> list[pulumi.ProviderResource]:
        """Providers a component on `target` needs (its own, plus DNS when that differs)."""
        providers = []
        if target == "hetzner":
            providers.append(self.hcloud)
        if target == "cloudflare" or (self.spec.dns is not None and self.spec.dns.provider == "cloudflare"):
            providers.append(self.cloudflare)
        return providers
