"""StaticFrontend: a static site built from a git repository and served at a custom domain.

Usage::

    web = StaticFrontend("web", StaticFrontendArgs(target="cloudflare", repo="acme/web",
                         build_command="npm run build", output_dir="out", fqdn="www.example.com", ...))

Backends: `cloudflare` (Pages, connected to the GitHub repository: every push to the
production branch deploys, pull requests get previews), `aws` (a private S3 bucket behind
CloudFront with origin access control; CI uploads the build, see `deploy_hint`),
`digitalocean` (an App Platform static site, git-connected like Pages).

Cost: Cloudflare Pages is free for static assets (500 builds a month on the free plan).
CloudFront's pay-as-you-go always-free tier covers 1 TB and 10 M requests a month; the S3
bucket costs $0.023/GB-month. App Platform hosts three static-only apps per account for free,
then $3/month each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from multicloud.components._lib.backends import unsupported
from multicloud.components.dns import DnsArgs


@dataclass(frozen=True)
class StaticFrontendArgs:
    """Inputs of a StaticFrontend."""

    target: str
    repo: str
    """`owner/name` on GitHub."""
    fqdn: str
    """Custom domain the site is served at."""
    dns: DnsArgs
    project_name: str
    """Provider project name (unique per account)."""
    branch: str = "main"
    build_command: str = ""
    output_dir: str = "dist"
    root_dir: str = ""
    account_id: str | None = None
    spa: bool = False
    """Serve index.html for unknown paths (Pages does this by itself when there is no 404.html)."""
    region: str | None = None
    """DigitalOcean: the App Platform region (the stack's region)."""
    certificate_provider: pulumi.ProviderResource | None = None
    """AWS: a provider in us-east-1, the only region CloudFront takes certificates from."""
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StaticFrontendOutputs:
    """The contract every backend returns."""

    url: pulumi.Output[str]
    default_url: pulumi.Output[str]
    resources: dict[str, pulumi.Resource]
    deploy_hint: pulumi.Output[str] | None = None
    """How built files get there when the provider does not build from git itself."""


class StaticFrontendBackend(Protocol):
    """What `components/static_frontend/<provider>.py` provides."""

    def build(self, parent: StaticFrontend, name: str, args: StaticFrontendArgs) -> StaticFrontendOutputs: ...


def backend_for(target: str) -> StaticFrontendBackend:
    """The static_site backend for `target`, checked by mypy against StaticFrontendBackend; its provider
    SDK is imported only now. The targets are the capability matrix's (components.capabilities)."""
    if target == "aws":
        from multicloud.components.static_frontend import aws

        return aws
    if target == "cloudflare":
        from multicloud.components.static_frontend import cloudflare

        return cloudflare
    if target == "digitalocean":
        from multicloud.components.static_frontend import digitalocean

        return digitalocean
    raise unsupported("static_site", target)


class StaticFrontend(pulumi.ComponentResource):
    """A static site with HTTPS at its custom domain."""

    url: pulumi.Output[str]
    """https://<fqdn>"""
    default_url: pulumi.Output[str]
    """The provider's own address (e.g. https://<project>.pages.dev)."""

    def __init__(self, name: str, args: StaticFrontendArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:StaticFrontend", name, None, opts)
        if "/" not in args.repo:
            raise ValueError(f"{name}: repo must be owner/name")
        backend = backend_for(args.target)
        out = backend.build(self, name, args)
        self.url, self.default_url, self.resources = out.url, out.default_url, out.resources
        self.deploy_hint = out.deploy_hint
        self.register_outputs(
            {"url": self.url, "default_url": self.default_url, "deploy_hint": self.deploy_hint}
        )
