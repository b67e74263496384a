"""A Job on AWS: EventBridge Scheduler starts the task on Fargate at the schedule's times.

What it creates beside the task definition every ECS service of the stack has:
- `aws.scheduler.Schedule`: the cron expression in EventBridge's grammar
  (components._lib.schedule, `Schedule.eventbridge`), timezone UTC, no flexible window, one
  task per run in the stack's task subnets with the task's own security group.
- a retry policy (3 attempts within an hour) and a dead-letter queue (SQS, encrypted, 14 days)
  that keeps every run EventBridge could not start — RunTask refused, capacity missing — so a
  missed run leaves a trace.
- the role the scheduler assumes: `ecs:RunTask` on this task definition's revisions in this
  cluster, `iam:PassRole` for the task's two roles to ECS only, `sqs:SendMessage` to its queue.

Rules, read 2026-12-01: EventBridge Scheduler cron has six fields with `?` in one of the two
day fields and counts weekdays 1-7 from Sunday (*Schedule types on EventBridge Scheduler*);
the target of an ECS task is the cluster's ARN with `EcsParameters` (*Using templated targets*,
API `Target`); the execution role needs `ecs:RunTask` and `iam:PassRole`, and `sqs:SendMessage`
for a dead-letter queue (*Set up the execution role*, *Configuring a dead-letter queue*).

Runs may overlap (EventBridge starts each on time), and nothing stops a run after a while:
`validate` refuses `concurrency: forbid` and `timeout` for a job on aws.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from multicloud.components.api_service import ApiService, ApiServiceArgs

SCHEDULER = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
RETRIES, RETRY_WINDOW_SECONDS = 3, 3600
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's longest


def scheduled_runs(
    parent: ApiService,
    name: str,
    args: ApiServiceArgs,
    cluster: aws.ecs.Cluster,
    task: aws.ecs.TaskDefinition,
    task_roles: list[aws.iam.Role],
    network: aws.scheduler.ScheduleTargetEcsParametersNetworkConfigurationArgs,
) -> dict[str, pulumi.Resource]:
    """The schedule that runs `task` in `cluster`, its dead-letter queue and its role."""
    assert args.schedule is not None  # a Job (checked by the facade)
    child = pulumi.ResourceOptions(parent=parent)
    queue = aws.sqs.Queue(
        f"{name}-missed-runs",
        message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
        sqs_managed_sse_enabled=True,
        tags=args.tags,
        opts=child,
    )
    role = aws.iam.Role(
        f"{name}-scheduler",
        assume_role_policy=pulumi.Output.json_dumps(SCHEDULER),
        tags=args.tags,
        opts=child,
    )
    policy = aws.iam.RolePolicy(
        f"{name}-scheduler-run",
        role=role.id,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ecs:RunTask"],
                        "Resource": [pulumi.Output.concat(task.arn_without_revision, ":*")],
                        "Condition": {"ArnLike": {"ecs:cluster": cluster.arn}},
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["iam:PassRole"],
                        "Resource": [r.arn for r in task_roles],
                        "Condition": {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                    },
                    {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue.arn]},
                ],
            }
        ),
        opts=child,
    )
    schedule = aws.scheduler.Schedule(
        f"{name}-schedule",
        description=f"multicloud job {name}: cron {args.schedule.text} (UTC)",
        schedule_expression=args.schedule.eventbridge,
        schedule_expression_timezone="UTC",
        flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
        state="ENABLED",
        target=aws.scheduler.ScheduleTargetArgs(
            arn=cluster.arn,
            role_arn=role.arn,
            ecs_parameters=aws.scheduler.ScheduleTargetEcsParametersArgs(
                task_definition_arn=task.arn,
                launch_type="FARGATE",
                task_count=1,
                network_configuration=network,
            ),
            dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(arn=queue.arn),
            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                maximum_retry_attempts=RETRIES, maximum_event_age_in_seconds=RETRY_WINDOW_SECONDS
            ),
        ),
        # The role must be able to run the task before the first run is due.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
    )
    return {"missed_runs": queue, "scheduler_role": role, "scheduler_policy": policy, "schedule": schedule}
