"""The prices the component facades quote in their docstrings agree with the catalog.

Every dollar or euro figure in a docstring of `components/*/__init__.py` must be one of the
phrases in QUOTED, which says what the figure is in `costs/catalog/*.yaml`. A new figure
without an entry fails, an entry whose phrase is gone fails, and a figure that disagrees with
the catalog fails. A figure after "≈" is rounded to the digits it shows; any other is exact.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import pytest

from multicloud.costs.catalog import load
from tests.conftest import ROOT

MONEY = re.compile(r"(≈\s*)?[$€](\d[\d,]*(?:\.\d+)?)")


def _named(provider: str, key: str, name: str) -> dict[str, Any]:
    return next(e for e in load(provider)[key] if e["name"] == name)


def _monthly(hourly: float) -> float:
    """An hourly price over AWS's month."""
    return hourly * load("aws")["hours_per_month"]


def _fargate_task(vcpu: float, gb: float) -> float:
    rates = load("aws")["fargate"]["x86"]
    return _monthly(vcpu * rates["vcpu_hour"] + gb * rates["gb_hour"])


# (facade, the phrase around the figure) → the catalog value the figure states.
QUOTED: dict[tuple[str, str], Callable[[], float]] = {
    ("api_service", "adds $12/month per node"): lambda: load("digitalocean")["load_balancer"][
        "monthly_per_node"
    ],
    ("api_service", "$5/month for apps-s-1vcpu-0.5gb"): lambda: _named(
        "digitalocean", "app_sizes", "apps-s-1vcpu-0.5gb"
    )["monthly"],
    ("api_service", "autoscaling needs a dedicated size, from $29"): lambda: min(
        s["monthly"] for s in load("digitalocean")["app_sizes"] if s["dedicated"]
    ),
    ("api_service", "0.25 vCPU / 0.5 GB ≈ $9/month in us-east-1"): lambda: _fargate_task(0.25, 0.5),
    ("api_service", "the load balancer (≈ $16.43/month + LCUs"): lambda: _monthly(
        load("aws")["alb"]["hourly"]
    ),
    ("api_service", "$3.65/month per public IPv4"): lambda: _monthly(load("aws")["public_ipv4"]["hourly"]),
    ("alerts", "AWS $1.50/month for the HTTPS health check"): lambda: (
        load("aws")["route53_health_check"]["aws_endpoint_monthly"]
        + load("aws")["route53_health_check"]["https_aws_monthly"]
    ),
    ("alerts", "plus $0.10 per alarm"): lambda: load("aws")["cloudwatch_alarm"]["monthly"],
    ("alerts", "DigitalOcean $1/month per check"): lambda: load("digitalocean")["uptime_check"]["monthly"],
    ("alerts", "Checkly $0.40/month per monitor"): lambda: load("checkly")["uptime_monitor"]["monthly"],
    ("network", "a NAT gateway, $0.045/h"): lambda: load("aws")["nat_gateway"]["hourly"],
    ("network", "≈ $32.85/month plus"): lambda: _monthly(load("aws")["nat_gateway"]["hourly"]),
    ("network", "plus $0.045 per GB processed"): lambda: load("aws")["nat_gateway"]["gb_processed"],
    ("network", "its Elastic IP, $3.65/month"): lambda: _monthly(load("aws")["public_ipv4"]["hourly"]),
    ("network", "pays $3.65/month per running task"): lambda: _monthly(load("aws")["public_ipv4"]["hourly"]),
    ("postgres", "db.t4g.micro ≈ $11.68/month"): lambda: _monthly(
        _named("aws", "rds_instance_classes", "db.t4g.micro")["hourly"]
    ),
    ("postgres", "plus $0.115/GB-month of gp3"): lambda: load("aws")["rds_storage_gp3"]["gb_month"],
    ("redis", "cache.t4g.micro Valkey ≈ $9.34/month"): lambda: _monthly(
        _named("aws", "elasticache_node_types", "cache.t4g.micro")["hourly"]["valkey"]
    ),
    ("static_frontend", "bucket costs $0.023/GB-month"): lambda: load("aws")["s3_standard"]["gb_month"],
    ("static_frontend", "then $3/month each"): lambda: load("digitalocean")["app_static_site"]["monthly"],
}


