"""Run the real Pulumi program under mocks: the offline plan.

`plan()` loads a stack file, validates it, hands its config to the Pulumi runtime exactly
as the engine would (structured values as JSON, secrets flagged), runs `__main__.py`, and
returns every registration. Credentials are never needed: a missing or encrypted one is
replaced by a placeholder secret, which is never printed.
"""

from __future__ import annotations

import contextlib
import json
import runpy
import sys
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await
from pydantic import ValidationError

from multicloud.components.contracts import ContractBreach
from multicloud.infra.mocks import ProviderMocks, RecordingMonitor, Registration
from multicloud.stacks.loader import (
    CREDENTIALS,
    NAMESPACE,
    OFFLINE_PLACEHOLDER,
    ConfigError,
    RawConfig,
    _load_stack_yaml,
    _pydantic_problem,
    parse,
    read_stack_file,
    required_credentials,
)
from multicloud.stacks.spec import StackSpec

PLACEHOLDER = OFFLINE_PLACEHOLDER


@dataclass
class Plan:
    """The result of an offline run."""

    project: str
    stack: str
    spec: StackSpec
    registrations: list[Registration]
    secret_values: set[str]
    """Secrets the run made up (placeholders and mock passwords); none may be printed."""
    property_dependencies: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """URN → input name → the URNs it was computed from."""


def find_project(start: Path | None = None) -> Path:
    """The directory holding Pulumi.yaml: upwards from `start` (default: cwd), else the
    checkout this package was installed from (so `infra` works from any directory)."""
    here = (start or Path.cwd()).resolve()
    installed = Path(__file__).resolve().parent.parent
    for directory in (here, *here.parents, installed):
        if (directory / "Pulumi.yaml").is_file() and (directory / "__main__.py").is_file():
            return directory
    raise FileNotFoundError("no Pulumi.yaml here or above; run infra from the multicloud project directory")


