"""Uptime of an api on DigitalOcean (droplets or App Platform): a DigitalOcean Uptime check.

Per endpoint:
- `<api>-uptime`: an HTTPS check of the health URL from every region DigitalOcean checks
  from (us_east, us_west, eu_west, se_asia); a check costs the same from one region or four.
- `<api>-down`: a `down_global` alert — every region failed for two minutes — so one region's
  bad route does not wake anyone.
- `<api>-certificate-expiry`: an `ssl_expiry` alert when the certificate has fewer than
  `tls_warning_days` days left.

Both alerts post to Slack when configured, and mail `digitalocean_emails` — or, without
them, the account's own address (the `getAccount` lookup): DigitalOcean's API refuses an
address that is not a member of the team owning the check (digitalocean/openapi#830, and the
provider's acceptance test mails `data.digitalocean_account`'s address), so the stack's
`alerts.emails` cannot be used here as they are (docs/alerts.md).
"""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as do

from multicloud.components.alerts import Alerts, AlertsArgs, Endpoint

REGIONS = ["us_east", "us_west", "eu_west", "se_asia"]
DOWN_PERIOD = "2m"


def build(parent: Alerts, args: AlertsArgs, endpoints: list[Endpoint]) -> dict[str, pulumi.Resource]:
    """A check and its two alerts per endpoint."""
    opts = pulumi.ResourceOptions(parent=parent)
    slacks = (
        [do.UptimeAlertNotificationSlackArgs(channel=args.slack_channel, url=args.slack_webhook)]
        if args.slack_channel is not None and args.slack_webhook is not None
        else None
    )
    # DigitalOcean refuses an address that is not a member of the team (400 "invalid email",
    # digitalocean/openapi#830); the account's own address always is one.
    emails: pulumi.Input[list[str]] = (
        list(args.digitalocean_emails)
        if args.digitalocean_emails
        else do.get_account_output(opts=pulumi.InvokeOutputOptions(parent=parent)).email.apply(lambda e: [e])
    )
    notify = [do.UptimeAlertNotificationArgs(emails=emails, slacks=slacks)]
    resources: dict[str, pulumi.Resource] = {}
    for endpoint in endpoints:
        name = endpoint.name
        check = do.UptimeCheck(
            f"{name}-uptime",
            name=f"{args.prefix}-{name}",
            target=endpoint.url,
            type="https",
            regions=REGIONS,
            enabled=True,
            opts=opts,
        )
        resources[f"{name}-uptime"] = check
        resources[f"{name}-down"] = do.UptimeAlert(
            f"{name}-down",
            check_id=check.id,
            name=f"{args.prefix}-{name} down",
            type="down_global",
            period=DOWN_PERIOD,
            notifications=notify,
            opts=opts,
        )
        resources[f"{name}-certificate-expiry"] = do.UptimeAlert(
            f"{name}-certificate-expiry",
            check_id=check.id,
            name=f"{args.prefix}-{name} certificate expiry",
            type="ssl_expiry",
            comparison="less_than",
            threshold=args.tls_warning_days,
            period=DOWN_PERIOD,
            notifications=notify,
            opts=opts,
        )
    return resources
