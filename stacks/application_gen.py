"""Write `stacks/application_args.py` and `package/schema.json` from the spec models.

`multicloud.Application` is served to every Pulumi language by Pulumi's component host, whose
analyzer (`pulumi.provider.experimental.analyzer`) infers the package schema from type hints and
attribute docstrings read from *source*. It understands TypedDicts, enums, lists, string-keyed
maps and `pulumi.Input`, but not pydantic models, `Literal`, or unions other than Optional. So
the arguments are generated from the models in `stacks/spec.py` and `costs/usage.py`, the one
description of an application:

- each model becomes a TypedDict of the same name without `Spec`, each field's description its
  docstring (plus its default), required fields required;
- each `Literal` becomes an enum (ENUMS names them; a new one fails here until it is named);
- the services map, a union by `kind`, becomes one map per kind (`apis`, `postgres`, …);
- credentials are `pulumi.Input`s, so a program can pass its secrets as Outputs.

Run it after changing a model: `python -m multicloud.stacks.application_gen`. The tests fail
while either file is not what this writes (tests/test_package.py), so the public schema
changes in review, next to the model change that caused it.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from multicloud.stacks import spec as models

ROOT = Path(__file__).resolve().parent.parent
ARGS_FILE = ROOT / "stacks" / "application_args.py"
SCHEMA_FILE = ROOT / "package" / "schema.json"
PACKAGE = "multicloud"

# Every Literal of the models, by its values: the enum it becomes, what it means, and what each
# value means (Pulumi's metaschema wants a description on every value: null fails it).
ENUMS: dict[tuple[str, ...], tuple[str, str, tuple[str, ...]]] = {
    ("dev", "staging", "prod"): (
        # Not `Environment`: C# programs with implicit usings would find it ambiguous with System.Environment.
        "EnvironmentKind",
        "The kind of environment: prod protects every stateful resource.",
        (
            "For development: small defaults.",
            "A copy of production.",
            "Production: stateful resources protected.",
        ),
    ),
    ("aws", "digitalocean", "hetzner", "cloudflare"): (
        "Target",
        "The provider a component runs on.",
        ("Amazon Web Services.", "DigitalOcean.", "Hetzner Cloud.", "Cloudflare."),
    ),
    ("x86", "arm64"): ("Arch", "A CPU architecture.", ("x86-64 (amd64).", "64-bit ARM (aarch64).")),
    ("shared", "dedicated"): (
        "CpuKind",
        "Shared vCPUs, or dedicated cores.",
        ("vCPUs shared with other machines.", "Cores reserved for this machine."),
    ),
    ("ubuntu-24.04",): (
        "HostImage",
        "The operating system of a host (provider-neutral).",
        ("Ubuntu 24.04 LTS.",),
    ),
    ("cloudflare", "route53", "digitalocean"): (
        "DnsProvider",
        "The DNS service that holds the zone.",
        ("Cloudflare DNS.", "Amazon Route 53.", "DigitalOcean DNS."),
    ),
    ("none", "managed"): (
        "NatMode",
        "How AWS tasks reach the internet.",
        ("Tasks in public subnets with public addresses (cheapest).", "A NAT gateway for private subnets."),
    ),
    ("EUR", "USD"): ("Currency", "A currency of the budget and the estimate.", ("Euro.", "US dollar.")),
    ("droplet", "app_platform"): (
        "ContainerRuntime",
        "Where DigitalOcean runs a container.",
        ("On the stack's droplets.", "On App Platform (managed containers)."),
    ),
    ("forbid", "allow"): (
        "JobConcurrency",
        "Whether runs of a job may overlap.",
        ("A run is skipped while the previous one is still going.", "Runs may overlap."),
    ),
    ("14", "15", "16", "17", "18"): (
        "PostgresVersion",
        "A PostgreSQL major version.",
        ("PostgreSQL 14.", "PostgreSQL 15.", "PostgreSQL 16.", "PostgreSQL 17.", "PostgreSQL 18."),
    ),
    ("valkey", "redis"): (
        "RedisEngine",
        "The engine of a Redis-protocol cache.",
        ("Valkey, the open-source fork of Redis.", "Redis."),
    ),
    ("7.2", "7.4", "8.0", "8.1"): (
        "RedisVersion",
        "A Valkey or Redis version.",
        ("Version 7.2.", "Version 7.4.", "Version 8.0.", "Version 8.1."),
    ),
}

# The services map by kind: (argument, Python type, what the map holds).
KIND_MAPS: dict[str, tuple[str, type[BaseModel], str]] = {
    "api": ("apis", models.ApiSpec, "HTTP services published over HTTPS, by name."),
    "worker": ("workers", models.WorkerSpec, "Background containers with no public port, by name."),
    "job": ("jobs", models.JobSpec, "Containers run on a schedule, by name."),
    "postgres": ("postgres", models.PostgresSpec, "PostgreSQL databases, by name."),
    "redis": ("redis", models.RedisSpec, "Redis-protocol caches and queues, by name."),
    "bucket": ("buckets", models.BucketSpec, "S3-compatible buckets, by name."),
    "static_site": (
        "static_sites",
        models.StaticSiteSpec,
        "Static frontends built from a repository, by name.",
    ),
}
SERVICES_NOTE = (
    " A name is unique across every kind of service: it names the resources, containers and "
    "hostnames, and `links` refer to it."
)

# Where a model's description speaks of the stack file, what a program passing arguments reads.
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("ContainerService", "secrets"): (
        "variables whose values are secrets: each name needs a value in `credentials.app_secrets`"
    ),
    ("AlertsSpec", "slack_channel"): (
        "also post to this Slack channel, e.g. '#ops' (lowercase, at most 80 characters); the "
        "incoming webhook URL is a secret: `credentials.alerts_slack_webhook`"
    ),
    ("StackSpec", "budget"): "the monthly budget the cost estimate is checked against",
    ("StackSpec", "allow_data_replacement"): (
        "stateful services allowed to move to another target or host (after migrating their data)"
    ),
}

HEADER = '''"""GENERATED by `python -m multicloud.stacks.application_gen` from stacks/spec.py and
costs/usage.py: do not edit. tests/test_package.py fails while it differs from what that writes.

