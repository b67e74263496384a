"""`multicloud.Application`: one application as one Pulumi component, for every Pulumi language.

The arguments are the stack spec in the shape Pulumi's schema can carry (stacks/application_args.py,
generated from the models); construction turns them back into a `StackSpec`, runs the same
checks a stack file gets, and builds it with the same code (`stacks.program.assemble`) under this
component. `package/` serves it to TypeScript, Go, C#, Java and YAML programs through Pulumi's
component host (`python -m multicloud.stacks.application` is that provider's entry point).

Problems are reported as Pulumi's input-property errors, one per problem, at the path the
program wrote (`postgres.db.storageGb`), before any resource is registered.

No `from __future__ import annotations` here: the analyzer reads these annotations as objects.
"""

import enum
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import pulumi
from pulumi.errors import InputPropertiesError, InputPropertyErrorDetails
from pulumi.provider.experimental.util import camel_case

from multicloud.components._lib.grammars import env_name_problem, printable
from multicloud.stacks import program
from multicloud.stacks.application_args import ApplicationArgs
from multicloud.stacks.application_gen import KIND_MAPS, PACKAGE
from multicloud.stacks.args import Credentials
from multicloud.stacks.checks import check
from multicloud.stacks.loader import (
    _pydantic_problem,
    registry_credential_problems,
    required_credentials,
    secret_shape_problems,
)
from multicloud.stacks.placements import OUTPUT as PLACEMENTS_OUTPUT
from multicloud.stacks.placements import placement_problems
from multicloud.stacks.spec import StackSpec

TYPE = f"{PACKAGE}:index:Application"

RECORD_OUTPUT = "multicloudRecord"
"""The stack output a program exports the application's `record` as, for the next run."""

_MAP_OF_KIND = {kind: argument for kind, (argument, _, _) in KIND_MAPS.items()}


class Application(pulumi.ComponentResource):
    """One application (hosts, apis, workers, jobs, PostgreSQL, Redis, buckets and static
    sites), each component on the provider it names (AWS, DigitalOcean, Hetzner Cloud or
    Cloudflare), checked as a whole before anything is created. One per stack: export its
    `record` output as the stack output `multicloudRecord` so the next deployment can refuse to
    move a database by accident."""

    urls: pulumi.Output[dict[str, str]]
    """The public HTTPS URL of each api and static site, by service name."""
    ipv4: pulumi.Output[dict[str, str]]
    """The public IPv4 address of each host, by host name."""
    ipv6: pulumi.Output[dict[str, str]]
    """The public IPv6 address of each host, by host name."""
    connections: pulumi.Output[dict[str, dict[str, str]]]
    """The connection variables of each database, cache and bucket (DATABASE_URL, REDIS_URL, S3_*), by service name: secret."""
    backup_passwords: pulumi.Output[dict[str, str]]
    """The restic password of each database backed up from a host, by service name: keep a copy outside Pulumi to restore without the stack. Secret."""
    record: pulumi.Output[dict[str, Any]]
    """What the next deployment reads back (where each stateful service lives, the SSH keys uploaded, what App Platform stored of the secrets): export it as the stack output `multicloudRecord`. Secret."""

    def __init__(self, name: str, args: ApplicationArgs, opts: pulumi.ResourceOptions | None = None):
        spec, credentials = application_spec(args)
        kinds = {service: svc.kind for service, svc in spec.services.items()}
        root = pulumi.runtime.get_root_resource()
        problems = _python_problems(spec) if HOSTED.get() else []
        if root is not None and root in program._DEPLOYED_IN:
            # The engine would refuse the second set of providers and components (duplicate URNs).
            problems.append(("<root>", "a program builds one application: one Application (or deploy), once"))
        if problems:
            raise _errors(problems, kinds)
        super().__init__(TYPE, name, {}, opts)
        if root is not None:
            program._DEPLOYED_IN.add(root)
        previous = program.previous_outputs(RECORD_OUTPUT, parent=self)
        moved = placement_problems(spec, (previous or {}).get(PLACEMENTS_OUTPUT))
        if moved:
            raise _errors(moved, kinds)
        _, outputs = program.assemble(spec, previous, credentials, parent=self, transforms=_preflight())
        self.urls = _map(outputs.urls)
        self.ipv4 = _map(outputs.ipv4)
        self.ipv6 = _map(outputs.ipv6)
        self.connections = pulumi.Output.secret(_map(outputs.connections))
        self.backup_passwords = pulumi.Output.secret(_map(outputs.backup_passwords))
        self.record = pulumi.Output.secret(_map(outputs.record))
        self.register_outputs(
            {
                "urls": self.urls,
                "ipv4": self.ipv4,
                "ipv6": self.ipv6,
                "connections": self.connections,
                "backup_passwords": self.backup_passwords,
                "record": self.record,
            }
        )


