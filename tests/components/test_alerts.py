"""Alerts, read from the plan: every public api is watched from outside with a route to the
stack's addresses, on each target by the service that target's backend chose, and priced;
host backups report to heartbeats whose URLs only the host's root-only settings hold.

The provider rules these inputs must obey are in components/contracts (tests in
test_provider_contracts.py); the heartbeat's end-to-end path is in
tests/integration/test_backup_heartbeat.py.
"""

from __future__ import annotations

import copy

import pytest

from multicloud.components._lib import types
from multicloud.components.alerts import address_key
from multicloud.costs.estimate import estimate_plan
from multicloud.infra.offline import Plan, plan
from tests.aws_plans import example_config, provider_of
from tests.conftest import ROOT, base_config, of_type, one
from tests.helpers import bundle, parse_env

EMAIL = "ops@example.com"


def with_alerts(config: dict, **alerts: object) -> dict:
    config = copy.deepcopy(config)
    config["alerts"] = {"emails": [EMAIL], **alerts}
    return config


# --- AWS: Route 53 health check, CloudWatch alarms, SNS e-mail --------------------------------


@pytest.fixture(scope="module")
def aws_eu(tmp_path_factory):
    from tests.aws_plans import recorded_plan

    config = example_config("aws.yaml")
    config["aws"] = {**config["aws"], "region": "eu-central-1"}
    config["alerts"] = {"emails": [EMAIL, "oncall@example.com"]}
    return recorded_plan(tmp_path_factory.mktemp("alerts-aws"), config)


def test_aws_checks_the_health_path_over_https_with_sni(aws_eu):
    check = one(aws_eu, types.AWS_ROUTE53_HEALTH_CHECK, "api-health")
    assert check.inputs["type"] == "HTTPS" and check.inputs["port"] == 443
    assert check.inputs["fqdn"] == "api.example.com" and check.inputs["resourcePath"] == "/health"
    assert check.inputs["enableSni"] is True
    assert (check.inputs["requestInterval"], check.inputs["failureThreshold"]) == (30, 3)


def test_the_status_alarm_and_its_topic_live_in_us_east_1(aws_eu):
    down = one(aws_eu, types.AWS_CLOUDWATCH_METRIC_ALARM, "api-down")
    check = one(aws_eu, types.AWS_ROUTE53_HEALTH_CHECK, "api-health")
    east = one(aws_eu, types.AWS_SNS_TOPIC, "alerts-us-east-1")
    for reg in (down, check, east):
        assert provider_of(aws_eu, reg).inputs["region"] == "us-east-1", reg.name
    assert (down.inputs["namespace"], down.inputs["metricName"]) == ("AWS/Route53", "HealthCheckStatus")
    assert down.inputs["dimensions"] == {"HealthCheckId": check.id}
    assert down.inputs["comparisonOperator"] == "LessThanThreshold" and down.inputs["threshold"] == 1
    assert down.inputs["treatMissingData"] == "breaching"
    arn = aws_eu.outputs[east.urn]["arn"]
    assert down.inputs["alarmActions"] == [arn] and down.inputs["okActions"] == [arn]


def test_the_certificate_alarm_watches_the_listeners_certificate_in_the_stack_region(aws_eu):
    expiry = one(aws_eu, types.AWS_CLOUDWATCH_METRIC_ALARM, "api-certificate-expiry")
    listener = one(aws_eu, types.AWS_LB_LISTENER, "api-https")
    here = one(aws_eu, types.AWS_SNS_TOPIC, "alerts")
    assert provider_of(aws_eu, expiry).inputs["region"] == "eu-central-1"
    assert provider_of(aws_eu, here).inputs["region"] == "eu-central-1"
    assert expiry.inputs["dimensions"] == {"CertificateArn": listener.inputs["certificateArn"]}
    assert (expiry.inputs["metricName"], expiry.inputs["threshold"]) == ("DaysToExpiry", 14)
    # No false alarm before ACM's first data point; still raised once the metric stops at expiry.
    assert expiry.inputs["treatMissingData"] == "ignore"
    assert expiry.inputs["alarmActions"] == [aws_eu.outputs[here.urn]["arn"]]


def test_every_address_is_subscribed_to_every_topic_by_email(aws_eu):
    subs = of_type(aws_eu, types.AWS_SNS_TOPIC_SUBSCRIPTION)
    topics = {one(aws_eu, types.AWS_SNS_TOPIC, n).urn: n for n in ("alerts", "alerts-us-east-1")}
    arns = {aws_eu.outputs[urn]["arn"]: name for urn, name in topics.items()}
    got = {(arns[s.inputs["topic"]], s.inputs["endpoint"], s.inputs["protocol"]) for s in subs}
    assert got == {
        (topic, address, "email") for topic in topics.values() for address in (EMAIL, "oncall@example.com")
    }
    assert {s.name for s in subs} >= {
        f"alerts-email-{address_key(EMAIL)}",
        f"alerts-us-east-1-email-{address_key(EMAIL)}",
    }


