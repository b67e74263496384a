"""ApiService and Worker on DigitalOcean, in their three shapes.

- one droplet: the VPS machinery as on Hetzner (Caddy serves HTTPS, A/AAAA to the host);
- several droplets (or `load_balancer: true`): a load balancer that terminates HTTPS with a
  Let's Encrypt certificate, a second firewall that opens the api's port to that load
  balancer alone, Caddy serving plain HTTP on that port, an A record to the balancer;
- App Platform: one app per service, sized from the neutral size, link variables as SECRET,
  in the stack's VPC, which the firewalls of the databases it links then trust.

Security properties (the api port is never open to the world, secrets never GENERAL, database
firewalls trust the VPC only for databases App Platform links) each come with a failing
counterpart.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from multicloud.components.connection import SECRET_VARS
from multicloud.stacks.loader import ConfigError
from tests.aws_plans import RecordedPlan, broken, depends_on, out, set_input
from tests.conftest import ZONE, of_type, one
from tests.do_plans import (
    API_SERVICE,
    APP,
    CERTIFICATE,
    CF_RECORD,
    CLUSTER,
    DB_FIREWALL,
    DNS_RECORD,
    DROPLET,
    FIREWALL,
    LOAD_BALANCER,
    RELEASE,
    VPC,
    WORKER,
    app_platform_config,
    balanced_config,
    dependency_names,
    do_config,
    do_dns,
    fleet_tag,
    service,
)
from tests.helpers import CONTRACT, WORLD, bundle, child_set, compose, env_of

IMAGE = "ghcr.io/acme/api:1.4.2"
PORT = 8080  # base_config()'s api port
DIGEST = "sha256:" + "0123456789abcdef" * 4
API_HOSTS = ("edge", "edge-b")


@pytest.fixture(scope="module")
def single(aws_plan) -> RecordedPlan:
    return aws_plan(do_config(), "prod")


@pytest.fixture(scope="module")
def balanced(aws_plan) -> RecordedPlan:
    return aws_plan(balanced_config(), "prod")


@pytest.fixture(scope="module")
def apps(aws_plan) -> RecordedPlan:
    return aws_plan(app_platform_config(), "prod")


@pytest.fixture(scope="module")
def mixed(aws_plan) -> RecordedPlan:
    """do_config() (the api on the droplet `edge`, linking db, cache and uploads) plus an App
    Platform worker `jobs` that links db only."""
    config = do_config()
    config["services"]["jobs"] = {
        "kind": "worker",
        "target": "digitalocean",
        "runtime": "app_platform",
        "image": IMAGE,
        "links": ["db"],
    }
    return aws_plan(config, "prod")


# --- readers and detectors (each shown to fire below) ---------------------------------------


def site_blocks(caddyfile: str) -> list[str]:
    """Addresses of the Caddyfile's site blocks (top-level `address {` lines)."""
    return re.findall(r"^(\S+) \{$", caddyfile, re.MULTILINE)


def covers(rule: dict, port: int) -> bool:
    """Whether a DigitalOcean inbound rule admits TCP `port` (an unset range is every port)."""
    if rule["protocol"] != "tcp":
        return False
    port_range = rule.get("portRange")
    if port_range in (None, "", "all", "0"):
        return True
    low, _, high = port_range.partition("-")
    return int(low) <= port <= int(high or low)


