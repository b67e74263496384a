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
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from multicloud.components._lib.grammars import env_name_problem, printable
from multicloud.stacks.checks import Problem, check
from multicloud.stacks.spec import KINDS, StackSpec

NAMESPACE = "multicloud"

# Credentials live beside the spec in the same namespace but are never part of it: they must
# be Pulumi secrets, and the program reads them with `Config.require_secret`.
CREDENTIALS = {
    "ssh_private_key": "the deploy key releases use to reach hosts over SSH",
    "hetzner_s3_access_key": "a Hetzner Object Storage access key (Cloud Console → Security → S3 credentials)",
    "hetzner_s3_secret_key": "the secret key that belongs to hetzner_s3_access_key",
    "registry_credentials": 'logins for private images, JSON {"ghcr.io": "user:token", …}',
    "secrets": "the application's own secrets by name (services' `secrets:`)",
    "alerts_slack_webhook": "a Slack incoming webhook URL for alerts.slack_channel (https://hooks.slack.com/services/…)",
    "healthchecks_api_key": "a Healthchecks.io project API key (Project Settings → API Access) for backup heartbeats",
}

# A Slack incoming webhook (https://api.slack.com/messaging/webhooks): three IDs after /services/.
SLACK_WEBHOOK = re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+")


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

    from multicloud.components._lib.images import registry_logins

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


def secret_shape_problems(key: str, value: Any) -> list[Problem]:
    """Problems of a credential with a known shape, never echoing it. A stack file's ciphertext
    and the offline placeholder cannot be checked and pass (the engine's run checks them)."""
    if (isinstance(value, dict) and set(value) == {"secure"}) or value == OFFLINE_PLACEHOLDER:
        return []
    if key == "alerts_slack_webhook" and not (isinstance(value, str) and SLACK_WEBHOOK.fullmatch(value)):
        return [(key, "is not a Slack incoming webhook URL (https://hooks.slack.com/services/T…/B…/…)")]
    if key == "healthchecks_api_key" and not (
        isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{16,64}", value)
    ):
        return [(key, "is not a Healthchecks.io API key (letters, digits, - and _)")]
    return []


class ConfigError(Exception):
    """The stack config is invalid. `problems` holds one `(path, message)` per problem."""

    def __init__(self, problems: list[Problem], prefix: str = f"{NAMESPACE}:"):
        self.problems = problems
        self.prefix = prefix
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem: `multicloud:<path>: <message>` (`prefix` then the path). A path
        holds names from the config, so control characters in it are shown escaped: no value
        can add a line."""
        return [printable(f"{self.prefix}{path}: {message}") for path, message in self.problems]


@dataclass(frozen=True)
class RawConfig:
    """The namespace's values by top-level key, and which keys hold secrets."""

    values: dict[str, Any]
    secret_keys: frozenset[str] = field(default_factory=frozenset)


def read_stack_file(path: Path) -> RawConfig:
    """Read a `Pulumi.<stack>.yaml`-format file. Secure values are kept as opaque markers.

    Strict where PyYAML is lenient: a key given twice in one mapping is an error naming both
    lines (PyYAML keeps the last one silently). A missing, unreadable, non-UTF-8 or non-YAML
    file, or one whose top level is not a mapping, is a ConfigError of one line that never
    quotes the file.
    """
    doc = _load_stack_yaml(Path(path))
    if doc is None:
        doc = {}  # an empty file: no config at all, as Pulumi reads it
    if not isinstance(doc, dict):
        raise ConfigError(
            [("<file>", f"{path} holds {_yaml_kind(doc)} at the top level; expected a mapping with config:")]
        )
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


# Far above any real stack file, far below what would hang a plan: a few KB of anchors and
# aliases can otherwise expand to billions of values when the config is passed on as JSON.
_MAX_BYTES = 10 * 1024 * 1024
_MAX_DEPTH = 100
_MAX_VALUES = 200_000
_MERGE = "tag:yaml.org,2002:merge"