The arguments of `multicloud.Application`, written the way Pulumi's component analyzer reads a
schema from Python (TypedDicts, enums, attribute docstrings), so that every Pulumi language can
build the application. No `from __future__ import annotations`: the analyzer reads the
annotations as objects.
"""

import enum
from typing import NotRequired, TypedDict

import pulumi
'''

CREDENTIALS = '''

class Credentials(TypedDict):
    """What the application needs that is secret. Pass each as a secret (an Output from `config.requireSecret`, for example): none is ever shown in a plan or written in clear."""

    ssh_private_key: NotRequired[pulumi.Input[str]]
    """The OpenSSH private key the releases log in to the hosts with (needed with hosts)."""
    registry_logins: NotRequired[dict[str, pulumi.Input[str]]]
    """Logins for private images: registry host (ghcr.io) → "user:token"."""
    app_secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """The value of each name the services list in `secrets`."""
    alerts_slack_webhook: NotRequired[pulumi.Input[str]]
    """The Slack incoming webhook URL alerts are posted to (with `alerts.slack_channel`)."""
    healthchecks_api_key: NotRequired[pulumi.Input[str]]
    """The Healthchecks.io API key the backup heartbeats are created with (alerts with host backups)."""
    hetzner_s3_access_key: NotRequired[pulumi.Input[str]]
    """The Hetzner Object Storage access key (Hetzner buckets)."""
    hetzner_s3_secret_key: NotRequired[pulumi.Input[str]]
    """The Hetzner Object Storage secret key (Hetzner buckets)."""
'''


def _strip(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Annotated and Optional; whether it allowed None."""
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                raise TypeError(f"a union other than Optional cannot be in a Pulumi schema: {annotation}")
            nullable = True
            annotation = members[0]
        else:
            return annotation, nullable


def type_name(model: type[BaseModel]) -> str:
    """Host for HostSpec, Usage for UsageSpec."""
    return model.__name__.removesuffix("Spec")


