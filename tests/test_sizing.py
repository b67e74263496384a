"""multicloud.stacks.sizing: cheapest fitting server type, the data volume a host needs, and App Platform
instance sizes. No Pulumi."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from multicloud.costs.catalog import ServerType, load, server_types
from multicloud.stacks import sizing
from multicloud.stacks.sizing import SizingError, required_volume_gb, resolve_server_type, volume_gb
from multicloud.stacks.spec import ContainerService, HostSpec, StackSpec
from multicloud.stacks.targets import digitalocean as do_target
from multicloud.stacks.targets.digitalocean import app_instance_size, app_sizes
from tests.conftest import base_config

LOCATIONS = ("fsn1", "nbg1", "hel1")
CATALOG = server_types("hetzner")


def host(**fields: object) -> HostSpec:
    return HostSpec.model_validate({"target": "hetzner", "location": "fsn1"} | fields)


def sized(cpu: int, memory_gb: float, **fields: object) -> HostSpec:
    return host(size={"cpu": cpu, "memory_gb": memory_gb}, **fields)


def fits(s: ServerType, h: HostSpec) -> bool:
    assert h.size is not None
    return (
        s.cpu >= h.size.cpu
        and s.memory_gb >= h.size.memory_gb
        and s.arch == h.arch
        and s.cpu_kind == h.cpu_kind
        and h.location in s.locations
    )


def sku(name: str, cpu: int, memory_gb: float, monthly: float, **fields: object) -> ServerType:
    base = {
        "provider": "hetzner",
        "name": name,
        "cpu": cpu,
        "memory_gb": memory_gb,
        "disk_gb": 40,
        "arch": "x86",
        "cpu_kind": "shared",
        "locations": LOCATIONS,
        "monthly": monthly,
        "currency": "EUR",
        "price_effective_from": dt.date(2026, 1, 1),
        "source_url": "https://example.com/prices",
        "source_read": dt.date(2026, 1, 1),
    }
    return ServerType(**(base | fields))  # type: ignore[arg-type]


def with_catalog(types: list[ServerType]):
    """Resolve against a made-up catalog."""

    def at(provider: str, today: object = None, location: str | None = None) -> list[ServerType]:
        return [t for t in types if location is None or location in t.locations]

    return mock.patch.object(sizing, "server_types", at)


# --- resolve_server_type: the real catalog ---------------------------------------------


@pytest.mark.parametrize(
    ("cpu", "memory_gb", "fields", "expected"),
    [
        (2, 4, {}, "cx23"),
        (1, 0.5, {}, "cx23"),
        (4, 8, {}, "cx33"),
        (3, 5, {}, "cx33"),
        (8, 16, {}, "cx43"),
        (2, 16, {}, "cx43"),  # memory decides
        (16, 32, {}, "cx53"),
        (2, 4, {"arch": "arm64"}, "cax11"),
        (4, 8, {"arch": "arm64"}, "cax21"),
        (2, 4, {"cpu_kind": "dedicated"}, "ccx13"),
        (4, 16, {"cpu_kind": "dedicated"}, "ccx23"),
        (2, 4, {"location": "hel1"}, "cx23"),
    ],
)
def test_cheapest_fitting_type(cpu, memory_gb, fields, expected):
    assert resolve_server_type(sized(cpu, memory_gb, **fields)).name == expected


def test_explicit_server_type_overrides_the_search():
    assert resolve_server_type(host(server_type="ccx23")).name == "ccx23"


def test_unknown_server_type_lists_the_catalog():
    with pytest.raises(SizingError, match=r"^unknown server type; allowed: cax11, .*cx53$"):
        resolve_server_type(host(server_type="cx99"))


def test_explicit_type_outside_its_locations_is_refused():
    with pytest.raises(SizingError, match=r"^cx23 is not offered in ash; it is in fsn1, nbg1, hel1$"):
        resolve_server_type(host(server_type="cx23", location="ash"))


def test_size_in_an_unlisted_location_is_refused():
    with pytest.raises(
        SizingError, match=r"^there is no x86 shared server type in ash; change arch, cpu_kind or location$"
    ):
        resolve_server_type(sized(2, 4, location="ash"))


def test_neither_size_nor_type_is_refused():
    with pytest.raises(SizingError, match="give either size"):
        resolve_server_type(host())


def test_too_big_names_the_largest():
    with pytest.raises(SizingError) as err:
        resolve_server_type(sized(2, 64))
    assert str(err.value) == (
        "no x86 shared server type in fsn1 has 2 vCPU and 64 GB; the largest is cx53 (16 vCPU, 32 GB)"
    )


@pytest.mark.parametrize(
    ("cpu", "memory_gb", "fields"),
    [(8, 16, {"cpu_kind": "dedicated"}), (2, 4, {"arch": "arm64", "cpu_kind": "dedicated"})],
    ids=["x86-dedicated-too-big", "arm64-dedicated-none"],
)
def test_no_fit_hint_never_names_a_type_of_another_kind(cpu, memory_gb, fields):
    h = sized(cpu, memory_gb, **fields)
    with pytest.raises(SizingError) as err:
        resolve_server_type(h)
    named = [s for s in CATALOG if re.search(rf"\b{s.name}\b", str(err.value))]
    assert [(s.name, s.arch, s.cpu_kind) for s in named if (s.arch, s.cpu_kind) != (h.arch, h.cpu_kind)] == []


def test_catalog_without_the_arch_raises_sizing_error():
    with with_catalog([sku("x1", 2, 4, 5.0)]), pytest.raises(SizingError):
        resolve_server_type(sized(2, 4, arch="arm64"))


# --- resolve_server_type: made-up catalogs ---------------------------------------------


def test_price_tie_goes_to_more_memory():
    catalog = [sku("small", 2, 4, 5.0), sku("roomy", 2, 8, 5.0), sku("dear", 2, 4, 9.0)]
    with with_catalog(catalog):
        assert resolve_server_type(sized(2, 4)).name == "roomy"


def test_full_tie_goes_to_the_first_name():
    catalog = [sku("zeta", 2, 4, 5.0), sku("alpha", 2, 4, 5.0)]
    with with_catalog(catalog):
        assert resolve_server_type(sized(2, 4)).name == "alpha"


def test_cheaper_type_in_another_location_is_not_chosen():
    catalog = [sku("cheap", 2, 4, 1.0, locations=("nbg1",)), sku("local", 2, 4, 5.0)]
    with with_catalog(catalog):
        assert resolve_server_type(sized(2, 4, location="fsn1")).name == "local"
        assert resolve_server_type(sized(2, 4, location="nbg1")).name == "cheap"


def test_the_search_is_by_price_not_by_size():
    catalog = [sku("big-but-cheap", 8, 32, 3.0), sku("exact", 2, 4, 5.0)]
    with with_catalog(catalog):
        assert resolve_server_type(sized(2, 4)).name == "big-but-cheap"


# --- properties ------------------------------------------------------------------------

requests = st.fixed_dictionaries(
    {
        "cpu": st.integers(1, 20),
        "memory_gb": st.floats(0.25, 40, allow_nan=False).map(lambda x: round(x, 2)),
        "arch": st.sampled_from(["x86", "arm64"]),
        "cpu_kind": st.sampled_from(["shared", "dedicated"]),
        "location": st.sampled_from(LOCATIONS),
    }
)

PROPERTY = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(request=requests)
def test_real_catalog_choice_fits_and_nothing_cheaper_does(request):
    h = sized(request.pop("cpu"), request.pop("memory_gb"), **request)
    fitting = [s for s in CATALOG if fits(s, h)]
    if not fitting:
        with pytest.raises(SizingError):
            resolve_server_type(h)
        return
    chosen = resolve_server_type(h)
    assert fits(chosen, h)
    assert chosen.monthly == min(s.monthly for s in fitting)


skus = st.builds(
    sku,
    name=st.text("abcdefgh", min_size=1, max_size=4),
    cpu=st.integers(1, 16),
    memory_gb=st.sampled_from([0.5, 1, 2, 4, 8, 16, 32]),
    monthly=st.sampled_from([1.0, 2.5, 4.0, 5.49, 8.0, 16.0]),  # few prices: ties happen
    arch=st.sampled_from(["x86", "arm64"]),
    cpu_kind=st.sampled_from(["shared", "dedicated"]),
    locations=st.sets(st.sampled_from(LOCATIONS), min_size=1).map(tuple),
)


@PROPERTY
@given(catalog=st.lists(skus, min_size=1, max_size=8, unique_by=lambda s: s.name), request=requests)
def test_any_catalog_choice_is_the_cheapest_fit_with_stable_ties(catalog, request):
    # Both architectures present: the "largest" hint of an unfittable request needs one
    # (see test_catalog_without_the_arch_raises_sizing_error).
    assume({s.arch for s in catalog} == {"x86", "arm64"})
    h = sized(request.pop("cpu"), request.pop("memory_gb"), **request)
    fitting = [s for s in catalog if fits(s, h)]
    with with_catalog(catalog):
        if not fitting:
            with pytest.raises(SizingError):
                resolve_server_type(h)
            return
        chosen = resolve_server_type(h)
    assert fits(chosen, h)
    cheapest = min(s.monthly for s in fitting)
    assert chosen.monthly == cheapest
    same_price = [s for s in fitting if s.monthly == cheapest]
    assert chosen.memory_gb == max(s.memory_gb for s in same_price)
    assert chosen.name == min(s.name for s in same_price if s.memory_gb == chosen.memory_gb)


# --- volumes ---------------------------------------------------------------------------


def spec_with(**changes: object) -> StackSpec:
    config = base_config()
    for service, fields in changes.items():
        config["services"][service].update(fields)  # type: ignore[arg-type]
    return StackSpec.model_validate(config)


@pytest.mark.parametrize(
    ("db", "cache", "expected"),
    [
        ({"storage_gb": 20}, {"memory_mb": 256}, 22),  # 1 + 20 + 0.5 = 21.5 → 22
        ({"storage_gb": 40}, {"memory_mb": 1024}, 43),  # 1 + 40 + 2
        ({"storage_gb": 1}, {"memory_mb": 32}, 10),  # Hetzner's minimum
        ({"storage_gb": 8}, {"memory_mb": 512}, 10),  # exactly 10
        ({"storage_gb": 9}, {"memory_mb": 32}, 11),  # 10.0625 → 11
        ({"storage_gb": 500}, {"memory_mb": 8192}, 517),
    ],
)
def test_required_volume_is_storage_plus_twice_redis_memory_plus_one(db, cache, expected):
    assert required_volume_gb(spec_with(db=db, cache=cache), "main") == expected


def test_required_volume_counts_only_services_on_that_host():
    config = base_config()
    config["hosts"]["data"] = {"target": "hetzner", "server_type": "cx23"}
    config["services"]["db"].update(host="data", storage_gb=100)
    spec = StackSpec.model_validate(config)
    assert required_volume_gb(spec, "data") == 101
    assert required_volume_gb(spec, "main") == 10  # 1 + 0.5 for the cache


def test_explicit_volume_overrides_the_requirement():
    config = base_config()
    config["hosts"]["main"]["volume_gb"] = 250
    spec = StackSpec.model_validate(config)
    assert (volume_gb(spec, "main"), required_volume_gb(spec, "main")) == (250, 22)


@PROPERTY
@given(storage=st.integers(1, 10000), memory=st.integers(32, 65536))
def test_required_volume_is_enough_and_at_most_one_gb_spare(storage, memory):
    gb = required_volume_gb(spec_with(db={"storage_gb": storage}, cache={"memory_mb": memory}), "main")
    need = 1 + storage + 2 * memory / 1024
    assert gb >= need and gb >= 10
    assert gb == 10 or gb - need < 1


def test_catalog_entries_are_usable():
    # The sizing rules assume these; a catalog edit that breaks them should fail here.
    names = [s.name for s in CATALOG]
    assert len(names) == len(set(names))
    assert all(s.monthly > 0 and s.cpu >= 1 and s.memory_gb > 0 and s.locations for s in CATALOG)
    assert {s.arch for s in CATALOG} == {"x86", "arm64"}
    assert dataclasses.asdict(CATALOG[0])["provider"] == "hetzner"


# --- App Platform instance sizes --------------------------------------------------------

APP_SIZES = load("digitalocean")["app_sizes"]


@pytest.mark.parametrize(
    ("cpu", "memory_gb", "autoscale", "expected"),
    [
        (None, None, False, "apps-s-1vcpu-0.5gb"),  # $5, the smallest
        (None, None, True, "apps-d-1vcpu-0.5gb"),  # $29: only dedicated sizes autoscale
        (0.25, 0.5, False, "apps-s-1vcpu-0.5gb"),
        (1, 1, False, "apps-s-1vcpu-1gb-fixed"),  # $10 beats apps-s-1vcpu-1gb at $12
        (1, 1, True, "apps-d-1vcpu-1gb"),
        (1, 1.5, False, "apps-s-1vcpu-2gb"),
        (2, 2, False, "apps-s-2vcpu-4gb"),
        (1, 4, False, "apps-d-1vcpu-4gb"),  # dedicated at $49 beats shared apps-s-2vcpu-4gb at $50
        (2, 4, True, "apps-d-2vcpu-4gb"),
        (3, 5, False, "apps-d-4vcpu-8gb"),  # cpu decides
        (2, 16, True, "apps-d-4vcpu-16gb"),  # memory decides
        (8, 32, True, "apps-d-8vcpu-32gb"),
    ],
)
def test_cheapest_fitting_app_size(cpu, memory_gb, autoscale, expected):
    assert app_instance_size(cpu, memory_gb, autoscale=autoscale) == expected


@pytest.mark.parametrize(
    ("cpu", "memory_gb", "message"),
    [
        (16, 64, "no App Platform size has 16 vCPU and 64 GB; the largest is apps-d-8vcpu-32gb"),
        (None, 48, "no App Platform size has 0 vCPU and 48 GB; the largest is apps-d-8vcpu-32gb"),
        (9, None, "no App Platform size has 9 vCPU and 0 GB; the largest is apps-d-8vcpu-32gb"),
    ],
)
def test_too_big_for_app_platform_names_the_largest(cpu, memory_gb, message):
    with pytest.raises(SizingError) as err:
        app_instance_size(cpu, memory_gb)
    assert str(err.value) == message


def with_app_sizes(sizes: list[dict]):
    """Resolve App Platform sizes against a made-up catalog."""
    return mock.patch.object(do_target, "load", lambda provider: {"app_sizes": sizes})


def app_size(name: str, cpu: float, memory_gb: float, monthly: float, dedicated: bool = False) -> dict:
    return {"name": name, "cpu": cpu, "memory_gb": memory_gb, "monthly": monthly, "dedicated": dedicated}


def test_app_size_price_tie_goes_to_the_first_name():
    sizes = [app_size("zeta", 1, 1, 5), app_size("alpha", 1, 2, 5), app_size("dear", 1, 1, 9)]
    with with_app_sizes(sizes):
        assert app_instance_size(1, 1) == "alpha"


def test_autoscaling_never_gets_a_shared_size_however_cheap():
    sizes = [app_size("shared", 8, 32, 1), app_size("dedicated", 1, 1, 50, dedicated=True)]
    with with_app_sizes(sizes):
        assert (app_instance_size(1, 1), app_instance_size(1, 1, autoscale=True)) == ("shared", "dedicated")


def test_autoscaling_without_a_dedicated_fit_is_refused():
    sizes = [app_size("shared", 8, 32, 1), app_size("dedicated", 1, 1, 50, dedicated=True)]
    with with_app_sizes(sizes), pytest.raises(SizingError) as err:
        app_instance_size(2, 2, autoscale=True)
    assert str(err.value) == "no App Platform size has 2 vCPU and 2 GB; the largest is shared"


def test_app_sizes_are_the_catalog_by_slug():
    sizes = app_sizes()
    assert list(sizes) == [s["name"] for s in APP_SIZES]
    assert sizes["apps-d-1vcpu-1gb"] == {
        "name": "apps-d-1vcpu-1gb",
        "cpu": 1,
        "memory_gb": 1,
        "dedicated": True,
        "monthly": 34,
        "source": sizes["apps-d-1vcpu-1gb"]["source"],
    }
    assert sizes["apps-d-1vcpu-1gb"]["source"]["url"].startswith("https://docs.digitalocean.com/")


def test_app_size_catalog_entries_are_usable():
    # `instance_size` is checked against the spec's pattern first: a catalogued slug it refuses
    # could never be set. The slug's apps-d-/apps-s- prefix is what the dedicated flag means.
    pattern = ContainerService.model_fields["instance_size"].metadata[0].pattern
    names = [s["name"] for s in APP_SIZES]
    assert len(names) == len(set(names))
    for s in APP_SIZES:
        assert re.fullmatch(pattern, s["name"]), s["name"]
        assert s["dedicated"] == s["name"].startswith("apps-d-"), s["name"]
        assert s["monthly"] > 0 and s["cpu"] >= 1 and s["memory_gb"] > 0, s["name"]
    assert any(s["dedicated"] for s in APP_SIZES) and not all(s["dedicated"] for s in APP_SIZES)


def app_fits(s: dict, cpu: float, memory_gb: float, autoscale: bool) -> bool:
    return s["cpu"] >= cpu and s["memory_gb"] >= memory_gb and (s["dedicated"] or not autoscale)


@PROPERTY
@given(
    cpu=st.floats(0.25, 10, allow_nan=False).map(lambda x: round(x, 2)),
    memory_gb=st.floats(0.25, 40, allow_nan=False).map(lambda x: round(x, 2)),
    autoscale=st.booleans(),
)
def test_app_size_choice_fits_and_nothing_cheaper_does(cpu, memory_gb, autoscale):
    fitting = [s for s in APP_SIZES if app_fits(s, cpu, memory_gb, autoscale)]
    if not fitting:
        with pytest.raises(SizingError):
            app_instance_size(cpu, memory_gb, autoscale=autoscale)
        return
    chosen = app_sizes()[app_instance_size(cpu, memory_gb, autoscale=autoscale)]
    assert app_fits(chosen, cpu, memory_gb, autoscale)
    assert chosen["monthly"] == min(s["monthly"] for s in fitting)


@pytest.mark.parametrize(("instances", "expected"), [(1, "apps-s-1vcpu-1gb-fixed"), (2, "apps-s-1vcpu-1gb")])
def test_a_single_instance_size_is_not_chosen_for_several_instances(instances, expected):
    assert app_instance_size(1, 1, instances=instances) == expected


def test_fargate_sizes_come_from_awss_table():
    """Every pair the sizing can choose is one AWS lists (components.contracts.aws), and the
    price catalog's copy of the table says the same."""
    from multicloud.components.contracts.aws import FARGATE_SIZES
    from multicloud.stacks.targets.aws import fargate_size

    catalog = {float(c): tuple(float(m) for m in ms) for c, ms in load("aws")["fargate"]["sizes"].items()}
    assert catalog == {c: tuple(map(float, ms)) for c, ms in FARGATE_SIZES.items()}
    for cpu in (None, 0.1, 0.25, 0.3, 1, 1.5, 3, 5, 9, 16):
        for memory in (None, 0.4, 1, 2.5, 9, 31, 100):
            try:
                vcpu, gb = fargate_size(cpu, memory)
            except SizingError:
                continue
            assert gb in FARGATE_SIZES[vcpu], (cpu, memory)
    with pytest.raises(SizingError, match="tops out"):
        fargate_size(16, 121)
