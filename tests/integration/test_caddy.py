"""`caddy validate` (and `caddy adapt`) on the rendered Caddyfile.

Caddy only reads its Caddyfile when the release starts the container; a directive it does
not know stops every public site on the host. `caddy validate` adapts the file and provisions
every module (reverse proxy, dynamic upstreams, health checks) without binding a port.
"""

from __future__ import annotations

import json

import pytest

from multicloud.components._vps.model import Site
from multicloud.components._vps.render import caddyfile

API = Site("api.example.com", "api", 8000, "/healthz")
WEB = Site("web.example.com", "web", 3000, "/health", replicas=3)

CASES = {
    "single-replica": ([API], "ops@example.com"),
    "multi-replica": ([WEB], "ops@example.com"),
    "both-no-email": ([API, WEB], None),
}


def _validate(run, caddy: str, path, env):
    return run([caddy, "validate", "--config", path, "--adapter", "caddyfile"], timeout=60, env=env)


@pytest.mark.integration
@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_caddyfile_validates(case, require_tool, run, isolated_env, tmp_path):
    caddy = require_tool("caddy")
    sites, email = CASES[case]
    path = tmp_path / "Caddyfile"
    path.write_text(caddyfile(sites, email))

    result = _validate(run, caddy, path, isolated_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def _handlers(config: dict, host: str) -> list[dict]:
    for route in config["apps"]["http"]["servers"]["srv0"]["routes"]:
        if host in route["match"][0]["host"]:
            return [h for sub in route["handle"][0]["routes"] for h in sub["handle"]]
    raise AssertionError(f"no route for {host}")


@pytest.mark.integration
@pytest.mark.parametrize("email", ["ops@example.com", None])
def test_adapted_config_proxies_as_intended(email, require_tool, run, isolated_env, tmp_path):
    caddy = require_tool("caddy")
    path = tmp_path / "Caddyfile"
    path.write_text(caddyfile([API, WEB], email))

    result = run([caddy, "adapt", "--config", path, "--adapter", "caddyfile"], timeout=60, env=isolated_env)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)

    single = next(h for h in _handlers(config, API.fqdn) if h["handler"] == "reverse_proxy")
    assert single["upstreams"] == [{"dial": f"{API.upstream}:{API.port}"}]
    assert single["health_checks"]["active"]["uri"] == API.health_path

    multi = next(h for h in _handlers(config, WEB.fqdn) if h["handler"] == "reverse_proxy")
    assert multi["dynamic_upstreams"]["source"] == "a"
    assert multi["dynamic_upstreams"]["name"] == WEB.upstream
    assert str(multi["dynamic_upstreams"]["port"]) == str(WEB.port)
    assert multi["load_balancing"]["selection_policy"]["policy"] == "round_robin"

    for site in (API, WEB):
        headers = next(h for h in _handlers(config, site.fqdn) if h["handler"] == "headers")
        assert "Server" in headers["response"]["delete"]

    assert config["apps"]["http"]["servers"]["srv0"]["protocols"] == ["h1", "h2"]
    policies = config["apps"].get("tls", {}).get("automation", {}).get("policies", [])
    emails = {i["email"] for p in policies for i in p.get("issuers", []) if "email" in i}
    assert emails == ({email} if email else set())


@pytest.mark.integration
def test_validate_rejects_broken_caddyfile(require_tool, run, isolated_env, tmp_path):
    # Negative control: the rendered file with an unknown reverse_proxy subdirective.
    caddy = require_tool("caddy")
    rendered = caddyfile([API], "ops@example.com")
    assert "\t\thealth_interval 15s\n" in rendered
    path = tmp_path / "Caddyfile"
    path.write_text(rendered.replace("\t\thealth_interval 15s\n", "\t\thealth_intervall 15s\n"))

    result = _validate(run, caddy, path, isolated_env)

    assert result.returncode != 0
    assert "health_intervall" in result.stdout + result.stderr


# --- behind a load balancer (DigitalOcean droplets) ----------------------------------------

LB_API = Site("app.example.com", "app", 8000, "/healthz", replicas=2, lb_port=8000)


@pytest.mark.integration
def test_a_load_balanced_site_is_plain_http_on_its_port(require_tool, run, isolated_env, tmp_path):
    """The load balancer terminates HTTPS: Caddy serves the api on the api's port as plain
    HTTP, for any Host (health checks come by address), and obtains no certificate for it."""
    caddy = require_tool("caddy")
    path = tmp_path / "Caddyfile"
    path.write_text(caddyfile([LB_API, API], "ops@example.com"))
    assert _validate(run, caddy, path, isolated_env).returncode == 0

    result = run([caddy, "adapt", "--config", path, "--adapter", "caddyfile"], timeout=60, env=isolated_env)
    assert result.returncode == 0, result.stderr
    servers = json.loads(result.stdout)["apps"]["http"]["servers"]
    (lb_server,) = [s for s in servers.values() if s["listen"] == [":8000"]]
    (route,) = lb_server["routes"]
    assert "match" not in route  # any Host: the load balancer's health checks come by address
    (proxy,) = [h for h in route["handle"] if h["handler"] == "reverse_proxy"]
    assert proxy["dynamic_upstreams"]["name"] == "app"
    # The load balancer's X-Forwarded-For reaches the app (it connects from the VPC).
    assert "10.0.0.0/8" in proxy["trusted_proxies"]
    # The HTTPS site next to it is unchanged: Caddy still gets its certificate.
    policies = json.loads(result.stdout)["apps"]["tls"]["automation"]["policies"]
    assert any(API.fqdn in p.get("subjects", []) for p in policies)
    assert not any(LB_API.fqdn in p.get("subjects", []) for p in policies)
