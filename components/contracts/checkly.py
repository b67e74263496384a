"""What Checkly's API accepts for the inputs `components/alerts/checkly.py` sends.

Read 2026-12-01 from checkly/terraform-provider-checkly v1.27.0 (what pulumi-checkly 2.14.0
bridges: `docs/resources/{url_monitor,ssl_monitor,alert_channel}.md`, the resources'
validations) and Checkly's documentation. The provider validates few of these itself, so a
wrong value would only fail at the API during `up`. Plain data: importing this never loads
`pulumi_checkly`.
"""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.components.contracts import Contract, Rule, Source, one_of, text, whole_between

READ = "2026-12-01"
TF = "checkly/terraform-provider-checkly@v1.27.0"

URL_MONITOR = types.CHECKLY_URL_MONITOR
SSL_MONITOR = types.CHECKLY_SSL_MONITOR
CHANNEL = types.CHECKLY_ALERT_CHANNEL

# Minutes; 0 means "high frequency", set by frequency_offset instead.
FREQUENCIES = (0, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
# Public locations (https://www.checklyhq.com/docs/monitoring/global-locations/); the
# provider does not check them, the API refuses an unknown one.
LOCATIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1",
    "eu-central-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-south-1", "me-south-1", "af-south-1",
    "ap-southeast-1", "ap-northeast-1", "ap-northeast-3", "ap-east-1", "ap-southeast-2",
    "ap-northeast-2", "ap-south-1", "ap-southeast-3",
)  # fmt: skip
MONITORS_SOURCE = Source(f"{TF} docs/resources/url_monitor.md, ssl_monitor.md", READ)
LOCATIONS_SOURCE = Source("https://www.checklyhq.com/docs/monitoring/global-locations/", READ)


RULES = (
    Rule(
        (URL_MONITOR, SSL_MONITOR), "frequency", f"minutes, one of {', '.join(map(str, FREQUENCIES))}",
        MONITORS_SOURCE, lambda v: v in FREQUENCIES and not isinstance(v, bool),
    ),
    Rule((URL_MONITOR, SSL_MONITOR), "locations[*]", "a Checkly public location such as eu-central-1",
         LOCATIONS_SOURCE, one_of(LOCATIONS)),
    Rule((URL_MONITOR, SSL_MONITOR), "name", "a name (1 to 255 characters)", MONITORS_SOURCE, text(r"[^\x00-\x1f]+", 255)),
    Rule((URL_MONITOR,), "request.url", "an http(s) URL", MONITORS_SOURCE, text(r"https?://\S+", 2048)),
    Rule((URL_MONITOR,), "request.assertions[*].source", "STATUS_CODE (URL monitors assert nothing else)",
         MONITORS_SOURCE, one_of(("STATUS_CODE",))),
    Rule((URL_MONITOR,), "request.assertions[*].comparison", "EQUALS, NOT_EQUALS, GREATER_THAN or LESS_THAN",
         MONITORS_SOURCE, one_of(("EQUALS", "NOT_EQUALS", "GREATER_THAN", "LESS_THAN"))),
    Rule((URL_MONITOR,), "alertSettings.runBasedEscalations[*].failedRunThreshold", "1 to 5",
         MONITORS_SOURCE, whole_between(1, 5)),
    Rule((URL_MONITOR,), "degradedResponseTime", "0 to 30000 ms", MONITORS_SOURCE, whole_between(0, 30_000)),
    Rule((URL_MONITOR,), "maxResponseTime", "0 to 30000 ms", MONITORS_SOURCE, whole_between(0, 30_000)),
    Rule((SSL_MONITOR,), "request.alertDaysBeforeExpiry", "1 to 365 days", MONITORS_SOURCE, whole_between(1, 365)),
    Rule((CHANNEL,), "email.address", "an e-mail address", Source(f"{TF} docs/resources/alert_channel.md", READ),
         text(r"[^@\s]+@[^@\s]+\.[^@\s]+", 254)),
    Rule((SSL_MONITOR,), "request.hostname", "a host name without scheme or port", MONITORS_SOURCE,
         text(r"[A-Za-z0-9.-]+", 253)),
)  # fmt: skip

CONTRACT = Contract(provider="checkly", rules=RULES)
