"""Read the `multicloud:` config (from the Pulumi engine or a `Pulumi.<stack>.yaml` file),
validate it, and turn every problem into one line that names its config path.

Nothing here registers a resource, so a bad config stops the program before anything is
created or destroyed.
"""

from __future__ import annotations

import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from stacks.checks import Problem, check
from stacks.grammars import env_name_problem, printable
from stacks.spec import KINDS, StackSpec

NAMESPACE = "multicloud"

# Credentials live beside the spec in the same namespace but are never part of it: they must
# be Pulumi secrets, and the program reads them with `Config.require_secret`.
CREDENTIALS = {
    "ssh_private_key": "the deploy key releases use to reach hosts over SSH",
    "hetzner_s3_access_key": "a Hetzner Object Storage access key (Cloud Console → Security → S3 credentials)",
    "hetzner_s3_secret_key": "the secret key that belongs to hetzner_s3_access_key",
    "registry_credentials": 'logins for private images, JSON {"ghcr.io": "user:token", …}',
    "secrets": "the application's own secrets by name (services' `secrets:`)",
}


def _secure_map(value: Any) -> bool:
    """A stack file's map whose every value is ciphertext (`pulumi config set --path --secret
    multicloud:secrets.NAME …` writes one)."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(v, dict) and set(v) == {"secure"} for v in value.values())
    )


def app_secret_problems(value: Any, spec: StackSpec) -> list[Problem]:
    """Problems of `multicloud:secrets` against the names services declare, never echoing a
    value. The offline plan's placeholder stands for every name."""
    if value == OFFLINE_PLACEHOLDER:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = None
    if not isinstance(value, dict):
        return [
            (
                "secrets",
                "expected a map of NAME: secret; pulumi config set --path --secret multicloud:secrets.NAME …",
            )
        ]
    problems: list[Problem] = []
    for name in value:
        problem = env_name_problem(str(name))
        if problem:
            problems.append((f"secrets.{name}", problem))
    for service, svc in spec.services.items():
        for i, name in enumerate(getattr(svc, "secrets", [])):
            if name not in value:
                problems.append(
                    (
                        f"services.{service}.secrets[{i}]",
                        f"{name} has no value; pulumi config set --path --secret {NAMESPACE}:secrets.{name} …",
                    )
                )
    return problems


# What the offline plan (infra.offline) passes for every credential: it has none.
OFFLINE_PLACEHOLDER = "offline-placeholder-credential"

# A registry host: a DNS name with an optional port.
_REGISTRY = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$"


def configured_registries() -> frozenset[str]:
    """The registry hosts `registry_credentials` holds logins for — names only, never the
    logins. Read from the running program's config: the engine passes it decrypted; the
    offline plan has a placeholder and so none."""
    from pulumi.runtime import config as rc

    from components._lib.images import registry_logins

    return frozenset(registry_logins(rc.get_config(f"{NAMESPACE}:registry_credentials")))


def registry_credential_problems(value: Any) -> list[Problem]:
    """Problems of a `registry_credentials` value, never echoing it. An opaque secret marker
    (offline, from a stack file) cannot be checked and passes."""
    if (isinstance(value, dict) and set(value) == {"secure"}) or value == OFFLINE_PLACEHOLDER:
        return []  # a stack file's ciphertext, or the offline plan: checked when the engine runs
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [("registry_credentials", 'is not JSON; expected {"ghcr.io": "user:token", …}')]
    if not isinstance(value, dict) or not value:
        return [("registry_credentials", 'expected a JSON object such as {"ghcr.io": "user:token"}')]
    problems: list[Problem] = []
    for registry, login in value.items():
        if not re.fullmatch(_REGISTRY, str(registry)):
            problems.append(
                ("registry_credentials", "a key is not a registry host such as ghcr.io or docker.io")
            )
        elif not isinstance(login, str) or not re.fullmatch(r"[^:\s]+:\S+", login):
            problems.append((f"registry_credentials.{registry}", "expected user:token"))
    return problems


class ConfigError(Exception):
    """The stack config is invalid. `problems` holds one `(path, message)` per problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem: `multicloud:<path>: <message>`. A path holds names from the
        config, so control characters in it are shown escaped: no value can add a line."""
        return [printable(f"{NAMESPACE}:{path}: {message}") for path, message in self.problems]


@dataclass(frozen=True)
class RawConfig:
    """The namespace's values by top-level key, and which keys hold secrets."""

    values: dict[str, Any]
    secret_keys: frozenset[str] = field(default_factory=frozenset)


def read_stack_file(path: Path) -> RawConfig:
    """Read a `Pulumi.<stack>.yaml`-format file. Secure values are kept as opaque markers."""
    try:
        # The C loader when PyYAML has it: several times faster on every plan.
        doc = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError([("<file>", f"{path} is not valid YAML{where}")]) from None
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError([("<file>", f"{path} has no config: mapping")])
    values: dict[str, Any] = {}
    secrets = set()
    for full_key, value in config.items():
        namespace, _, key = str(full_key).partition(":")
        if namespace != NAMESPACE or not key:
            continue  # provider settings (hcloud:token …) are not ours to validate
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.add(key)
        values[key] = value
    return RawConfig(values, frozenset(secrets))


def read_pulumi_config() -> RawConfig:
    """Read the namespace from the running Pulumi program (engine or mocks)."""
    from pulumi.runtime import config as rc

    keys = set(rc.CONFIG.get()) | set(rc.get_config_env())
    values: dict[str, Any] = {}
    secrets = set()
    for full_key in keys:
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        raw = rc.get_config(full_key)
        if rc.is_config_secret(full_key):
            secrets.add(key)
        # Structured config reaches the program as JSON text; plain strings stay strings.
        if isinstance(raw, str) and raw[:1] in "{[":
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                pass
        values[key] = raw
    return RawConfig(values, frozenset(secrets))