def admitted(result: RecordedPlan, port: int) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Every inbound rule of every droplet firewall that admits TCP `port`:
    (firewall, source addresses, source load balancers)."""
    return [
        (fw.name, tuple(rule.get("sourceAddresses", [])), tuple(rule.get("sourceLoadBalancerUids", [])))
        for fw in of_type(result, FIREWALL)
        for rule in fw.inputs["inboundRules"]
        if covers(rule, port)
    ]


def world_admitted(result: RecordedPlan, port: int) -> list[str]:
    """Firewalls that let the whole internet reach TCP `port`."""
    return [name for name, sources, _ in admitted(result, port) if WORLD & set(sources)]


def app_spec(result: RecordedPlan, name: str) -> dict:
    """The spec of `<name>-app`, secrets unwrapped."""
    return one(result, APP, f"{name}-app").raw_inputs["spec"]


def component(result: RecordedPlan, name: str) -> dict:
    """The single service or worker component of `<name>-app`."""
    spec = app_spec(result, name)
    (only,) = spec.get("services", []) + spec.get("workers", [])
    return only


def envs(result: RecordedPlan, name: str) -> dict[str, dict]:
    """The App Platform variables of `<name>-app` by key (secrets unwrapped)."""
    return {e["key"]: e for e in component(result, name)["envs"]}


def address_rules(result: RecordedPlan, firewall: str) -> list[str]:
    """The address ranges a database firewall admits."""
    return [r["value"] for r in one(result, DB_FIREWALL, firewall).inputs["rules"] if r["type"] == "ip_addr"]


def vpc_range(result: RecordedPlan) -> str:
    return out(result, one(result, VPC), "ipRange")


def leaked(result: RecordedPlan, name: str, env_type: str) -> list[str]:
    """Variables of `env_type` whose value holds one of the plan's secrets."""
    return [
        key
        for key, env in envs(result, name).items()
        if env["type"] == env_type and any(s in env["value"] for s in result.secret_values)
    ]


def test_world_detector_sees_addresses_ranges_and_unset_ranges(balanced):
    world = {"protocol": "tcp", "sourceAddresses": ["0.0.0.0/0"]}
    for extra in ({"portRange": str(PORT)}, {"portRange": "8000-9000"}, {}):
        opened = broken(
            balanced,
            FIREWALL,
            "edge-firewall",
            set_input(
                "inboundRules",
                [*one(balanced, FIREWALL, "edge-firewall").inputs["inboundRules"], world | extra],
            ),
        )
        assert world_admitted(opened, PORT) == ["edge-firewall"]
    assert not covers({"protocol": "tcp", "portRange": "8000-8079"}, PORT)
    assert not covers({"protocol": "icmp"}, PORT)


# --- one droplet: unchanged -----------------------------------------------------------------


def test_single_droplet_api_owns_exactly_an_a_and_an_aaaa_to_its_host(single):
    api = one(single, API_SERVICE, "api")
    assert child_set(single, api) == {(CF_RECORD, "api-dns-a"), (CF_RECORD, "api-dns-aaaa")}
    droplet = one(single, DROPLET, "edge-droplet")
    records = {r.inputs["type"]: r.inputs for r in of_type(single, CF_RECORD) if r.name.startswith("api-")}
    assert set(records) == {"A", "AAAA"}
    assert records["A"]["content"] == out(single, droplet, "ipv4Address")
    assert records["AAAA"]["content"] == out(single, droplet, "ipv6Address")
    for record in records.values():
        assert (record["name"], record["zoneId"], record["proxied"]) == ("api.example.com", ZONE, False)
    # None of the other shapes' resources.
    for type_token in (LOAD_BALANCER, CERTIFICATE, APP):
        assert of_type(single, type_token) == []
    assert [f.name for f in of_type(single, FIREWALL)] == ["edge-firewall"]


def test_single_droplet_caddy_serves_https_itself_and_publishes_only_web_ports(single):
    files = bundle(single, "edge")
    assert site_blocks(files["Caddyfile"].text) == ["api.example.com"]
    assert "http://:" not in files["Caddyfile"].text
    assert compose(single, "edge")["services"]["caddy"]["ports"] == ["80:80", "443:443"]
    assert world_admitted(single, PORT) == []


# --- several droplets: behind a load balancer -----------------------------------------------


def test_balanced_api_owns_exactly_certificate_load_balancer_firewall_and_a_record(balanced):
    api = one(balanced, API_SERVICE, "api")
    assert child_set(balanced, api) == {
        (CERTIFICATE, "api-certificate"),
        (LOAD_BALANCER, "api-lb"),
        (FIREWALL, "api-lb-firewall"),
        (DNS_RECORD, "api-dns-a"),
    }
    assert [r.name for r in of_type(balanced, LOAD_BALANCER)] == ["api-lb"]
    # The load balancer has no IPv6 address: no AAAA record, none to a droplet either.
    assert {r.name for r in of_type(balanced, DNS_RECORD)} == {"api-dns-a", "web-cname"}
    assert of_type(balanced, CF_RECORD) == []
    assert [a.name for a in of_type(balanced, APP)] == ["web-app"]  # the static site only


