"""ApiService/Worker on AWS: ECS Fargate, and for an API an HTTPS Application Load Balancer.

What Checkov and Trivy check for, and have here: an HTTPS listener with
ELBSecurityPolicy-TLS13-1-2-2021-06 and an HTTP listener that only redirects (CKV_AWS_2,
CKV2_AWS_20, CKV_AWS_103), invalid header fields dropped (CKV_AWS_131), deletion protection
in prod (CKV_AWS_150), separate execution and task roles (CKV_AWS_249), no privileged
container and a read-only root filesystem by flag (CKV_AWS_334/336), secrets through SSM
`valueFrom`, never plain `environment` (AWS-0036), no public IP on tasks behind NAT
(CKV_AWS_333). Trivy AWS-0053 ("ALB is internet-facing") fires by design: it is the entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from multicloud.components._lib.certificates import validated_certificate
from multicloud.components._lib.images import registry_host, registry_logins
from multicloud.components._lib.naming import physical_name
from multicloud.components._lib.unique import unique_name
from multicloud.components.api_service import (
    ApiService,
    ApiServiceArgs,
    ApiServiceOutputs,
    OnFargate,
    secret_names,
)
from multicloud.components.api_service.aws_links import (
    TLS_VOLUME,
    InitContainer,
    init_containers,
    secure_string,
    tls_mount,
)
from multicloud.components.api_service.aws_links import definition as init_definition
from multicloud.components.connection import secret
from multicloud.components.contracts import AUTONAME_RANDOM
from multicloud.components.contracts.aws import ELB_NAME, FARGATE_SIZES
from multicloud.components.dns import Record, create_record
from multicloud.components.network import Network

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
WORLD_V4, WORLD_V6 = "0.0.0.0/0", "::/0"
ECS_TASKS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
LINK_PORTS = {"postgres": 5432, "redis": 6379}


def container_definitions(
    name: str,
    image: str,
    port: int | None,
    command: list[str] | None,
    environment: dict[str, str],
    secrets: dict[str, str],
    log_group: str,
    region: str,
    read_only: bool,
    registry_login: str | None = None,
    before: list[dict] | None = None,
) -> str:
    """The task's container definition JSON (plain values; secrets and the registry login
    are ARNs, not values): the app first, then the containers it waits for (`before`,
    components.api_service.aws_links), whose CA volume it mounts read-only."""
    definition: dict = {
        "name": name,
        "image": image,
        "essential": True,
        "privileged": False,
        "readonlyRootFilesystem": read_only,
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": name},
        },
        "linuxParameters": {"initProcessEnabled": True},
    }
    if port is not None:
        definition["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
    if command:
        definition["command"] = list(command)
    if registry_login is not None:
        definition["repositoryCredentials"] = {"credentialsParameter": registry_login}
    if before:
        definition["dependsOn"] = [{"containerName": c["name"], "condition": "SUCCESS"} for c in before]
        definition["mountPoints"] = [tls_mount()]
    return json.dumps([definition, *(before or [])])


def is_ecr(registry: str) -> bool:
    """ECR registries (`<account>.dkr.ecr.<region>.amazonaws.com`): the execution role pulls
    from them; ECS's private-registry login does not apply."""
    return registry.endswith(".amazonaws.com") and ".dkr.ecr." in registry


def registry_login_secret(
    parent: ApiService, name: str, args: ApiServiceArgs
) -> aws.secretsmanager.Secret | None:
    """The Secrets Manager secret ECS logs in to a private registry with (repositoryCredentials,
    JSON {"username", "password"}), when `registry_credentials` has a login for the image's
    registry. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html"""
    registry = registry_host(args.image)
    registries = args.runtime.registries if isinstance(args.runtime, OnFargate) else frozenset()
    if args.registry_credentials is None or registry not in registries or is_ecr(registry):
        return None
    login_secret = aws.secretsmanager.Secret(
        f"{name}-registry",
        description=f"{name}: login to {registry} for pulling the image",
        tags=args.tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )

    def login(value: str | None) -> str:
        user, _, token = registry_logins(value).get(registry, ":").partition(":")
        return json.dumps({"username": user, "password": token})

    aws.secretsmanager.SecretVersion(
        f"{name}-registry",
        secret_id=login_secret.id,
        secret_string=secret(pulumi.Output.from_input(args.registry_credentials).apply(login)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return login_secret


def read_parameters_policy(arns: list[str]) -> str:
    """Execution-role policy: read exactly these SSM parameters."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": sorted(arns)}],
        }
    )


def read_secret_policy(arn: str) -> str:
    """Execution-role policy: read this Secrets Manager secret (the registry login)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [arn],
                }
            ],
        }
    )


