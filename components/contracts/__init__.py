"""Provider contracts: what each cloud API accepts for the inputs our backends send.

Pulumi mocks accept any string; the clouds do not. Each provider module here
(`aws.py`, `digitalocean.py`, `hetzner.py`, `cloudflare.py`) lists, for every resource type
its backends emit, the rules the real API enforces on the inputs we set — characters and
lengths of names, descriptions, tags and labels; the images, sizes, regions and versions we
depend on; the scope a name must be unique in; the inputs that replace a stateful resource;
the inputs the provider stores in another form than we send — each rule with the source it
was read from and the date. This module only loops over them.

The check runs as a Pulumi stack transform (`preflight`), registered before the program
registers anything: the engine calls it for every resource before that resource is created
(during `pulumi preview` and `pulumi up`), and the offline plan's mocks call the same
transform, so `infra validate`/`infra plan` report every break before anything exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.output import Unknown

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"


@dataclass(frozen=True)
class Source:
    """Where a rule was read: a documentation page, a provider source file, an issue."""

    ref: str
    read: str
    """The date it was read (YYYY-MM-DD)."""

    def __str__(self) -> str:
        return f"{self.ref}, read {self.read}"


@dataclass(frozen=True)
class Rule:
    """One constraint the provider's API enforces on one input of some resource types.

    `path` addresses the input in the engine's (camelCase) property names: `description`,
    `tags.*` (every value of a map), `tags.<key>` (every key of a map),
    `spec.services[*].name` (every element of a list).
    """

    types: tuple[str, ...]
    path: str
    says: str
    source: Source
    test: Callable[[Any], bool]
    explain: Callable[[Any], list[str]] | None = None
    """For a rule checked against a published schema: what exactly is wrong (the value itself
    is then not shown, it is a whole document)."""

    def __post_init__(self) -> None:
        if not self.types or not self.path or not self.says:
            raise ValueError("a rule needs types, a path and what it says")


# Pulumi's auto-name: the logical name, a separator and 7 random hex characters; a name that
# would be longer than the provider's maximum is an error, not truncated
# (pulumi/pulumi sdk/go/common/resource/resource_id.go NewUniqueName; the bridged providers'
# AutoName(name, maxlen, "-"), read 2026-12-01).
AUTONAME_RANDOM = 7


@dataclass(frozen=True)
class AutoName:
    """A physical name the provider generates when the input is left out (Pulumi's
    auto-naming): the resource's logical name, `separator` and 7 random characters, which
    must obey `rule` like a name we set ourselves."""

    types: tuple[str, ...]
    path: str
    rule: Rule
    separator: str = "-"
    lowercase: bool = False

    def name_for(self, logical: str) -> str:
        name = f"{logical}{self.separator}{'0' * AUTONAME_RANDOM}"
        return name.lower() if self.lowercase else name


@dataclass(frozen=True)
class Unique:
    """A name the provider refuses twice within `scope` (account, region, project, global)."""

    types: tuple[str, ...]
    path: str
    scope: str
    source: Source
    region_path: str | None = None
    """Where the region is, for a name unique per region."""


@dataclass(frozen=True)
class Protected:
    """An input that turns on the provider's own deletion protection. It goes with Pulumi's
    `protect`: with the provider's alone, a replacement creates the new resource and then
    fails to delete the old one, half way through an `up`; with Pulumi's, the engine refuses
    the replacement at preview."""

    types: tuple[str, ...]
    path: str
    source: Source


@dataclass(frozen=True)
class Replaces:
    """Inputs of a stateful resource type whose change replaces it (its data is lost)."""

    type: str
    inputs: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class StoredAs:
    """An input the provider stores in another form than we send, so a naive program would
    show a change on every `pulumi up`, and how the backend avoids that."""

    type: str
    path: str
    stored: str
    handling: str
    source: Source
    ignored: bool = False
    """True when the backend lists `path` in ignore_changes (a test checks it does)."""
    absent: bool = False
    """True when the backend never sends the input at all (a test checks it does not)."""


@dataclass(frozen=True)
class Contract:
    """Everything one provider's API enforces, as data."""

    provider: str
    rules: tuple[Rule, ...] = ()
    auto_names: tuple[AutoName, ...] = ()
    unique: tuple[Unique, ...] = ()
    protections: tuple[Protected, ...] = ()
    replaces: tuple[Replaces, ...] = ()
    stored_as: tuple[StoredAs, ...] = ()

    def __post_init__(self) -> None:
        prefix = f"{self.provider}:"
        items: list[Rule | AutoName | Unique] = [*self.rules, *self.auto_names, *self.unique]
        for item in items:
            for type_token in item.types:
                if not type_token.startswith(prefix):
                    raise ValueError(f"{type_token} is not a {self.provider} type")


# --- rule builders ------------------------------------------------------------------------


def text(pattern: str, max_len: int, min_len: int = 1) -> Callable[[Any], bool]:
    """A string of `min_len`..`max_len` characters matching `pattern` as a whole."""
    compiled = re.compile(pattern)

    def test(value: Any) -> bool:
        return isinstance(value, str) and min_len <= len(value) <= max_len and bool(compiled.fullmatch(value))

    return test


def whole_between(low: int, high: int) -> Callable[[Any], bool]:
    """A whole number from `low` to `high` (the engine carries numbers as floats)."""
    return lambda v: (
        isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer() and low <= v <= high
    )


def one_of(values: Iterable[str]) -> Callable[[Any], bool]:
    """One of an enumeration (an image slug, a region, a version)."""
    allowed = frozenset(values)
    return lambda value: value in allowed


# --- finding inputs -----------------------------------------------------------------------