def _map(values: Mapping[str, Any]) -> pulumi.Output[dict[str, Any]]:
    """One Output of a map of Outputs (Output.all of nothing would be a list)."""
    return pulumi.Output.all(**values) if values else pulumi.Output.from_input({})


# Pulumi's analyzer takes the class docstring as it is; the schema gets it without indentation.
Application.__doc__ = " ".join((Application.__doc__ or "").split())


def application_spec(args: Mapping[str, Any]) -> tuple[StackSpec, Credentials]:
    """The StackSpec and Credentials `args` describe, or InvalidArguments naming each problem
    at the path the program wrote. Nothing is registered."""
    problems = _not_plain(args)
    if problems:
        raise InvalidArguments(problems, private={p for p, _ in problems})
    values, kinds, problems = _spec_values(dict(args))
    spec: StackSpec | None = None
    if not problems:
        from pydantic import ValidationError

        try:
            spec = StackSpec.model_validate(values)
        except ValidationError as err:
            problems = [_pydantic_problem(e) for e in err.errors(include_input=False, include_url=False)]
    if spec is None:
        raise _errors(problems, kinds)
    credentials, found = _credentials(args.get("credentials") or {}, spec)
    problems = check(spec) + found
    if problems:
        raise _errors(problems, kinds)
    return spec, credentials


def _plain(value: Any) -> Any:
    """Enums as their values, all the way down (the host hands the analyzer's enums over)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _spec_values(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, str]]]:
    """The spec's raw values: the per-kind maps back into one `services` map with `kind`."""
    values = {k: _plain(v) for k, v in args.items() if k != "credentials" and k not in _MAP_OF_KIND.values()}
    services: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    problems = []
    for kind, argument in _MAP_OF_KIND.items():
        for name, service in (args.get(argument) or {}).items():
            if name in kinds:
                taken = camel_case(_MAP_OF_KIND[kinds[name]])
                problems.append(
                    (f"{argument}.{name}", f"the name is taken in {taken}; a service name is used once")
                )
                continue
            kinds[name] = kind
            services[name] = {**_plain(service or {}), "kind": kind}
    values["services"] = services
    return values, kinds, problems


