"""Reading the engine's props: values unknown during preview, and absent properties.

The engine hands a policy its props as unknown-checking proxies: reading a value it does not
know yet (an output of a resource not created during `preview`) raises UnknownValueError.
`plain` turns them into dicts and lists in which such a value is UNKNOWN; `get` reads a path
of them and answers MISSING for a property that is not set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


UNKNOWN: Any = _Marker("UNKNOWN")
"""A value the engine does not know yet (preview): checks skip it."""
MISSING: Any = _Marker("MISSING")
"""A property that is not set: checks read it as the provider's default."""

_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


def plain(value: Any) -> Any:
    """The engine's props (unknown-checking proxies) as plain dicts and lists, with every
    unknown value replaced by UNKNOWN; never raises UnknownValueError."""
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value):
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def get(node: Any, *path: str | int) -> Any:
    """`node[path…]` of plain props: the value, UNKNOWN (if any step is unknown) or MISSING."""
    for key in path:
        if node is UNKNOWN:
            return UNKNOWN
        if isinstance(key, int):
            if not isinstance(node, list) or not -len(node) <= key < len(node):
                return MISSING
        elif not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    if node is None:
        return MISSING
    return node


def items(value: Any) -> list[Any]:
    """A list property's elements ([] when absent or unknown; elements may be UNKNOWN)."""
    return value if isinstance(value, list) else []


def as_list(value: Any) -> list[Any]:
    """A JSON value that may be one item or a list of them, as a list."""
    return value if isinstance(value, list) else [value]


def show(value: Any) -> str:
    """A property value for a violation message (never used for secrets). The engine sends
    every number as a float: 7.0 is shown as 7."""
    if value is MISSING:
        return "not set"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
