"""Uptime of an api on a Hetzner host: a Checkly URL monitor (Hetzner Cloud has no uptime service).

Shared: one Checkly alert channel per e-mail address (`alerts-email-<hash>`) and one for
Slack when configured (`alerts-slack`); each sends failures, recoveries and degradations.

Per endpoint, `<api>-certificate`: an SSL monitor of the api's name on 443 twice a day. It
turns *degraded* `tls_warning_days` before the certificate expires (Checkly's SSL monitor
construct: `alertDaysBeforeExpiry` raises a degraded alert), which is why the channels send
degraded alerts. And `<api>-uptime`: a URL monitor of the health URL every 5 minutes from
Frankfurt and Northern Virginia in turn, failing on any status of 400 or more or an answer
slower than 10 s (its degraded and failing times are the same, so it never merely degrades;
redirects are not followed: a health path that redirects is a misconfiguration), subscribed
to every channel.
The certificate is verified (`skip_ssl` false), so an expired or wrong one fails at once.

Provider credentials: `pulumi config set --secret checkly:apiKey …` and
`pulumi config set checkly:accountId …` (the stack's `checkly` provider reads them).
"""

from __future__ import annotations

import pulumi
import pulumi_checkly as checkly

from multicloud.components.alerts import Alerts, AlertsArgs, Endpoint, address_key

FREQUENCY_MINUTES = 5
RESPONSE_LIMIT_MS = 10_000
CERTIFICATE_FREQUENCY_MINUTES = 720  # twice a day: expiry is counted in days
LOCATIONS = ["eu-central-1", "us-east-1"]


def build(parent: Alerts, args: AlertsArgs, endpoints: list[Endpoint]) -> dict[str, pulumi.Resource]:
    """The alert channels, then a monitor per endpoint subscribed to all of them."""
    opts = pulumi.ResourceOptions(parent=parent)
    resources: dict[str, pulumi.Resource] = {}
    channels: list[checkly.AlertChannel] = []

    def channel(
        key: str,
        email: checkly.AlertChannelEmailArgs | None = None,
        slack: checkly.AlertChannelSlackArgs | None = None,
    ) -> None:
        made = checkly.AlertChannel(
            key,
            email=email,
            slack=slack,
            send_failure=True,
            send_recovery=True,
            send_degraded=True,
            opts=opts,
        )
        resources[key] = made
        channels.append(made)

    for address in args.emails:
        channel(f"alerts-email-{address_key(address)}", email=checkly.AlertChannelEmailArgs(address=address))
    if args.slack_channel is not None and args.slack_webhook is not None:
        channel(
            "alerts-slack",
            slack=checkly.AlertChannelSlackArgs(channel=args.slack_channel, url=args.slack_webhook),
        )
    subscriptions = [
        checkly.UrlMonitorAlertChannelSubscriptionArgs(channel_id=c.id.apply(int), activated=True)
        for c in channels
    ]
    tags = [f"{k}:{v}" for k, v in sorted(args.tags.items())]
    for endpoint in endpoints:
        resources[f"{endpoint.name}-uptime"] = checkly.UrlMonitor(
            f"{endpoint.name}-uptime",
            name=f"{args.prefix}-{endpoint.name}",
            activated=True,
            frequency=FREQUENCY_MINUTES,
            locations=LOCATIONS,
            run_parallel=False,  # parallel runs need an enterprise plan; round-robin it is
            # One threshold: a slow answer fails rather than "degrades", so the channels' degraded
            # alerts (which carry the certificate warning) come from the SSL monitor alone.
            degraded_response_time=RESPONSE_LIMIT_MS,
            max_response_time=RESPONSE_LIMIT_MS,
            request=checkly.UrlMonitorRequestArgs(
                url=endpoint.url,
                follow_redirects=False,
                skip_ssl=False,
                assertions=[
                    checkly.UrlMonitorRequestAssertionArgs(
                        source="STATUS_CODE", comparison="LESS_THAN", target="400"
                    )
                ],
            ),
            use_global_alert_settings=False,
            alert_settings=checkly.UrlMonitorAlertSettingsArgs(
                escalation_type="RUN_BASED",
                run_based_escalations=[
                    checkly.UrlMonitorAlertSettingsRunBasedEscalationArgs(failed_run_threshold=2)
                ],
            ),
            alert_channel_subscriptions=subscriptions,
            tags=tags,
            opts=opts,
        )
        # A channel's own `ssl_expiry` is documented for API and browser checks only, not URL
        # monitors; an SSL monitor warns before expiry for any HTTPS name.
        resources[f"{endpoint.name}-certificate"] = checkly.SslMonitor(
            f"{endpoint.name}-certificate",
            name=f"{args.prefix}-{endpoint.name} certificate",
            activated=True,
            frequency=CERTIFICATE_FREQUENCY_MINUTES,
            locations=LOCATIONS[:1],
            request=checkly.SslMonitorRequestArgs(
                hostname=endpoint.fqdn, port=443, alert_days_before_expiry=args.tls_warning_days
            ),
            alert_channel_subscriptions=[
                checkly.SslMonitorAlertChannelSubscriptionArgs(channel_id=c.id.apply(int), activated=True)
                for c in channels
            ],
            use_global_alert_settings=True,
            tags=tags,
            opts=opts,
        )
    return resources
