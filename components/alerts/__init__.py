"""Alerts: an outside uptime check with a certificate-expiry warning on every public api, and
one route to the people who answer them.

Usage::

    Alerts("alerts", AlertsArgs(emails=["ops@example.com"],
                                endpoints=[Endpoint("api", "hetzner", "api.example.com", "/health")]))

Each api is watched by the service of the provider it runs on, where the provider has one,
and by Checkly where it has not (components.capabilities.BACKENDS["uptime"]):

- `aws` — a Route 53 HTTPS health check on the api's name, a CloudWatch alarm on its status
  (in us-east-1, where Route 53 publishes the metric) and one on the ACM certificate's days to
  expiry, both to an SNS topic with an e-mail subscription per address. AWS mails each
  address a confirmation link first; until it is followed nothing arrives.
- `digitalocean` — a DigitalOcean Uptime check of the URL with a `down_global` and an
  `ssl_expiry` alert, mailed to members of the DigitalOcean team (`digitalocean_emails`, by
  default the account's own address: its API refuses any other) and posted to Slack.
- `hetzner` — a Checkly URL monitor, subscribed to one Checkly alert channel per address
  (and Slack) that also warns before the certificate expires. Hetzner Cloud has no uptime
  service; Checkly was chosen over Grafana Cloud synthetic monitoring and Better Stack for a
  typed Pulumi provider (pulumi-checkly) whose alert channels are e-mail addresses as code
  and whose free Hobby plan covers a small stack.

Host backups report to Healthchecks.io instead (components.alerts.healthchecks, wired by the
Postgres backend), because a dead-man's switch needs a service that waits for pings.

Cost: per api, AWS $1.50/month for the HTTPS health check of an AWS endpoint plus $0.10 per
alarm (two); DigitalOcean $1/month per check; Checkly $0.40/month per monitor (two) at its
add-on rate, which the free Hobby plan may cover. Healthchecks.io's Hobbyist plan (20 checks)
is free.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from multicloud.components._lib.backends import unsupported


@dataclass(frozen=True)
class Endpoint:
    """A public api to watch."""

    name: str
    """The api's service name; checks are named after it."""
    target: str
    """Where it runs (aws, digitalocean, hetzner): picks the uptime backend."""
    fqdn: str
    health_path: str = "/health"
    certificate_arn: pulumi.Input[str] | None = None
    """AWS: the ACM certificate the load balancer serves (its days to expiry are watched)."""

    @property
    def url(self) -> str:
        return f"https://{self.fqdn}{self.health_path}"


@dataclass(frozen=True)
class AlertsArgs:
    """Inputs of Alerts."""

    emails: list[str]
    digitalocean_emails: list[str] | None = None
    """Where DigitalOcean Uptime alerts go: members of the DigitalOcean team only (its API
    refuses other addresses at `up`); None: the account's own address."""
    prefix: str = "multicloud"
    """Starts the display names of checks and channels (project and stack), so two stacks in
    one account tell theirs apart."""
    endpoints: list[Endpoint] = field(default_factory=list)
    slack_channel: str | None = None
    """Also post to this Slack channel (DigitalOcean and Checkly; SNS cannot)."""
    slack_webhook: pulumi.Input[str] | None = None
    """The channel's incoming webhook URL, a secret."""
    tls_warning_days: int = 14
    """Warn this many days before a certificate expires (1-30)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Labels for what the providers label (AWS tags, Checkly tags)."""
    aws_region: str | None = None
    """The stack's AWS region (where the load balancers' certificates are)."""
    aws_us_east_1: pulumi.ProviderResource | None = None
    """AWS in us-east-1: Route 53 health-check metrics exist only there, so the status alarm
    and its topic live there (the stack's AWS provider when it is already there)."""


class UptimeBackend(Protocol):
    """One provider's uptime checks: `build` creates the alert route once and a check (with
    its alerts) per endpoint, children of `parent`; it returns them by name."""

    def build(
        self, parent: Alerts, args: AlertsArgs, endpoints: list[Endpoint]
    ) -> dict[str, pulumi.Resource]: ...


def backend_for(target: str) -> UptimeBackend:
    """The uptime backend for apis on `target`."""
    if target == "aws":
        from multicloud.components.alerts import aws

        return aws
    if target == "digitalocean":
        from multicloud.components.alerts import digitalocean

        return digitalocean
    if target == "hetzner":
        from multicloud.components.alerts import checkly

        return checkly
    raise unsupported("uptime", target)


def address_key(address: str) -> str:
    """A short stable name part for an e-mail address: adding or removing one address never
    renames the subscriptions of the others (a list index would)."""
    return hashlib.sha256(address.lower().encode()).hexdigest()[:8]


class Alerts(pulumi.ComponentResource):
    """Uptime checks on public endpoints and the route their alerts take."""

    checks: list[str]
    """The names of the endpoints watched."""

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:Alerts", name, None, opts)
        if not args.emails:
            raise ValueError(f"{name}: alerts need at least one e-mail address")
        if not 1 <= args.tls_warning_days <= 30:
            raise ValueError(f"{name}: tls_warning_days must be 1-30")
        if (args.slack_channel is None) != (args.slack_webhook is None):
            raise ValueError(f"{name}: slack_channel and slack_webhook go together")
        names = [e.name for e in args.endpoints]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: endpoint names must be unique")
        self.resources: dict[str, pulumi.Resource] = {}
        for target in sorted({e.target for e in args.endpoints}):
            endpoints = [e for e in args.endpoints if e.target == target]
            self.resources |= backend_for(target).build(self, args, endpoints)
        self.checks = names
        self.register_outputs({"checks": self.checks})
