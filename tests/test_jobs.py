"""`kind: job` on VPS hosts, read from the plan: a compose service no `up` starts, run by a
systemd timer at the schedule's times with the same connection variables a worker gets; and
what validate refuses, one line each. tests/integration/test_job_units.py verifies the units
with systemd-analyze and runs bin/run-job.sh."""

from __future__ import annotations

import copy
import re
import subprocess

import pytest

from multicloud.components._lib import types
from multicloud.infra.cli import main
from multicloud.infra.offline import Plan, plan
from tests.aws_plans import example_config
from tests.conftest import ROOT, of_type, one, write_stack
from tests.helpers import bundle, compose, env_of

EXAMPLE = ROOT / "examples" / "infrar.yaml"
SERVICE, TIMER = "systemd/multicloud-job-pricing-sync.service", "systemd/multicloud-job-pricing-sync.timer"


@pytest.fixture(scope="module")
def example() -> Plan:
    return plan(EXAMPLE, "prod", project_dir=ROOT)


def infrar() -> dict:
    return example_config("infrar.yaml")


def test_the_job_is_a_component_of_its_own(example):
    job = one(example, f"{types.COMPONENT_PREFIX}Job", "pricing-sync")
    assert job.parent == "urn:pulumi:prod::multicloud::pulumi:pulumi:Stack::multicloud-prod"


def test_compose_never_starts_it(example):
    service = compose(example, "box")["services"]["pricing-sync"]
    assert service["profiles"] == ["scheduled"] and service["restart"] == "no"
    assert service["command"] == ["infrar", "pricing", "sync"]
    files = bundle(example, "box")
    assert "pricing-sync" not in files["jobs.txt"].text.split()
    # release.sh starts every service but those it reads from rollout.txt, jobs.txt and this.
    assert files["scheduled.txt"].text == "pricing-sync\n"