def buckets_policy(arns: list[str]) -> str:
    """Task-role policy: use these S3 buckets and their objects."""
    from multicloud.components.object_store.aws import BUCKET_ACTIONS, OBJECT_ACTIONS

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": BUCKET_ACTIONS, "Resource": sorted(arns)},
                {
                    "Effect": "Allow",
                    "Action": OBJECT_ACTIONS,
                    "Resource": sorted(f"{a}/*" for a in arns),
                },
            ],
        }
    )


def elb_name(parent: pulumi.Resource, logical: str, name: str) -> pulumi.Output[str] | None:
    """The physical name of a load balancer or target group: None (Pulumi's auto-name, the
    logical name plus 7 random characters) where that fits ELB's rule (32 characters, no
    `internal-` prefix: components.contracts.aws), so existing ones keep theirs; else a
    shortened name with a random suffix of its own (a child `<logical>-suffix`)."""
    if ELB_NAME.test(f"{logical}-{'0' * AUTONAME_RANDOM}"):
        return None
    physical, _ = unique_name(parent, logical, base=f"lb-{name}", max_len=32)
    return physical


def _task_size(args: ApiServiceArgs) -> tuple[float, float]:
    """The task's (vCPU, GB): as given (a stack resolves its neutral size to a valid pair,
    stacks.targets.aws), else Fargate's smallest."""
    return args.cpu or 0.25, args.memory_gb or 0.5


def _check_task_size(name: str, args: ApiServiceArgs) -> None:
    """Refuse a pair Fargate does not run before anything is registered (ECS would refuse the
    task definition only at `up`)."""
    vcpu, memory_gb = _task_size(args)
    allowed = FARGATE_SIZES.get(vcpu)
    if allowed is None:
        raise ValueError(
            f"{name}: Fargate runs {', '.join(f'{c:g}' for c in FARGATE_SIZES)} vCPU, not {vcpu:g}"
        )
    if memory_gb not in allowed:
        raise ValueError(
            f"{name}: Fargate gives {vcpu:g} vCPU {', '.join(f'{m:g}' for m in allowed)} GB, not {memory_gb:g}"
        )


def build(
    parent: ApiService, name: str, args: ApiServiceArgs, env: dict[str, pulumi.Output[str]]
) -> ApiServiceOutputs:
    """Create the cluster, roles, task, service and, for an API, the load balancer and DNS.
    The steps run, and so register their resources, in this order."""
    _check_task_size(name, args)
    ctx = _context(parent, name, args)
    environment = _secrets(ctx, env)
    inits = init_containers(parent, name, args, ctx.stack)
    roles = _roles(ctx, environment, inits)
    log_group = _log_group(ctx)
    cluster = _cluster(ctx)
    task = _task_definition(ctx, environment, roles, log_group, inits)
    task_sg = _task_security_group(ctx)
    if args.schedule is not None:  # a Job: runs started by EventBridge Scheduler, no service
        from multicloud.components.api_service.aws_schedule import scheduled_runs

        network = aws.scheduler.ScheduleTargetEcsParametersNetworkConfigurationArgs(
            subnets=ctx.network.task_subnet_ids,
            security_groups=[task_sg.id],
            assign_public_ip=ctx.network.nat == "none",
        )
        runs = scheduled_runs(parent, name, args, cluster, task, [roles.execution, roles.task], network)
        ctx.resources.update(runs)
        return ApiServiceOutputs(url=None, resources=ctx.resources)
    entry = _load_balancer(ctx, task_sg) if args.port is not None else None
    service = _service(ctx, cluster, task, task_sg, entry)
    if _autoscales(args):
        _autoscaling(ctx, cluster, service)
    url = pulumi.Output.from_input(f"https://{args.fqdn}") if entry is not None else None
    listener = ctx.resources.get("https_listener")
    certificate_arn = (
        listener.certificate_arn.apply(lambda arn: arn or "")
        if isinstance(listener, aws.lb.Listener)
        else None
    )
    return ApiServiceOutputs(url=url, resources=ctx.resources, certificate_arn=certificate_arn)


