"""Off-host backups of a Postgres on a host: what the release ships and what config allows."""

from __future__ import annotations

import copy

import pytest

from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.conftest import base_config, one
from tests.helpers import bundle, compose

PASSWORD = "random:index/randomPassword:RandomPassword"


def with_backup(**backup) -> dict:
    config = base_config()
    config["services"]["db"]["backup"] = {"bucket": "uploads", **backup}
    return config


def env_lines(text: str) -> dict[str, str]:
    return {k: v.strip("'") for k, v in (line.split("=", 1) for line in text.splitlines() if line)}


def test_backup_settings_file_is_private_and_points_at_the_bucket(run_plan):
    files = bundle(run_plan(with_backup(keep_daily=10)), "main")
    member = files["backup/db.env"]
    assert member.mode == 0o600 and member.uid == 0
    env = env_lines(member.text)
    assert (
        env["RESTIC_REPOSITORY"]
        == "s3:https://7c5dae5552338874e5053f2534d2767a.r2.cloudflarestorage.com/multicloud-test-uploads/postgres/db"
    )
    assert env["AWS_DEFAULT_REGION"] == "auto"
    assert (env["KEEP_DAILY"], env["KEEP_WEEKLY"], env["KEEP_MONTHLY"]) == ("10", "4", "6")
    assert (env["PGUSER"], env["PGDATABASE"]) == ("app", "app")
    assert env["CONTAINER"] == "multicloud-db-1"  # compose's name for the single db container
    # The dump reads the password file the container already mounts.
    db = compose(run_plan(with_backup()), "main")["services"]["db"]
    assert any(v.endswith(f":{env['PGPASSWORD_FILE']}:ro") for v in db["volumes"])
    assert len(env["RESTIC_PASSWORD"]) == 32


@pytest.mark.parametrize(
    ("schedule", "calendar"), [("daily", "daily"), ("hourly", "hourly"), ("02:30", "*-*-* 02:30:00")]
)
def test_timers_follow_the_schedule(run_plan, schedule, calendar):
    files = bundle(run_plan(with_backup(schedule=schedule)), "main")
    assert f"OnCalendar={calendar}\n" in files["systemd/multicloud-backup-db.timer"].text
    assert "Persistent=true" in files["systemd/multicloud-backup-db.timer"].text
    service = files["systemd/multicloud-backup-db.service"].text
    assert "ExecStart=/srv/app/bin/heartbeat.sh HEARTBEAT_URL /srv/app/bin/backup-postgres.sh db\n" in service
    assert "Environment=BACKUP_ENV=/srv/app/backup/db.env\n" in service
    assert (
        "ExecStart=/srv/app/bin/heartbeat.sh VERIFY_HEARTBEAT_URL /srv/app/bin/verify-backup.sh db\n"
        in files["systemd/multicloud-verify-db.service"].text
    )
    assert "OnCalendar=Sun *-*-* 05:00:00" in files["systemd/multicloud-verify-db.timer"].text


def test_backup_settings_do_not_restart_the_database(run_plan):
    label = lambda c: compose(run_plan(c), "main")["services"]["db"]["labels"]["multicloud.config-hash"]
    assert label(with_backup(keep_daily=7)) == label(with_backup(keep_daily=30))


def test_repository_key_is_protected_in_prod(run_plan):
    key = one(run_plan(with_backup(), stack="prod"), PASSWORD, "db-backup-password")
    assert key.protect is True and key.inputs == {"length": 32, "special": False}


def test_hosts_get_restic_and_curl(run_plan):
    user_data = one(run_plan(with_backup()), "hcloud:index/server:Server").inputs["userData"]
    assert "- restic\n" in user_data and "- curl\n" in user_data


def test_public_services_are_rolled_out_health_gated(run_plan):
    config = with_backup()
    config["services"]["worker"] = {
        "kind": "worker",
        "target": "hetzner",
        "host": "main",
        "image": "ghcr.io/acme/api:1.4.2",
    }
    assert bundle(run_plan(config), "main")["rollout.txt"].text == "api 8080 /health\n"


def spec(config: dict):
    return parse(RawConfig(config | {"ssh_private_key": "x"}, frozenset({"ssh_private_key"})))


def problems(config: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        spec(config)
    return err.value.problems


def test_prod_database_on_a_host_needs_backups():
    config = base_config()
    del config["services"]["db"]["backup"]
    assert problems(config) == [
        (
            "services.db.backup",
            "a prod database on a host needs off-host backups; set backup: {bucket: uploads}",
        )
    ]
    config["environment"] = "dev"
    spec(config)  # dev may go without


def test_backup_bucket_must_be_a_bucket():
    assert problems(with_backup(bucket="cache")) == [
        ("services.db.backup.bucket", "must name a bucket service; buckets: uploads")
    ]


def test_prod_retention_has_a_floor():
    assert problems(with_backup(keep_daily=3)) == [
        ("services.db.backup", "prod keeps at least 7 daily and 4 weekly backups")
    ]


def test_schedule_is_validated():
    ((path, message),) = problems(with_backup(schedule="25:00"))
    assert path == "services.db.backup.schedule" and "hourly, daily or HH:MM" in message


def test_managed_databases_use_their_own_backups():
    config = copy.deepcopy(with_backup())
    config["services"]["db"].update(target="aws")
    config["services"]["db"].pop("host")
    config["aws"] = {"region": "us-east-1"}
    assert ("services.db.backup", "not supported on aws; only on: hetzner") in problems(config)