class _Refused(yaml.YAMLError):
    """A stack file PyYAML would read but we do not; `message` follows the file's name."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    # Pulumi passes `2024-01-01` to the program as the text it is, not as a date.
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _not_config(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    # Sets, ordered maps and binary have no JSON form: Pulumi config cannot carry them.
    raise _Refused(
        f"uses the YAML tag {node.tag.rsplit(':', 1)[-1]!r} (line {node.start_mark.line + 1}); "
        "stack config holds only text, numbers, booleans, lists and mappings"
    )


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The C loader when PyYAML has it (several times faster on every plan), checked before
    anything is constructed: no key twice in a mapping, no self-referring anchors, bounded
    depth and size, and only values Pulumi config can hold."""

    def construct_document(self, node: yaml.Node) -> Any:
        _check_node(self, node, "", 0, {}, set())
        return super().construct_document(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
for _tag in ("set", "omap", "pairs", "binary"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _not_config)


def _check_node(
    loader: Any, node: yaml.Node, where: str, depth: int, sizes: dict[int, int], open_: set[int]
) -> int:
    """How many values `node` expands to (aliases counted each time they are used); raises
    _Refused at a duplicate key, a self-referring anchor, or too deep or too large a tree."""
    line = node.start_mark.line + 1
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_:
        raise _Refused(f"has an anchor that contains itself (line {line})")
    if depth > _MAX_DEPTH:
        raise _Refused(f"nests values more than {_MAX_DEPTH} levels deep (line {line})")
    open_.add(id(node))
    size = 1
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:  # `<<: *base` merges keys; overriding them is its purpose
                size += _check_node(loader, value_node, where, depth + 1, sizes, open_)
                continue
            size += _check_node(loader, key_node, where, depth + 1, sizes, open_)
            name = "?"
            if isinstance(key_node, yaml.ScalarNode):
                # Keys compare as the constructed values do (`1` and `0x1` are one key).
                key = loader.construct_object(key_node)
                name = _show_key(key)
                here = key_node.start_mark.line + 1
                if isinstance(key, Hashable):
                    if key in first:
                        lines = f"lines {first[key]} and {here}" if first[key] != here else f"line {here}"
                        raise _Refused(
                            f"defines {where + '.' if where else ''}{name} twice ({lines}); keep one"
                        )
                    first[key] = here
            path = f"{where}.{name}" if where else name
            size += _check_node(loader, value_node, path, depth + 1, sizes, open_)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            size += _check_node(loader, item, f"{where}[{index}]", depth + 1, sizes, open_)
    open_.discard(id(node))
    if size > _MAX_VALUES:
        raise _Refused(f"expands to more than {_MAX_VALUES} values (anchors and aliases, line {line})")
    sizes[id(node)] = size
    return size


def _show_key(key: Any) -> str:
    """A key as it appears in an error: plain names as they are, anything else quoted."""
    text = "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
    if re.fullmatch(r"[A-Za-z0-9_:/@-]{1,64}", text):
        return text
    return repr(text[:64])


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a single value"


def _load_stack_yaml(path: Path) -> Any:
    """The YAML document in `path`, or ConfigError with one line naming the problem."""

    def refuse(message: str) -> ConfigError:
        return ConfigError([("<file>", f"{path} {message}")])

    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        raise refuse("does not exist") from None
    except IsADirectoryError:
        raise refuse("is a directory, not a stack file") from None
    except PermissionError:
        raise refuse("cannot be read (permission denied)") from None
    except OSError as err:
        raise refuse(f"cannot be read ({err.strerror or type(err).__name__})") from None
    if len(data) > _MAX_BYTES:
        raise refuse(f"is larger than {_MAX_BYTES // (1024 * 1024)} MB; a stack file is a few KB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise refuse(f"is not UTF-8 text (line {line}); save it as UTF-8") from None
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else loader.construct_document(node)
    except _Refused as err:
        raise refuse(err.message) from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        raise refuse(f"holds a control character YAML does not allow (line {line})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise refuse(f"is not valid YAML{where}") from None
    except RecursionError:
        raise refuse(f"nests values more than {_MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


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
    for key in ("alerts_slack_webhook", "healthchecks_api_key"):
        if key in raw.values and key in raw.secret_keys:
            problems.extend(secret_shape_problems(key, raw.values[key]))
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
    if spec.alerts is not None and spec.alerts.slack_channel is not None:
        needed.add("alerts_slack_webhook")
    if spec.alerts is not None and spec.backed_up_on_hosts():
        needed.add("healthchecks_api_key")
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
