"""StaticFrontend on DigitalOcean App Platform: one app with a git-connected static site and the
custom domain, and a CNAME to the app's default ingress."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from multicloud.stacks.loader import ConfigError
from tests.aws_plans import RecordedPlan, out
from tests.conftest import ZONE, base_config, of_type, one
from tests.do_plans import APP, CF_RECORD, DNS_RECORD, HOST_FLEET, STATIC_FRONTEND, VPC, do_config, do_dns
from tests.helpers import child_set

PAGES = "cloudflare:index/pagesProject:PagesProject"


def site_config(**web: object) -> dict:
    """do_config() (DNS on Cloudflare) with the static site `web` on App Platform."""
    config = do_config()
    config["services"]["web"].update(target="digitalocean", **web)
    return config


@pytest.fixture(scope="module")
def prod(aws_plan) -> RecordedPlan:
    return aws_plan(site_config(), "prod")


def static_site(result: RecordedPlan) -> dict:
    (site,) = one(result, APP, "web-app").inputs["spec"]["staticSites"]
    return site


def test_component_owns_exactly_the_app_and_the_cname(prod):
    web = one(prod, STATIC_FRONTEND, "web")
    assert child_set(prod, web) == {(APP, "web-app"), (CF_RECORD, "web-cname")}
    assert [a.name for a in of_type(prod, APP)] == ["web-app"]
    assert of_type(prod, PAGES) == []
    # Nothing here holds data: nothing is protected.
    assert not any(r.protect for r in prod.registrations if r.parent == web.urn)


def test_app_spec_defaults(prod):
    spec = one(prod, APP, "web-app").inputs["spec"]
    assert spec == {
        "name": "web-prod-multicloud",
        "region": "fra",
        "staticSites": [
            {
                "name": "web",
                "github": {"repo": "acme/web", "branch": "main", "deployOnPush": True},
                "outputDir": "dist",
            }
        ],
        "domainNames": [{"name": "www.example.com", "type": "PRIMARY"}],
        "alerts": [{"rule": "DEPLOYMENT_FAILED"}, {"rule": "DOMAIN_FAILED"}],
    }
    # A static site runs nothing: no services, no VPC, no catch-all unless asked.
    assert "vpcs" not in spec and "services" not in spec
    assert "catchallDocument" not in static_site(prod)


def test_build_settings_reach_the_static_site(aws_plan):
    config = site_config(
        build_command="npm run build", output_dir="out", root_dir="frontend", branch="release"
    )
    site = static_site(aws_plan(config, "prod"))
    assert site == {
        "name": "web",
        "github": {"repo": "acme/web", "branch": "release", "deployOnPush": True},
        "buildCommand": "npm run build",
        "outputDir": "out",
        "sourceDir": "frontend",
    }


@pytest.mark.parametrize(("spa", "catchall"), [(True, "index.html"), (False, None)])
def test_spa_serves_the_app_shell_for_unknown_paths(aws_plan, spa, catchall):
    site = static_site(aws_plan(site_config(spa=spa), "prod"))
    assert site.get("catchallDocument") == catchall


def test_cname_points_at_the_apps_default_ingress(prod):
    ingress = out(prod, one(prod, APP, "web-app"), "defaultIngress")
    assert one(prod, CF_RECORD, "web-cname").inputs == {
        "zoneId": ZONE,
        "name": "www.example.com",
        "type": "CNAME",
        "content": urlsplit(ingress).hostname,
        "proxied": False,
        "ttl": 1,
        "comment": "managed by multicloud",
    }


def test_cname_in_digitalocean_dns_is_relative_with_an_absolute_target(aws_plan):
    result = aws_plan(do_dns(do_config()), "prod")
    ingress = out(result, one(result, APP, "web-app"), "defaultIngress")
    assert one(result, DNS_RECORD, "web-cname").inputs == {
        "domain": "example.com",
        "name": "www",
        "type": "CNAME",
        "value": f"{urlsplit(ingress).hostname}.",
        "ttl": 300,
    }
    assert of_type(result, CF_RECORD) == []


def test_subdomain_sets_the_domain_and_the_record(aws_plan):
    result = aws_plan(site_config(subdomain="app"), "prod")
    assert one(result, APP, "web-app").inputs["spec"]["domainNames"] == [
        {"name": "app.example.com", "type": "PRIMARY"}
    ]
    assert one(result, CF_RECORD, "web-cname").inputs["name"] == "app.example.com"


def test_a_static_site_alone_needs_no_vpc(aws_plan):
    # Hetzner hosts the rest; only the static site is on DigitalOcean.
    config = base_config()
    config["services"]["web"]["target"] = "digitalocean"
    config["digitalocean"] = {"region": "ams3"}
    result = aws_plan(config, "prod")
    assert one(result, APP, "web-app").inputs["spec"]["region"] == "ams"
    assert of_type(result, VPC) == []
    assert [f.name for f in of_type(result, HOST_FLEET)] == ["hetzner-fleet"]


def test_a_static_site_needs_a_region(run_plan):
    config = base_config()
    config["services"]["web"]["target"] = "digitalocean"
    with pytest.raises(ConfigError) as err:
        run_plan(config, stack="prod")
    assert [path for path, _ in err.value.problems] == ["digitalocean"]


def test_apex_site_in_digitalocean_dns_is_refused(run_plan):
    config = do_dns(do_config())
    config["services"]["web"]["subdomain"] = "@"
    with pytest.raises(ConfigError) as err:
        run_plan(config, stack="prod")
    assert [path for path, _ in err.value.problems] == ["services.web.subdomain"]
