"""App Platform app specs, checked against DigitalOcean's published app spec schema.

Pulumi's mocks accept any `spec`; App Platform does not. This module checks the spec our
backends send (`components/api_service/digitalocean.py`, `components/static_frontend/
digitalocean.py`) against DigitalOcean's own machine-readable contract rather than our
expectations: `digitalocean_app_spec.schema.json`, beside this file, is the subset of the app
spec schema in DigitalOcean's OpenAPI description (github.com/digitalocean/openapi, Apache-2.0)
that covers every field we send; its `$comment` gives the files and commits.

The engine holds the spec in Pulumi's wire format (camelCase, the Terraform provider's block
names); the API receives godo's `AppSpec` JSON. `api_spec()` converts one to the other the way
the provider does, and `app_spec_problems()` validates the result:

    problems = app_spec_problems(registration.raw_inputs["spec"])
    assert problems == [], problems   # e.g. ["spec.region: 'fra1' is not one of atl, nyc, ..."]

Mapping, read 2026-12-01 from digitalocean/terraform-provider-digitalocean v2.99.1 (401992a1)
digitalocean/app/app_spec.go (last changed 9bd0f2b3), `expandAppSpec` and the `expand*`
functions it calls, and the json tags of godo apps.gen.go (3fce660c); wire names from
pulumi_digitalocean 4.84.1 `_inputs.py`:

| Pulumi wire                 | Terraform block        | API (godo JSON)               | app_spec.go             |
|-----------------------------|------------------------|-------------------------------|-------------------------|
| any key `fooBar`            | `foo_bar`              | `foo_bar`                     | (every expand function) |
| `domainNames[]`             | `domain`               | `domains[]`                   | expandAppSpecDomains    |
| `domainNames[].name`        | `domain.name`          | `domains[].domain`            | expandAppSpecDomains    |
| `vpcs[]`                    | `vpc`                  | `vpc` (the first, an object)  | expandAppVPC            |
| `egresses[]`                | `egress`               | `egress` (the first)          | expandAppEgress         |
| `image.deployOnPushes[]`    | `image.deploy_on_push` | `image.deploy_on_push` (first)| expandAppImageSourceSpec|
| `services` / `workers` / `jobs` / `staticSites` | `service` / `worker` / `job` / `static_site` | `services` / `workers` / `jobs` / `static_sites` | expandAppSpecServices … |
| `envs` (app, components)    | `env`                  | `envs`                        | expandAppEnvs           |
| `alerts` (app, components)  | `alert`                | `alerts`                      | expandAppAlerts         |
| `ingress.rules`             | `ingress.rule`         | `ingress.rules`               | expandAppIngress        |
| `logDestinations`           | `log_destination`      | `log_destinations`            | expandAppLogDestinations|
| `healthCheck`, `autoscaling`, `metrics.cpu`, `github`, `image`, `ingress`, `match.path`, `component` | one-element blocks (MaxItems 1), objects on the wire | objects | expandAppHealthCheck … |

Zero values do not reach the API: the provider reads every field (an absent one is Go's zero
value) and godo's json tags say `omitempty`, so "", 0, false and empty lists are dropped —
an `instanceCount` of 0 becomes App Platform's default of 1. The exceptions are tags without
`omitempty` (the app's and components' `name`, `domains[].domain`, `envs[].key`) and the
ingress match's `prefix`/`exact` (pointers, sent even when empty).

Secrets (Pulumi's `{SIG_KEY: SECRET_SIG, "value": ...}` wrapper) are unwrapped before the
check and never shown: a problem line says `<value>` for an env value, registry credentials
or any secret. Unknown values (`pulumi.output.Unknown`, a preview of what a provider has not
computed yet) are placeholders: nothing is said about them.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from pulumi.output import Unknown

from multicloud.components.contracts import SECRET_SIG, SIG_KEY

SCHEMA_FILE = "digitalocean_app_spec.schema.json"
UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""Pulumi's wire sentinel for an unknown value (pulumi.runtime.rpc.UNKNOWN)."""

# Keys renamed beyond camelCase → snake_case, by the kind of object they are in.
_RENAMES = {
    "spec": {"domainNames": "domains", "vpcs": "vpc", "egresses": "egress"},
    "domain": {"name": "domain"},
    "image": {"deployOnPushes": "deploy_on_push"},
}
# Repeatable Terraform blocks of which the provider sends only the first, as an object.
_FIRST_ONLY = {("spec", "vpcs"), ("spec", "egresses"), ("image", "deployOnPushes")}
# The kind of object a key holds (what _RENAMES and _KEEP_ZERO are keyed by).
_KINDS = {
    ("spec", "domainNames"): "domain",
    ("spec", "services"): "component",
    ("spec", "workers"): "component",
    ("spec", "jobs"): "component",
    ("spec", "staticSites"): "component",
    ("spec", "functions"): "component",
    ("spec", "envs"): "env",
    ("component", "envs"): "env",
    ("component", "image"): "image",
    ("spec", "ingress"): "ingress",
    ("ingress", "rules"): "rule",
    ("rule", "match"): "match",
    ("match", "path"): "string_match",
    ("match", "authority"): "string_match",
}
# API fields sent even when empty (godo tags without omitempty, or pointers).
_KEEP_ZERO = {
    "spec": {"name"},
    "component": {"name"},
    "domain": {"domain"},
    "env": {"key"},
    "string_match": {"prefix", "exact"},
}
# API fields whose text a problem line never shows.
_SENSITIVE = {"value", "registry_credentials"}


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN_WIRE)


