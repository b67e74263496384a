"""How old the prices behind an estimate are: every line carries the date its price was read
(the catalog's `read:`), the estimate names the oldest, lines older than the limit are flagged
in the table, the Markdown and the JSON, and `--strict-prices` turns them into a failed
budget check."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from multicloud.components._lib import types
from multicloud.costs.catalog import load
from multicloud.costs.estimate import estimate, infracost_json
from multicloud.costs.pricers import Resource
from multicloud.costs.report import age_note, markdown
from multicloud.infra.cli import main
from tests.conftest import ROOT

DROPLET = Resource("urn:droplet", types.DO_DROPLET, "api", None, {"size": "s-1vcpu-1gb"})
SERVER = Resource("urn:server", types.HCLOUD_SERVER, "box", None, {"serverType": "cx23"})


def droplets_read() -> dt.date:
    """When the catalog's droplet prices were read (the test follows the catalog)."""
    return load("digitalocean")["sources"]["droplets"]["read"]


def test_each_line_carries_the_date_its_price_was_read():
    est = estimate([DROPLET], today=droplets_read())
    ((_, line),) = est.all_lines()
    assert (
        line.price_date == droplets_read()
        and line.source == load("digitalocean")["sources"]["droplets"]["url"]
    )


def test_a_price_older_than_the_limit_is_flagged_everywhere():
    later = droplets_read() + dt.timedelta(days=121)
    est = estimate([DROPLET], today=later)
    assert est.oldest_price_date == droplets_read()
    assert [line.name for _, line in est.stale_lines] == ["droplet s-1vcpu-1gb (1 vCPU, 1 GB)"]
    assert "1 line priced more than 120 days before" in age_note(est)
    assert "droplet s-1vcpu-1gb (1 vCPU, 1 GB) ‡" in markdown(est, "t")
    doc = infracost_json(est, "multicloud", "t", extended=True)
    (line,) = doc["projects"][0]["breakdown"]["resources"][0]["metadata"]["multicloud"]["lines"]
    assert (line["priceDate"], line["stalePrice"]) == (droplets_read().isoformat(), True)
    extra = doc["multicloud"]
    assert (extra["oldestPriceDate"], extra["stalePriceLines"], extra["maxPriceAgeDays"]) == (
        droplets_read().isoformat(),
        1,
        120,
    )


def test_within_the_limit_nothing_is_flagged():
    est = estimate([DROPLET], today=droplets_read() + dt.timedelta(days=120))
    assert est.stale_lines == [] and "none older than 120 days" in age_note(est)
    assert "‡" not in markdown(est, "t").split("\\* usage-based")[0]


def test_the_exchange_rate_is_dated_when_a_total_converts():
    rate_day = dt.date.fromisoformat(str(next(r for r in load("fx")["rates"])["date"]))
    mixed = estimate([DROPLET, SERVER], currency="EUR", today=rate_day + dt.timedelta(days=200))
    assert mixed.converted and mixed.rate_stale
    assert f"EUR→USD rate of {rate_day.isoformat()} (stale)" in age_note(mixed)
    single = estimate([DROPLET], currency="USD", today=rate_day + dt.timedelta(days=200))
    assert not single.converted and not single.rate_stale


def test_strict_prices_fail_the_budget_check_with_one_line_per_stale_price(capsys):
    stack = str(ROOT / "examples" / "hetzner-single-box.yaml")
    # Within budget and a limit no price reaches: passes.
    assert (
        main(["cost", "--config", stack, "--check-budget", "--strict-prices", "--max-price-age", "3650"]) == 0
    )
    capsys.readouterr()
    # A one-day limit: every price read before today is stale.
    assert main(["cost", "--config", stack, "--check-budget", "--strict-prices", "--max-price-age", "1"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith("stale price, older than 1 days: ") for line in err)
    # Without --strict-prices, age alone never fails the check.
    assert main(["cost", "--config", stack, "--check-budget", "--max-price-age", "1"]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--strict-prices"], "--strict-prices goes with --check-budget"),
        (["--max-price-age", "0"], "a whole number of days from 1 to 3650"),
        (["--max-price-age", "1e9"], "a whole number of days from 1 to 3650"),
    ],
)
def test_bad_age_options_are_one_line(argv, message, capsys):
    try:
        code = main(["cost", "--config", str(ROOT / "Pulumi.prod.yaml"), *argv])
    except SystemExit as exit_:  # argparse's own refusal of an option's value
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_the_json_of_the_prod_stack_names_its_oldest_price(capsys):
    assert main(["cost", "--config", str(ROOT / "Pulumi.prod.yaml"), "--format", "multicloud-json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    resources = doc["projects"][0]["breakdown"]["resources"]
    dates = [line["priceDate"] for r in resources for line in r["metadata"]["multicloud"]["lines"]]
    assert doc["multicloud"]["oldestPriceDate"] == min(dates) and all(dates)


def test_an_aws_region_the_catalog_does_not_price_is_said_not_hidden(aws_plan, capsys, tmp_path):
    """The catalog prices us-east-1; a stack in eu-central-1 is priced at those rates and the
    estimate says so in the table, the JSON and --strict-prices."""
    from multicloud.costs.estimate import estimate_plan
    from tests.aws_plans import example_config
    from tests.conftest import write_stack

    config = example_config("aws.yaml")
    config["aws"] = {**config["aws"], "region": "eu-central-1"}
    (note,) = estimate_plan(aws_plan(config)).approximations
    assert note.startswith("AWS prices in eu-central-1 are us-east-1's for ")
    assert {"fargate", "alb", "nat_gateway", "rds_instance_classes"} <= set(
        note.split(" for ")[1].split(" (")[0].split(", ")
    )
    assert "route53_health_check" not in note and "cloudfront" not in note  # global prices
    assert estimate_plan(aws_plan(example_config("aws.yaml"))).approximations == []
    stack = str(
        write_stack(tmp_path / "Pulumi.eu.yaml", config | {"budget": {"monthly": 1000, "currency": "USD"}})
    )
    assert main(["cost", "--config", stack, "--format", "multicloud-json"]) == 0
    assert json.loads(capsys.readouterr().out)["multicloud"]["approximations"] == [note]
    argv = ["cost", "--config", stack, "--check-budget", "--strict-prices", "--max-price-age", "3650"]
    assert main(argv) == 3
    assert capsys.readouterr().err == f"approximate price: {note}\n"
