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
from typing import Any

import pulumi

from multicloud.stacks.spec import StackSpec

# Route 53's API endpoint region (https://docs.aws.amazon.com/general/latest/gr/r53.html).
ROUTE53_REGION = "us-east-1"


def _aws_tags(aws: Any) -> Any:
    """Tags every AWS resource of the stack carries, whichever provider creates it."""
    return aws.ProviderDefaultTagsArgs(tags={"managed-by": "pulumi", "project": pulumi.get_project()})


class Providers:
    """Lazily created providers, one per cloud."""

    def __init__(
        self, spec: StackSpec, parent: pulumi.Resource | None = None, transforms: list[Any] | None = None
    ):
        self.spec = spec
        self.parent = parent
        self.transforms = transforms

    @property
    def _opts(self) -> pulumi.ResourceOptions | None:
        if self.parent is None and self.transforms is None:
            return None
        return pulumi.ResourceOptions(parent=self.parent, transforms=self.transforms)

    @cached_property
    def hcloud(self) -> pulumi.ProviderResource:
        """The Hetzner Cloud provider."""
        import pulumi_hcloud as hcloud

        return hcloud.Provider("hcloud", token=pulumi.Config("hcloud").get_secret("token"), opts=self._opts)

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
            opts=self._opts,
        )

    @cached_property
    def cloudflare(self) -> pulumi.ProviderResource:
        """The Cloudflare provider."""
        import pulumi_cloudflare as cloudflare

        return cloudflare.Provider(
            "cloudflare", api_token=pulumi.Config("cloudflare").get_secret("apiToken"), opts=self._opts
        )

    @cached_property
    def aws(self) -> pulumi.ProviderResource:
        """The AWS provider in the stack's region (credentials from the usual AWS chain).

        A stack whose only AWS use is Route 53 DNS names no region: Route 53 is a global
        service whose API is served from us-east-1, so the provider is pinned there."""
        import pulumi_aws as aws

        region = self.spec.aws.region if self.spec.aws is not None else ROUTE53_REGION
        return aws.Provider(
            "aws",
            region=region,
            profile=pulumi.Config("aws").get("profile"),
            default_tags=_aws_tags(aws),
            opts=self._opts,
        )

    @cached_property
    def aws_us_east_1(self) -> pulumi.ProviderResource:
        """AWS in us-east-1, where CloudFront certificates must live (the main one if it is there).
        It tags what it creates like the main provider does."""
        import pulumi_aws as aws

        if self.spec.aws is None or self.spec.aws.region == "us-east-1":
            return self.aws
        return aws.Provider(
            "aws-us-east-1",
            region="us-east-1",
            profile=pulumi.Config("aws").get("profile"),
            default_tags=_aws_tags(aws),
            opts=self._opts,
        )

    @cached_property
    def checkly(self) -> pulumi.ProviderResource:
        """Checkly, which watches the apis on Hetzner hosts (components.alerts.checkly):
        `checkly:apiKey` (secret) and `checkly:accountId`, else CHECKLY_API_KEY/CHECKLY_ACCOUNT_ID."""
        import pulumi_checkly as checkly

        config = pulumi.Config("checkly")
        return checkly.Provider(
            "checkly",
            api_key=config.get_secret("apiKey"),
            account_id=config.get("accountId"),
            opts=self._opts,
        )

    def for_alerts(self) -> list[pulumi.ProviderResource]:
        """Providers the alerts need: each target's own uptime service for its public apis."""
        targets = {self.spec.services[name].target for name in self.spec.public_apis()}
        providers = []
        if "aws" in targets:
            providers.append(self.aws)
        if "digitalocean" in targets:
            providers.append(self.digitalocean)
        if "hetzner" in targets:
            providers.append(self.checkly)
        return providers

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