@dataclass(frozen=True)
class _Context:
    """What every step of `build` shares."""

    parent: ApiService
    name: str
    args: ApiServiceArgs
    fargate: OnFargate
    network: Network
    region: str
    stack: str
    """`<project>/<stack>`: account-wide names (SSM paths, log groups) carry it."""
    child: pulumi.ResourceOptions
    """The options of every resource but those that need more (parent=the component)."""
    resources: dict[str, pulumi.Resource] = field(default_factory=dict)
    """The component's resources by role; each step adds the ones it creates."""


@dataclass(frozen=True)
class _Environment:
    """The container's variables: plain values, and an SSM parameter per secret."""

    plain: dict[str, pulumi.Output[str]]
    parameters: dict[str, aws.ssm.Parameter]


@dataclass(frozen=True)
class _Roles:
    execution: aws.iam.Role
    task: aws.iam.Role
    registry_login: aws.secretsmanager.Secret | None


@dataclass(frozen=True)
class _Entry:
    """How the load balancer reaches the service: its target group, and the HTTPS listener
    the service waits for (ECS refuses a target group that no listener forwards to yet)."""

    target_group: aws.lb.TargetGroup
    https: aws.lb.Listener
    port: int
    """The container port the target group forwards to."""


def _context(parent: ApiService, name: str, args: ApiServiceArgs) -> _Context:
    if not isinstance(args.runtime, OnFargate):
        raise TypeError(f"{name}: AWS runs services OnFargate(network=, region=)")
    return _Context(
        parent=parent,
        name=name,
        args=args,
        fargate=args.runtime,
        network=args.runtime.network,
        region=args.runtime.region,
        stack=f"{pulumi.get_project()}/{pulumi.get_stack()}",
        child=pulumi.ResourceOptions(parent=parent),
    )


def _autoscales(args: ApiServiceArgs) -> bool:
    """Whether CPU autoscaling runs the replica count (from `replicas` to `max_replicas`)."""
    return args.max_replicas is not None and args.max_replicas > args.replicas


def _secrets(ctx: _Context, env: dict[str, pulumi.Output[str]]) -> _Environment:
    """One SecureString per secret variable; the container gets its ARN."""
    name, args = ctx.name, ctx.args
    secrets = secret_names(args)
    parameters = {
        key: secure_string(ctx.parent, name, f"/{ctx.stack}/{name}", key, value, args.tags)
        for key, value in env.items()
        if key in secrets
    }
    ctx.resources.update({f"parameter_{k}": p for k, p in parameters.items()})
    return _Environment(plain={k: v for k, v in env.items() if k not in secrets}, parameters=parameters)


def _roles(ctx: _Context, environment: _Environment, inits: list[InitContainer]) -> _Roles:
    """Execution (pull, logs, read the parameters, the init containers' too) and task (what
    the app may do)."""
    parameters = dict(environment.parameters)
    for init in inits:
        parameters |= {f"{init.name}/{k}": p for k, p in init.parameters.items()}
    execution, registry_login = _execution_role(ctx, parameters)
    return _Roles(execution=execution, task=_task_role(ctx), registry_login=registry_login)


def _execution_role(
    ctx: _Context, parameters: dict[str, aws.ssm.Parameter]
) -> tuple[aws.iam.Role, aws.secretsmanager.Secret | None]:
    name, args, child = ctx.name, ctx.args, ctx.child
    role = aws.iam.Role(
        f"{name}-execution", assume_role_policy=json.dumps(ECS_TASKS), tags=args.tags, opts=child
    )
    ctx.resources["execution_role"] = role
    ctx.resources["execution_policy"] = aws.iam.RolePolicyAttachment(
        f"{name}-execution", role=role.name, policy_arn=EXECUTION_POLICY, opts=child
    )
    if parameters:
        ctx.resources["execution_secrets"] = aws.iam.RolePolicy(
            f"{name}-execution-secrets",
            role=role.id,
            policy=pulumi.Output.all(*[p.arn for p in parameters.values()]).apply(read_parameters_policy),
            opts=child,
        )
    registry_secret = registry_login_secret(ctx.parent, name, args)
    if registry_secret is not None:
        ctx.resources["registry_secret"] = registry_secret
        ctx.resources["execution_registry"] = aws.iam.RolePolicy(
            f"{name}-execution-registry",
            role=role.id,
            policy=registry_secret.arn.apply(read_secret_policy),
            opts=child,
        )
    return role, registry_secret