def _credentials(given: Mapping[str, Any], spec: StackSpec) -> tuple[Credentials, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    logins = dict(given.get("registry_logins") or {})
    # The stack file's check of registry_credentials: each host, and each login given in clear
    # (a secret Output's shape is not known here; it stands in as a well-formed one).
    shown = {host: login if isinstance(login, str) else "secret:login" for host, login in logins.items()}
    problems += [
        ("credentials.registry_logins" + path.removeprefix("registry_credentials"), message)
        for path, message in (registry_credential_problems(shown) if logins else [])
    ]
    secrets = dict(given.get("app_secrets") or {})
    for secret in secrets:
        problem = env_name_problem(secret)
        if problem:
            problems.append((f"credentials.app_secrets.{secret}", problem))
    for service, svc in spec.services.items():
        for i, secret in enumerate(getattr(svc, "secrets", [])):
            if secret not in secrets:
                problems.append(
                    (f"services.{service}.secrets[{i}]", f"{secret} has no value in credentials.appSecrets")
                )
    # Plain values stay plain (a Python program's): the offline plan knows them as secrets it
    # must never show (Credentials.plain_values).
    plain_logins = all(isinstance(v, str) for v in logins.values())
    registry_credentials = (
        json.dumps(logins) if plain_logins else pulumi.Output.all(**logins).apply(json.dumps)
    )
    credentials = Credentials(
        ssh_private_key=given.get("ssh_private_key"),
        registry_credentials=registry_credentials if logins else None,
        registries=frozenset(logins),
        app_secrets=(
            secrets if all(isinstance(v, str) for v in secrets.values()) else pulumi.Output.all(**secrets)
        )
        if secrets
        else None,
        alerts_slack_webhook=given.get("alerts_slack_webhook"),
        healthchecks_api_key=given.get("healthchecks_api_key"),
        hetzner_s3_access_key=given.get("hetzner_s3_access_key"),
        hetzner_s3_secret_key=given.get("hetzner_s3_secret_key"),
    )
    for key in sorted(required_credentials(spec) - {"secrets"}):
        if given.get(key) is None:
            problems.append((f"credentials.{key}", "is needed by this application"))
    for key in ("alerts_slack_webhook", "healthchecks_api_key"):
        if isinstance(given.get(key), str):
            problems += [(f"credentials.{p}", m) for p, m in secret_shape_problems(key, given[key])]
    return credentials, problems


def schema_path(path: str, kinds: Mapping[str, str]) -> str:
    """`services.db.storage_gb` → `postgres.db.storageGb`: a spec path as the program wrote it
    (camelCase names of the schema; map keys and indexes as they are)."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    if len(parts) >= 2 and parts[0] == "services" and parts[1] in kinds:
        parts[0] = _MAP_OF_KIND[kinds[parts[1]]]
    shown: list[str] = []
    map_key = False
    for i, part in enumerate(parts):
        if part.startswith("["):
            shown[-1] += part
            continue
        shown.append(part if map_key else camel_case(part))
        # The next part is a key of a map: the maps of services, hosts, env, registry logins, secrets.
        map_key = (i == 0 and part in {*_MAP_OF_KIND.values(), "hosts", "services"}) or part in {
            "env",
            "registry_logins",
            "app_secrets",
        }
    return ".".join(shown)


class InvalidArguments(program.InvalidApplication):
    """Arguments of an Application refused: one (path as the program wrote it, message) per
    problem. A Python program sees it as a RunError; the package's provider hands the engine
    each problem as an input-property error (`provider()`), except where the engine would print
    a secret beside it: the engine shows the value at each path it is given, so a problem of
    the credentials, or of a value that is an Output, is said in the message without a path."""

    def __init__(self, problems: list[tuple[str, str]], private: set[str] | None = None):
        super().__init__(problems, prefix="", title="invalid arguments of multicloud.Application")
        self.private = {p for p, _ in problems if p.startswith("credentials")} | (private or set())

    def input_error(self) -> InputPropertiesError:
        said = [printable(f"{path}: {message}") for path, message in self.problems if path in self.private]
        details = [
            InputPropertyErrorDetails(property_path=printable(path), reason=printable(message))
            for path, message in self.problems
            if path not in self.private
        ]
        title = "invalid arguments of multicloud.Application"
        # Always a list, empty too: the SDK's server fails to send a status without one.
        return InputPropertiesError("\n".join([title, *said]), details)


def _not_plain(args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Outputs where the schema takes plain values: everywhere but the credentials' values. The
    application is checked as a whole before anything is built, so its shape cannot wait."""
    found: list[tuple[str, str]] = []
    if isinstance(args.get("credentials"), pulumi.Output):
        found.append(("credentials", "pass an object of secrets (sshPrivateKey: …), not one secret object"))

    def walk(value: Any, path: str) -> None:
        if isinstance(value, pulumi.Output):
            found.append(
                (path, "must be a plain value: only the credentials take Outputs (secrets, unknowns)")
            )
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    for key, value in args.items():
        if key != "credentials":
            walk(value, key)
    return [(schema_path(path, {}), message) for path, message in found]


HOSTED: ContextVar[bool] = ContextVar("multicloud_hosted", default=False)
"""Whether the package's provider is constructing the Application (for a program in another
language), rather than a Python program."""


def _python_problems(spec: StackSpec) -> list[tuple[str, str]]:
    """What a program in another language cannot run: a Hetzner bucket and the Healthchecks
    heartbeats are Python dynamic resources, which the engine runs with PULUMI_PYTHON_CMD
    (python3 when unset; sdk/python/dist/pulumi-resource-pulumi-python) — the program's Python,
    not the package's, unless it is pointed there."""
    needs = [
        (f"services.{name}", "a Hetzner bucket")
        for name, svc in spec.services.items()
        if svc.kind == "bucket" and svc.target == "hetzner"
    ]
    if spec.alerts is not None and spec.backed_up_on_hosts():
        needs.append(("alerts", "with backups on hosts, the Healthchecks.io heartbeats"))
    command = os.environ.get("PULUMI_PYTHON_CMD") or "python3"
    if not needs or _runs_multicloud(command):
        return []
    how = (
        f"is a Python dynamic resource, which Pulumi runs with PULUMI_PYTHON_CMD (python3 when unset), "
        f"and {command} cannot import multicloud: export PULUMI_PYTHON_CMD={sys.executable} where pulumi runs"
    )
    return [(path, f"{what} {how}") for path, what in needs]


@functools.cache
def _runs_multicloud(command: str) -> bool:
    """Whether `command` is a Python that imports the dynamic providers (this one, or one that
    says so when asked)."""
    found = shutil.which(command)
    if found is None:
        return False
    # Not realpath: a virtualenv's python is a symlink to a Python without its packages.
    if os.path.abspath(found) == os.path.abspath(sys.executable):
        return True
    modules = "multicloud.components.alerts.healthchecks, multicloud.components.object_store.hetzner_s3"
    try:
        ran = subprocess.run(
            [found, "-c", f"import {modules}"], capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return ran.returncode == 0


def _errors(problems: list[tuple[str, str]], kinds: Mapping[str, str]) -> InvalidArguments:
    return InvalidArguments([(schema_path(path, kinds), message) for path, message in problems])


def _preflight() -> list[Any] | None:
    """Every resource below the application is checked against its provider's rules before the
    engine creates it (components.contracts): a transform on each top-level child, which the
    engine applies to everything below it (not on the Application itself: a program's own
    transforms on it would take that place). Pulumi's mock monitor does not run transforms;
    ours runs the same check on every registration."""
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.settings import get_monitor

    from multicloud.components.contracts import preflight

    monitor = get_monitor()
    if isinstance(monitor, MockMonitor):
        monitor.mocks.register_transform(preflight)
        return None
    return [preflight]


def provider() -> Any:
    """Pulumi's component provider for Application, whose refusals are the program's input
    errors: the host reports any other error of a component's __init__ with its traceback."""
    from pulumi.provider.experimental.component import ComponentProvider
    from pulumi.provider.server import ComponentInitError

    import multicloud

    class ApplicationProvider(ComponentProvider):
        def construct(self, name, resource_type, inputs, options=None):  # type: ignore[no-untyped-def]
            # Before the host maps the inputs: it would call int() on an Output in an integer.
            problems = _not_plain(inputs)
            if problems:
                raise InvalidArguments(problems, private={p for p, _ in problems}).input_error()
            hosted = HOSTED.set(True)
            try:
                return super().construct(name, resource_type, inputs, options)
            except ComponentInitError as err:
                if isinstance(err.inner, InvalidArguments):
                    raise err.inner.input_error() from None
                raise
            finally:
                HOSTED.reset(hosted)

    return ApplicationProvider([Application], PACKAGE, None, multicloud.__version__)


def main(argv: list[str] | None = None) -> None:
    """The package's entry point (package/__main__.py): what `component_provider_host` does —
    serve the provider to the engine that started it — with `provider()`'s error reporting."""
    from pulumi.provider import main as serve

    serve(provider(), sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
