"""Uptime of an api on AWS: a Route 53 HTTPS health check and CloudWatch alarms to SNS e-mail.

Per endpoint:
- `<api>-health`: a Route 53 health check, HTTPS with SNI to the api's name on 443, every
  30 seconds from Route 53's checkers, unhealthy after 3 failures in a row. It does not
  judge the certificate; the next alarm does.
- `<api>-down`: a CloudWatch alarm on `AWS/Route53 HealthCheckStatus` (minimum < 1 for two
  minutes, missing data counts as down), in us-east-1 — Route 53 publishes its metrics only
  there, and an alarm can only notify a topic in its own region.
- `<api>-certificate-expiry`: an alarm on `AWS/CertificateManager DaysToExpiry` of the load
  balancer's ACM certificate, in the stack's region. ACM renews DNS-validated certificates by
  itself; this fires when renewal failed (for example, the validation record was removed).

Shared: an SNS topic per region used (`alerts-us-east-1`, and `alerts` in the stack's region
when that is another) with an e-mail
subscription per address. AWS mails each address a confirmation link; a subscription
nobody confirmed cannot be deleted and expires after three days (terraform-provider-aws,
`aws_sns_topic_subscription`). The topics are not KMS-encrypted: CloudWatch cannot publish
to a topic under the AWS-managed `alias/aws/sns` key.

Rules we rely on are recorded in components/contracts/aws.py (health check path and name
lengths, alarm names and descriptions, SNS topic names).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from multicloud.components.alerts import Alerts, AlertsArgs, Endpoint, address_key

HEALTH_INTERVAL_SECONDS = 30
FAILURES = 3


def build(parent: Alerts, args: AlertsArgs, endpoints: list[Endpoint]) -> dict[str, pulumi.Resource]:
    """One topic per region used, and per endpoint a health check and its two alarms."""
    if args.aws_us_east_1 is None or args.aws_region is None:
        raise ValueError("alerts on aws need aws_region and aws_us_east_1 (Route 53's metrics are there)")
    resources: dict[str, pulumi.Resource] = {}
    east = pulumi.ResourceOptions(parent=parent, provider=args.aws_us_east_1)
    here = pulumi.ResourceOptions(parent=parent)
    topic_east = _topic(resources, args, "alerts-us-east-1", east)
    topic_here = topic_east
    if args.aws_region != "us-east-1" and any(e.certificate_arn is not None for e in endpoints):
        topic_here = _topic(resources, args, "alerts", here)
    for endpoint in endpoints:
        name = endpoint.name
        check = aws.route53.HealthCheck(
            f"{name}-health",
            type="HTTPS",
            fqdn=endpoint.fqdn,
            port=443,
            resource_path=endpoint.health_path,
            enable_sni=True,
            request_interval=HEALTH_INTERVAL_SECONDS,
            failure_threshold=FAILURES,
            tags={**args.tags, "Name": f"{name} {endpoint.fqdn}"},
            opts=east,
        )
        resources[f"{name}-health"] = check
        resources[f"{name}-down"] = aws.cloudwatch.MetricAlarm(
            f"{name}-down",
            alarm_description=f"{endpoint.url} is failing Route 53 health checks",
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions={"HealthCheckId": check.id},
            statistic="Minimum",
            period=60,
            evaluation_periods=2,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            alarm_actions=[topic_east.arn],
            ok_actions=[topic_east.arn],
            tags=args.tags,
            opts=east,
        )
        if endpoint.certificate_arn is not None:
            resources[f"{name}-certificate-expiry"] = aws.cloudwatch.MetricAlarm(
                f"{name}-certificate-expiry",
                alarm_description=(
                    f"the certificate of {endpoint.fqdn} expires in less than {args.tls_warning_days} days"
                ),
                namespace="AWS/CertificateManager",
                metric_name="DaysToExpiry",
                dimensions={"CertificateArn": endpoint.certificate_arn},
                statistic="Minimum",
                period=86400,
                evaluation_periods=1,
                threshold=args.tls_warning_days,
                comparison_operator="LessThanThreshold",
                # ACM publishes the metric about daily and stops once the certificate expired:
                # a gap keeps the alarm where it was — no false alarm before the first point,
                # and an alarm raised 14 days out stays raised past the expiry.
                treat_missing_data="ignore",
                alarm_actions=[topic_here.arn],
                ok_actions=[topic_here.arn],
                tags=args.tags,
                opts=here,
            )
    return resources


def _topic(
    resources: dict[str, pulumi.Resource], args: AlertsArgs, name: str, opts: pulumi.ResourceOptions
) -> aws.sns.Topic:
    topic = aws.sns.Topic(name, tags=args.tags, opts=opts)
    resources[name] = topic
    for address in args.emails:
        key = f"{name}-email-{address_key(address)}"
        resources[key] = aws.sns.TopicSubscription(
            key, topic=topic.arn, protocol="email", endpoint=address, opts=opts
        )
    return topic