class Writer:
    """Collects the enums and TypedDicts one annotation at a time, dependencies first."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.done: set[str] = set()

    def annotation(self, annotation: Any) -> str:
        annotation, _ = _strip(annotation)
        origin = typing.get_origin(annotation)
        if annotation in (str, int, float, bool):
            return annotation.__name__
        if origin is typing.Literal:
            return self.enum(tuple(str(v) for v in typing.get_args(annotation)))
        if origin is list:
            return f"list[{self.annotation(typing.get_args(annotation)[0])}]"
        if origin is dict:
            key, value = typing.get_args(annotation)
            if _strip(key)[0] is not str:
                raise TypeError(f"map keys must be strings: {annotation}")
            return f"dict[str, {self.annotation(value)}]"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation)
        raise TypeError(f"no schema type for {annotation!r}")

    def enum(self, values: tuple[str, ...]) -> str:
        if values not in ENUMS:
            raise KeyError(f"name the enum of {values} in ENUMS (stacks/application_gen.py)")
        name, doc, meanings = ENUMS[values]
        if name not in self.done:
            self.done.add(name)
            members = "".join(
                f"    {_member(v)} = {json.dumps(v)}\n{_docstring(m)}\n"
                for v, m in zip(values, meanings, strict=True)
            )
            self.blocks.append(f'\n\nclass {name}(enum.StrEnum):\n    """{doc}"""\n\n{members}')
        return name

    def model(self, model: type[BaseModel], skip: tuple[str, ...] = ("kind",)) -> str:
        name = type_name(model)
        if name in self.done:
            return name
        lines = []
        for field, info in model.model_fields.items():
            if field in skip:
                continue
            lines.append(self.field(model, field, info))
        self.done.add(name)
        doc = _docstring(" ".join(inspect.cleandoc(model.__doc__ or name).split()))
        self.blocks.append(f"\n\nclass {name}(TypedDict):\n{doc}\n\n" + "\n".join(lines) + "\n")
        return name

    def field(self, model: type[BaseModel], field: str, info: FieldInfo) -> str:
        text = self.annotation(info.annotation)
        required = info.is_required()
        declared = next(c for c in model.__mro__ if field in inspect.get_annotations(c))
        description = DESCRIPTIONS.get((declared.__name__, field)) or info.description
        if not description:
            raise ValueError(f"{model.__name__}.{field} has no description")
        return f"    {field}: {text if required else f'NotRequired[{text}]'}\n" + _docstring(
            _sentence(description) + _default(info)
        )


def _member(value: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", value).upper().strip("_")
    return f"V{name}" if name[0].isdigit() else name


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(".") else text + "."


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return ""
    value = info.get_default(call_default_factory=True)
    if value is None or value == [] or value == {} or isinstance(value, BaseModel):
        return ""
    return f" Default: {json.dumps(value)}."


def _docstring(text: str, indent: str = "    ") -> str:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    body = text.replace("\n", "\n" + indent)
    return f'{indent}"""{body}"""'


def render_args() -> str:
    """The text of stacks/application_args.py."""
    writer = Writer()
    stack = models.StackSpec
    lines = []
    for field, info in stack.model_fields.items():
        if field == "services":
            for argument, model, doc in KIND_MAPS.values():
                lines.append(
                    f"    {argument}: NotRequired[dict[str, {writer.model(model)}]]\n"
                    + _docstring(doc + SERVICES_NOTE)
                )
            continue
        lines.append(writer.field(stack, field, info))
    lines.append(
        "    credentials: NotRequired[Credentials]\n"
        + _docstring("The secrets the application needs: pass each as a secret.")
    )
    application = (
        "\n\nclass ApplicationArgs(TypedDict):\n"
        + _docstring(
            "One application: its hosts, services, data and frontends, each on the target it "
            "names, with the stack-wide settings they share. At least one service."
        )
        + "\n\n"
        + "\n".join(lines)
        + "\n"
    )
    return HEADER + "".join(writer.blocks) + CREDENTIALS + application


def render_schema() -> str:
    """The package schema Pulumi's component host serves, as JSON text (sorted, stable)."""
    from pulumi.provider.experimental.component import ComponentProvider

    import multicloud
    from multicloud.stacks import application

    provider = ComponentProvider([application.Application], PACKAGE, version=multicloud.__version__)
    assert provider.schema is not None
    return json.dumps(json.loads(provider.schema), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if either file is not current")
    check = parser.parse_args(argv).check
    stale = []
    args_text = render_args()
    if not ARGS_FILE.exists() or ARGS_FILE.read_text() != args_text:
        stale.append(ARGS_FILE)
        if not check:
            ARGS_FILE.write_text(args_text)
    if not check and "multicloud.stacks.application_args" in sys.modules:
        importlib.reload(sys.modules["multicloud.stacks.application_args"])
        importlib.reload(sys.modules["multicloud.stacks.application"])
    schema_text = render_schema()
    if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != schema_text:
        stale.append(SCHEMA_FILE)
        if not check:
            SCHEMA_FILE.write_text(schema_text)
    for path in stale:
        print(f"{'not current' if check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