def facade_docstrings() -> dict[str, str]:
    """Every docstring of each facade (module, classes, functions), whitespace collapsed."""
    found = {}
    for path in sorted((ROOT / "components").glob("*/__init__.py")):
        tree = ast.parse(path.read_text())
        nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef))]
        docs = [ast.get_docstring(n) or "" for n in nodes]
        found[path.parent.name] = " ".join(" ".join(docs).split())
    return found


def _covered(text: str, start: int, end: int, phrase: str) -> bool:
    return any(
        at <= start and end <= at + len(phrase)
        for at in (m.start() for m in re.finditer(re.escape(phrase), text))
    )


def _agrees(figure: re.Match[str], value: float) -> bool:
    number = figure.group(2).replace(",", "")
    digits = len(number.partition(".")[2])
    slack = 0.5 * 10**-digits if figure.group(1) else 0.0
    return abs(float(number) - value) <= slack + 1e-9


def problems(docstrings: dict[str, str], quoted: dict[tuple[str, str], Callable[[], float]]) -> list[str]:
    """Uncovered figures, phrases that are gone, and figures that disagree with the catalog."""
    found = []
    for (facade, phrase), value in quoted.items():
        text = docstrings.get(facade, "")
        figures = list(MONEY.finditer(phrase))
        if len(figures) != 1:
            found.append(f"{facade}: {phrase!r} must hold exactly one figure")
        elif phrase not in text:
            found.append(f"{facade}: {phrase!r} is no longer in the docstring; remove it from QUOTED")
        elif not _agrees(figures[0], value()):
            found.append(f"{facade}: {phrase!r} says {figures[0].group(0)}; the catalog gives {value():.4f}")
    for facade, text in docstrings.items():
        phrases = [phrase for (name, phrase) in quoted if name == facade]
        for figure in MONEY.finditer(text):
            start, end = figure.start(2) - 1, figure.end()
            if not any(_covered(text, start, end, phrase) for phrase in phrases):
                context = text[max(0, start - 30) : end + 30]
                found.append(f"{facade}: {figure.group(0)} in …{context}… has no entry in QUOTED")
    return found


def test_every_quoted_price_is_the_catalog_price():
    assert problems(facade_docstrings(), QUOTED) == []


def test_the_facades_quote_prices():
    # The check has something to check: the facades that name a paid resource quote its price.
    docs = facade_docstrings()
    assert {facade for facade, _ in QUOTED} <= set(docs)
    assert sum(len(MONEY.findall(text)) for text in docs.values()) >= len(QUOTED)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("$12/month per node", "$13/month per node"), "api_service: 'adds $12/month per node' is no longer"),
        (("Cost:", "Cost: $7/month for a new thing."), "api_service: $7 in …"),
        (("≈ $16.43/month", "≈ $16.40/month"), "api_service: 'the load balancer (≈ $16.43/month"),
    ],
)
def test_a_new_figure_or_a_changed_one_is_reported(edit, expected):
    docs = facade_docstrings()
    docs["api_service"] = docs["api_service"].replace(*edit)
    found = problems(docs, QUOTED)
    assert any(line.startswith(expected) for line in found), found


def test_a_figure_that_disagrees_with_the_catalog_is_reported():
    quoted = dict(QUOTED)
    quoted[("network", "a NAT gateway, $0.045/h")] = lambda: 0.05
    quoted[("redis", "cache.t4g.micro Valkey ≈ $9.34/month")] = lambda: 9.36
    found = problems(facade_docstrings(), quoted)
    assert [line.split(" says ")[0] for line in found] == [
        "network: 'a NAT gateway, $0.045/h'",
        "redis: 'cache.t4g.micro Valkey ≈ $9.34/month'",
    ]
