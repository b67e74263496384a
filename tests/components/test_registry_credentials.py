"""Private images: `multicloud:registry_credentials` (a secret JSON {"ghcr.io": "user:token"})
reaches a host's release as a 0600 Docker config with only the registries its containers use,
and App Platform as the image's registry_credentials. The value is checked without echoing it.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from unittest import mock

import pytest

from multicloud import infra
from multicloud.components._lib.images import registry_host, registry_logins
from multicloud.components._vps.render import DOCKER_HUB_AUTH_KEY, docker_config
from multicloud.infra.offline import plan
from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.conftest import ROOT, base_config, one, write_stack
from tests.do_plans import APP, app_platform_config
from tests.helpers import bundle

LOGIN = "wrdata-bot:ghp_0123456789abcdefTOKEN"
LOGINS = {"ghcr.io": LOGIN, "docker.io": "acme:dckr_pat_TOKEN", "quay.io": "q:unused"}


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        ("ghcr.io/acme/api:1.4.2", "ghcr.io"),
        ("nginx:1.27", "docker.io"),
        ("acme/api:1", "docker.io"),
        ("docker.io/acme/api", "docker.io"),
        ("registry.digitalocean.com/acme/api:1", "registry.digitalocean.com"),
        ("localhost:5000/api:1", "localhost:5000"),
        ("valkey/valkey:8.0", "docker.io"),
    ],
)
def test_registry_host(image, registry):
    assert registry_host(image) == registry


def test_docker_config_holds_only_the_registries_in_use():
    text = docker_config(LOGINS, ["ghcr.io/acme/api:1.4.2", "valkey/valkey:8.0", "postgres:16"])
    assert text is not None
    auths = json.loads(text)["auths"]
    assert set(auths) == {"ghcr.io", DOCKER_HUB_AUTH_KEY}  # quay.io is not used here
    assert base64.b64decode(auths["ghcr.io"]["auth"]).decode() == LOGIN


@pytest.mark.parametrize("name", ["docker.io", "index.docker.io", "registry-1.docker.io"])
def test_every_name_of_docker_hub_logs_in_to_docker_hub(name):
    text = docker_config(registry_logins({name: "acme:t"}), ["acme/private:1"])
    assert text is not None and set(json.loads(text)["auths"]) == {DOCKER_HUB_AUTH_KEY}


def test_no_login_in_use_means_no_docker_config():
    assert docker_config({"quay.io": "q:t"}, ["ghcr.io/acme/api:1"]) is None
    assert docker_config({}, ["ghcr.io/acme/api:1"]) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(json.dumps(LOGINS), LOGINS), (LOGINS, LOGINS), ("offline-placeholder-credential", {}), (None, {})],
)
def test_registry_logins_reads_json_or_nothing(value, expected):
    assert registry_logins(value) == expected


# --- validation -------------------------------------------------------------------------------


def problems(value: Any, secret: bool = True) -> list[tuple[str, str]]:
    values = base_config() | {"ssh_private_key": "k", "registry_credentials": value}
    secrets = {"ssh_private_key"} | ({"registry_credentials"} if secret else set())
    try:
        parse(RawConfig(values, frozenset(secrets)))
    except ConfigError as err:
        return err.problems
    return []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"ghcr.io": LOGIN}, []),
        (json.dumps({"ghcr.io": LOGIN}), []),
        ({"secure": "v1:opaque"}, []),  # a stack file's ciphertext: checked when the engine runs
        ("offline-placeholder-credential", []),  # the offline plan has no credentials
        (
            "ghp_barewithoutjson",
            [("registry_credentials", 'is not JSON; expected {"ghcr.io": "user:token", …}')],
        ),
        ({"ghcr.io": "no-colon-token"}, [("registry_credentials.ghcr.io", "expected user:token")]),
        (
            {"GHCR IO": LOGIN},
            [("registry_credentials", "a key is not a registry host such as ghcr.io or docker.io")],
        ),
        ("{not json", [("registry_credentials", 'is not JSON; expected {"ghcr.io": "user:token", …}')]),
        ({}, [("registry_credentials", 'expected a JSON object such as {"ghcr.io": "user:token"}')]),
    ],
)
def test_registry_credentials_are_checked_without_echoing_them(value, expected):
    found = problems(value)
    assert found == expected
    assert not any("ghp_" in message or "no-colon-token" in message for _, message in found)


def test_registry_credentials_must_be_a_secret():
    assert problems({"ghcr.io": LOGIN}, secret=False) == [
        (
            "registry_credentials",
            "is a credential and must be a secret: pulumi config set --secret multicloud:registry_credentials ...",
        )
    ]


# --- in the plan --------------------------------------------------------------------------------


def planned_with_logins(
    tmp_path, config: dict[str, Any], logins: dict[str, str] = LOGINS, stack: str = "prod"
) -> Any:
    """Plan `config` with the credential set to `logins` (offline plans use placeholders)."""
    real = infra.offline.offline_config

    def with_logins(raw, spec):
        values, secrets = real(raw, spec)
        values["multicloud:registry_credentials"] = json.dumps(logins)
        return values, [*secrets, "multicloud:registry_credentials"]

    path = write_stack(tmp_path / f"Pulumi.{stack}.yaml", config)
    with mock.patch.object(infra.offline, "offline_config", with_logins):
        return plan(path, stack, project_dir=ROOT)


def test_a_host_release_logs_in_to_the_registries_of_its_containers(tmp_path):
    files = bundle(planned_with_logins(tmp_path, base_config()), "main")
    config = files["docker/config.json"]
    assert (config.mode, config.uid) == (0o600, 0)
    # The api pulls from ghcr.io, postgres and valkey from Docker Hub; quay.io is not shipped.
    assert set(json.loads(config.text)["auths"]) == {"ghcr.io", DOCKER_HUB_AUTH_KEY}
    assert "ghp_" not in files["compose.yaml"].text


def test_without_credentials_no_docker_config_is_shipped(run_plan):
    assert "docker/config.json" not in bundle(run_plan(base_config(), "prod"), "main")


def test_app_platform_gets_the_login_of_its_images_registry(tmp_path):
    result = planned_with_logins(tmp_path, app_platform_config())
    app = one(result, APP, "api-app")
    image = app.inputs["spec"]["services"][0]["image"]
    # A secret in the plan's view, the login itself in what the provider receives.
    assert (image["registryType"], image["registryCredentials"]) == ("GHCR", "[secret]")
    raw = json.dumps(app.raw_inputs)
    assert LOGIN in raw and "q:unused" not in raw and "dckr_pat" not in raw