def _task_role(ctx: _Context) -> aws.iam.Role:
    name, args = ctx.name, ctx.args
    role = aws.iam.Role(
        f"{name}-task", assume_role_policy=json.dumps(ECS_TASKS), tags=args.tags, opts=ctx.child
    )
    ctx.resources["task_role"] = role
    # Only AWS buckets have an ARN to grant; R2/Hetzner buckets are reached with their keys.
    bucket_arns = [arn for link in args.links.values() if (arn := link.link.bucket_arn) is not None]
    if bucket_arns:
        ctx.resources["task_buckets"] = aws.iam.RolePolicy(
            f"{name}-task-buckets",
            role=role.id,
            policy=pulumi.Output.all(*bucket_arns).apply(buckets_policy),
            opts=ctx.child,
        )
    return role


def _log_group(ctx: _Context) -> aws.cloudwatch.LogGroup:
    log_group = aws.cloudwatch.LogGroup(
        f"{ctx.name}-logs",
        name=f"/{ctx.stack}/{ctx.name}",
        retention_in_days=90 if ctx.args.protect else 14,
        tags=ctx.args.tags,
        opts=ctx.child,
    )
    ctx.resources["log_group"] = log_group
    return log_group


def _cluster(ctx: _Context) -> aws.ecs.Cluster:
    cluster = aws.ecs.Cluster(
        f"{ctx.name}-cluster",
        settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="disabled")],
        tags=ctx.args.tags,
        opts=ctx.child,
    )
    ctx.resources["cluster"] = cluster
    return cluster


def _task_definition(
    ctx: _Context,
    environment: _Environment,
    roles: _Roles,
    log_group: aws.cloudwatch.LogGroup,
    inits: list[InitContainer],
) -> aws.ecs.TaskDefinition:
    name, args = ctx.name, ctx.args
    plain, parameters, registry_secret = environment.plain, environment.parameters, roles.registry_login
    vcpu, memory_gb = _task_size(args)
    before = _init_definitions(inits, log_group, ctx.region)
    task = aws.ecs.TaskDefinition(
        f"{name}-task",
        family=physical_name(pulumi.get_project(), pulumi.get_stack(), name, max_len=255),
        cpu=str(int(vcpu * 1024)),
        memory=str(int(memory_gb * 1024)),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
            operating_system_family="LINUX",
            cpu_architecture="ARM64" if ctx.fargate.arch == "arm64" else "X86_64",
        ),
        execution_role_arn=roles.execution.arn,
        task_role_arn=roles.task.arn,
        container_definitions=pulumi.Output.all(
            plain=pulumi.Output.all(**plain) if plain else {},
            secrets=pulumi.Output.all(**{k: p.arn for k, p in parameters.items()}) if parameters else {},
            log_group=log_group.name,
            registry_login=registry_secret.arn if registry_secret is not None else None,
            before=before,
        ).apply(
            lambda v: container_definitions(
                name,
                args.image,
                args.port,
                args.command,
                v["plain"],
                v["secrets"],
                v["log_group"],
                ctx.region,
                args.read_only,
                v["registry_login"],
                v["before"],
            )
        ),
        volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=TLS_VOLUME)] if inits else None,
        tags=args.tags,
        opts=ctx.child,
    )
    ctx.resources["task_definition"] = task
    return task


def _init_definitions(
    inits: list[InitContainer], log_group: aws.cloudwatch.LogGroup, region: str
) -> pulumi.Output[list[dict]]:
    """The init containers' definitions, each after the CA writer when there is one."""
    writers = [i.name for i in inits if i.writes_tls]

    def one(init: InitContainer) -> pulumi.Output[dict]:
        after = [] if init.writes_tls else writers
        return pulumi.Output.all(
            env=pulumi.Output.all(**init.environment) if init.environment else {},
            secrets=pulumi.Output.all(**{k: p.arn for k, p in init.parameters.items()})
            if init.parameters
            else {},
            log_group=log_group.name,
        ).apply(lambda v: init_definition(init, v["env"], v["secrets"], v["log_group"], region, after))

    return pulumi.Output.all(*[one(init) for init in inits]).apply(list)


