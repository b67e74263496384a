"""ApiService and Worker on AWS: Fargate task and service, HTTPS load balancer, SSM secrets, roles.

Most security settings asserted here by value are also controls of the policy pack
(policies/controls/aws_*.py), each shown to fail on a broken copy of a real plan
(tests/test_aws_security.py); the rest (private subnets, no IAM wildcards …) only here.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from multicloud.components.connection import SECRET_VARS
from tests.aws_plans import (
    BUCKET,
    CERTIFICATE,
    ECS_SERVICE,
    PARAMETER,
    SG,
    TASK_DEFINITION,
    VALIDATION,
    aws_config,
    depends_on,
    document,
    example_config,
    ids,
    out,
    subnets,
    task_container,
)
from tests.conftest import one
from tests.helpers import child_set

API = "multicloud:index:ApiService"
WORKER = "multicloud:index:Worker"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = "aws:ecs/cluster:Cluster"
LB = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
RECORD = "aws:route53/record:Record"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
PLAIN_VARS = {"PGDATABASE", "PGHOST", "PGPORT", "PGUSER", "S3_BUCKET", "S3_ENDPOINT", "S3_REGION"}


@pytest.fixture(scope="module")
def prod(aws_plan):
    return aws_plan(aws_config("prod"), "prod")


@pytest.fixture(scope="module")
def dev(aws_plan):
    return aws_plan(aws_config("dev"), "dev")


@pytest.fixture(scope="module")
def example(aws_plan):
    return aws_plan(example_config(), "prod")


def tuned() -> dict:
    """The base stack with an api that sets every knob a test below looks at."""
    config = aws_config("prod")
    config["services"]["api"].update(
        size={"cpu": 1, "memory_gb": 3},
        read_only=True,
        health_path="/ready",
        replicas=2,
        max_replicas=2,
        env={"LOG_LEVEL": "info"},
    )
    return config


def test_api_component_children(prod):
    api = one(prod, API, "api")
    parameters = {(PARAMETER, f"api-{k.lower().replace('_', '-')}") for k in SECRET_VARS}
    assert child_set(prod, api) == parameters | {
        (CERTIFICATE, "api-certificate"),
        (VALIDATION, "api-certificate-validation"),
        (LOG_GROUP, "api-logs"),
        (SG, "api-lb"),
        (SG, "api-tasks"),
        (CLUSTER, "api-cluster"),
        (ECS_SERVICE, "api-service"),
        (TASK_DEFINITION, "api-task"),
        (ROLE, "api-execution"),
        (ROLE, "api-task"),
        (ROLE_POLICY, "api-execution-secrets"),
        (ROLE_POLICY, "api-task-buckets"),
        (ATTACHMENT, "api-execution"),
        (LISTENER, "api-http"),
        (LISTENER, "api-https"),
        (LB, "api-lb"),
        (TARGET_GROUP, "api-tg"),
        (RECORD, "api-certificate-record"),
        (RECORD, "api-dns"),
        (EGRESS, "api-lb-to-tasks"),
        (EGRESS, "api-tasks-egress"),
        (INGRESS, "api-lb-443-v4"),
        (INGRESS, "api-lb-443-v6"),
        (INGRESS, "api-lb-80-v4"),
        (INGRESS, "api-lb-80-v6"),
        (INGRESS, "api-tasks-from-lb"),
        (INGRESS, "api-to-cache"),
        (INGRESS, "api-to-db"),
    }
    # Nothing in a service holds data; only the load balancer, whose ELB deletion protection is
    # on in prod, is protected too (else a replacement would fail half way).
    protected = [r for r in prod.registrations if r.parent == api.urn and r.protect]
    assert [(r.type, r.inputs["enableDeletionProtection"]) for r in protected] == [(LB, True)]


# --- task definition ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "service", "cpu", "memory"),
    [
        (aws_config, "api", "256", "512"),
        (example_config, "api", "512", "1024"),
        (tuned, "api", "1024", "3072"),
        (example_config, "worker", "256", "512"),
    ],
    ids=["no-size", "half-cpu-1gb", "1cpu-3gb", "quarter-cpu-half-gb"],
)
def test_neutral_size_resolves_to_a_valid_fargate_pair(aws_plan, config, service, cpu, memory):
    task = one(aws_plan(config(), "prod"), TASK_DEFINITION, f"{service}-task")
    assert (task.inputs["cpu"], task.inputs["memory"]) == (cpu, memory)


@pytest.mark.parametrize(
    ("config", "service", "arch"),
    [(aws_config, "api", "X86_64"), (example_config, "api", "ARM64"), (example_config, "worker", "X86_64")],
    ids=["default-x86", "arm64", "worker-default"],
)
def test_arch_selects_the_runtime_platform(aws_plan, config, service, arch):
    task = one(aws_plan(config(), "prod"), TASK_DEFINITION, f"{service}-task")
    assert task.inputs["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": arch}


def test_task_definition_is_fargate_with_two_distinct_roles(prod):
    task = one(prod, TASK_DEFINITION, "api-task")
    execution, task_role = one(prod, ROLE, "api-execution"), one(prod, ROLE, "api-task")
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert task.inputs["networkMode"] == "awsvpc"
    assert task.inputs["family"] == "multicloud-prod-api"
    assert task.inputs["executionRoleArn"] == out(prod, execution, "arn")
    assert task.inputs["taskRoleArn"] == out(prod, task_role, "arn")
    assert task.inputs["executionRoleArn"] != task.inputs["taskRoleArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    assert json.loads(execution.inputs["assumeRolePolicy"]) == trust
    assert json.loads(task_role.inputs["assumeRolePolicy"]) == trust
    # Only the execution role gets the managed policy (pull images, write logs).
    attachments = [r for r in prod.registrations if r.type == ATTACHMENT and r.name.startswith("api")]
    assert [a.inputs for a in attachments] == [{"role": execution.id, "policyArn": EXECUTION_POLICY}]


def test_container_is_unprivileged_and_logs_to_its_group(prod):
    definition = task_container(prod, "api")
    assert definition["name"] == "api"
    assert definition["image"] == "ghcr.io/acme/api:1.4.2"
    assert definition["essential"] is True
    assert definition["privileged"] is False
    assert definition["readonlyRootFilesystem"] is False
    assert definition["portMappings"] == [{"containerPort": 8080, "protocol": "tcp"}]
    assert definition["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/multicloud/prod/api",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "api",
        },
    }
    assert "command" not in definition


def test_read_only_flag_sets_a_read_only_root_filesystem(aws_plan):
    assert task_container(aws_plan(tuned(), "prod"), "api")["readonlyRootFilesystem"] is True


def test_worker_command_reaches_the_container(example):
    definition = task_container(example, "worker")
    assert definition["command"] == ["python", "-m", "app.worker"]
    assert "portMappings" not in definition


@pytest.mark.parametrize(("fixture", "days"), [("prod", 90), ("dev", 14)])
def test_log_retention_by_environment(request, fixture, days):
    result = request.getfixturevalue(fixture)
    logs = one(result, LOG_GROUP, "api-logs")
    assert logs.inputs["retentionInDays"] == days
    assert logs.inputs["name"] == f"/multicloud/{fixture}/api"


# --- secrets -----------------------------------------------------------------------------


def parameter(result, service: str, key: str):
    return one(result, PARAMETER, f"{service}-{key.lower().replace('_', '-')}")


def test_every_secret_variable_comes_from_an_ssm_parameter_never_from_environment(prod):
    definition = task_container(prod, "api")
    environment = {e["name"]: e["value"] for e in definition["environment"]}
    secrets = {s["name"]: s["valueFrom"] for s in definition["secrets"]}
    assert set(secrets) == SECRET_VARS
    assert set(environment) == PLAIN_VARS
    assert not set(environment) & SECRET_VARS
    for key, value_from in secrets.items():
        assert value_from == out(prod, parameter(prod, "api", key), "arn")
        assert value_from.startswith("arn:aws:ssm:")


def test_no_secret_value_is_in_the_container_definitions(prod):
    text = one(prod, TASK_DEFINITION, "api-task").raw_inputs["containerDefinitions"]
    db_password = out(prod, one(prod, "random:index/randomPassword:RandomPassword", "db-password"), "result")
    assert db_password in prod.secret_values  # the set the check below uses is the real one
    assert db_password in parameter(prod, "api", "PGPASSWORD").raw_inputs["value"]
    assert not [v for v in prod.secret_values if v in text]


def test_parameters_are_secure_strings_with_redacted_values(prod):
    for key in SECRET_VARS:
        param = parameter(prod, "api", key)
        assert param.inputs["type"] == "SecureString"
        assert param.inputs["value"] == "[secret]"
        assert param.inputs["name"] == f"/multicloud/prod/api/{key}"
        assert param.raw_inputs["value"] != "[secret]"


def test_parameters_hold_the_linked_components_values(prod):
    url = urlsplit(parameter(prod, "api", "DATABASE_URL").raw_inputs["value"])
    assert url.hostname == out(prod, one(prod, "aws:rds/instance:Instance"), "address")
    assert parameter(prod, "api", "REDIS_URL").raw_inputs["value"].startswith("rediss://")


def test_execution_role_reads_exactly_its_parameters(prod):
    policy = one(prod, ROLE_POLICY, "api-execution-secrets")
    assert policy.inputs["role"] == one(prod, ROLE, "api-execution").id
    arns = sorted(out(prod, parameter(prod, "api", k), "arn") for k in SECRET_VARS)
    assert document(policy) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": arns}],
    }


def test_task_role_is_granted_only_the_linked_aws_buckets(example):
    uploads = out(example, one(example, BUCKET, "uploads-bucket"), "arn")
    artifacts = out(example, one(example, BUCKET, "artifacts-bucket"), "arn")
    policy = one(example, ROLE_POLICY, "api-task-buckets")
    assert policy.inputs["role"] == one(example, ROLE, "api-task").id
    assert document(policy) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": [uploads]},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": [f"{uploads}/*"],
            },
        ],
    }
    # `artifacts` is not linked: its ARN is nowhere in any of the api's policies.
    api_policies = [r for r in example.registrations if r.type == ROLE_POLICY and r.name.startswith("api-")]
    assert not any(artifacts in r.inputs["policy"] for r in api_policies)


def test_no_task_role_policy_without_an_aws_bucket(aws_plan):
    config = aws_config("prod")
    config["services"]["api"]["links"] = ["db", "cache"]
    result = aws_plan(config, "prod")
    assert not any(r.type == ROLE_POLICY and r.name == "api-task-buckets" for r in result.registrations)
    assert {s["name"] for s in task_container(result, "api")["secrets"]} == {
        "DATABASE_URL",
        "PGPASSWORD",
        "REDIS_URL",
    }


# --- service and autoscaling -------------------------------------------------------------


def test_service_rolls_out_safely_behind_the_target_group(prod):
    service = one(prod, ECS_SERVICE, "api-service")
    inputs = service.inputs
    assert inputs["launchType"] == "FARGATE"
    assert inputs["desiredCount"] == 1
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert inputs["deploymentMinimumHealthyPercent"] == 100
    assert inputs["deploymentMaximumPercent"] == 200
    assert inputs["enableExecuteCommand"] is False
    assert inputs["cluster"] == out(prod, one(prod, CLUSTER, "api-cluster"), "arn")
    assert inputs["taskDefinition"] == out(prod, one(prod, TASK_DEFINITION, "api-task"), "arn")
    assert inputs["loadBalancers"] == [
        {
            "targetGroupArn": out(prod, one(prod, TARGET_GROUP, "api-tg"), "arn"),
            "containerName": "api",
            "containerPort": 8080,
        }
    ]
    assert inputs["networkConfiguration"]["securityGroups"] == [one(prod, SG, "api-tasks").id]
    assert (LISTENER, "api-https") in depends_on(prod, service)
    assert service.ignore_changes == []


def test_autoscaling_on_cpu_when_max_replicas_exceeds_replicas(example):
    service = one(example, ECS_SERVICE, "api-service")
    target = one(example, SCALING_TARGET, "api-scaling")
    cluster = out(example, one(example, CLUSTER, "api-cluster"), "name")
    assert target.inputs == {
        "serviceNamespace": "ecs",
        "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": f"service/{cluster}/{out(example, service, 'name')}",
        "minCapacity": 2,
        "maxCapacity": 6,
    }
    policy = one(example, SCALING_POLICY, "api-cpu")
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    assert policy.inputs["resourceId"] == target.inputs["resourceId"]
    tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ECSServiceAverageCPUUtilization"
    }
    assert tracking["targetValue"] == 60
    # The autoscaler owns the count; a deploy must not reset it to `replicas`.
    assert service.inputs["desiredCount"] == 2
    assert service.ignore_changes == ["desiredCount"]


@pytest.mark.parametrize("config", [aws_config, tuned], ids=["no-max", "max-equals-replicas"])
def test_no_autoscaling_otherwise(aws_plan, config):
    result = aws_plan(config(), "prod")
    assert not any(r.type in (SCALING_TARGET, SCALING_POLICY) for r in result.registrations)
    assert one(result, ECS_SERVICE, "api-service").ignore_changes == []


def test_worker_has_no_load_balancer_certificate_or_dns(example):
    worker = one(example, WORKER, "worker")
    types = {t for t, _ in child_set(example, worker)}
    assert not types & {LB, LISTENER, TARGET_GROUP, CERTIFICATE, VALIDATION, RECORD}
    service = one(example, ECS_SERVICE, "worker-service").inputs
    assert "loadBalancers" not in service and "healthCheckGracePeriodSeconds" not in service
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


# --- load balancer -----------------------------------------------------------------------


@pytest.mark.parametrize(("fixture", "protected"), [("prod", True), ("dev", False)])
def test_load_balancer_is_public_drops_bad_headers_and_is_protected_in_prod(request, fixture, protected):
    result = request.getfixturevalue(fixture)
    lb = one(result, LB, "api-lb").inputs
    assert lb["loadBalancerType"] == "application"
    assert lb["internal"] is False
    assert lb["dropInvalidHeaderFields"] is True
    assert lb["desyncMitigationMode"] == "defensive"
    assert lb["enableDeletionProtection"] is protected
    assert lb["subnets"] == ids(subnets(result, "public"))
    assert lb["securityGroups"] == [one(result, SG, "api-lb").id]


def test_https_listener_uses_modern_tls_and_the_validated_certificate(prod):
    https = one(prod, LISTENER, "api-https")
    validation = one(prod, VALIDATION, "api-certificate-validation")
    assert https.inputs["port"] == 443
    assert https.inputs["protocol"] == "HTTPS"
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["certificateArn"] == out(prod, validation, "certificateArn")
    assert https.inputs["certificateArn"] == out(prod, one(prod, CERTIFICATE, "api-certificate"), "arn")
    # …taken from the validation, so the listener waits until ACM has issued it.
    assert depends_on(prod, https, "certificateArn") == {(VALIDATION, "api-certificate-validation")}
    assert https.inputs["defaultActions"] == [
        {"type": "forward", "targetGroupArn": out(prod, one(prod, TARGET_GROUP, "api-tg"), "arn")}
    ]
    assert https.inputs["loadBalancerArn"] == out(prod, one(prod, LB, "api-lb"), "arn")


def test_http_listener_only_redirects_to_https(prod):
    http = one(prod, LISTENER, "api-http")
    assert (http.inputs["port"], http.inputs["protocol"]) == (80, "HTTP")
    assert http.inputs["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]
    assert "certificateArn" not in http.inputs and "sslPolicy" not in http.inputs


@pytest.mark.parametrize(("config", "path"), [(aws_config, "/health"), (tuned, "/ready")])
def test_target_group_sends_ip_targets_health_checks_to_health_path(aws_plan, config, path):
    result = aws_plan(config(), "prod")
    tg = one(result, TARGET_GROUP, "api-tg").inputs
    assert (tg["targetType"], tg["port"], tg["protocol"]) == ("ip", 8080, "HTTP")
    assert tg["healthCheck"]["path"] == path
    assert tg["vpcId"] == one(result, "aws:ec2/vpc:Vpc").id


def test_certificate_is_for_the_api_name_and_validated_by_dns(prod):
    certificate = one(prod, CERTIFICATE, "api-certificate")
    assert certificate.inputs == {"domainName": "api.example.com", "validationMethod": "DNS"}


def test_security_groups_chain_lb_to_tasks_on_the_container_port(prod):
    lb, tasks = one(prod, SG, "api-lb"), one(prod, SG, "api-tasks")
    assert one(prod, INGRESS, "api-tasks-from-lb").inputs == {
        "securityGroupId": tasks.id,
        "referencedSecurityGroupId": lb.id,
        "ipProtocol": "tcp",
        "fromPort": 8080,
        "toPort": 8080,
        "description": "only the load balancer reaches the tasks",
    }
    assert one(prod, EGRESS, "api-lb-to-tasks").inputs == {
        "securityGroupId": lb.id,
        "referencedSecurityGroupId": tasks.id,
        "ipProtocol": "tcp",
        "fromPort": 8080,
        "toPort": 8080,
    }
    world = sorted(
        (r.inputs["fromPort"], r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6"))
        for r in prod.registrations
        if r.type == INGRESS and r.inputs["securityGroupId"] == lb.id
    )
    assert world == [(80, "0.0.0.0/0"), (80, "::/0"), (443, "0.0.0.0/0"), (443, "::/0")]


@pytest.mark.parametrize(
    ("cpu", "memory_gb", "says"),
    [
        (0.3, 1, "runs 0.25, 0.5, 1, 2, 4, 8, 16 vCPU, not 0.3"),
        (1, 1, "1 vCPU 2, 3, 4, 5, 6, 7, 8 GB, not 1"),
    ],
)
def test_a_task_size_fargate_does_not_run_is_refused_before_anything_is_built(cpu, memory_gb, says):
    """A library user's own ApiServiceArgs: a pair ECS would refuse at `up` stops the build
    before its first resource (no parent or network is touched)."""
    from multicloud.components.api_service import ApiServiceArgs, OnFargate
    from multicloud.components.api_service import aws as backend

    fargate = OnFargate(network=None, region="us-east-1")  # type: ignore[arg-type]
    args = ApiServiceArgs(
        target="aws", image="ghcr.io/acme/api:1.4.2", runtime=fargate, cpu=cpu, memory_gb=memory_gb
    )
    with pytest.raises(ValueError, match=says):
        backend.build(None, "api", args, {})  # type: ignore[arg-type]
    backend._check_task_size(
        "api", ApiServiceArgs(target="aws", image="x", runtime=fargate, cpu=2, memory_gb=16)
    )