def test_in_us_east_1_one_topic_carries_both_alarms(aws_plan):
    result = aws_plan(with_alerts(example_config("aws.yaml")))
    (topic,) = of_type(result, types.AWS_SNS_TOPIC)
    arn = result.outputs[topic.urn]["arn"]
    alarms = of_type(result, types.AWS_CLOUDWATCH_METRIC_ALARM)
    assert {a.name for a in alarms} == {"api-down", "api-certificate-expiry"}
    assert all(a.inputs["alarmActions"] == [arn] for a in alarms)


def test_aws_alerts_are_priced(aws_eu):
    lines = estimate_plan(aws_eu).components["alerts"].lines
    assert sorted((line.name, round(line.monthly, 2)) for line in lines) == [
        ("CloudWatch alarm (standard resolution)", 0.10),
        ("CloudWatch alarm (standard resolution)", 0.10),
        ("Route 53 health check (AWS endpoint)", 0.50),
        ("Route 53 health check HTTPS option", 1.00),
    ]


# --- DigitalOcean Uptime ------------------------------------------------------------------


@pytest.fixture(scope="module")
def do_example() -> Plan:
    return plan(ROOT / "examples" / "digitalocean.yaml", "digitalocean", project_dir=ROOT)


def test_digitalocean_checks_the_health_url_from_every_region(do_example):
    check = one(do_example, types.DO_UPTIME_CHECK, "api-uptime")
    assert check.inputs["target"] == "https://api.wrdata.example/healthz"
    assert check.inputs["type"] == "https" and check.inputs["enabled"] is True
    assert sorted(check.inputs["regions"]) == ["eu_west", "se_asia", "us_east", "us_west"]


def test_digitalocean_alerts_when_down_everywhere_and_before_the_certificate_expires(do_example):
    check = one(do_example, types.DO_UPTIME_CHECK, "api-uptime")
    down = one(do_example, types.DO_UPTIME_ALERT, "api-down")
    tls = one(do_example, types.DO_UPTIME_ALERT, "api-certificate-expiry")
    assert down.inputs["checkId"] == tls.inputs["checkId"] == check.id
    assert (down.inputs["type"], down.inputs["period"]) == ("down_global", "2m")
    assert (tls.inputs["type"], tls.inputs["comparison"], tls.inputs["threshold"]) == (
        "ssl_expiry",
        "less_than",
        14,
    )
    for alert in (down, tls):
        assert alert.inputs["notifications"] == [{"emails": ["ops@wrdata.example"]}]


def test_without_team_addresses_digitalocean_mails_the_accounts_own(run_plan):
    config = example_config("digitalocean.yaml")
    config["alerts"] = {"emails": ["someone@elsewhere.example"]}
    alert = one(run_plan(config), types.DO_UPTIME_ALERT, "api-down")
    # What the getAccount lookup answers under the mocks; DigitalOcean refuses non-members.
    assert alert.inputs["notifications"] == [{"emails": ["account-owner@example.com"]}]


def test_slack_goes_with_the_webhook_secret(run_plan):
    config = with_alerts(example_config("digitalocean.yaml"), slack_channel="#ops")
    result = run_plan(config, extra={"multicloud:alerts_slack_webhook": {"secure": "v1:AAAA"}})
    alert = one(result, types.DO_UPTIME_ALERT, "api-down")
    # The webhook travels as a secret: never plain in the recorded inputs.
    assert alert.inputs["notifications"] == [
        {"emails": ["account-owner@example.com"], "slacks": [{"channel": "#ops", "url": "[secret]"}]}
    ]


# --- Checkly, for apis on Hetzner hosts ----------------------------------------------------


@pytest.fixture(scope="module")
def hetzner_example() -> Plan:
    return plan(ROOT / "examples" / "hetzner-single-box.yaml", "hetzner-single-box", project_dir=ROOT)


