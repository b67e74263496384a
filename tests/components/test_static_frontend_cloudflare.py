"""StaticFrontend on Cloudflare Pages: git-connected project, custom domain, proxied CNAME."""

from __future__ import annotations

import pytest

from tests.conftest import ACCOUNT, ZONE, base_config, one
from tests.helpers import child_set

PROJECT = "cloudflare:index/pagesProject:PagesProject"
DOMAIN = "cloudflare:index/pagesDomain:PagesDomain"
DNS = "cloudflare:index/dnsRecord:DnsRecord"


def site_config(**web: object) -> dict:
    config = base_config()
    config["services"]["web"].update(web)
    return config


def test_component_owns_project_domain_and_cname(run_plan):
    result = run_plan(base_config(), stack="prod")
    web = one(result, "multicloud:index:StaticFrontend", "web")
    assert child_set(result, web) == {(PROJECT, "web-project"), (DOMAIN, "web-domain"), (DNS, "web-cname")}
    # Nothing here holds data: nothing is protected.
    assert not any(r.protect for r in result.registrations if r.parent == web.urn)


def test_project_builds_from_the_github_repository(run_plan):
    config = site_config(
        build_command="npm run build", output_dir="out", root_dir="frontend", branch="release"
    )
    project = one(run_plan(config, stack="prod"), PROJECT)
    assert project.inputs["name"] == "multicloud-prod-web"
    assert project.inputs["accountId"] == ACCOUNT
    assert project.inputs["productionBranch"] == "release"
    build = project.inputs["buildConfig"]
    assert (build["buildCommand"], build["destinationDir"], build["rootDir"]) == (
        "npm run build",
        "out",
        "frontend",
    )
    source = project.inputs["source"]
    assert source["type"] == "github"
    assert (source["config"]["owner"], source["config"]["repoName"]) == ("acme", "web")
    assert source["config"]["productionBranch"] == "release"
    assert source["config"]["productionDeploymentsEnabled"] is True


def test_defaults_build_nothing_and_publish_dist_from_main(run_plan):
    project = one(run_plan(base_config(), stack="prod"), PROJECT)
    assert project.inputs["productionBranch"] == "main"
    assert (
        project.inputs["buildConfig"]["buildCommand"],
        project.inputs["buildConfig"]["destinationDir"],
    ) == (
        "",
        "dist",
    )


def test_custom_domain_and_proxied_cname_point_at_pages(run_plan):
    result = run_plan(base_config(), stack="prod")
    domain = one(result, DOMAIN)
    assert domain.inputs == {
        "accountId": ACCOUNT,
        "projectName": "multicloud-prod-web",
        "name": "www.example.com",
    }
    cname = one(result, DNS, "web-cname")
    assert cname.inputs["type"] == "CNAME"
    assert cname.inputs["name"] == "www.example.com"
    assert cname.inputs["content"] == "multicloud-prod-web.pages.dev"
    assert cname.inputs["proxied"] is True
    assert cname.inputs["ttl"] == 1
    assert cname.inputs["zoneId"] == ZONE


@pytest.mark.parametrize(("subdomain", "fqdn"), [("app", "app.example.com"), ("@", "example.com")])
def test_subdomain_sets_domain_and_record_name(run_plan, subdomain, fqdn):
    result = run_plan(site_config(subdomain=subdomain))
    assert one(result, DOMAIN).inputs["name"] == fqdn
    assert one(result, DNS, "web-cname").inputs["name"] == fqdn


def test_project_name_follows_the_stack(run_plan):
    result = run_plan(base_config(), stack="staging")
    assert one(result, PROJECT).inputs["name"] == "multicloud-staging-web"
    assert one(result, DNS, "web-cname").inputs["content"] == "multicloud-staging-web.pages.dev"
