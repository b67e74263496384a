"""`infra prices refresh`: rewrite a price catalog from the provider's own price source.

Each source has a module here with the same two functions:

- `parse(raw: bytes) -> Parsed`: strict — a response of an unexpected shape is a
  RefreshError naming what is wrong, never a silent zero or a skipped SKU;
- `apply(doc, parsed, read) -> list[Change]`: update the catalog document in place, every
  price it writes carrying its source URL and the date read; return what changed.

The catalog is edited with ruamel.yaml's round-trip mode, so its comments, anchors and
layout survive a refresh and the diff a reviewer reads is the prices alone (PyYAML would
drop every comment). Nothing is written unless parsing and applying both succeed.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from multicloud.costs.catalog import CATALOG_DIR

PROVIDERS = ("fx", "digitalocean", "hetzner", "aws")


class RefreshError(Exception):
    """A response the refresh cannot trust, or a source it cannot reach; the catalog is untouched."""


@dataclass(frozen=True)
class Change:
    """One price that changed, appeared or went away."""

    what: str
    old: float | None
    new: float | None

    @property
    def percent(self) -> float | None:
        if self.old in (None, 0) or self.new is None:
            return None
        return (self.new - self.old) / self.old * 100  # type: ignore[operator]


@dataclass
class Refresh:
    """What a refresh did to one catalog."""

    provider: str
    read: dt.date
    source: str
    changes: list[Change] = field(default_factory=list)
    confirmed: int = 0
    """Prices the source gave unchanged (their read date moves to today)."""
    hand_kept: list[str] = field(default_factory=list)
    """Entries this source has no price for, kept as they were (with their own sources)."""


class Source(Protocol):
    """A price source module (costs/refresh/<provider>.py)."""

    CATALOG: str
    URL: str

    def parse(self, raw: bytes) -> Any: ...

    def apply(self, doc: Any, parsed: Any, read: dt.date) -> Refresh: ...


def source_for(provider: str) -> Source:
    if provider == "fx":
        from multicloud.costs.refresh import fx

        return fx
    if provider == "digitalocean":
        from multicloud.costs.refresh import digitalocean

        return digitalocean
    if provider == "hetzner":
        from multicloud.costs.refresh import hetzner

        return hetzner
    if provider == "aws":
        from multicloud.costs.refresh import aws

        return aws
    raise RefreshError(f"no price source for {provider}; refreshable: {', '.join(PROVIDERS)}")


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, anchors and flow style are kept
    yaml.indent(mapping=2, sequence=4, offset=2)  # "  - " lists, as the catalogs are written
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def refresh(
    provider: str, raw: bytes, read: dt.date, write: bool = True, catalog_dir: Path = CATALOG_DIR
) -> Refresh:
    """Parse `raw` (the provider's response), update its catalog in `catalog_dir` and write it
    (unless `write` is False); RefreshError leaves the file as it was."""
    source = source_for(provider)
    parsed = source.parse(raw)
    path = catalog_dir / f"{source.CATALOG}.yaml"
    yaml = _yaml()
    doc = yaml.load(path.read_text())
    result = source.apply(doc, parsed, read)
    if write:
        out = io.StringIO()
        yaml.dump(doc, out)
        # Written beside and moved over: an interrupted write never leaves half a catalog.
        partial = path.with_suffix(".yaml.partial")
        partial.write_text(out.getvalue())
        os.replace(partial, path)
        _clear_caches()
    return result


def _clear_caches() -> None:
    """What this process read of the catalogs before the refresh."""
    from multicloud.costs import estimate
    from multicloud.costs.catalog import load
    from multicloud.costs.pricers import base

    for cached in (load, base.entries, base.servers, estimate.eur_usd):
        cached.cache_clear()


def day(date: dt.date) -> dt.date:
    """A date object of its own: ruamel.yaml writes one object used twice as an anchor and
    an alias (`&id001`), which would make the catalog harder to read."""
    return dt.date.fromordinal(date.toordinal())


def plain(value: float) -> float | int:
    """6 for 6.0: the catalogs write whole amounts without a decimal point."""
    return int(value) if float(value).is_integer() else value


def source_node(url: str, read: dt.date) -> Any:
    """`{url: …, read: …}` written inline, as the catalogs spell a source."""
    from ruamel.yaml.comments import CommentedMap

    node = CommentedMap(url=url, read=day(read))
    node.fa.set_flow_style()
    return node


def number(value: Any, what: str) -> float:
    """A price from a response: a finite, non-negative number (strings of one included)."""
    import math

    try:
        result = float(value)
    except (TypeError, ValueError):
        raise RefreshError(f"{what} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(result) or result < 0:
        raise RefreshError(f"{what} is not a non-negative finite number: {str(value)[:40]!r}")
    return result
