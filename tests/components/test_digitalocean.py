"""DigitalOcean backends: droplet hosts, managed PostgreSQL and Valkey, Spaces.

One module per backend would repeat the same base config four times; the checks are grouped
by backend below instead, each asserting exact inputs, security properties with a failing
counterpart where one exists.
"""

from __future__ import annotations

import copy

import pytest

from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.conftest import KEY, base_config, of_type, one
from tests.do_plans import do_config
from tests.helpers import bundle, child_set, env_of

DROPLET = "digitalocean:index/droplet:Droplet"
FIREWALL = "digitalocean:index/firewall:Firewall"
VOLUME = "digitalocean:index/volume:Volume"
TAG = "digitalocean:index/tag:Tag"
CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster"
DB_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"
VPC = "digitalocean:index/vpc:Vpc"
SPACES = "digitalocean:index/spacesBucket:SpacesBucket"
SPACES_KEY = "digitalocean:index/spacesKey:SpacesKey"
WORLD = {"0.0.0.0/0", "::/0"}


def opens_to_world(rules: list[dict], port: int) -> bool:
    """Whether any inbound rule admits `port` from the whole internet."""
    for rule in rules:
        if rule.get("protocol") not in ("tcp", "udp") or not WORLD & set(rule.get("sourceAddresses", [])):
            continue
        port_range = rule.get("portRange") or "all"
        if port_range == "all":
            return True
        low, _, high = port_range.partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


# --- host ---------------------------------------------------------------------------------


def test_host_has_exactly_its_droplet_resources(run_plan):
    result = run_plan(do_config())
    host = one(result, "multicloud:index:VpsHost", "edge")
    assert {t for t, _ in child_set(result, host)} == {
        TAG,
        FIREWALL,
        DROPLET,
        VOLUME,
        "digitalocean:index/volumeAttachment:VolumeAttachment",
        "multicloud:index:HostRelease",
    }


def test_firewall_admits_only_web_ssh_from_admins_and_ping(run_plan):
    rules = one(run_plan(do_config()), FIREWALL).inputs["inboundRules"]
    assert {(r["protocol"], r.get("portRange"), tuple(r["sourceAddresses"])) for r in rules} == {
        ("tcp", "80", ("0.0.0.0/0", "::/0")),
        ("tcp", "443", ("0.0.0.0/0", "::/0")),
        ("tcp", "22", ("203.0.113.0/24",)),
        ("icmp", None, ("0.0.0.0/0", "::/0")),
    }
    for port in (22, 5432, 6379):
        assert not opens_to_world(rules, port)


def test_world_port_detector_bites():
    assert opens_to_world([{"protocol": "tcp", "portRange": "1-65535", "sourceAddresses": ["::/0"]}], 5432)
    assert opens_to_world([{"protocol": "tcp", "portRange": "22", "sourceAddresses": ["0.0.0.0/0"]}], 22)


def test_firewall_selects_the_droplet_by_a_tag_it_carries(run_plan):
    result = run_plan(do_config())
    host_tag = one(result, TAG, "edge-tag").inputs["name"]
    assert one(result, FIREWALL).inputs["tags"] == [host_tag]
    droplet = one(result, DROPLET)
    assert host_tag in droplet.inputs["tags"]
    names = [r.name for r in result.registrations]
    assert names.index("edge-firewall") < names.index("edge-droplet")  # exists before the droplet boots


def test_droplet_is_sized_from_the_catalog_and_ignores_user_data(run_plan):
    result = run_plan(do_config())
    droplet = one(result, DROPLET)
    assert droplet.inputs["size"] == "s-2vcpu-4gb" and droplet.inputs["region"] == "fra1"
    assert droplet.inputs["vpcUuid"] == one(result, VPC).id
    assert "userData" in droplet.ignore_changes
    assert not any(s in droplet.inputs["userData"] for s in result.secret_values)


@pytest.mark.parametrize(("environment", "protected"), [("prod", True), ("dev", False)])
def test_volume_is_protected_in_prod_only(run_plan, environment, protected):
    assert one(run_plan(do_config(environment), stack=environment), VOLUME).protect is protected


def test_release_mounts_the_volume_by_its_digitalocean_device(run_plan):
    result = run_plan(do_config())
    name = one(result, VOLUME).inputs["name"]
    assert bundle(result, "edge")["host.env"].text == f"DATA_DEVICE=/dev/disk/by-id/scsi-0DO_Volume_{name}\n"


# --- managed databases --------------------------------------------------------------------


def test_postgres_cluster_is_private_and_sized_from_the_catalog(run_plan):
    config = do_config()
    config["services"]["db"].update(size={"cpu": 2, "memory_gb": 4}, multi_az=True)
    result = run_plan(config)
    cluster = one(result, CLUSTER, "db-cluster")
    assert (
        cluster.inputs["engine"],
        cluster.inputs["version"],
        cluster.inputs["size"],
        cluster.inputs["nodeCount"],
    ) == ("pg", "16", "db-s-2vcpu-4gb", 2)
    assert cluster.inputs["privateNetworkUuid"] == one(result, VPC).id
    assert cluster.protect is True


def test_a_standby_picks_the_smallest_size_that_allows_one(run_plan):
    # DigitalOcean offers standby nodes from 2 GB of memory: 1 GB asked, 2 GB given.
    config = do_config()
    config["services"]["db"].update(size={"cpu": 1, "memory_gb": 1}, multi_az=True)
    cluster = one(run_plan(config), CLUSTER, "db-cluster")
    assert (cluster.inputs["size"], cluster.inputs["nodeCount"]) == ("db-s-1vcpu-2gb", 2)


