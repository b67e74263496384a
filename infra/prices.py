"""`infra prices refresh`: update a price catalog from the provider's own price source and
show what changed. The parsers and the catalog edits are in costs/refresh; this module fetches
(or reads `--from FILE`) and prints."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from multicloud.components._lib.grammars import printable

# AWS's regional offer files run to hundreds of MB (RDS); the others are small.
MAX_RESPONSE_BYTES = 1024 * 2**20
# Who needs a token, and which environment variable holds it (read-only tokens suffice).
TOKENS = {"digitalocean": "DIGITALOCEAN_TOKEN", "hetzner": "HCLOUD_TOKEN"}


class RefreshUsage(Exception):
    """A refresh that cannot start: a missing token, an unreadable file."""


def add_arguments(sub: Any) -> None:
    """`infra prices refresh …`."""
    help_text = "Refresh price catalogs from the providers' own price sources."
    prices = sub.add_parser("prices", help=help_text, description=help_text)
    actions = prices.add_subparsers(dest="prices_command", required=True, metavar="ACTION")
    refresh_help = "Rewrite one catalog from its provider's price source and print what changed."
    r = actions.add_parser("refresh", help=refresh_help, description=refresh_help)
    # The same names as costs.refresh.PROVIDERS (a test holds them equal); spelled here so
    # building the parser for `plan` never imports the pricing code.
    r.add_argument("--provider", required=True, choices=("fx", "digitalocean", "hetzner", "aws"))
    r.add_argument(
        "--from", dest="from_file", metavar="FILE", type=Path, help="a saved response instead of the network"
    )
    r.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    r.add_argument("--region", help="aws: the region whose prices to read, e.g. eu-central-1")


def run(args: argparse.Namespace, out: Any) -> int:
    """Refresh, print the changes; 0 on success, 2 (via the caller) on a RefreshError."""
    from multicloud.costs.refresh import refresh, source_for

    source = source_for(args.provider)
    if args.provider == "aws" and not args.from_file and not args.region:
        raise RefreshUsage("aws needs --region (the Price List is per region)")
    if args.provider == "aws" and not args.from_file:
        raw = _aws(source.URL, args.region)
    else:
        raw = _read(args.from_file) if args.from_file else fetch(args.provider, source.URL)
    result = refresh(args.provider, raw, dt.date.today(), write=not args.dry_run)
    out.print(printable(f"{args.provider}: prices from {result.source}, read {result.read}"), markup=False)
    for change in result.changes:
        old = "—" if change.old is None else f"{change.old:g}"
        new = "—" if change.new is None else f"{change.new:g}"
        pct = f" ({change.percent:+.1f} %)" if change.percent is not None else ""
        out.print(printable(f"  {change.what}: {old} → {new}{pct}"), markup=False)
    out.print(
        printable(
            f"{len(result.changes)} changed, {result.confirmed} unchanged (now dated {result.read})"
            + (f"; kept by hand, no price source: {', '.join(result.hand_kept)}" if result.hand_kept else "")
            + ("; dry run, nothing written" if args.dry_run else "")
        ),
        markup=False,
    )
    return 0


def _read(path: Path) -> bytes:
    """A saved response: a regular file, read no further than the size limit."""
    if not path.is_file():
        raise RefreshUsage(f"{path} is not a file")
    with path.open("rb") as handle:
        data = handle.read(MAX_RESPONSE_BYTES + 1)
    if len(data) > MAX_RESPONSE_BYTES:
        raise RefreshUsage(f"{path} is larger than {MAX_RESPONSE_BYTES // 2**20} MB")
    return data


def fetch(provider: str, url: str) -> bytes:
    """The live response (all pages of DigitalOcean's sizes)."""

    headers = {"User-Agent": "multicloud-prices-refresh"}
    variable = TOKENS.get(provider)
    if variable:
        token = os.environ.get(variable)
        if not token:
            raise RefreshUsage(f"{provider} needs a read-only API token in {variable} (or --from FILE)")
        headers["Authorization"] = f"Bearer {token}"
    if provider == "digitalocean":
        return _all_pages(url + "?per_page=200", headers)
    if provider == "hetzner":
        return _hetzner(url, headers)
    return _get(url, headers)


def _hetzner(url: str, headers: dict[str, str]) -> bytes:
    """/v1/pricing and the server types (for new types' sizes and deprecations) in one document."""
    import json

    from multicloud.costs.refresh.hetzner import TYPES_URL

    pricing = _get_json(url, headers)
    types: list[Any] = []
    page: int | None = 1
    while page is not None and page <= 20:  # Hetzner pages its lists (meta.pagination.next_page)
        answer = _get_json(f"{TYPES_URL}?per_page=50&page={page}", headers)
        types += answer.get("server_types") or []
        page = ((answer.get("meta") or {}).get("pagination") or {}).get("next_page")
    return json.dumps({"pricing": pricing.get("pricing"), "server_types": types}).encode()


def _get(url: str, headers: dict[str, str]) -> bytes:
    from multicloud.costs.refresh import RefreshError

    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            data: bytes = response.read(MAX_RESPONSE_BYTES + 1)
        if len(data) > MAX_RESPONSE_BYTES:
            raise RefreshError(f"{url.split('?')[0]} answered more than {MAX_RESPONSE_BYTES // 2**20} MB")
        return data
    except urllib.error.HTTPError as err:
        with err:
            raise RefreshError(f"{url.split('?')[0]} answered {err.code}") from None
    except urllib.error.URLError as err:
        raise RefreshError(f"{url.split('?')[0]} unreachable ({err.reason})") from None


def _get_json(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """A JSON object from `url`, or RefreshError (a maintenance page, a list, garbage)."""
    import json

    from multicloud.costs.refresh import RefreshError

    try:
        answer = json.loads(_get(url, headers))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RefreshError(f"{url.split('?')[0]} did not answer JSON") from None
    if not isinstance(answer, dict):
        raise RefreshError(f"{url.split('?')[0]} did not answer a JSON object")
    return answer


def _all_pages(url: str, headers: dict[str, str]) -> bytes:
    """DigitalOcean pages its lists (`links.pages.next`): the sizes of every page in one document."""
    import json

    sizes: list[Any] = []
    next_url: str | None = url
    for _ in range(50):
        if next_url is None:
            return json.dumps({"sizes": sizes}).encode()
        page = _get_json(next_url, headers)
        sizes += page.get("sizes", [])
        next_url = ((page.get("links") or {}).get("pages") or {}).get("next")
    from multicloud.costs.refresh import RefreshError

    raise RefreshError("more than 50 pages of sizes; refusing to follow further")


def _aws(url: str, region: str) -> bytes:
    """The region's offer files of the services we price, in one document."""
    import json
    import re

    from multicloud.costs.refresh.aws import OFFERS

    if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", region):
        raise RefreshUsage(f"{region[:30]!r} is not an AWS region such as eu-central-1")
    headers = {"User-Agent": "multicloud-prices-refresh"}
    offers = {code: _get_json(url.format(offer=code, region=region), headers) for code in OFFERS}
    return json.dumps({"region": region, "offers": offers}).encode()
