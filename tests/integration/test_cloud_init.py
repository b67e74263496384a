"""`cloud-init schema` on the rendered user data, plus the hardening it must carry.

A cloud-config that cloud-init rejects boots an unhardened, Docker-less machine without any
error reaching Pulumi, so the real validator (the one on the image) checks what `cloud_init()`
renders, and the parsed document is checked for the security properties we promise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from multicloud.components._vps.render import ADMIN_USER, Bootstrap, cloud_init

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq1Yc2mWnQXh0dVOkXJc9l2mNw2r4m8Rr0m1K9ZP8zN ops@example.com"
FLOATING_IP = "198.51.100.7"

VARIANTS = {
    "plain": Bootstrap([KEY]),
    "floating-ip": Bootstrap([KEY], floating_ipv4=FLOATING_IP),
}


def _schema(run, cloud_init_bin: str, path: Path, env: dict[str, str]):
    return run([cloud_init_bin, "schema", "--config-file", path], timeout=60, env=env)


@pytest.mark.integration
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_user_data_is_valid_cloud_config(variant, require_tool, run, isolated_env, tmp_path):
    cloud_init_bin = require_tool("cloud-init")
    path = tmp_path / "user-data.yaml"
    path.write_text(cloud_init(VARIANTS[variant]))

    result = _schema(run, cloud_init_bin, path, isolated_env)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Valid" in output, output
    assert "errors" not in output.lower(), output


@pytest.mark.integration
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_user_data_is_hardened(variant):
    text = cloud_init(VARIANTS[variant])
    assert text.startswith("#cloud-config\n")
    doc = yaml.safe_load(text)

    assert doc["ssh_pwauth"] is False
    assert doc["disable_root"] is True
    assert "chpasswd" not in doc, "no password is ever set at boot"

    users = [u for u in doc["users"] if isinstance(u, dict)]
    assert [u["name"] for u in users] == [ADMIN_USER]
    deploy = users[0]
    assert deploy["lock_passwd"] is True
    for forbidden in ("passwd", "hashed_passwd", "plain_text_passwd"):
        assert forbidden not in deploy, f"the {ADMIN_USER} user must not have a {forbidden}"
    assert deploy["ssh_authorized_keys"] == [KEY]

    drop_ins = [f for f in doc["write_files"] if f["path"].startswith("/etc/ssh/sshd_config.d/")]
    assert len(drop_ins) == 1
    sshd = drop_ins[0]
    lines = sshd["content"].splitlines()
    assert "PermitRootLogin no" in lines
    assert "PasswordAuthentication no" in lines
    # sshd keeps the first value it reads: ours must sort before cloud-init's own drop-in.
    assert Path(sshd["path"]).name < "50-cloud-init.conf"

    for package in ("docker.io", "fail2ban", "unattended-upgrades"):
        assert package in doc["packages"]

    commands = [" ".join(c) if isinstance(c, list) else c for c in doc.get("runcmd", [])]
    piped_install = re.compile(r"\b(curl|wget)\b[^\n]*\|\s*(sudo\s+)?(ba|da|z)?sh\b")
    assert not piped_install.search(text), "user data pipes a download into a shell"
    assert not any(piped_install.search(c) for c in commands)
    assert not any("curl" in c for c in commands)


@pytest.mark.integration
def test_floating_ip_is_configured_only_when_given():
    plain = yaml.safe_load(cloud_init(VARIANTS["plain"]))
    floating = yaml.safe_load(cloud_init(VARIANTS["floating-ip"]))

    assert not any("netplan" in f["path"] for f in plain["write_files"])
    netplan = [f for f in floating["write_files"] if f["path"].startswith("/etc/netplan/")]
    assert len(netplan) == 1
    assert netplan[0]["permissions"] == "0600"  # netplan warns about (and may ignore) world-readable files
    addresses = yaml.safe_load(netplan[0]["content"])["network"]["ethernets"]["eth0"]["addresses"]
    assert addresses == [f"{FLOATING_IP}/32"]
    assert ["netplan", "apply"] in floating["runcmd"]


def _broken_top_level() -> str:
    return "#cloud-config\npackages: 5\n"


def _broken_rendered_user() -> str:
    # The rendered document with one nested value of the wrong type: proves the schema check
    # reaches into the structure we generate, not just the top level.
    doc = yaml.safe_load(cloud_init(VARIANTS["plain"]))
    doc["users"][0]["lock_passwd"] = "maybe"
    return "#cloud-config\n" + yaml.safe_dump(doc, sort_keys=False)


@pytest.mark.integration
@pytest.mark.parametrize(
    "broken", [_broken_top_level, _broken_rendered_user], ids=["packages-int", "lock_passwd-str"]
)
def test_schema_check_rejects_invalid_cloud_config(broken, require_tool, run, isolated_env, tmp_path):
    # Negative control. cloud-init 22.4 only *deprecates* non-boolean `ssh_pwauth` (exit 0), so
    # these use type errors it does reject.
    cloud_init_bin = require_tool("cloud-init")
    path = tmp_path / "broken.yaml"
    path.write_text(broken())

    result = _schema(run, cloud_init_bin, path, isolated_env)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Valid cloud-config" not in output, output
    assert "schema errors" in output, output
