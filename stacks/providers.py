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
    def digitalocean(self) -> pulumi.ProviderResource:
        """The DigitalOcean provider. Spaces buckets need the Spaces key pair as well as the token."""
        import pulumi_digitalocean as digitalocean

        config = pulumi.Config("digitalocean")
        return digitalocean.Provider(
            "digitalocean",
            token=config.get_secret("token"),
            spaces_access_id=config.get_secret("spacesAccessId"),
            spaces_secret_key=config.get_secret("spacesSecretKey"),
        )

    @cached_property
    def cloudflare(self) -> pulumi.ProviderResource:
        """The Cloudflare provider."""
        import pulumi_cloudflare as cloudflare

        return cloudflare.Provider("cloudflare", api_token=pulumi.Config("cloudflare").get_secret("apiToken"))

    @cached_property
    def aws(self) -> pulumi.ProviderResource:
        """The AWS provider in the stack's region (credentials from the usual AWS chain)."""
        import pulumi_aws as aws

        assert self.spec.aws is not None  # checked: AWS targets need aws.region
        return aws.Provider(
            "aws",
            region=self.spec.aws.region,
            profile=pulumi.Config("aws").get("profile"),
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={"managed-by": "pulumi", "project": pulumi.get_project()}
            ),
        )

    @cached_property
    def aws_us_east_1(self) -> pulumi.ProviderResource:
        """AWS in us-east-1, where CloudFront certificates must live (the main one if it is there)."""
        import pulumi_aws as aws

        assert self.spec.aws is not None
        if self.spec.aws.region == "us-east-1":
            return self.aws
        return aws.Provider("aws-us-east-1", region="us-east-1", profile=pulumi.Config("aws").get("profile"))

    def for_target(self, target: str) -> list[pulumi.ProviderResource]:
        """Providers a component on `target` needs (its own, plus DNS when that differs)."""
        providers = []
        dns = self.spec.dns.provider if self.spec.dns is not None else None
        if target == "hetzner":
            providers.append(self.hcloud)
        if target == "digitalocean" or dns == "digitalocean":
            providers.append(self.digitalocean)
        if target == "aws" or dns == "route53":
            providers.append(self.aws)
        if target == "cloudflare" or dns == "cloudflare":
            providers.append(self.cloudflare)
        return providers
