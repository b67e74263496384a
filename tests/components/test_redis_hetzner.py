"""Redis on a Hetzner host: password in a root-free config file, AOF, no public port."""

from __future__ import annotations

import pytest

from tests.conftest import base_config, one
from tests.helpers import bundle, child_set, compose, env_of, mount_target, with_data_host

PASSWORD = "random:index/randomPassword:RandomPassword"


def conf(text: str) -> dict[str, str]:
    """redis.conf directives (first word → rest of the line)."""
    pairs = (line.split(" ", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_component_owns_only_its_password(run_plan):
    result = run_plan(base_config())
    cache = one(result, "multicloud:index:Redis", "cache")
    assert child_set(result, cache) == {(PASSWORD, "cache-password")}
    assert one(result, PASSWORD, "cache-password").inputs == {"length": 32, "special": False}


def test_compose_service_reads_its_config_file_and_publishes_nothing(run_plan):
    svc = compose(run_plan(base_config()), "main")["services"]["cache"]
    assert svc["image"] == "valkey/valkey:8.0"
    assert svc["user"] == "999:999"
    conf_path = mount_target(svc, "./secrets/cache/redis.conf")
    assert svc["command"] == ["valkey-server", conf_path]
    assert svc["volumes"] == ["/srv/data/cache:/data", f"./secrets/cache/redis.conf:{conf_path}:ro"]
    assert "ports" not in svc
    # Nothing secret is passed through the environment.
    assert "environment" not in svc and "env_file" not in svc


@pytest.mark.parametrize(
    ("engine", "version", "image"), [("redis", "7.2", "redis:7.2"), ("valkey", "8.1", "valkey/valkey:8.1")]
)
def test_engine_and_version_select_the_image(run_plan, engine, version, image):
    config = base_config()
    config["services"]["cache"] |= {"engine": engine, "version": version}
    service = compose(run_plan(config), "main")["services"]["cache"]
    assert service["image"] == image
    assert service["command"][0] == f"{engine}-server"
    assert f"{engine}-cli ping" in service["healthcheck"]["test"][1]


def test_config_requires_a_password_and_persists(run_plan):
    result = run_plan(base_config())
    files = bundle(result, "main")
    member = files["secrets/cache/redis.conf"]
    assert (member.mode, member.uid, member.gid) == (0o400, 999, 999)
    directives = conf(member.text)
    assert directives["requirepass"] in result.secret_values
    assert directives["appendonly"] == "yes"
    assert directives["appendfsync"] == "everysec"
    assert directives["dir"] == "/data"
    assert directives["maxmemory"] == "256mb"
    assert directives["maxmemory-policy"] == "noeviction"
    assert "cache 999 999 700" in files["data-dirs.txt"].text.splitlines()


def test_password_is_only_in_the_config_file(run_plan):
    result = run_plan(base_config())
    files = bundle(result, "main")
    password = conf(files["secrets/cache/redis.conf"].text)["requirepass"]
    assert password not in files["compose.yaml"].text
    # The health check reads the password from the file instead of a command line.
    svc = compose(result, "main")["services"]["cache"]
    assert mount_target(svc, "./secrets/cache/redis.conf") in svc["healthcheck"]["test"][1]


def test_memory_mb_sets_maxmemory(run_plan):
    config = base_config()
    config["services"]["cache"]["memory_mb"] = 512
    text = bundle(run_plan(config), "main")["secrets/cache/redis.conf"].text
    assert conf(text)["maxmemory"] == "512mb"


def test_with_two_hosts_the_port_is_bound_to_the_private_ip_only(run_plan):
    result = run_plan(with_data_host(base_config()))
    assert compose(result, "data")["services"]["cache"]["ports"] == ["10.0.1.133:6379:6379"]
    password = conf(bundle(result, "data")["secrets/cache/redis.conf"].text)["requirepass"]
    assert env_of(result, "main", "api")["REDIS_URL"] == f"redis://:{password}@10.0.1.133:6379/0"


def test_linked_service_gets_the_url_with_the_password(run_plan):
    result = run_plan(base_config())
    password = conf(bundle(result, "main")["secrets/cache/redis.conf"].text)["requirepass"]
    assert env_of(result, "main", "api")["REDIS_URL"] == f"redis://:{password}@cache:6379/0"
