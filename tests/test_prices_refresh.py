"""`infra prices refresh`: the parsers on recorded, real-shaped responses, and the catalog
edits they make. Fixtures (tests/data/refresh/):

- ecb-eurofxref-daily.xml — the ECB's daily reference-rates document as it publishes it
  (https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml: a gesmes:Envelope, one
  dated Cube of per-currency Cubes), with the rate of 2026-11-30 set to 1.1570.
- do-sizes.json — a `/v2/sizes` answer with the fields and types of DigitalOcean's OpenAPI
  size model (digitalocean/openapi specification/resources/sizes/models/size.yml): the
  catalog's sizes with one price changed (s-2vcpu-4gb 24 → 26), one new Basic size
  (s-2vcpu-8gb), one now unavailable (s-8vcpu-16gb, so removed), and sizes the catalog does
  not keep (a CPU-optimized one, a non-standard slug).

A refresh works on a copy of the catalogs in a temporary directory, never on the repository's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from multicloud.costs.catalog import CATALOG_DIR, current_price
from multicloud.costs.refresh import PROVIDERS, RefreshError, refresh
from multicloud.infra.cli import main

DATA = Path(__file__).parent / "data" / "refresh"
TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    shutil.copytree(CATALOG_DIR, tmp_path / "catalog")
    return tmp_path / "catalog"


def loaded(catalogs: Path, name: str) -> dict:
    return yaml.safe_load((catalogs / f"{name}.yaml").read_text())


def test_fx_takes_the_ecb_rate_and_dates_it(catalogs):
    result = refresh("fx", (DATA / "ecb-eurofxref-daily.xml").read_bytes(), TODAY, catalog_dir=catalogs)
    (change,) = result.changes
    assert (change.old, change.new) == (1.1637, 1.157)
    (rate,) = loaded(catalogs, "fx")["rates"]
    assert (rate["rate"], rate["date"]) == (1.157, dt.date(2026, 11, 30))
    assert rate["source"] == {
        "url": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml",
        "read": TODAY,
    }
    # The comments of the file survive.
    assert (catalogs / "fx.yaml").read_text().startswith("# Exchange rates used")


def test_digitalocean_changes_adds_and_removes_droplet_sizes(catalogs):
    result = refresh("digitalocean", (DATA / "do-sizes.json").read_bytes(), TODAY, catalog_dir=catalogs)
    changes = {c.what: (c.old, c.new) for c in result.changes}
    assert changes == {
        "droplet s-2vcpu-4gb": (24.0, 26.0),
        "droplet s-2vcpu-8gb (new)": (None, 42.0),
        "droplet s-8vcpu-16gb (retired: not sold by /v2/sizes)": (96.0, 96.0),
    }
    assert result.confirmed == 4  # s-1vcpu-1gb, s-1vcpu-2gb, s-2vcpu-2gb, s-4vcpu-8gb
    assert {"postgres_sizes", "valkey_sizes", "load_balancer", "app_sizes"} <= set(result.hand_kept)
    types = {t["name"]: t for t in loaded(catalogs, "digitalocean")["server_types"]}
    assert set(types) == {
        "s-1vcpu-1gb",
        "s-1vcpu-2gb",
        "s-2vcpu-2gb",
        "s-2vcpu-4gb",
        "s-2vcpu-8gb",
        "s-4vcpu-8gb",
        "s-8vcpu-16gb",
    }
    # Kept for the droplets still running on it, marked so no new one gets it.
    assert types["s-8vcpu-16gb"]["retired"] == TODAY and "retired" not in types["s-4vcpu-8gb"]
    # The new price applies from the day it was read; the old one stays for the past.
    assert current_price(types["s-2vcpu-4gb"]["prices"], TODAY)["monthly"] == 26
    assert current_price(types["s-2vcpu-4gb"]["prices"], TODAY - dt.timedelta(days=1))["monthly"] == 24
    assert types["s-2vcpu-8gb"]["memory_gb"] == 8 and types["s-2vcpu-8gb"]["locations"][0] == "ams3"
    # An unchanged price is now dated today, from the API.
    confirmed = current_price(types["s-1vcpu-1gb"]["prices"], TODAY)
    assert confirmed["source"] == {"url": "https://api.digitalocean.com/v2/sizes", "read": TODAY}
    # Hand-kept entries are as they were, with their own sources.
    assert (
        loaded(catalogs, "digitalocean")["postgres_sizes"]
        == yaml.safe_load((CATALOG_DIR / "digitalocean.yaml").read_text())["postgres_sizes"]
    )


def _sizes(**change: object) -> bytes:
    doc = json.loads((DATA / "do-sizes.json").read_text())
    doc["sizes"][1].update(change)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("provider", "raw", "message"),
    [
        ("digitalocean", b"<html>rate limited</html>", "not JSON"),
        ("digitalocean", b'{"droplets": []}', "no `sizes` list"),
        ("digitalocean", _sizes(price_monthly="free"), "s-1vcpu-1gb price_monthly is not a number"),
        ("digitalocean", _sizes(price_monthly=-6), "not a non-negative finite number"),
        ("digitalocean", _sizes(regions=["Frankfurt"]), "regions that are not region slugs"),
        ("digitalocean", json.dumps({"sizes": [{"slug": "s-1vcpu-1gb"}]}).encode(), "lacks memory"),
        ("fx", b"not xml", "not XML"),
        ("fx", (DATA / "ecb-eurofxref-daily.xml").read_bytes().replace(b"USD", b"XXX"), "no single USD rate"),
        (
            "fx",
            (DATA / "ecb-eurofxref-daily.xml").read_bytes().replace(b"1.1570", b"11.570"),
            "outside 0.5-2.0",
        ),
        ("fx", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "DTD or entities"),
    ],
)
def test_a_malformed_response_is_refused_and_the_catalog_untouched(catalogs, provider, raw, message):
    name = "fx" if provider == "fx" else "digitalocean"
    before = (catalogs / f"{name}.yaml").read_bytes()
    with pytest.raises(RefreshError, match=message):
        refresh(provider, raw, TODAY, catalog_dir=catalogs)
    assert (catalogs / f"{name}.yaml").read_bytes() == before


def test_the_cli_dry_run_prints_the_changes_and_writes_nothing(capsys):
    before = (CATALOG_DIR / "digitalocean.yaml").read_bytes()
    argv = [
        "prices",
        "refresh",
        "--provider",
        "digitalocean",
        "--from",
        str(DATA / "do-sizes.json"),
        "--dry-run",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "droplet s-2vcpu-4gb: 24 → 26 (+8.3 %)" in out and "dry run, nothing written" in out
    assert (CATALOG_DIR / "digitalocean.yaml").read_bytes() == before


def test_the_cli_refuses_without_a_token_or_with_a_bad_file(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    assert main(["prices", "refresh", "--provider", "digitalocean"]) == 2
    assert "needs a read-only API token in DIGITALOCEAN_TOKEN" in capsys.readouterr().err
    bad = tmp_path / "sizes.json"
    bad.write_text("{}")
    assert main(["prices", "refresh", "--provider", "digitalocean", "--from", str(bad), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "no `sizes` list; the catalog is unchanged" in err and "Traceback" not in err


def test_the_cli_offers_every_refreshable_source():
    from multicloud.infra.cli import _parser

    (prices,) = [a for a in _parser()._subparsers._group_actions if "prices" in a.choices]  # type: ignore[union-attr]
    refresh_parser = prices.choices["prices"]._subparsers._group_actions[0].choices["refresh"]
    (provider,) = [a for a in refresh_parser._actions if a.dest == "provider"]
    assert tuple(provider.choices) == PROVIDERS


# --- Hetzner: every location, US and Singapore price lists included ------------------------

HETZNER = DATA / "hetzner-pricing.json"


def test_hetzner_reads_every_price_list(catalogs):
    result = refresh("hetzner", HETZNER.read_bytes(), TODAY, catalog_dir=catalogs)
    changes = {c.what: (c.old, c.new) for c in result.changes}
    assert changes["server cx23"] == (5.49, 5.99)
    assert changes["server cx63 (new)"] == (None, 58.99)
    assert changes["server ccx23 (retired: kept for running servers)"] == (85.99, 85.99)
    assert changes["server cx33 (US price list, new)"] == (None, 10.19)
    assert changes["server cx33 (SG price list, new)"] == (None, 16.13)
    types = {t["name"]: t for t in loaded(catalogs, "hetzner")["server_types"]}
    assert (
        types["ccx23"]["retired"] == TODAY and types["cx63"]["cpu"] == 32 and types["cx63"]["memory_gb"] == 64
    )
    assert types["cx33"]["locations"] == ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"]
    (us,) = types["cx33"]["regional"]["us"]
    assert (us["monthly"], us["included_tb"], us["traffic_per_tb"]) == (10.19, 1, 1)
    assert types["cax11"]["locations"] == ["fsn1", "nbg1", "hel1"] and "regional" not in types["cax11"]
    assert {"object_storage_base", "object_storage_extra_tb"} <= set(result.hand_kept)


def test_hetzner_refuses_two_prices_within_one_list(catalogs):
    doc = json.loads(HETZNER.read_text())
    doc["pricing"]["server_types"][0]["prices"][1]["price_monthly"]["net"] = "9.9900000000"  # nbg1 ≠ fsn1
    before = (catalogs / "hetzner.yaml").read_bytes()
    with pytest.raises(RefreshError, match="different prices within the EU list"):
        refresh("hetzner", json.dumps(doc).encode(), TODAY, catalog_dir=catalogs)
    assert (catalogs / "hetzner.yaml").read_bytes() == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["pricing"].update(currency="USD"), "the catalog in EUR"),
        (lambda d: d["pricing"]["server_types"][0]["prices"][0].pop("included_traffic"), "not a byte count"),
        (
            lambda d: d["pricing"]["server_types"][0]["prices"][0].update(location="Falkenstein"),
            "location slug",
        ),
        (lambda d: d["pricing"].pop("volume"), "pricing.volume"),
        (lambda d: d["pricing"].update(primary_ips=[]), "no single ipv4 entry"),
        (lambda d: d["server_types"][0].update(architecture="risc-v"), "unknown architecture"),
    ],
)
def test_hetzner_refuses_an_unexpected_shape(catalogs, edit, message):
    doc = json.loads(HETZNER.read_text())
    edit(doc)
    with pytest.raises(RefreshError, match=message):
        refresh("hetzner", json.dumps(doc).encode(), TODAY, catalog_dir=catalogs)


@contextlib.contextmanager
def catalogs_in_use(catalogs, monkeypatch):
    """The engine reads `catalogs` (its cached catalogs and rates dropped) while inside."""
    from multicloud import costs

    caches = (
        costs.catalog.load,
        costs.pricers.base.entries,
        costs.pricers.base.servers,
        costs.estimate.eur_usd,
    )
    for cached in caches:
        cached.cache_clear()
    monkeypatch.setattr(costs.catalog, "CATALOG_DIR", catalogs)
    try:
        yield catalogs
    finally:
        monkeypatch.undo()
        for cached in caches:
            cached.cache_clear()


@pytest.fixture
def refreshed_catalog(catalogs, monkeypatch):
    """The catalogs after a Hetzner refresh from the recorded answer, in use by the engine."""
    refresh("hetzner", HETZNER.read_bytes(), TODAY, catalog_dir=catalogs)
    with catalogs_in_use(catalogs, monkeypatch):
        yield catalogs


def test_a_host_in_ashburn_plans_and_prices_with_the_us_list(refreshed_catalog, run_plan):
    """After the refresh (tests/data/refresh/hetzner-pricing.json), `ash` is a priced location:
    the host gets the cheapest type on the US list, and the plan prices it at the US price with
    the US traffic allowance (1 TB per server, not 20)."""
    from multicloud.costs.estimate import estimate_plan
    from tests.conftest import base_config

    config = base_config()
    config["hosts"]["main"]["location"] = "ash"
    config["hosts"]["main"]["size"] = {"cpu": 4, "memory_gb": 8}
    config["usage"] = {"egress_gb": 3000}
    result = run_plan(config)
    (server,) = [r for r in result.registrations if r.type == "hcloud:index/server:Server"]
    assert (server.inputs["serverType"], server.inputs["location"]) == ("cx33", "ash")
    lines = {line.name: line for line in estimate_plan(result).components["main"].lines}
    assert lines["server cx33 (4 vCPU, 8 GB)"].unit_price == 10.19
    traffic = lines["traffic (3000 GB of 1 TB included)"]
    assert (traffic.quantity, traffic.unit_price) == (2.0, 1.0)


def test_before_a_refresh_ashburn_is_refused_with_the_reason():
    from multicloud.stacks.loader import ConfigError, RawConfig, parse
    from tests.conftest import base_config

    config = base_config()
    config["hosts"]["main"]["location"] = "ash"
    with pytest.raises(ConfigError) as refused:
        parse(RawConfig(config | {"ssh_private_key": "x"}, frozenset({"ssh_private_key"})))
    assert (
        "multicloud:hosts.main.location: ash is billed by Hetzner's US price list, which this catalog does "
        "not have yet (infra prices refresh --provider hetzner reads it); priced: fsn1, hel1, nbg1"
    ) in refused.value.lines()


# --- AWS: one region from the Price List ---------------------------------------------------

AWS_EU = DATA / "aws-eu-central-1.json"


def test_aws_reads_the_regions_prices_and_ignores_the_distractors(catalogs):
    result = refresh("aws", AWS_EU.read_bytes(), TODAY, catalog_dir=catalogs)
    regional = loaded(catalogs, "aws")["regional"]["eu-central-1"]
    assert (regional["fargate"]["x86"]["vcpu_hour"], regional["fargate"]["arm64"]["gb_hour"]) == (
        0.04655,
        0.00409,
    )
    assert regional["rds_instance_classes"]["db.t4g.micro"]["hourly"] == 0.019  # Single-AZ PostgreSQL only
    assert regional["rds_storage_gp3"]["gb_month"] == 0.133
    assert regional["elasticache_node_types"]["cache.t4g.micro"]["hourly"] == {
        "valkey": 0.0144,
        "redis": 0.018,
    }
    assert (regional["alb"]["hourly"], regional["alb"]["lcu_hour"]) == (0.027, 0.008)
    assert regional["alb"]["source"]["url"].endswith("/AWSELB/current/eu-central-1/index.json")
    assert len(result.changes) == 16 and "nat_gateway" in result.hand_kept
    # The base (us-east-1) prices are untouched.
    assert (
        loaded(catalogs, "aws")["alb"]["hourly"]
        == yaml.safe_load((CATALOG_DIR / "aws.yaml").read_text())["alb"]["hourly"]
    )


def _aws(edit) -> bytes:
    doc = json.loads(AWS_EU.read_text())
    edit(doc)
    return json.dumps(doc).encode()


def _first(offer: dict, family: str) -> str:
    return next(s for s, p in offer["products"].items() if p["productFamily"] == family)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(region="Frankfurt"), "names no region"),
        (lambda d: d["offers"].pop("AWSELB"), "lacks the offers AWSELB"),
        (
            lambda d: d["offers"]["AmazonRDS"]["products"].clear(),
            "expected one product for RDS db.t4g.micro, found 0",
        ),
        (
            lambda d: d["offers"]["AmazonRDS"]["products"]["AMAZ0003SKU"]["attributes"].update(
                deploymentOption="Single-AZ"
            ),
            "expected one product for RDS db.t4g.micro, found 2",
        ),
        (
            lambda d: next(iter(next(iter(d["offers"]["AmazonECS"]["terms"]["OnDemand"].values())).values()))[
                "priceDimensions"
            ].clear(),
            "expected one on-demand price per hours for Fargate x86 vCPU",
        ),
    ],
)
def test_aws_refuses_what_it_cannot_read_exactly(catalogs, edit, message):
    before = (catalogs / "aws.yaml").read_bytes()
    with pytest.raises(RefreshError, match=message):
        refresh("aws", _aws(edit), TODAY, catalog_dir=catalogs)
    assert (catalogs / "aws.yaml").read_bytes() == before


def test_an_aws_stack_in_the_refreshed_region_is_priced_there(catalogs, monkeypatch, aws_plan):
    from multicloud.costs.estimate import estimate_plan
    from tests.aws_plans import example_config

    refresh("aws", AWS_EU.read_bytes(), TODAY, catalog_dir=catalogs)
    config = example_config("aws.yaml")
    config["aws"] = {**config["aws"], "region": "eu-central-1"}
    result = aws_plan(config)
    with catalogs_in_use(catalogs, monkeypatch):
        est = estimate_plan(result)
    lines = {line.name: line for _, line in est.all_lines()}
    rds = next(line for name, line in lines.items() if name.startswith("RDS db.t4g.small"))
    assert rds.unit_price == 0.038 and rds.source.endswith("/AmazonRDS/current/eu-central-1/index.json")
    (note,) = est.approximations
    assert "nat_gateway" in note and "fargate" not in note and "alb" not in note
    assert "public_ipv4" not in note  # the same price in every commercial region


def test_a_retired_type_still_prices_running_servers_but_is_never_chosen(refreshed_catalog, run_plan):
    """ccx23 is deprecated in the recorded /v1/server_types: a host that names it still plans
    and is priced; a host sized by cpu/memory never gets it."""
    from multicloud.costs.catalog import server_types
    from multicloud.costs.estimate import estimate_plan
    from multicloud.stacks.sizing import SizingError, resolve_server_type
    from multicloud.stacks.spec import HostSpec
    from tests.conftest import base_config

    (ccx23,) = [s for s in server_types("hetzner") if s.name == "ccx23"]
    assert ccx23.retired and ccx23.monthly == 85.99
    with pytest.raises(SizingError, match="the largest is ccx13"):  # ccx23, the only fit, is retired
        resolve_server_type(
            HostSpec(target="hetzner", size={"cpu": 4, "memory_gb": 16}, cpu_kind="dedicated")
        )
    config = base_config()
    config["hosts"]["main"] = {"target": "hetzner", "server_type": "ccx23", "location": "fsn1"}
    lines = {line.name: line for line in estimate_plan(run_plan(config)).components["main"].lines}
    assert lines["server ccx23 (4 vCPU, 16 GB)"].unit_price == 85.99


def test_an_aws_refresh_keeps_regional_prices_it_does_not_read(catalogs):
    refresh("aws", AWS_EU.read_bytes(), TODAY, catalog_dir=catalogs)
    path = catalogs / "aws.yaml"
    hand = "    nat_gateway: {hourly: 0.052, gb_processed: 0.052, source: {url: x, read: 2026-12-01}}\n"
    path.write_text(path.read_text().replace("  eu-central-1:\n", "  eu-central-1:\n" + hand, 1))
    refresh("aws", AWS_EU.read_bytes(), TODAY, catalog_dir=catalogs)
    regional = loaded(catalogs, "aws")["regional"]["eu-central-1"]
    assert regional["nat_gateway"]["hourly"] == 0.052 and regional["alb"]["hourly"] == 0.027


def test_a_saved_response_must_be_a_file(capsys, tmp_path):
    assert main(["prices", "refresh", "--provider", "fx", "--from", str(tmp_path), "--dry-run"]) == 2
    assert "is not a file; the catalog is unchanged" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("answer", "message"),
    [(b"<html>maintenance</html>", "did not answer JSON"), (b"[]", "not answer a JSON object")],
)
def test_a_live_answer_that_is_not_a_json_object_is_one_line(monkeypatch, capsys, answer, message):
    from multicloud.infra import prices

    monkeypatch.setenv("HCLOUD_TOKEN", "t" * 64)
    monkeypatch.setattr(prices, "_get", lambda url, headers: answer)
    assert main(["prices", "refresh", "--provider", "hetzner", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "t" * 64 not in err


def test_a_location_hetzner_withdrew_a_type_from_is_no_longer_offered(catalogs):
    doc = json.loads(HETZNER.read_text())
    (cx33,) = [t for t in doc["server_types"] if t["name"] == "cx33"]
    cx33["locations"] = [
        {"id": 1, "name": "fsn1", "deprecation": None},
        {"id": 5, "name": "sin", "deprecation": {"announced": "2026-06-01T00:00:00Z", "unavailable_after": "2026-09-01T00:00:00Z"}},
    ]  # fmt: skip
    refresh("hetzner", json.dumps(doc).encode(), TODAY, catalog_dir=catalogs)
    types = {t["name"]: t for t in loaded(catalogs, "hetzner")["server_types"]}
    assert "sin" not in types["cx33"]["locations"] and "sg" not in types["cx33"]["regional"]
    assert "sin" in types["cx23"]["locations"]