def _plain(value: Any, secrets: set[str]) -> Any:
    """`value` with every secret wrapper removed; the secrets' texts are added to `secrets`."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            inner = _plain(value.get("value"), secrets)
            secrets.update(_texts(inner))
            return inner
        return {key: _plain(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, secrets) for item in value]
    return value


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return [str(value)] if value is not None and not _is_unknown(value) else []


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _is_zero(value: Any) -> bool:
    if _is_unknown(value) or isinstance(value, dict):
        return False  # godo's nested specs are pointers: an empty object is still sent
    if isinstance(value, bool):
        return value is False
    return value is None or value == "" or value == [] or (isinstance(value, int | float) and value == 0)


def _convert(value: Any, kind: str) -> Any:
    if _is_unknown(value):
        return value
    if isinstance(value, list):
        return [_convert(item, kind) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire has only doubles; the API's counts and ports are integers
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        api_key = _RENAMES.get(kind, {}).get(key) or _snake(key)
        if (kind, key) in _FIRST_ONLY and isinstance(item, list):
            item = item[0] if item else None
        converted = _convert(item, _KINDS.get((kind, key), "object"))
        if _is_zero(converted) and api_key not in _KEEP_ZERO.get(kind, set()):
            continue
        out[api_key] = converted
    return out


def api_spec(wire_spec: dict[str, Any]) -> dict[str, Any]:
    """The App Platform spec JSON the provider sends for `wire_spec` (the `spec` input as the
    engine holds it), per the mapping in this module's docstring. Secrets are unwrapped: the
    result holds them in clear, so it is for checks, never for printing."""
    return _convert(_plain(wire_spec, set()), "spec")


@functools.cache
def schema() -> dict[str, Any]:
    """The published app spec schema (subset), as shipped beside this module."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def _validator() -> Any:
    # jsonschema comes with the dev tools; imported here so the package imports without it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def _where(path: Any) -> str:
    where = "spec"
    for part in path:
        where += f"[{part}]" if isinstance(part, int) else f".{part}"
    return where


def _shown(value: Any, path: list[Any], secrets: set[str]) -> str | None:
    """How a problem line shows the offending value: never a secret, never a whole object."""
    if isinstance(value, dict | list):
        return None
    text = str(value)
    if any(part in _SENSITIVE for part in path) or any(s and (s == text or s in text) for s in secrets):
        return "<value>"
    shown = ascii(value) if isinstance(value, str) else json.dumps(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _message(error: Any) -> str:
    rule, limit = error.validator, error.validator_value
    if rule == "pattern":
        return f"does not match {limit}"
    if rule == "enum":
        return f"is not one of {', '.join(map(str, limit))}"
    if rule in ("oneOf", "anyOf") and all("enum" in branch for branch in limit):
        return f"is not one of {', '.join(value for branch in limit for value in branch['enum'])}"
    if rule == "maxLength":
        return f"is longer than {limit} characters"
    if rule == "minLength":
        return f"is shorter than {limit} characters"
    if rule == "maximum":
        return f"is above the maximum of {limit}"
    if rule == "minimum":
        return f"is below the minimum of {limit}"
    if rule == "type":
        return f"is not of type {limit if isinstance(limit, str) else ' or '.join(limit)}"
    if rule == "required":
        return error.message  # "'name' is a required property": names the field, not a value
    return f"breaks the published {rule!r} rule"


def app_spec_problems(wire_spec: dict[str, Any]) -> list[str]:
    """One line per way `wire_spec` breaks DigitalOcean's published app spec schema: the
    field's path in the API's names and what is wrong. An empty list: App Platform's schema
    accepts every field we send."""
    secrets: set[str] = set()
    spec = _convert(_plain(wire_spec, secrets), "spec")
    lines = []
    for error in sorted(_validator().iter_errors(spec), key=lambda e: (_where(e.absolute_path), e.validator)):
        if _is_unknown(error.instance):
            continue  # not computed yet: checked when it is
        path = list(error.absolute_path)
        shown = _shown(error.instance, path, secrets)
        message = _message(error)
        lines.append(f"{_where(path)}: {shown} {message}" if shown else f"{_where(path)}: {message}")
    return lines
