"""How hosts behave over time: replacement, key rotation, resizing and config changes.

These are the properties that only show up on the second `pulumi up`, so each is asserted on
the inputs the engine would diff.
"""

from __future__ import annotations

from tests.conftest import KEY, base_config, one
from tests.helpers import bundle, compose, release_command, with_data_host

SERVER = "hcloud:index/server:Server"
ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment"
PASSWORD = "random:index/randomPassword:RandomPassword"


def test_server_type_changes_keep_the_disk_so_they_can_be_undone(run_plan):
    assert one(run_plan(base_config()), SERVER).inputs["keepDisk"] is True


def test_volume_detaches_before_a_replaced_server_gets_it(run_plan):
    attachment = one(run_plan(base_config()), ATTACHMENT)
    assert attachment.delete_before_replace is True
    assert one(run_plan(base_config()), SERVER).delete_before_replace is False


def test_a_new_server_gets_the_release_again(run_plan):
    # The triggers are the server's and the attachment's IDs: a replaced server changes them.
    result = run_plan(base_config())
    triggers = release_command(result, "main").raw_inputs["triggers"]
    assert triggers == [one(result, SERVER).id, one(result, ATTACHMENT).id]


def test_admin_keys_are_shipped_with_every_release(run_plan):
    config = base_config()
    second = (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBdQ0BcHbxvJ3lx1k1rE9b3yq8pHk1aC1VZt8xU2sF3d new@example.com"
    )
    config["admin"]["ssh_public_keys"] = [KEY, second]
    member = bundle(run_plan(config), "main")["authorized_keys"]
    assert member.text == f"{KEY}\n{second}\n"
    assert member.mode == 0o600


def test_changed_config_file_changes_the_service_definition(run_plan):
    small, large = base_config(), base_config()
    large["services"]["cache"]["memory_mb"] = 512
    label = lambda config: compose(run_plan(config), "main")["services"]["cache"]["labels"][
        "multicloud.config-hash"
    ]
    assert label(small) != label(large)
    assert label(small) == label(base_config())


def test_a_new_site_changes_caddys_definition(run_plan):
    one_site = base_config()
    two_sites = base_config()
    two_sites["services"]["admin"] = dict(two_sites["services"]["api"], subdomain="admin", links=[])
    label = lambda config: compose(run_plan(config), "main")["services"]["caddy"]["labels"][
        "multicloud.config-hash"
    ]
    assert label(one_site) != label(two_sites)


def test_passwords_are_protected_with_their_data_in_prod_only(run_plan):
    prod = run_plan(base_config("prod"), stack="prod")
    dev = run_plan(base_config("dev"), stack="dev")
    assert all(r.protect for r in prod.registrations if r.type == PASSWORD)
    assert not any(r.protect for r in dev.registrations if r.type == PASSWORD)


def test_private_addresses_do_not_move_when_a_host_is_added(run_plan):
    two = with_data_host(base_config())
    three = with_data_host(base_config())
    three["hosts"]["aaa"] = dict(three["hosts"]["main"])
    three["services"]["aaa-worker"] = {
        "kind": "worker",
        "target": "hetzner",
        "host": "aaa",
        "image": "ghcr.io/acme/api:1.4.2",
    }

    def addresses(config):
        result = run_plan(config)
        return {r.name: r.inputs["networks"][0]["ip"] for r in result.registrations if r.type == SERVER}

    before, after = addresses(two), addresses(three)
    assert {k: after[k] for k in before} == before


def test_first_boot_does_not_reboot_under_a_running_release(run_plan):
    user_data = one(run_plan(base_config()), SERVER).inputs["userData"]
    assert "package_reboot_if_required" not in user_data