def parse(raw: RawConfig) -> StackSpec:
    """Validate raw config into a StackSpec, or raise ConfigError listing every problem."""
    problems: list[Problem] = []
    spec_values = {k: v for k, v in raw.values.items() if k not in CREDENTIALS}
    secret_keys = raw.secret_keys | {k for k, v in raw.values.items() if k == "secrets" and _secure_map(v)}
    raw = RawConfig(raw.values, frozenset(secret_keys))
    for key in sorted(set(raw.values) & set(CREDENTIALS)):
        if key not in raw.secret_keys:
            # The value itself is never printed.
            problems.append(
                (
                    key,
                    f"is a credential and must be a secret: pulumi config set --secret {NAMESPACE}:{key} ...",
                )
            )
    for key in sorted(raw.secret_keys - set(CREDENTIALS)):
        spec_values.pop(key, None)
        problems.append(
            (
                key,
                f"only credentials ({', '.join(sorted(CREDENTIALS))}) may be secrets; set this one in plain text",
            )
        )
    try:
        spec = StackSpec.model_validate(spec_values)
    except ValidationError as err:
        dropped = raw.secret_keys - set(CREDENTIALS)  # already reported above
        for error in err.errors(include_input=False, include_url=False):
            if not (error["type"] == "missing" and len(error["loc"]) == 1 and error["loc"][0] in dropped):
                problems.append(_pydantic_problem(error))
        raise ConfigError(problems) from None
    problems.extend(check(spec))
    if "registry_credentials" in raw.values and "registry_credentials" in raw.secret_keys:
        problems.extend(registry_credential_problems(raw.values["registry_credentials"]))
    if "secrets" in raw.values and "secrets" in raw.secret_keys:
        problems.extend(app_secret_problems(raw.values["secrets"], spec))
    for key in sorted(required_credentials(spec) - set(raw.values)):
        how = (
            f"--path --secret {NAMESPACE}:secrets.NAME" if key == "secrets" else f"--secret {NAMESPACE}:{key}"
        )
        problems.append((key, f"not set; it is {CREDENTIALS[key]}: pulumi config set {how} ..."))
    if problems:
        raise ConfigError(problems)
    return spec


def required_credentials(spec: StackSpec) -> set[str]:
    """The credential keys this spec needs."""
    needed = set()
    if spec.hosts:
        needed.add("ssh_private_key")
    if any(s.kind == "bucket" and s.target == "hetzner" for s in spec.services.values()):
        needed |= {"hetzner_s3_access_key", "hetzner_s3_secret_key"}
    if any(getattr(s, "secrets", None) for s in spec.services.values()):
        needed.add("secrets")
    return needed


# ---------------------------------------------------------------------------------------
# pydantic error → one line


def _pydantic_problem(err: Any) -> Problem:
    loc = list(err["loc"])
    annotation, owner = _walk(loc)
    # The discriminated union adds the kind as a path element; users never wrote it.
    shown = [p for i, p in enumerate(loc) if not (i == 2 and loc[0] == "services" and p in KINDS)]
    path = ""
    for part in shown:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if loc and loc[-1] == "[key]":
        path = path.removesuffix(".[key]")
        message = (
            str(ctx.get("error", err["msg"]))
            if kind == "value_error"
            else "invalid name; use lowercase letters, digits and '-', starting with a letter (at most 32)"
        )
    elif kind == "extra_forbidden":
        allowed = sorted(owner.model_fields) if owner else []
        message = "unknown key" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
    elif kind == "union_tag_invalid" or kind == "union_tag_not_found":
        message = (
            f"{'unknown' if kind == 'union_tag_invalid' else 'missing'} kind; allowed: {', '.join(KINDS)}"
        )
    elif kind == "missing":
        message = "required"
    elif kind == "literal_error":
        allowed = _literal_values(annotation)
        message = f"must be one of: {', '.join(allowed)}" if allowed else err["msg"]
    elif kind == "string_pattern_mismatch":
        described = _description(owner, loc)
        message = (
            f"invalid value; expected {described}"
            if described
            else f"invalid value; must match {ctx.get('pattern')}"
        )
    elif kind == "string_type":
        message = "must be text; put the value in quotes (YAML read it as a number or boolean)"
    elif kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
    else:
        message = err["msg"]
    if not path:
        path = "<root>"
    return path, message


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated/Optional to the interesting type."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _walk(loc: list[Any]) -> tuple[Any, type[BaseModel] | None]:
    """Follow a pydantic error location through the spec types.

    Returns the annotation at the location and the model that owns its last key.
    """
    current: Any = StackSpec
    owner: type[BaseModel] | None = None
    for part in loc:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            info = current.model_fields.get(str(part))
            if info is None:
                return None, owner
            current = info.annotation
        elif origin is dict:
            current = typing.get_args(current)[1]
        elif origin is list:
            current = typing.get_args(current)[0]
        elif origin in (typing.Union, types.UnionType):
            # The discriminated union of services: pick the member whose kind is `part`.
            for member in typing.get_args(current):
                member = _unwrap(member)
                if isinstance(member, type) and issubclass(member, BaseModel):
                    kind_field = member.model_fields.get("kind")
                    if kind_field and part in _literal_values(kind_field.annotation):
                        current = member
                        break
            else:
                return None, owner
        else:
            return current, owner
    return current, owner


def _literal_values(annotation: Any) -> list[str]:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    return []


def _description(owner: type[BaseModel] | None, loc: list[Any]) -> str | None:
    if owner is None:
        return None
    for part in reversed(loc):
        if isinstance(part, str) and part in owner.model_fields:
            return owner.model_fields[part].description
    return None
