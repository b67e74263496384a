"""ApiService and Worker on a Hetzner host: compose service, env file, Caddy site, DNS records."""

from __future__ import annotations

import ipaddress
import re

import pytest

from tests.conftest import ZONE, base_config, of_type, one
from tests.helpers import CONTRACT, bundle, child_set, compose, env_of, release_command

DNS = "cloudflare:index/dnsRecord:DnsRecord"
IMAGE = "ghcr.io/acme/api:1.4.2"


def with_worker(config: dict) -> dict:
    config["services"]["worker"] = {
        "kind": "worker",
        "target": "hetzner",
        "host": "main",
        "image": IMAGE,
        "command": ["python", "-m", "app.worker"],
        "links": ["db", "cache"],
    }
    return config


def site_blocks(caddyfile: str) -> list[str]:
    """Addresses of the site blocks (top-level `name {` lines, not the global options block)."""
    return re.findall(r"^(\S+) \{$", caddyfile, re.MULTILINE)


# --- DNS ------------------------------------------------------------------------------


def test_api_owns_exactly_an_a_and_an_aaaa_record(run_plan):
    result = run_plan(base_config())
    api = one(result, "multicloud:index:ApiService", "api")
    assert child_set(result, api) == {(DNS, "api-dns-a"), (DNS, "api-dns-aaaa")}
    a, aaaa = one(result, DNS, "api-dns-a"), one(result, DNS, "api-dns-aaaa")
    for record, kind, version in ((a, "A", 4), (aaaa, "AAAA", 6)):
        assert record.inputs["type"] == kind
        assert record.inputs["name"] == "api.example.com"
        assert record.inputs["zoneId"] == ZONE
        assert record.inputs["ttl"] == 1
        assert record.inputs["proxied"] is False
        assert ipaddress.ip_address(record.inputs["content"]).version == version


def test_proxied_flag_reaches_both_records(run_plan):
    config = base_config()
    config["services"]["api"]["proxied"] = True
    result = run_plan(config)
    assert [r.inputs["proxied"] for r in of_type(result, DNS) if r.name.startswith("api-")] == [True, True]


@pytest.mark.parametrize(("subdomain", "fqdn"), [("backend", "backend.example.com"), ("@", "example.com")])
def test_subdomain_sets_the_public_name(run_plan, subdomain, fqdn):
    config = base_config()
    config["services"]["api"]["subdomain"] = subdomain
    result = run_plan(config)
    assert {r.inputs["name"] for r in of_type(result, DNS) if r.name.startswith("api-")} == {fqdn}
    assert site_blocks(bundle(result, "main")["Caddyfile"].text) == [fqdn]


# --- compose and env ------------------------------------------------------------------


def test_api_container_gets_its_environment_from_a_file_only(run_plan):
    result = run_plan(base_config())
    svc = compose(result, "main")["services"]["api"]
    assert svc["image"] == IMAGE
    assert svc["env_file"] == ["env/api.env"]
    assert "environment" not in svc
    assert "ports" not in svc
    assert "deploy" not in svc
    assert svc["cap_drop"] == ["ALL"]
    member = bundle(result, "main")["env/api.env"]
    assert member.mode == 0o600 and member.uid == 0


def test_env_file_holds_exactly_the_contract_plus_user_variables(run_plan):
    config = base_config()
    config["services"]["api"]["env"] = {"LOG_LEVEL": "info", "FEATURE_X": "on"}
    env = env_of(run_plan(config), "main", "api")
    assert set(env) == CONTRACT | {"LOG_LEVEL", "FEATURE_X"}
    assert (env["LOG_LEVEL"], env["FEATURE_X"]) == ("info", "on")


def test_no_secret_reaches_compose_yaml(run_plan):
    result = run_plan(base_config())
    text = bundle(result, "main")["compose.yaml"].text
    assert not [s for s in result.secret_values if s in text]
    # Counterpart: the same secrets are in the env file, so the check can fire.
    env_text = bundle(result, "main")["env/api.env"].text
    assert [s for s in result.secret_values if s in env_text]


def test_replicas_become_deploy_replicas_and_caddy_balances(run_plan):
    config = base_config()
    config["services"]["api"]["replicas"] = 3
    result = run_plan(config)
    assert compose(result, "main")["services"]["api"]["deploy"] == {"replicas": 3}
    caddyfile = bundle(result, "main")["Caddyfile"].text
    assert "dynamic a api 8080" in caddyfile
    assert "lb_policy round_robin" in caddyfile


def test_caddy_is_the_only_service_publishing_ports(run_plan):
    services = compose(run_plan(with_worker(base_config())), "main")["services"]
    published = {name: svc["ports"] for name, svc in services.items() if "ports" in svc}
    assert published == {"caddy": ["80:80", "443:443"]}
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]


def test_caddyfile_has_one_site_for_the_api(run_plan):
    caddyfile = bundle(run_plan(base_config()), "main")["Caddyfile"].text
    assert site_blocks(caddyfile) == ["api.example.com"]
    assert "reverse_proxy api:8080 {" in caddyfile
    assert "health_uri /health" in caddyfile
    assert "email ops@example.com" in caddyfile


def test_port_and_health_path_reach_the_proxy(run_plan):
    config = base_config()
    config["services"]["api"].update(port=9000, health_path="/ready")
    caddyfile = bundle(run_plan(config), "main")["Caddyfile"].text
    assert "reverse_proxy api:9000 {" in caddyfile
    assert "health_uri /ready" in caddyfile


def test_release_stdin_is_secret_in_the_recorded_inputs(run_plan):
    cmd = release_command(run_plan(base_config()), "main")
    assert cmd.inputs["stdin"] == "[secret]"
    assert cmd.inputs["create"] == cmd.inputs["update"]
    assert cmd.inputs["create"].startswith("sudo bash -c ")


# --- worker ---------------------------------------------------------------------------


def test_worker_has_no_dns_and_no_site(run_plan):
    result = run_plan(with_worker(base_config()))
    worker = one(result, "multicloud:index:Worker", "worker")
    assert child_set(result, worker) == set()
    assert {r.name for r in of_type(result, DNS)} == {"api-dns-a", "api-dns-aaaa", "web-cname"}
    assert site_blocks(bundle(result, "main")["Caddyfile"].text) == ["api.example.com"]
    svc = compose(result, "main")["services"]["worker"]
    assert svc["command"] == ["python", "-m", "app.worker"]
    assert svc["env_file"] == ["env/worker.env"]
    assert "ports" not in svc
    assert set(env_of(result, "main", "worker")) == CONTRACT - {k for k in CONTRACT if k.startswith("S3_")}


def test_host_with_only_a_worker_runs_no_proxy(run_plan):
    config = with_worker(base_config())
    config["hosts"]["jobs"] = {"target": "hetzner", "server_type": "cx23"}
    config["services"]["worker"]["host"] = "jobs"
    result = run_plan(config)
    files = bundle(result, "jobs")
    assert "Caddyfile" not in files
    assert set(compose(result, "jobs")["services"]) == {"worker"}


# --- bugs -----------------------------------------------------------------------------


def test_service_named_caddy_is_not_shadowed_by_the_proxy(run_plan):
    from multicloud.stacks.loader import ConfigError

    config = base_config()
    config["services"]["caddy"] = config["services"].pop("api")
    try:
        result = run_plan(config)
    except ConfigError:
        return  # refusing the name is a fine fix too
    images = [svc["image"] for svc in compose(result, "main")["services"].values()]
    assert IMAGE in images, images