def _task_security_group(ctx: _Context) -> aws.ec2.SecurityGroup:
    """The tasks' group: all outbound, and admitted by each linked database or cache."""
    name, args, child = ctx.name, ctx.args, ctx.child
    task_sg = aws.ec2.SecurityGroup(
        f"{name}-tasks", vpc_id=ctx.network.vpc_id, description=f"{name} tasks", tags=args.tags, opts=child
    )
    ctx.resources["task_security_group"] = task_sg
    ctx.resources["task_egress"] = aws.vpc.SecurityGroupEgressRule(
        f"{name}-tasks-egress",
        security_group_id=task_sg.id,
        ip_protocol="-1",
        cidr_ipv4=WORLD_V4,
        description="outbound: image pulls, AWS APIs and the calls of the app",
        opts=child,
    )
    # Each linked database or cache admits this service, and only this service.
    for link_name, link in args.links.items():
        group = link.link.security_group_id
        if group is None:
            continue
        port = LINK_PORTS[link.link.kind]
        ctx.resources[f"link_{link_name}"] = aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-{link_name}",
            security_group_id=group,
            referenced_security_group_id=task_sg.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"from {name} to {link_name}",
            opts=child,
        )
    return task_sg


def _load_balancer(ctx: _Context, task_sg: aws.ec2.SecurityGroup) -> _Entry:
    """An API's entry: an internet-facing ALB, HTTPS to the tasks' port, and its DNS name."""
    args = ctx.args
    assert args.port is not None and args.fqdn is not None and args.dns is not None
    lb_sg = _load_balancer_security_group(ctx, task_sg, args.port)
    lb = _application_load_balancer(ctx, lb_sg)
    target_group = _target_group(ctx, args.port)
    https = _listeners(ctx, lb, target_group)
    _dns(ctx, lb)
    return _Entry(target_group=target_group, https=https, port=args.port)


def _load_balancer_security_group(
    ctx: _Context, task_sg: aws.ec2.SecurityGroup, port: int
) -> aws.ec2.SecurityGroup:
    """HTTP and HTTPS from anywhere in; out only to the tasks' port, which admits only it."""
    name, child = ctx.name, ctx.child
    lb_sg = aws.ec2.SecurityGroup(
        f"{name}-lb",
        vpc_id=ctx.network.vpc_id,
        description=f"{name} load balancer",
        tags=ctx.args.tags,
        opts=child,
    )
    ctx.resources["lb_security_group"] = lb_sg
    for entry_port in (80, 443):
        for family, cidr in (("v4", WORLD_V4), ("v6", WORLD_V6)):
            ctx.resources[f"lb_in_{entry_port}_{family}"] = aws.vpc.SecurityGroupIngressRule(
                f"{name}-lb-{entry_port}-{family}",
                security_group_id=lb_sg.id,
                ip_protocol="tcp",
                from_port=entry_port,
                to_port=entry_port,
                cidr_ipv4=cidr if family == "v4" else None,
                cidr_ipv6=cidr if family == "v6" else None,
                description="HTTP (redirects)" if entry_port == 80 else "HTTPS",
                opts=child,
            )
    ctx.resources["lb_to_tasks"] = aws.vpc.SecurityGroupEgressRule(
        f"{name}-lb-to-tasks",
        security_group_id=lb_sg.id,
        referenced_security_group_id=task_sg.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        opts=child,
    )
    ctx.resources["tasks_from_lb"] = aws.vpc.SecurityGroupIngressRule(
        f"{name}-tasks-from-lb",
        security_group_id=task_sg.id,
        referenced_security_group_id=lb_sg.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description="only the load balancer reaches the tasks",
        opts=child,
    )
    return lb_sg


def _application_load_balancer(ctx: _Context, lb_sg: aws.ec2.SecurityGroup) -> aws.lb.LoadBalancer:
    name, args, parent = ctx.name, ctx.args, ctx.parent
    lb = aws.lb.LoadBalancer(
        f"{name}-lb",
        name=elb_name(parent, f"{name}-lb", name),
        load_balancer_type="application",
        internal=False,
        ip_address_type="ipv4",
        security_groups=[lb_sg.id],
        subnets=ctx.network.public_subnet_ids,
        drop_invalid_header_fields=True,
        desync_mitigation_mode="defensive",
        enable_deletion_protection=args.protect,
        idle_timeout=60,
        tags=args.tags,
        # With ELB's deletion protection, Pulumi's too: a replacement is then refused at
        # preview instead of failing half way (components.contracts.Protected).
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect),
    )
    ctx.resources["load_balancer"] = lb
    return lb