def test_certificate_is_lets_encrypt_for_the_api_name(balanced):
    assert one(balanced, CERTIFICATE, "api-certificate").inputs == {
        "name": "multicloud-prod-api-api-example-com",
        "type": "lets_encrypt",
        "domains": ["api.example.com"],
    }


def test_load_balancer_terminates_https_and_redirects_http(balanced):
    lb = one(balanced, LOAD_BALANCER, "api-lb").inputs
    certificate = one(balanced, CERTIFICATE, "api-certificate")
    assert lb["forwardingRules"] == [
        {
            "entryPort": 443,
            "entryProtocol": "https",
            "targetPort": PORT,
            "targetProtocol": "http",
            "certificateName": certificate.inputs["name"],
        },
        {"entryPort": 80, "entryProtocol": "http", "targetPort": PORT, "targetProtocol": "http"},
    ]
    assert lb["redirectHttpToHttps"] is True
    assert lb["tlsCipherPolicy"] == "STRONG"
    assert lb["disableLetsEncryptDnsRecords"] is True
    # The certificate exists before the rule that names it.
    assert (CERTIFICATE, "api-certificate") in depends_on(
        balanced, one(balanced, LOAD_BALANCER, "api-lb"), "forwardingRules"
    )


def test_load_balancer_health_checks_the_api_port_and_path(balanced):
    assert one(balanced, LOAD_BALANCER, "api-lb").inputs["healthcheck"] == {
        "protocol": "http",
        "port": PORT,
        "path": "/health",
        "checkIntervalSeconds": 10,
        "responseTimeoutSeconds": 5,
        "unhealthyThreshold": 3,
        "healthyThreshold": 2,
    }


def test_health_path_reaches_the_load_balancer(aws_plan):
    result = aws_plan(service(balanced_config(), "api", health_path="/ready", port=9000), "prod")
    check = one(result, LOAD_BALANCER, "api-lb").inputs["healthcheck"]
    assert (check["port"], check["path"]) == (9000, "/ready")


def test_load_balancer_is_in_the_fleet_vpc_and_region(balanced):
    lb = one(balanced, LOAD_BALANCER, "api-lb").inputs
    assert (lb["name"], lb["region"], lb["vpcUuid"], lb["sizeUnit"]) == (
        "multicloud-prod-api",
        "fra1",
        one(balanced, VPC).id,
        1,
    )


def test_load_balancer_and_its_firewall_target_the_api_droplets_only(balanced):
    api_droplets = sorted(int(one(balanced, DROPLET, f"{h}-droplet").id) for h in API_HOSTS)
    assert len(set(api_droplets)) == 2
    assert sorted(one(balanced, LOAD_BALANCER, "api-lb").inputs["dropletIds"]) == api_droplets
    assert sorted(one(balanced, FIREWALL, "api-lb-firewall").inputs["dropletIds"]) == api_droplets
    jobs = int(one(balanced, DROPLET, "jobs-droplet").id)
    assert jobs not in one(balanced, LOAD_BALANCER, "api-lb").inputs["dropletIds"]


def test_lb_firewall_opens_only_the_api_port_and_only_to_the_load_balancer(balanced):
    lb = one(balanced, LOAD_BALANCER, "api-lb")
    firewall = one(balanced, FIREWALL, "api-lb-firewall").inputs
    assert firewall["name"] == "multicloud-prod-api-lb"
    assert firewall["inboundRules"] == [
        {"protocol": "tcp", "portRange": str(PORT), "sourceLoadBalancerUids": [lb.id]}
    ]
    assert "outboundRules" not in firewall
    # Across every firewall of the stack, the api port is admitted from the load balancer alone.
    assert admitted(balanced, PORT) == [("api-lb-firewall", (), (lb.id,))]
    assert world_admitted(balanced, PORT) == []


def test_a_world_rule_on_the_api_port_is_caught(balanced):
    lb = one(balanced, LOAD_BALANCER, "api-lb")
    opened = broken(
        balanced,
        FIREWALL,
        "api-lb-firewall",
        set_input(
            "inboundRules",
            [{"protocol": "tcp", "portRange": str(PORT), "sourceAddresses": ["0.0.0.0/0", "::/0"]}],
        ),
    )
    assert world_admitted(opened, PORT) == ["api-lb-firewall"]
    assert admitted(opened, PORT) != [("api-lb-firewall", (), (lb.id,))]