def test_the_release_leaves_the_job_to_its_timer(example, tmp_path):
    """release.sh's own line (run by bash here) lists what it must not `compose up`."""
    script = (ROOT / "components/_vps/scripts/release.sh").read_text()
    (line,) = [ln for ln in script.splitlines() if ln.startswith("mapfile -t not_started_here")]
    for name in ("rollout.txt", "jobs.txt", "scheduled.txt"):
        (tmp_path / name).write_text(bundle(example, "box")[name].text)
    done = subprocess.run(["bash", "-c", f"{line}\nprintf '%s\\n' \"${{not_started_here[@]}}\""],
                          cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    assert "pricing-sync" in done.stdout.split() and "platform" in done.stdout.split()


def test_it_gets_the_variables_a_worker_linking_the_same_would(example, tmp_path):
    as_worker = infrar()
    job = as_worker["services"]["pricing-sync"]
    for field in ("schedule", "timeout"):
        job.pop(field)
    job["kind"] = "worker"
    worker_plan = plan(write_stack(tmp_path / "Pulumi.prod.yaml", as_worker), "prod", project_dir=ROOT)
    assert env_of(example, "box", "pricing-sync") == env_of(worker_plan, "box", "pricing-sync")
    assert {"DATABASE_URL", "PGHOST", "S3_BUCKET"} <= set(env_of(example, "box", "pricing-sync"))


def test_the_timer_runs_the_service_at_the_schedules_times(example):
    files = bundle(example, "box")
    timer, service = files[TIMER].text, files[SERVICE].text
    assert "OnCalendar=*-*-* 00,06,12,18:00:00 UTC" in timer.splitlines()
    assert "Persistent=true" in timer.splitlines()
    assert "ExecStart=/srv/app/bin/run-job.sh pricing-sync" in service.splitlines()
    assert "TimeoutStartSec=1800s" in service.splitlines()  # timeout: 30m
    assert files["bin/run-job.sh"].mode == 0o755
    assert files[TIMER].mode == files[SERVICE].mode == 0o644


def test_without_a_timeout_a_run_is_not_cut_short(tmp_path):
    config = infrar()
    config["services"]["pricing-sync"].pop("timeout")
    result = plan(write_stack(tmp_path / "Pulumi.infrar.yaml", config), "infrar", project_dir=ROOT)
    assert "TimeoutStartSec=infinity" in bundle(result, "box")[SERVICE].text.splitlines()


def test_plan_shows_the_next_three_runs(capsys):
    assert main(["plan", "--config", str(EXAMPLE)]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if "Job pricing-sync" in ln]
    runs = re.findall(r"\d{4}-\d\d-\d\d (\d\d):00", line)
    assert "cron 0 */6 * * * (UTC)" in line and len(runs) == 3
    assert {hour for hour in runs} <= {"00", "06", "12", "18"}


def test_a_job_on_a_droplet_plans_too(tmp_path):
    config = {
        "environment": "dev",
        "domain": "example.com",
        "admin": {"ssh_public_keys": [infrar()["admin"]["ssh_public_keys"][0]], "cidrs": ["203.0.113.0/24"]},
        "hosts": {"web": {"target": "digitalocean", "location": "fra1", "size": {"cpu": 1, "memory_gb": 2}}},
        "services": {
            "report": {"kind": "job", "target": "digitalocean", "host": "web", "image": "ghcr.io/acme/report:2",
                       "schedule": "30 2 * * mon", "links": ["db"]},
            "db": {"kind": "postgres", "target": "digitalocean"},
        },
    }  # fmt: skip
    result = plan(write_stack(tmp_path / "Pulumi.dev.yaml", config), "dev", project_dir=ROOT)
    files = bundle(result, "web")
    assert (
        "OnCalendar=Mon *-*-* 02:30:00 UTC" in files["systemd/multicloud-job-report.timer"].text.splitlines()
    )
    assert compose(result, "web")["services"]["report"]["profiles"] == ["scheduled"]


# --- refused at validate ------------------------------------------------------------------------


def _refusals(tmp_path, capsys, change) -> str:
    config = copy.deepcopy(infrar())
    change(config["services"]["pricing-sync"], config)
    assert main(["validate", "--config", str(write_stack(tmp_path / "Pulumi.infrar.yaml", config))]) == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda job, _: job.update(schedule="0 0 1 * mon"),
         "multicloud:services.pricing-sync.schedule: restricts both the day of the month and the day of the week"),
        (lambda job, _: job.update(schedule="@hourly"),
         "multicloud:services.pricing-sync.schedule: '@hourly' must be five cron fields"),
        (lambda job, _: job.update(timeout="30 minutes"), "multicloud:services.pricing-sync.timeout:"),
        (lambda job, _: job.update(timeout="999h"), "multicloud:services.pricing-sync.timeout: at most 7 days (168h)"),
        (lambda job, _: job.update(schedule="0-58 0-22 1-30 * *"),
         "multicloud:services.pricing-sync.schedule: lists too many values to write out for systemd or EventBridge"),
        (lambda job, _: job.update(replicas=2),
         "multicloud:services.pricing-sync.replicas: a job runs one container at a time: remove it"),
    ],
)  # fmt: skip
def test_what_a_host_cannot_run_is_refused_naming_the_field(tmp_path, capsys, change, expected):
    err = _refusals(tmp_path, capsys, change)
    assert expected in err
    assert "Traceback" not in err


def test_app_platform_is_refused_with_the_way_out(tmp_path, capsys):
    def to_app_platform(job, config):
        job.update(target="digitalocean", runtime="app_platform")
        job.pop("host")
        job["links"] = []
        config["digitalocean"] = {"region": "fra1"}

    err = _refusals(tmp_path, capsys, to_app_platform)
    assert (
        "multicloud:services.pricing-sync.runtime: App Platform jobs are not supported yet; run it on a droplet "
        "(runtime: droplet) or on a hetzner host"
    ) in err


# --- on AWS: EventBridge Scheduler starts the task on Fargate -----------------------------------


def aws_job_config(**job: object) -> dict:
    return {
        "environment": "prod",
        "domain": "example.com",
        "aws": {"region": "eu-central-1", "nat": "managed"},
        "dns": {"provider": "route53", "zone_id": "Z0123456789ABCDEFGHIJ"},
        "services": {
            "report": {"kind": "job", "target": "aws", "image": "ghcr.io/acme/report:2.0.1",
                       "command": ["report", "nightly"], "schedule": "30 2 * * *", "concurrency": "allow",
                       "links": ["db"], **job},
            "db": {"kind": "postgres", "target": "aws"},
        },
    }  # fmt: skip


@pytest.fixture(scope="module")
def on_aws(tmp_path_factory) -> Plan:
    path = write_stack(tmp_path_factory.mktemp("aws-job") / "Pulumi.prod.yaml", aws_job_config())
    return plan(path, "prod", project_dir=ROOT)


