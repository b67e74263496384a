"""ApiService/Worker on AWS: ECS Fargate, and for an API an HTTPS Application Load Balancer.

Mirrors the checks in shared/reference/security-and-data-safety.md: HTTPS listener with
ELBSecurityPolicy-TLS13-1-2-2021-06 and an HTTP listener that only redirects (CKV_AWS_2,
CKV2_AWS_20, CKV_AWS_103), invalid header fields dropped (CKV_AWS_131), deletion protection
in prod (CKV_AWS_150), separate execution and task roles (CKV_AWS_249), no privileged
container and a read-only root filesystem by flag (CKV_AWS_334/336), secrets through SSM
`valueFrom`, never plain `environment` (AWS-0036), no public IP on tasks behind NAT
(CKV_AWS_333). Trivy AWS-0053 ("ALB is internet-facing") fires by design: it is the entry.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components._lib.certificates import validated_certificate
from components._lib.images import registry_host, registry_logins
from components._lib.naming import physical_name
from components._lib.unique import unique_name
from components.api_service import ApiService, ApiServiceArgs, ApiServiceOutputs, secret_names
from components.connection import secret
from components.contracts import AUTONAME_RANDOM
from components.contracts.aws import ELB_NAME
from components.dns import Record, create_record

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
) -> str:
    """The task's container definition JSON (plain values; secrets and the registry login
    are ARNs, not values)."""
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
    return json.dumps([definition])


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
    if args.registry_credentials is None or registry not in args.registries or is_ecr(registry):
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


def elb_name(parent: pulumi.Resource, logical: str, name: str) -> pulumi.Output[str] | None:
    """The physical name of a load balancer or target group: None (Pulumi's auto-name, the
    logical name plus 7 random characters) where that fits ELB's rule (32 characters, no
    `internal-` prefix: components.contracts.aws), so existing ones keep theirs; else a
    shortened name with a random suffix of its own (a child `<logical>-suffix`)."""
    if ELB_NAME.test(f"{logical}-{'0' * AUTONAME_RANDOM}"):
        return None
    physical, _ = unique_name(parent, logical, base=f"lb-{name}", max_len=32)
    return physical


def build(
    parent: ApiService, name: str, args: ApiServiceArgs, env: dict[str, pulumi.Output[str]]
) -> ApiServiceOutputs:
    """Create the cluster, roles, task, service and, for an API, the load balancer and DNS."""
    network, region = args.network, args.region
    if network is None or region is None:
        raise ValueError(f"{name}: a service on aws needs network= and region=")
    is_api = args.port is not None
    child = pulumi.ResourceOptions(parent=parent)
    # Account-wide names (SSM paths, log groups) carry project and stack.
    stack = f"{pulumi.get_project()}/{pulumi.get_stack()}"
    resources: dict[str, pulumi.Resource] = {}

    # --- secrets: one SecureString per secret variable; the container gets its ARN ---------
    secrets = secret_names(args)
    parameters = {
        key: aws.ssm.Parameter(
            f"{name}-{key.lower().replace('_', '-')}",
            name=f"/{stack}/{name}/{key}",
            type="SecureString",
            value=value,
            tags=args.tags,
            opts=child,
        )
        for key, value in env.items()
        if key in secrets
    }
    resources |= {f"parameter_{k}": p for k, p in parameters.items()}
    plain = {k: v for k, v in env.items() if k not in secrets}

    # --- roles: execution (pull, logs, read the parameters) and task (what the app may do) --
    execution_role = aws.iam.Role(
        f"{name}-execution", assume_role_policy=json.dumps(ECS_TASKS), tags=args.tags, opts=child
    )
    resources["execution_role"] = execution_role
    resources["execution_policy"] = aws.iam.RolePolicyAttachment(
        f"{name}-execution", role=execution_role.name, policy_arn=EXECUTION_POLICY, opts=child
    )
    if parameters:
        resources["execution_secrets"] = aws.iam.RolePolicy(
            f"{name}-execution-secrets",
            role=execution_role.id,
            policy=pulumi.Output.all(*[p.arn for p in parameters.values()]).apply(read_parameters_policy),
            opts=child,
        )
    registry_secret = registry_login_secret(parent, name, args)
    if registry_secret is not None:
        resources["registry_secret"] = registry_secret
        resources["execution_registry"] = aws.iam.RolePolicy(
            f"{name}-execution-registry",
            role=execution_role.id,
            policy=registry_secret.arn.apply(
                lambda arn: json.dumps(
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
            ),
            opts=child,
        )
    task_role = aws.iam.Role(
        f"{name}-task", assume_role_policy=json.dumps(ECS_TASKS), tags=args.tags, opts=child
    )
    resources["task_role"] = task_role
    # Only AWS buckets have an ARN to grant; R2/Hetzner buckets are reached with their keys.
    bucket_arns = [
        arn for link in args.links.values() if (arn := getattr(link, "bucket_arn", None)) is not None
    ]
    if bucket_arns:
        from components.object_store.aws import BUCKET_ACTIONS, OBJECT_ACTIONS

        resources["task_buckets"] = aws.iam.RolePolicy(
            f"{name}-task-buckets",
            role=task_role.id,
            policy=pulumi.Output.all(*bucket_arns).apply(
                lambda arns: json.dumps(
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
            ),
            opts=child,
        )

    # --- logs, cluster, task definition ---------------------------------------------------
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/{stack}/{name}",
        retention_in_days=90 if args.protect else 14,
        tags=args.tags,
        opts=child,
    )
    cluster = aws.ecs.Cluster(
        f"{name}-cluster",
        settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="disabled")],
        tags=args.tags,
        opts=child,
    )
    # A valid Fargate pair, resolved from the neutral size by the stack (stacks.targets.aws).
    vcpu, memory_gb = args.cpu or 0.25, args.memory_gb or 0.5
    task = aws.ecs.TaskDefinition(
        f"{name}-task",
        family=physical_name(pulumi.get_project(), pulumi.get_stack(), name, max_len=255),
        cpu=str(int(vcpu * 1024)),
        memory=str(int(memory_gb * 1024)),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
            operating_system_family="LINUX", cpu_architecture="ARM64" if args.arch == "arm64" else "X86_64"
        ),
        execution_role_arn=execution_role.arn,
        task_role_arn=task_role.arn,
        container_definitions=pulumi.Output.all(
            plain=pulumi.Output.all(**plain) if plain else {},
            secrets=pulumi.Output.all(**{k: p.arn for k, p in parameters.items()}) if parameters else {},
            log_group=log_group.name,
            registry_login=registry_secret.arn if registry_secret is not None else None,
        ).apply(
            lambda v: container_definitions(
                name,
                args.image,
                args.port,
                args.command,
                v["plain"],
                v["secrets"],
                v["log_group"],
                region,
                args.read_only,
                v["registry_login"],
            )
        ),
        tags=args.tags,
        opts=child,
    )
    resources |= {"log_group": log_group, "cluster": cluster, "task_definition": task}

    # --- security groups ------------------------------------------------------------------
    task_sg = aws.ec2.SecurityGroup(
        f"{name}-tasks", vpc_id=network.vpc_id, description=f"{name} tasks", tags=args.tags, opts=child
    )
    resources["task_security_group"] = task_sg
    resources["task_egress"] = aws.vpc.SecurityGroupEgressRule(
        f"{name}-tasks-egress",
        security_group_id=task_sg.id,
        ip_protocol="-1",
        cidr_ipv4=WORLD_V4,
        description="outbound: image pulls, AWS APIs and the calls of the app",
        opts=child,
    )
    # Each linked database or cache admits this service, and only this service.
    for link_name, link in args.links.items():
        group = getattr(link, "security_group_id", None)
        if group is None:
            continue
        port = LINK_PORTS["postgres" if hasattr(link, "database") else "redis"]
        resources[f"link_{link_name}"] = aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-{link_name}",
            security_group_id=group,
            referenced_security_group_id=task_sg.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"from {name} to {link_name}",
            opts=child,
        )

    load_balancers = None
    listener_dependencies: list[pulumi.Resource] = []
    url = None
    if is_api:
        assert args.port is not None and args.fqdn is not None and args.dns is not None
        lb_sg = aws.ec2.SecurityGroup(
            f"{name}-lb",
            vpc_id=network.vpc_id,
            description=f"{name} load balancer",
            tags=args.tags,
            opts=child,
        )
        resources["lb_security_group"] = lb_sg
        for port in (80, 443):
            for family, cidr in (("v4", WORLD_V4), ("v6", WORLD_V6)):
                resources[f"lb_in_{port}_{family}"] = aws.vpc.SecurityGroupIngressRule(
                    f"{name}-lb-{port}-{family}",
                    security_group_id=lb_sg.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr if family == "v4" else None,
                    cidr_ipv6=cidr if family == "v6" else None,
                    description="HTTP (redirects)" if port == 80 else "HTTPS",
                    opts=child,
                )
        resources["lb_to_tasks"] = aws.vpc.SecurityGroupEgressRule(
            f"{name}-lb-to-tasks",
            security_group_id=lb_sg.id,
            referenced_security_group_id=task_sg.id,
            ip_protocol="tcp",
            from_port=args.port,
            to_port=args.port,
            opts=child,
        )
        resources["tasks_from_lb"] = aws.vpc.SecurityGroupIngressRule(
            f"{name}-tasks-from-lb",
            security_group_id=task_sg.id,
            referenced_security_group_id=lb_sg.id,
            ip_protocol="tcp",
            from_port=args.port,
            to_port=args.port,
            description="only the load balancer reaches the tasks",
            opts=child,
        )
        lb = aws.lb.LoadBalancer(
            f"{name}-lb",
            name=elb_name(parent, f"{name}-lb", name),
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            security_groups=[lb_sg.id],
            subnets=network.public_subnet_ids,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.protect,
            idle_timeout=60,
            tags=args.tags,
            # With ELB's deletion protection, Pulumi's too: a replacement is then refused at
            # preview instead of failing half way (components.contracts.Protected).
            opts=pulumi.ResourceOptions(parent=parent, protect=args.protect),
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            name=elb_name(parent, f"{name}-tg", name),
            port=args.port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=network.vpc_id,
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
            opts=child,
        )
        certificate_arn = validated_certificate(parent, name, args.fqdn, args.dns)
        http = aws.lb.Listener(
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
            opts=child,
        )
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=lb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
            ],
            opts=child,
        )
        resources |= {
            "load_balancer": lb,
            "target_group": target_group,
            "http_listener": http,
            "https_listener": https,
        }
        resources["dns"] = create_record(
            parent,
            f"{name}-dns",
            args.dns,
            Record(fqdn=args.fqdn, type="CNAME", content=lb.dns_name, alias_zone_id=lb.zone_id),
        )
        load_balancers = [
            aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=target_group.arn, container_name=name, container_port=args.port
            )
        ]
        listener_dependencies = [https]
        url = pulumi.Output.from_input(f"https://{args.fqdn}")

    autoscale = args.max_replicas is not None and args.max_replicas > args.replicas
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
        load_balancers=load_balancers,
        health_check_grace_period_seconds=60 if is_api else None,
        deployment_minimum_healthy_percent=100,
        deployment_maximum_percent=200,
        deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
        propagate_tags="SERVICE",
        enable_execute_command=False,
        tags=args.tags,
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=listener_dependencies,
            # The autoscaler owns the replica count once it exists.
            ignore_changes=["desiredCount"] if autoscale else None,
        ),
    )
    resources["service"] = service
    if autoscale:
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.all(cluster.name, service.name).apply(
                lambda v: f"service/{v[0]}/{v[1]}"
            ),
            min_capacity=args.replicas,
            max_capacity=args.max_replicas,
            opts=child,
        )
        resources["scaling_target"] = target
        resources["scaling_policy"] = aws.appautoscaling.Policy(
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
            opts=child,
        )
    return ApiServiceOutputs(url=url, resources=resources)