def test_a_record_points_at_the_load_balancer(balanced):
    lb = one(balanced, LOAD_BALANCER, "api-lb")
    assert one(balanced, DNS_RECORD, "api-dns-a").inputs == {
        "domain": "example.com",
        "name": "api",
        "type": "A",
        "value": out(balanced, lb, "ip"),
        "ttl": 300,
    }


@pytest.mark.parametrize("host", API_HOSTS)
def test_each_api_host_serves_the_api_as_plain_http_on_its_port(balanced, host):
    files = bundle(balanced, host)
    caddyfile = files["Caddyfile"].text
    assert site_blocks(caddyfile) == [f"http://:{PORT}"]
    assert "api.example.com {" not in caddyfile
    assert f"reverse_proxy api:{PORT} {{" in caddyfile
    assert "trusted_proxies private_ranges" in caddyfile
    services = compose(balanced, host)["services"]
    assert services["caddy"]["ports"] == ["80:80", "443:443", f"{PORT}:{PORT}"]
    assert set(services) == {"api", "caddy", "db-setup"}  # the linked database's grants first
    assert services["api"]["image"] == IMAGE
    assert "ports" not in services["api"]


def test_both_api_hosts_run_the_same_container_and_the_worker_host_none(balanced):
    assert env_of(balanced, "edge", "api") == env_of(balanced, "edge-b", "api")
    assert set(env_of(balanced, "edge", "api")) == CONTRACT
    jobs = bundle(balanced, "jobs")
    assert "Caddyfile" not in jobs and "env/api.env" not in jobs
    assert set(compose(balanced, "jobs")["services"]) == {"worker", "db-setup"}


def test_load_balancer_true_puts_one_droplet_behind_a_balancer(aws_plan):
    result = aws_plan(service(do_dns(do_config()), "api", load_balancer=True), "prod")
    droplet = int(one(result, DROPLET, "edge-droplet").id)
    assert one(result, LOAD_BALANCER, "api-lb").inputs["dropletIds"] == [droplet]
    assert one(result, FIREWALL, "api-lb-firewall").inputs["dropletIds"] == [droplet]
    assert {r.name for r in of_type(result, DNS_RECORD) if r.name.startswith("api-")} == {"api-dns-a"}
    assert site_blocks(bundle(result, "edge")["Caddyfile"].text) == [f"http://:{PORT}"]


def test_replicas_per_droplet_are_spread_by_caddy_behind_the_balancer(aws_plan):
    result = aws_plan(service(balanced_config(), "api", replicas=3), "prod")
    for host in API_HOSTS:
        caddyfile = bundle(result, host)["Caddyfile"].text
        assert site_blocks(caddyfile) == [f"http://:{PORT}"]
        assert f"dynamic a api {PORT}" in caddyfile
        assert compose(result, host)["services"]["api"]["deploy"] == {"replicas": 3}


def test_a_load_balancer_needs_digitalocean_dns(run_plan):
    config = balanced_config()
    config["dns"] = {"provider": "cloudflare", "zone_id": ZONE}
    with pytest.raises(ConfigError) as err:
        run_plan(config, stack="prod")
    ((path, message),) = err.value.problems
    assert path == "services.api.hosts"
    assert "set dns: {provider: digitalocean}, or run the api on one host" in message


# --- App Platform -------------------------------------------------------------------------


def test_app_platform_services_own_exactly_their_app_and_the_api_its_cname(apps):
    assert child_set(apps, one(apps, API_SERVICE, "api")) == {(APP, "api-app"), (CF_RECORD, "api-dns-cname")}
    assert child_set(apps, one(apps, WORKER, "worker")) == {(APP, "worker-app")}
    assert {a.name for a in of_type(apps, APP)} == {"api-app", "worker-app"}
    # No droplets: no hosts, releases, load balancers or droplet firewalls.
    for type_token in (DROPLET, FIREWALL, LOAD_BALANCER, CERTIFICATE, RELEASE):
        assert of_type(apps, type_token) == []