def test_the_schedule_starts_one_fargate_task_of_the_job_in_the_private_subnets(on_aws):
    schedule = one(on_aws, types.AWS_SCHEDULER_SCHEDULE).raw_inputs
    assert schedule["scheduleExpression"] == "cron(30 2 * * ? *)"
    assert schedule["scheduleExpressionTimezone"] == "UTC"
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    target = schedule["target"]
    cluster = one(on_aws, types.AWS_ECS_CLUSTER)
    task = one(on_aws, types.AWS_ECS_TASK_DEFINITION)
    assert target["arn"] == cluster.raw_outputs["arn"]
    ecs = target["ecsParameters"]
    assert (ecs["taskDefinitionArn"], ecs["launchType"], ecs["taskCount"]) == (
        task.raw_outputs["arn"],
        "FARGATE",
        1,
    )
    private = {r.id for r in of_type(on_aws, types.AWS_EC2_SUBNET) if "-private-" in r.name}
    tasks_group = one(on_aws, types.AWS_EC2_SECURITY_GROUP, "report-tasks").id
    network = ecs["networkConfiguration"]
    assert set(network["subnets"]) == private and network["securityGroups"] == [tasks_group]
    assert network["assignPublicIp"] is False  # behind the NAT gateway
    assert not of_type(on_aws, types.AWS_ECS_SERVICE), "a job has no service"


def test_a_run_that_cannot_start_is_retried_then_kept(on_aws):
    target = one(on_aws, types.AWS_SCHEDULER_SCHEDULE).raw_inputs["target"]
    queue = one(on_aws, types.AWS_SQS_QUEUE)
    assert target["deadLetterConfig"] == {"arn": queue.raw_outputs["arn"]}
    assert target["retryPolicy"] == {"maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 3600}
    assert queue.raw_inputs["sqsManagedSseEnabled"] is True
    assert queue.raw_inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_the_scheduler_may_run_this_task_pass_its_roles_and_report_nothing_else(on_aws):
    import json

    role = one(on_aws, types.AWS_IAM_ROLE, "report-scheduler")
    trust = json.loads(role.raw_inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "scheduler.amazonaws.com"}]
    assert (
        one(on_aws, types.AWS_SCHEDULER_SCHEDULE).raw_inputs["target"]["roleArn"] == role.raw_outputs["arn"]
    )
    policy = json.loads(one(on_aws, types.AWS_IAM_ROLE_POLICY, "report-scheduler-run").raw_inputs["policy"])
    task = one(on_aws, types.AWS_ECS_TASK_DEFINITION).raw_outputs
    roles = {
        one(on_aws, types.AWS_IAM_ROLE, n).raw_outputs["arn"] for n in ("report-execution", "report-task")
    }
    by_action = {tuple(s["Action"]): s for s in policy["Statement"]}
    assert set(by_action) == {("ecs:RunTask",), ("iam:PassRole",), ("sqs:SendMessage",)}
    assert by_action[("ecs:RunTask",)]["Resource"] == [f"{task['arnWithoutRevision']}:*"]
    assert set(by_action[("iam:PassRole",)]["Resource"]) == roles
    assert by_action[("sqs:SendMessage",)]["Resource"] == [
        one(on_aws, types.AWS_SQS_QUEUE).raw_outputs["arn"]
    ]


def test_on_aws_it_costs_its_runs(on_aws):
    from multicloud.costs.estimate import estimate_plan

    lines = {ln.name: ln for ln in estimate_plan(on_aws).components["report"].lines}
    vcpu = lines["Fargate vCPU (30 runs × 5 min, 0.25 vCPU / 0.5 GB x86)"]
    assert vcpu.usage_based and vcpu.quantity == pytest.approx(0.25 * 365 / 12 * 5 / 60)
    assert not [n for n in lines if "Fargate" in n and "runs" not in n], (
        "never priced as a task running all month"
    )


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ({"concurrency": "forbid"},
         "multicloud:services.report.concurrency: on aws EventBridge Scheduler starts every run on time"),
        ({"timeout": "30m"}, "multicloud:services.report.timeout: not supported on aws; only on: digitalocean, hetzner"),
    ],
)  # fmt: skip
def test_what_aws_cannot_honour_is_refused(tmp_path, capsys, job, expected):
    path = write_stack(tmp_path / "Pulumi.prod.yaml", aws_job_config(**job))
    assert main(["validate", "--config", str(path)]) == 2
    assert expected in capsys.readouterr().err