class _Secret:
    """A secret input: checked like any value, never shown."""

    def __init__(self, value: Any):
        self.value = value


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return _Secret(_unwrap(value.get("value")))
    return value


def select(inputs: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every (concrete path, value) `path` addresses in `inputs`. Absent inputs yield nothing."""

    def walk(value: Any, parts: list[str], where: str) -> Iterator[tuple[str, Any]]:
        value = _unwrap(value)
        secret = isinstance(value, _Secret)
        inner = value.value if secret else value
        if not parts:
            if inner is not None:
                yield where, value
            return
        head, rest = parts[0], parts[1:]
        if isinstance(inner, dict) and head == "*":
            for key, item in inner.items():
                yield from walk(_Secret(item) if secret else item, rest, f"{where}.{key}")
        elif isinstance(inner, dict) and head == "<key>":
            for key in inner:
                yield f"{where}.<key {key}>", key
        elif isinstance(inner, list) and head == "[*]":
            for i, item in enumerate(inner):
                yield from walk(_Secret(item) if secret else item, rest, f"{where}[{i}]")
        elif isinstance(inner, dict) and head in inner:
            yield from walk(
                _Secret(inner[head]) if secret else inner[head], rest, f"{where}.{head}".lstrip(".")
            )

    yield from walk(inputs, re.findall(r"\[\*\]|<key>|[^.\[\]]+", path), "")


def _known(value: Any) -> bool:
    """Unknown until the provider computes it (a preview of a new resource): not checkable yet."""
    return not isinstance(value, Unknown)


# --- the check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """One input that breaks one rule."""

    type: str
    name: str
    path: str
    shown: str
    says: str
    source: Source

    def line(self) -> str:
        return f"{self.type} {self.name!r}: {self.path} = {self.shown} breaks the rule: {self.says} ({self.source})"


def _shown(value: Any) -> str:
    if isinstance(value, _Secret):
        return "<secret>"
    # repr escapes control characters, so nothing here can drive the terminal.
    shown = ascii(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def contracts() -> tuple[Contract, ...]:
    """Every provider's contract (each module is plain data, no provider SDK is imported)."""
    from multicloud.components.contracts import aws, checkly, cloudflare, digitalocean, hetzner, tls

    return (
        aws.CONTRACT,
        digitalocean.CONTRACT,
        hetzner.CONTRACT,
        cloudflare.CONTRACT,
        checkly.CONTRACT,
        tls.CONTRACT,
    )


def breaks(type_token: str, name: str, inputs: Mapping[str, Any], protect: bool = False) -> list[Break]:
    """Every rule `inputs` of a `type_token` resource named `name` (Pulumi-protected or not)
    break."""
    found: list[Break] = []
    for contract in contracts():
        if not type_token.startswith(f"{contract.provider}:"):
            continue
        for rule in contract.rules:
            if type_token not in rule.types:
                continue
            for where, value in select(inputs, rule.path):
                plain = value.value if isinstance(value, _Secret) else value
                if _known(plain) and not rule.test(plain):
                    if rule.explain is not None:
                        for problem in rule.explain(plain):
                            found.append(
                                Break(type_token, name, where, "...", f"{rule.says}: {problem}", rule.source)
                            )
                    else:
                        found.append(Break(type_token, name, where, _shown(value), rule.says, rule.source))
        for auto in contract.auto_names:
            if type_token in auto.types and not any(True for _ in select(inputs, auto.path)):
                generated = auto.name_for(name)
                if not auto.rule.test(generated):
                    found.append(
                        Break(
                            type_token,
                            name,
                            f"{auto.path} (auto-named {name}{auto.separator}<{AUTONAME_RANDOM} random>)",
                            ascii(generated),
                            auto.rule.says,
                            auto.rule.source,
                        )
                    )
        for protection in contract.protections:
            if type_token not in protection.types or protect:
                continue
            for where, value in select(inputs, protection.path):
                if value is True:
                    found.append(
                        Break(
                            type_token,
                            name,
                            where,
                            "true",
                            "provider deletion protection needs Pulumi's protect too (a replacement would "
                            "fail half way: the new resource created, the old one undeletable)",
                            protection.source,
                        )
                    )
    return found


class ContractBreach(Exception):
    """A resource's inputs break its provider's rules; it must not be created."""

    def __init__(self, found: list[Break]):
        self.breaks = found
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per break: the resource, the input, the rule and its source."""
        return [b.line() for b in self.breaks]


async def resolve(value: Any) -> Any:
    """Inputs as the engine hands them to a transform — secrets and unknowns arrive as
    `pulumi.Output`s (it upgrades them to output values) — turned into what `breaks` reads:
    plain values, secret wrappers, and `Unknown` where the value is not known yet."""
    if isinstance(value, pulumi.Output):
        if not await value.is_known():
            return Unknown()
        inner = await resolve(await value.future())
        return {SIG_KEY: SECRET_SIG, "value": inner} if await value.is_secret() else inner
    if isinstance(value, dict):
        return {key: await resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [await resolve(item) for item in value]
    return value


async def preflight(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """The stack transform: refuse to register a resource whose inputs its provider would
    reject. Components are not sent to any provider and pass unchecked.

    The engine runs it before it creates each resource, so a break stops that resource and
    everything after it; with a preview first (the default of `pulumi up`) nothing is created.
    Values still unknown at preview are checked at `up`, when they are known."""
    if args.custom:
        protect = bool(args.opts.protect) if args.opts is not None else False
        found = breaks(args.type_, args.name, await resolve(args.props), protect)
        if found:
            raise ContractBreach(found)
    return None