def test_api_app_spec(apps):
    spec = app_spec(apps, "api")
    assert [job["name"] for job in spec["jobs"]] == ["db-setup"]  # the database's grants
    assert {k: v for k, v in spec.items() if k not in ("services", "jobs")} == {
        "name": "api-prod-multicloud",
        "region": "fra",
        "alerts": [{"rule": "DEPLOYMENT_FAILED"}, {"rule": "DOMAIN_FAILED"}],
        "vpcs": [{"id": one(apps, VPC).id}],
        "domainNames": [{"name": "api.example.com", "type": "PRIMARY"}],
        "ingress": {"rules": [{"component": {"name": "api"}, "match": {"path": {"prefix": "/"}}}]},
    }
    assert {k: v for k, v in component(apps, "api").items() if k != "envs"} == {
        "name": "api",
        "image": {"registryType": "GHCR", "registry": "acme", "repository": "api", "tag": "1.4.2"},
        "httpPort": PORT,
        "instanceSizeSlug": "apps-s-1vcpu-0.5gb",
        "instanceCount": 1,
        "healthCheck": {
            "httpPath": "/health",
            "port": PORT,
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
    }


def test_worker_app_spec_has_no_domain_ingress_or_port(apps):
    spec = app_spec(apps, "worker")
    assert {k: v for k, v in spec.items() if k not in ("workers", "jobs")} == {
        "name": "worker-prod-multicloud",
        "region": "fra",
        "alerts": [{"rule": "DEPLOYMENT_FAILED"}],
        "vpcs": [{"id": one(apps, VPC).id}],
    }
    assert {k: v for k, v in component(apps, "worker").items() if k != "envs"} == {
        "name": "worker",
        "image": {"registryType": "GHCR", "registry": "acme", "repository": "api", "tag": "1.4.2"},
        "instanceSizeSlug": "apps-s-1vcpu-0.5gb",
        "instanceCount": 1,
        "runCommand": "python -m app.worker",
    }
    assert [r.name for r in apps.registrations if r.name.startswith("worker-")] == ["worker-app"]


def test_api_cname_points_at_the_apps_default_ingress(apps):
    ingress = out(apps, one(apps, APP, "api-app"), "defaultIngress")
    assert one(apps, CF_RECORD, "api-dns-cname").inputs == {
        "zoneId": ZONE,
        "name": "api.example.com",
        "type": "CNAME",
        "content": urlsplit(ingress).hostname,
        "proxied": False,
        "ttl": 1,
        "comment": "managed by multicloud",
    }


@pytest.mark.parametrize(
    ("kind", "fields", "size"),
    [
        ("api", {}, "apps-s-1vcpu-0.5gb"),
        ("api", {"size": {"cpu": 1, "memory_gb": 1}}, "apps-s-1vcpu-1gb-fixed"),
        # A "-fixed" size runs one instance: two replicas need the next size.
        ("api", {"size": {"cpu": 1, "memory_gb": 1}, "replicas": 2}, "apps-s-1vcpu-1gb"),
        ("api", {"size": {"cpu": 1, "memory_gb": 2}}, "apps-s-1vcpu-2gb"),
        ("api", {"size": {"cpu": 2, "memory_gb": 4}}, "apps-s-2vcpu-4gb"),
        ("api", {"instance_size": "apps-d-2vcpu-4gb"}, "apps-d-2vcpu-4gb"),
        ("worker", {"size": {"cpu": 1, "memory_gb": 2}}, "apps-s-1vcpu-2gb"),
    ],
    ids=["default", "1-1", "1-1-two-replicas", "1-2", "2-4", "explicit", "worker-1-2"],
)
def test_instance_size_from_the_neutral_size(aws_plan, kind, fields, size):
    name = "api" if kind == "api" else "worker"
    result = aws_plan(service(app_platform_config(), name, **fields), "prod")
    assert component(result, name)["instanceSizeSlug"] == size


@pytest.mark.parametrize("name", ["api", "worker"])
def test_replicas_without_max_are_a_fixed_instance_count(aws_plan, name):
    result = aws_plan(service(app_platform_config(), name, replicas=3), "prod")
    assert component(result, name)["instanceCount"] == 3
    assert "autoscaling" not in component(result, name)


@pytest.mark.parametrize("name", ["api", "worker"])
def test_max_replicas_autoscales_on_cpu_on_a_dedicated_size(aws_plan, name):
    fields = {"replicas": 2, "max_replicas": 5, "size": {"cpu": 1, "memory_gb": 1}}
    result = aws_plan(service(app_platform_config(), name, **fields), "prod")
    svc = component(result, name)
    assert svc["instanceSizeSlug"] == "apps-d-1vcpu-1gb"
    assert svc["autoscaling"] == {
        "minInstanceCount": 2,
        "maxInstanceCount": 5,
        "metrics": {"cpu": {"percent": 60}},
    }
    assert "instanceCount" not in svc


@pytest.mark.parametrize(
    ("image", "fields"),
    [
        (IMAGE, {"registryType": "GHCR", "registry": "acme", "repository": "api", "tag": "1.4.2"}),
        (
            f"ghcr.io/acme/api@{DIGEST}",
            {"registryType": "GHCR", "registry": "acme", "repository": "api", "digest": DIGEST},
        ),
        (
            "ghcr.io/acme/api",
            {"registryType": "GHCR", "registry": "acme", "repository": "api", "tag": "latest"},
        ),
        (
            "registry.digitalocean.com/acme/api:2",
            # The account's one registry is implied: App Platform wants `registry` empty.
            {"registryType": "DOCR", "repository": "api", "tag": "2"},
        ),
        (
            "nginx:1.27",
            {"registryType": "DOCKER_HUB", "registry": "library", "repository": "nginx", "tag": "1.27"},
        ),
    ],
    ids=["ghcr-tag", "ghcr-digest", "ghcr-untagged", "docr", "docker-hub-official"],
)
def test_image_reference_becomes_app_platform_image_fields(aws_plan, image, fields):
    result = aws_plan(service(app_platform_config(), "api", image=image), "prod")
    assert {k: v for k, v in component(result, "api")["image"].items() if v != ""} == fields


@pytest.mark.parametrize("name", ["api", "worker"])
def test_an_image_app_platform_cannot_pull_is_a_config_error(run_plan, name):
    # Refused before anything is registered, at the field to change.
    config = service(app_platform_config(), name, image="quay.io/acme/api:1.4.2")
    with pytest.raises(ConfigError) as err:
        run_plan(config, stack="prod")
    assert [path for path, _ in err.value.problems] == [f"services.{name}.image"]


def test_the_same_image_on_a_droplet_is_fine(aws_plan):
    # Droplets pull with docker itself: any registry will do.
    result = aws_plan(service(do_config(), "api", image="quay.io/acme/api:1.4.2"), "prod")
    assert compose(result, "edge")["services"]["api"]["image"] == "quay.io/acme/api:1.4.2"


@pytest.mark.parametrize(("region", "app_region"), [("fra1", "fra"), ("nyc3", "nyc"), ("ams3", "ams")])
def test_app_region_is_the_stack_region_without_its_number(aws_plan, region, app_region):
    config = app_platform_config()
    config["digitalocean"] = {"region": region}
    result = aws_plan(config, "prod")
    assert {app_spec(result, n)["region"] for n in ("api", "worker")} == {app_region}
    assert one(result, VPC).inputs["region"] == region


def test_app_region_follows_the_droplets_without_a_digitalocean_section(mixed):
    assert mixed.spec.digitalocean is None
    assert app_spec(mixed, "jobs")["region"] == "fra"
    assert app_spec(mixed, "jobs")["vpcs"] == [{"id": one(mixed, VPC).id}]


# --- App Platform: variables ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["api", "worker"])
def test_contract_secrets_are_secret_and_everything_else_general(apps, name):
    variables = envs(apps, name)
    assert {e["scope"] for e in variables.values()} == {"RUN_TIME"}
    secret = {k for k, e in variables.items() if e["type"] == "SECRET"}
    general = {k for k, e in variables.items() if e["type"] == "GENERAL"}
    assert secret == SECRET_VARS & set(variables)
    assert general == set(variables) - SECRET_VARS
    assert {"DATABASE_URL", "PGPASSWORD", "REDIS_URL"} <= secret
    assert {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER"} <= general
    # Secret values travel as Pulumi secrets too (redacted in the recorded inputs).
    spec = one(apps, APP, f"{name}-app").inputs["spec"]
    (redacted,) = spec.get("services", []) + spec.get("workers", [])
    assert {e["key"] for e in redacted["envs"] if e["value"] == "[secret]"} == secret


def test_no_secret_value_is_in_a_general_variable(apps):
    for name in ("api", "worker"):
        assert leaked(apps, name, "GENERAL") == []
        # Counterpart: the same detector finds the secrets where they belong.
        assert set(leaked(apps, name, "SECRET")) == SECRET_VARS & set(envs(apps, name))


def test_a_secret_marked_general_is_caught(apps):
    app = one(apps, APP, "api-app")
    index = [e["key"] for e in app.raw_inputs["spec"]["services"][0]["envs"]].index("PGPASSWORD")
    exposed = broken(apps, APP, "api-app", set_input(f"spec.services.0.envs.{index}.type", "GENERAL"))
    assert leaked(exposed, "api", "GENERAL") == ["PGPASSWORD"]


def test_user_variables_are_general_with_their_value(aws_plan):
    result = aws_plan(service(app_platform_config(), "api", env={"LOG_LEVEL": "info"}), "prod")
    assert envs(result, "api")["LOG_LEVEL"] == {
        "key": "LOG_LEVEL",
        "value": "info",
        "scope": "RUN_TIME",
        "type": "GENERAL",
    }


def test_a_credential_set_by_hand_is_secret_too(aws_plan):
    """A worker that links no database but sets DATABASE_URL itself: still a credential."""
    config = app_platform_config()
    config["services"]["worker"]["links"] = ["cache"]
    config["services"]["worker"]["env"] = {"DATABASE_URL": "postgresql://legacy/app"}
    variables = envs(aws_plan(config, "prod"), "worker")
    assert variables["DATABASE_URL"]["type"] == "SECRET"
    assert variables["REDIS_URL"]["type"] == "SECRET"


def test_app_platform_gets_the_variable_names_a_droplet_gets(apps, single):
    droplet_names = set(env_of(single, "edge", "api"))
    assert droplet_names == CONTRACT
    assert set(envs(apps, "api")) == droplet_names
    # The worker links db and cache: the Postgres and Redis names, no S3_*.
    assert set(envs(apps, "worker")) == {n for n in CONTRACT if not n.startswith("S3_")}


def test_app_platform_reaches_the_databases_by_private_host_with_tls(apps):
    variables = {k: e["value"] for k, e in envs(apps, "api").items()}
    cluster = one(apps, CLUSTER, "db-cluster")
    assert variables["PGHOST"] == out(apps, cluster, "privateHost")
    assert urlsplit(variables["DATABASE_URL"]).query == "sslmode=require"
    redis = urlsplit(variables["REDIS_URL"])
    assert (redis.scheme, redis.hostname) == (
        "rediss",
        out(apps, one(apps, CLUSTER, "cache-cluster"), "privateHost"),
    )


# --- App Platform: database firewalls -------------------------------------------------------


@pytest.mark.parametrize("database", ["db", "cache"])
def test_database_firewall_admits_the_fleet_and_the_vpc_the_apps_join(apps, database):
    firewall = one(apps, DB_FIREWALL, f"{database}-firewall")
    assert firewall.inputs == {
        "clusterId": one(apps, CLUSTER, f"{database}-cluster").id,
        "rules": [
            {"type": "tag", "value": fleet_tag(apps)},
            {"type": "ip_addr", "value": vpc_range(apps)},
        ],
    }
    # The firewall exists before the apps: their first deployment needs the database.
    for app in ("api-app", "worker-app"):
        assert (DB_FIREWALL, firewall.name) in dependency_names(apps, one(apps, APP, app))
        assert (APP, app) not in dependency_names(apps, firewall)


def test_only_databases_linked_from_app_platform_trust_the_vpc(mixed):
    # db: linked by the droplet api (tag rule) and the App Platform worker (VPC rule).
    assert address_rules(mixed, "db-firewall") == [vpc_range(mixed)]
    # cache: linked by the droplet api only — the tag covers it.
    assert one(mixed, DB_FIREWALL, "cache-firewall").inputs["rules"] == [
        {"type": "tag", "value": fleet_tag(mixed)}
    ]


def test_droplet_only_stack_trusts_no_address(single):
    for firewall in ("db-firewall", "cache-firewall"):
        assert address_rules(single, firewall) == []
