"""Prices of the monitoring services alerts use besides the clouds' own (USD): Checkly's uptime
monitors (apis on Hetzner hosts) by the monitor, and Healthchecks.io's checks (backup
heartbeats), free up to the Hobbyist plan's 20 per account. Checkly alert channels are free."""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.costs.pricers.base import Catalog, Context, Line, Pricers, Resource, line

CHECKLY = Catalog("checkly")
HEALTHCHECKS = Catalog("healthchecks")
PRICERS = Pricers()
FREE = frozenset({types.CHECKLY_ALERT_CHANNEL})


@PRICERS.register(types.CHECKLY_URL_MONITOR)
@PRICERS.register(types.CHECKLY_SSL_MONITOR)
def _checkly_monitor(res: Resource, ctx: Context) -> list[Line]:
    monitor = CHECKLY.entry("uptime_monitor")
    kind = "URL" if res.type == types.CHECKLY_URL_MONITOR else "certificate (SSL)"
    note = f"at the add-on rate (${monitor['bundle_monthly']:g} per {monitor['bundle']}); the Hobby plan includes some"
    return [line(res, f"Checkly {kind} monitor", 1, "month", monitor, note=note)]


@PRICERS.register(types.HEALTHCHECKS_CHECK)
def _heartbeat(res: Resource, ctx: Context) -> list[Line]:
    free, business = HEALTHCHECKS.entry("hobbyist"), HEALTHCHECKS.entry("business")
    if not ctx.first_time("healthchecks-plan"):
        return []
    checks = len(ctx.of_type(res.type))
    if checks <= free["checks"]:
        name = f"Healthchecks.io Hobbyist plan ({checks} of {free['checks']} checks)"
        return [line(res, name, 1, "month", free)]
    name = f"Healthchecks.io Business plan ({checks} checks; Hobbyist holds {free['checks']})"
    return [line(res, name, 1, "month", business)]