def offline_config(raw: RawConfig, spec: StackSpec) -> tuple[dict[str, str], list[str]]:
    """Config as the engine passes it to a program, with placeholder credentials."""
    config: dict[str, str] = {}
    for key, value in raw.values.items():
        if key in CREDENTIALS:
            continue
        config[f"{NAMESPACE}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    secrets = []
    for key in sorted(required_credentials(spec) | (set(raw.values) & set(CREDENTIALS))):
        config[f"{NAMESPACE}:{key}"] = PLACEHOLDER
        secrets.append(f"{NAMESPACE}:{key}")
    if f"{NAMESPACE}:secrets" in config:
        # The application's secrets are a map: a placeholder for each name a service declares.
        names = sorted({n for svc in spec.services.values() for n in getattr(svc, "secrets", [])})
        config[f"{NAMESPACE}:secrets"] = json.dumps({name: PLACEHOLDER for name in names})
    return config, secrets


class ProgramDir(type(Path())):  # type: ignore[misc]
    """A Pulumi program's directory (`infra --program`): what plan() runs instead of a stack
    file. A plain directory given as a stack file stays an error (the loader says so)."""


def plan(stack_file: Path, stack: str, project_dir: Path | None = None) -> Plan:
    """Validate `stack_file` and run the program under mocks. Raises ConfigError when the
    config is invalid, ContractBreach when a resource's inputs break its provider's rules.
    `stack_file` may be a program's directory instead (plan_program)."""
    if isinstance(stack_file, ProgramDir):
        return plan_program(stack_file, stack)
    project_dir = project_dir or find_project()
    raw = read_stack_file(stack_file)
    # Validate first with placeholders for credentials, so the user sees config problems,
    # never a mock-time failure.
    missing = set(CREDENTIALS) - set(raw.values)
    spec = parse(RawConfig(raw.values | {k: PLACEHOLDER for k in missing}, raw.secret_keys | missing))
    config, secret_keys = offline_config(raw, spec)

    program = str(project_dir / "__main__.py")

    def run_program() -> None:
        runpy.run_path(program, run_name="__main__")

    monitor, mocks = run_under_mocks(
        run_program,
        project="multicloud",
        stack=stack,
        config=config,
        secret_keys=secret_keys,
    )
    return Plan(
        project="multicloud",
        stack=stack,
        spec=spec,
        registrations=monitor.registrations,
        secret_values=mocks.secret_values | {PLACEHOLDER},
        property_dependencies=monitor.property_dependencies,
    )


def plan_program(directory: Path, stack: str) -> Plan:
    """Run a Pulumi program written with the multicloud library (`multicloud.deploy`) under
    mocks, with its own `Pulumi.<stack>.yaml` config if it has one: every namespace's values
    as the engine passes them, a secure value as a placeholder secret (never decrypted,
    never printed). The program must deploy exactly one application."""
    from multicloud.stacks import program as stack_program

    main = directory / "__main__.py"
    project_file = directory / "Pulumi.yaml"
    if not main.is_file() or not project_file.is_file():
        raise ConfigError(
            [("<program>", f"{directory} is not a Pulumi program (Pulumi.yaml and __main__.py)")]
        )
    try:
        project_doc = yaml.safe_load(project_file.read_text())
    except yaml.YAMLError:
        project_doc = None
    if not isinstance(project_doc, dict):
        raise ConfigError([("<program>", f"{project_file} is not a mapping with name:")])
    project = str(project_doc.get("name") or directory.name)
    config, secret_keys = _program_config(directory / f"Pulumi.{stack}.yaml", project)
    with stack_program.recording() as recorded:
        try:
            monitor, mocks = run_under_mocks(
                as_engine_runs(directory),
                project=project,
                stack=stack,
                config=config,
                secret_keys=secret_keys,
            )
        except ContractBreach:
            raise
        except stack_program.InvalidApplication as err:
            raise ConfigError(err.problems, err.prefix) from None
        except ValidationError as err:
            raise ConfigError(
                [_pydantic_problem(e) for e in err.errors(include_input=False, include_url=False)]
            ) from None
        except (Exception, SystemExit) as err:  # noqa: BLE001 - the program's own error, shown as `pulumi up` would
            first = (str(err).strip().splitlines() or [""])[0]
            raise ConfigError(
                [("<program>", f"{main.name} raised {type(err).__name__}: {first}".rstrip(": "))]
            ) from None
    deployed = recorded.stacks
    if len(deployed) != 1:
        raise ConfigError(
            [
                (
                    "<program>",
                    f"{directory} deployed {len(deployed)} applications; infra plans one (multicloud.deploy)",
                )
            ]
        )
    return Plan(
        project=project,
        stack=stack,
        spec=deployed[0],
        registrations=monitor.registrations,
        secret_values=mocks.secret_values | recorded.secrets | {PLACEHOLDER},
        property_dependencies=monitor.property_dependencies,
    )


def _program_config(stack_file: Path, project: str) -> tuple[dict[str, str], list[str]]:
    """A program's stack config as the engine passes it: every namespace, a key without one
    in the project's, structured values as JSON; a key holding a secure value anywhere in it
    is secret and each secure value a placeholder (never decrypted, never printed)."""
    if not stack_file.is_file():
        return {}, []
    doc = _load_stack_yaml(stack_file) or {}
    config = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(config or {}, dict):
        raise ConfigError([("<file>", f"{stack_file} has no config: mapping")])
    if not isinstance(doc, dict):
        raise ConfigError([("<file>", f"{stack_file} is not a mapping with config:")])
    values: dict[str, str] = {}
    secret: list[str] = []
    for full_key, raw in (config or {}).items():
        key = str(full_key) if ":" in str(full_key) else f"{project}:{full_key}"
        value, hidden = _placeholders(raw)
        values[key] = value if isinstance(value, str) else json.dumps(value)
        if hidden:
            secret.append(key)
    return values, secret


def _placeholders(value: Any) -> tuple[Any, bool]:
    """`value` with each `{secure: …}` in it replaced by the placeholder, and whether it had one."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return PLACEHOLDER, True
    if isinstance(value, dict):
        pairs = {k: _placeholders(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(h for _, h in pairs.values())
    if isinstance(value, list):
        items = [_placeholders(v) for v in value]
        return [v for v, _ in items], any(h for _, h in items)
    return value, False


def as_engine_runs(path: Path) -> Callable[[], None]:
    """A program directory (or its __main__.py) run as Pulumi's Python host runs it: from the
    project directory as the working directory, the directory first on sys.path (so sibling
    modules import and relative paths resolve)."""
    directory = (path if path.is_dir() else path.parent).resolve()  # before the chdir

    def run_program() -> None:
        before = set(sys.modules)
        try:
            with contextlib.chdir(directory):
                runpy.run_path(str(directory), run_name="__main__")
        finally:
            # Its sibling modules go with it: the next program's `settings.py` is its own.
            for name in set(sys.modules) - before:
                origin = getattr(sys.modules[name], "__file__", None) or ""
                if origin and Path(origin).resolve().is_relative_to(directory):
                    del sys.modules[name]

    return run_program


def run_under_mocks(
    program: Callable[[], None], *, project: str, stack: str, config: dict[str, str], secret_keys: list[str]
) -> tuple[RecordingMonitor, ProviderMocks]:
    """Run `program` as the Pulumi engine would, against our mocks (infra.mocks); raises
    ContractBreach when a resource's inputs break its provider's rules."""
    saved = deepcopy(settings.SETTINGS)
    mocks = ProviderMocks()
    monitor = RecordingMonitor(mocks)
    try:
        # A fresh root stack resource per run: several runs may share one process.
        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        pulumi.runtime.set_all_config(config, secret_keys)
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(program))
    finally:
        pulumi.runtime.set_all_config({}, [])
        settings.configure(saved)
    if mocks.breaks:
        # What the engine would refuse at the first of these resources, listed all at once.
        raise ContractBreach(mocks.breaks)
    return monitor, mocks
