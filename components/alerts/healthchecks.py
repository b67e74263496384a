"""Heartbeats on Healthchecks.io: a Pulumi dynamic provider over its management API (v3).

A heartbeat is a dead-man's switch: the job pings its URL when it succeeds, pings `/fail`
with the end of its log when it fails, and Healthchecks.io alerts the project's integrations
when a failure arrives or when no success arrives within `timeout` + `grace` seconds. Host
backups and their weekly verifications report to one each (components/_vps/scripts/heartbeat.sh).

Why Healthchecks.io: it is the one service with a free plan (Hobbyist, 20 checks) that takes a
failure signal with the log in the ping's body and alerts at once; Checkly's heartbeats only
know silence and need a paid plan. It has no Pulumi provider, so the check is managed here
with the calls it needs: create (idempotent by name, `unique`, then one ping so the check is
armed), update, read-free diff, delete. Healthchecks.io is open source; `api_url` may point at a self-hosted instance.

Who is alerted: every integration of the project (`channels: "*"`). The API cannot create
integrations, so each alert address is added once as an e-mail integration in the project
(docs/alerts.md). The API key is a secret input; it is never printed, not even in errors.

Rules we rely on (https://healthchecks.io/docs/api/, read 2026-12-01): `timeout` and `grace`
are seconds from 60 to 31536000; a name is at most 100 characters; `X-Api-Key` carries a
project's read-write key; create answers 201 (or 200 when `unique` found the check).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

DEFAULT_API = "https://healthchecks.io"
MIN_SECONDS, MAX_SECONDS = 60, 31_536_000
MAX_NAME = 100
# Inputs whose change needs another check (the ping URL a host holds would change).
REPLACE_ON = ("api_url",)
# What the API is told; the rest of the inputs are ours (the key, where the API is).
SENT = ("name", "tags", "desc", "timeout", "grace", "channels")


class HealthchecksError(Exception):
    """A refused or failed API call, described without the key."""


def check_body(props: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a create or update, checked against the API's ranges."""
    name = props["name"]
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
        raise HealthchecksError(f"a check name is 1-{MAX_NAME} characters")
    for key in ("timeout", "grace"):
        if not MIN_SECONDS <= int(props[key]) <= MAX_SECONDS:
            raise HealthchecksError(f"{key} must be {MIN_SECONDS}-{MAX_SECONDS} seconds")
    return {key: props[key] for key in SENT if key in props}


def call(props: dict[str, Any], method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One API call; the decoded JSON answer ({} for none)."""
    url = props.get("api_url", DEFAULT_API).rstrip("/") + "/api/v3/" + path
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("X-Api-Key", props["api_key"])
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        with err:  # the error is the response: close its connection
            detail = err.read()[:200].decode("utf-8", "replace")
        if err.code == 401:
            raise HealthchecksError(
                "Healthchecks.io refused the API key (use a read-write project key)"
            ) from None
        raise HealthchecksError(f"Healthchecks.io answered {err.code} to {method} {path}: {detail}") from None
    except urllib.error.URLError as err:
        raise HealthchecksError(f"Healthchecks.io unreachable ({err.reason})") from None
    return json.loads(raw) if raw else {}


def arm(ping_url: str) -> None:
    """One ping at creation. A check that has never been pinged stays "new" and never alerts,
    so a timer that never runs (never enabled, a host never released) would go unnoticed; from
    this ping on, silence past the period and grace alerts."""
    try:
        with urllib.request.urlopen(ping_url, timeout=30) as response:
            response.read()
    except urllib.error.URLError as err:
        raise HealthchecksError(f"the new check could not be pinged ({err.reason}); run `up` again") from None


def _outs(props: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    ping_url = answer.get("ping_url")
    if not isinstance(ping_url, str) or not ping_url.startswith(("https://", "http://")):
        raise HealthchecksError("Healthchecks.io's answer has no ping_url")
    uuid = answer.get("uuid") or str(answer.get("update_url", "")).rstrip("/").rsplit("/", 1)[-1]
    return {**props, "uuid": uuid, "ping_url": ping_url}


class HeartbeatProvider(ResourceProvider):
    """Create, update and delete one Healthchecks.io check."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        # `unique: ["name"]`: a retried create after a lost answer finds the first check.
        answer = call(props, "POST", "checks/", {**check_body(props), "unique": ["name"]})
        outs = _outs(props, answer)
        arm(outs["ping_url"])
        return CreateResult(id_=outs["uuid"], outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = [k for k in (*SENT, *REPLACE_ON, "api_key") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(keys), replaces=[k for k in keys if k in REPLACE_ON])

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_outs(news, call(news, "POST", f"checks/{id_}", check_body(news))))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            call(props, "DELETE", f"checks/{id_}")
        except HealthchecksError as err:
            if " 404 " not in f" {err} ":
                raise


class Heartbeat:
    """Factory kept out of module import time: `pulumi.dynamic` pulls in dill and grpc."""

    @staticmethod
    def create(name: str, props: dict[str, Any], opts: Any) -> Any:
        """Register the check `name` with `props` (name, timeout, grace, tags, desc, api_key,
        optional api_url); its `ping_url` output is a secret."""
        import pulumi
        import pulumi.dynamic

        check_body(props)  # the ranges, before anything is registered

        class _Check(pulumi.dynamic.Resource, module="healthchecks", name="Check"):
            ping_url: pulumi.Output[str]
            uuid: pulumi.Output[str]

            def __init__(self) -> None:
                super().__init__(
                    HeartbeatProvider(),
                    name,
                    {"uuid": None, "ping_url": None, "channels": "*", **props},
                    pulumi.ResourceOptions.merge(
                        opts, pulumi.ResourceOptions(additional_secret_outputs=["api_key", "ping_url"])
                    ),
                )

        return _Check()