def test_default_postgres_is_the_smallest_single_node(run_plan):
    cluster = one(run_plan(do_config()), CLUSTER, "db-cluster")
    assert (cluster.inputs["size"], cluster.inputs["nodeCount"]) == ("db-s-1vcpu-1gb", 1)


@pytest.mark.parametrize("name", ["db", "cache"])
def test_database_firewalls_trust_only_the_stacks_droplets(run_plan, name):
    result = run_plan(do_config())
    fleet_tag = one(result, TAG, "digitalocean-fleet-tag").inputs["name"]
    rules = one(result, DB_FIREWALL, f"{name}-firewall").inputs["rules"]
    assert rules == [{"type": "tag", "value": fleet_tag}]
    assert one(result, DROPLET).inputs["tags"][0] == fleet_tag


def test_connection_urls_use_the_private_host_and_tls(run_plan):
    env = env_of(run_plan(do_config()), "edge", "api")
    assert env["PGHOST"].startswith("private-") and env["PGPORT"] == "25060"
    assert env["DATABASE_URL"].endswith("?sslmode=require")
    assert env["REDIS_URL"].startswith("rediss://") and "private-" in env["REDIS_URL"]


def test_valkey_never_evicts(run_plan):
    cluster = one(run_plan(do_config()), CLUSTER, "cache-cluster")
    assert (cluster.inputs["engine"], cluster.inputs["evictionPolicy"], cluster.inputs["size"]) == (
        "valkey",
        "noeviction",
        "db-s-1vcpu-1gb",
    )


# --- Spaces -------------------------------------------------------------------------------


def test_spaces_bucket_is_private_with_a_key_for_it_alone(run_plan):
    result = run_plan(do_config())
    bucket = one(result, SPACES)
    assert (bucket.inputs["acl"], bucket.inputs["forceDestroy"], bucket.inputs["region"]) == (
        "private",
        False,
        "fra1",
    )
    assert bucket.inputs["name"].startswith("multicloud-test-uploads-")
    key = one(result, SPACES_KEY)
    assert key.inputs["grants"] == [{"bucket": bucket.inputs["name"], "permission": "readwrite"}]
    rules = bucket.inputs["lifecycleRules"]
    assert {"enabled": True, "abortIncompleteMultipartUploadDays": 7} in rules
    assert any(r.get("expiration") == {"days": 90} for r in rules)
    assert "versioning" not in bucket.inputs
    env = env_of(result, "edge", "api")
    assert env["S3_ENDPOINT"] == "https://fra1.digitaloceanspaces.com"


def test_versioning_follows_the_flag(run_plan):
    config = do_config()
    config["services"]["uploads"]["versioning"] = True
    assert one(run_plan(config), SPACES).inputs["versioning"] == {"enabled": True}


# --- the contract -------------------------------------------------------------------------


def test_api_gets_the_same_variable_names_as_on_hetzner(run_plan):
    do_env = env_of(run_plan(do_config()), "edge", "api")
    hetzner_env = env_of(run_plan(base_config()), "main", "api")
    assert sorted(do_env) == sorted(hetzner_env)


# --- validation ---------------------------------------------------------------------------


def problems(config: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        parse(RawConfig(config | {"ssh_private_key": "x"}, frozenset({"ssh_private_key"})))
    return err.value.problems


def test_managed_databases_without_droplets_need_a_region():
    config = do_config()
    api = config["services"]["api"]
    # Only its bucket link: a Hetzner host cannot reach the managed clusters (test_link_reach).
    api.update(target="hetzner", host="main", links=[n for n in api["links"] if n not in ("db", "cache")])
    config["hosts"] = {"main": base_config()["hosts"]["main"]}
    paths = [p for p, _ in problems(config)]
    assert paths == ["digitalocean"]


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        (("cache", {"engine": "redis"}), "services.cache.engine", "valkey only"),
        (("db", {"version": "18"}), "services.db.version", "15, 16, 17"),
        (("uploads", {"location": "mars1"}), "services.uploads.location", "Spaces region"),
    ],
)
def test_what_digitalocean_cannot_do_is_a_config_error(change, path, fragment):
    config = do_config()
    name, fields = change
    config["services"][name].update(copy.deepcopy(fields))
    ((found_path, message),) = problems(config)
    assert found_path == path and fragment in message


def test_droplet_hosts_share_one_region():
    config = do_config()
    config["hosts"]["far"] = {
        "target": "digitalocean",
        "size": {"cpu": 1, "memory_gb": 1},
        "location": "nyc3",
    }
    config["services"]["worker"] = {
        "kind": "worker",
        "target": "digitalocean",
        "host": "far",
        "image": "x/y:1",
    }
    assert ("hosts", "DigitalOcean hosts share one VPC, so one region; found fra1, nyc3") in problems(config)


def test_a_host_and_a_service_may_not_share_a_name():
    config = do_config()
    config["hosts"]["api"] = config["hosts"].pop("edge")
    config["services"]["api"]["host"] = "api"
    assert (
        "services.api",
        "a host is also called 'api'; give the host or the service another name",
    ) in problems(config)


def test_fleet_ssh_keys_and_vpc(run_plan):
    result = run_plan(do_config())
    assert [k.inputs["publicKey"] for k in of_type(result, "digitalocean:index/sshKey:SshKey")] == [KEY]
    assert one(result, VPC).inputs["region"] == "fra1"