def test_checkly_watches_the_url_and_the_certificate(hetzner_example):
    url = one(hetzner_example, types.CHECKLY_URL_MONITOR, "api-uptime")
    request = url.inputs["request"]
    assert request["url"] == "https://api.financehub.example/healthz"
    assert request["skipSsl"] is False and request["followRedirects"] is False
    assert request["assertions"] == [{"source": "STATUS_CODE", "comparison": "LESS_THAN", "target": "400"}]
    cert = one(hetzner_example, types.CHECKLY_SSL_MONITOR, "api-certificate")
    assert cert.inputs["request"] == {
        "hostname": "api.financehub.example",
        "port": 443,
        "alertDaysBeforeExpiry": 14,
    }


def test_every_monitor_is_subscribed_to_every_channel(hetzner_example):
    channel = one(
        hetzner_example, types.CHECKLY_ALERT_CHANNEL, f"alerts-email-{address_key('ops@financehub.example')}"
    )
    assert channel.inputs["email"] == {"address": "ops@financehub.example"}
    # The SSL monitor's expiry warning is a *degraded* alert: the channel must send those, and
    # the URL monitor must never merely degrade (its two thresholds are one).
    assert (
        channel.inputs["sendFailure"],
        channel.inputs["sendRecovery"],
        channel.inputs["sendDegraded"],
    ) == (
        True,
        True,
        True,
    )
    url = one(hetzner_example, types.CHECKLY_URL_MONITOR, "api-uptime")
    assert url.inputs["degradedResponseTime"] == url.inputs["maxResponseTime"] == 10_000
    for monitor in (
        *of_type(hetzner_example, types.CHECKLY_URL_MONITOR),
        *of_type(hetzner_example, types.CHECKLY_SSL_MONITOR),
    ):
        assert monitor.inputs["alertChannelSubscriptions"] == [
            {"channelId": int(channel.id), "activated": True}
        ]


# --- heartbeats of host backups -----------------------------------------------------------


def test_a_backed_up_database_gets_two_heartbeats_whose_urls_reach_only_its_settings(hetzner_example):
    beats = {r.name: r for r in of_type(hetzner_example, types.HEALTHCHECKS_CHECK)}
    assert set(beats) == {"db-backup-heartbeat", "db-verify-heartbeat"}
    backup, verify = beats["db-backup-heartbeat"], beats["db-verify-heartbeat"]
    assert (backup.inputs["timeout"], backup.inputs["grace"]) == (86400, 7200)
    assert (verify.inputs["timeout"], verify.inputs["grace"]) == (7 * 86400, 4 * 3600)
    assert backup.inputs["name"] == "multicloud-hetzner-single-box-db-backup"
    assert backup.inputs["api_key"] == "[secret]" and backup.inputs["channels"] == "*"
    settings = bundle(hetzner_example, "box")["backup/db.env"]
    assert settings.mode == 0o600
    values = parse_env(settings.text)
    assert values["HEARTBEAT_URL"] == backup.raw_outputs["ping_url"]
    assert values["VERIFY_HEARTBEAT_URL"] == verify.raw_outputs["ping_url"]
    others = [m.text for path, m in bundle(hetzner_example, "box").items() if path != "backup/db.env"]
    assert not any(backup.raw_outputs["ping_url"] in text for text in others)


def test_an_hourly_backup_is_expected_hourly(run_plan):
    config = with_alerts(base_config())
    config["services"]["db"]["backup"]["schedule"] = "hourly"
    beat = one(run_plan(config), types.HEALTHCHECKS_CHECK, "db-backup-heartbeat")
    assert (beat.inputs["timeout"], beat.inputs["grace"]) == (3600, 3600)


def test_without_alerts_nothing_reports(run_plan):
    result = run_plan(base_config())
    assert of_type(result, types.HEALTHCHECKS_CHECK) == []
    assert of_type(result, f"{types.COMPONENT_PREFIX}Alerts") == []
    assert "HEARTBEAT_URL" not in bundle(result, "main")["backup/db.env"].text


def test_heartbeats_are_priced_once_for_the_account(hetzner_example):
    lines = [line for c in estimate_plan(hetzner_example).components.values() for line in c.lines]
    (plan_line,) = [line for line in lines if "Healthchecks.io" in line.name]
    assert plan_line.name == "Healthchecks.io Hobbyist plan (2 of 20 checks)" and plan_line.monthly == 0


def test_every_example_watches_every_public_api():
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        result = plan(path, path.stem, project_dir=ROOT)
        apis = [r.name for r in of_type(result, f"{types.COMPONENT_PREFIX}ApiService")]
        watched = {
            r.name.removesuffix("-uptime").removesuffix("-health")
            for r in result.registrations
            if r.type in (types.CHECKLY_URL_MONITOR, types.DO_UPTIME_CHECK, types.AWS_ROUTE53_HEALTH_CHECK)
        }
        assert apis and set(apis) == watched, path.name