def _target_group(ctx: _Context, port: int) -> aws.lb.TargetGroup:
    name, args = ctx.name, ctx.args
    target_group = aws.lb.TargetGroup(
        f"{name}-tg",
        name=elb_name(ctx.parent, f"{name}-tg", name),
        port=port,
        protocol="HTTP",
        target_type="ip",
        vpc_id=ctx.network.vpc_id,
        deregistration_delay=30,
        health_check=aws.lb.TargetGroupHealthCheckArgs(
            path=args.health_path,
            matcher="200-399",
            interval=15,
            timeout=5,
            healthy_threshold=2,
            unhealthy_threshold=3,
        ),
        tags=args.tags,
        opts=ctx.child,
    )
    ctx.resources["target_group"] = target_group
    return target_group


def _listeners(ctx: _Context, lb: aws.lb.LoadBalancer, target_group: aws.lb.TargetGroup) -> aws.lb.Listener:
    """HTTP that only redirects, and HTTPS (TLS 1.2+, a validated certificate) that forwards;
    returns the HTTPS listener."""
    name, args = ctx.name, ctx.args
    assert args.fqdn is not None and args.dns is not None
    certificate_arn = validated_certificate(ctx.parent, name, args.fqdn, args.dns)
    ctx.resources["http_listener"] = aws.lb.Listener(
        f"{name}-http",
        load_balancer_arn=lb.arn,
        port=80,
        protocol="HTTP",
        default_actions=[
            aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port="443", status_code="HTTP_301"
                ),
            )
        ],
        opts=ctx.child,
    )
    https = aws.lb.Listener(
        f"{name}-https",
        load_balancer_arn=lb.arn,
        port=443,
        protocol="HTTPS",
        ssl_policy=TLS_POLICY,
        certificate_arn=certificate_arn,
        default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)],
        opts=ctx.child,
    )
    ctx.resources["https_listener"] = https
    return https


def _dns(ctx: _Context, lb: aws.lb.LoadBalancer) -> None:
    args = ctx.args
    assert args.fqdn is not None and args.dns is not None
    ctx.resources["dns"] = create_record(
        ctx.parent,
        f"{ctx.name}-dns",
        args.dns,
        Record(fqdn=args.fqdn, type="CNAME", content=lb.dns_name, alias_zone_id=lb.zone_id),
    )


def _service(
    ctx: _Context,
    cluster: aws.ecs.Cluster,
    task: aws.ecs.TaskDefinition,
    task_sg: aws.ec2.SecurityGroup,
    entry: _Entry | None,
) -> aws.ecs.Service:
    name, args, network = ctx.name, ctx.args, ctx.network
    service = aws.ecs.Service(
        f"{name}-service",
        cluster=cluster.arn,
        task_definition=task.arn,
        desired_count=args.replicas,
        launch_type="FARGATE",
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
            subnets=network.task_subnet_ids,
            security_groups=[task_sg.id],
            # Only without NAT: then the public IPv4 is the task's only way out.
            assign_public_ip=network.nat == "none",
        ),
        load_balancers=[
            aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=entry.target_group.arn, container_name=name, container_port=entry.port
            )
        ]
        if entry is not None
        else None,
        health_check_grace_period_seconds=60 if entry is not None else None,
        deployment_minimum_healthy_percent=100,
        deployment_maximum_percent=200,
        deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
        propagate_tags="SERVICE",
        enable_execute_command=False,
        tags=args.tags,
        opts=pulumi.ResourceOptions(
            parent=ctx.parent,
            depends_on=[entry.https] if entry is not None else [],
            # The autoscaler owns the replica count once it exists.
            ignore_changes=["desiredCount"] if _autoscales(args) else None,
        ),
    )
    ctx.resources["service"] = service
    return service


def _autoscaling(ctx: _Context, cluster: aws.ecs.Cluster, service: aws.ecs.Service) -> None:
    """Target tracking on the service's average CPU, from `replicas` to `max_replicas`."""
    name, args = ctx.name, ctx.args
    target = aws.appautoscaling.Target(
        f"{name}-scaling",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.all(cluster.name, service.name).apply(lambda v: f"service/{v[0]}/{v[1]}"),
        min_capacity=args.replicas,
        max_capacity=args.max_replicas,
        opts=ctx.child,
    )
    ctx.resources["scaling_target"] = target
    ctx.resources["scaling_policy"] = aws.appautoscaling.Policy(
        f"{name}-cpu",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
            target_value=60,
            predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                predefined_metric_type="ECSServiceAverageCPUUtilization"
            ),
            scale_in_cooldown=300,
            scale_out_cooldown=60,
        ),
        opts=ctx.child,
    )
