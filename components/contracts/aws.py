"""What the AWS APIs accept for the inputs `components/*/aws.py` send.

Read 2026-12-01 from the AWS API references, hashicorp/terraform-provider-aws (whose
plan-time validators pulumi-aws runs in `pulumi preview`) and pulumi/pulumi-aws
(`provider/autonaming.go`, `provider/aliases.go`: which names Pulumi generates and how long
they may be). Plain data: importing this never loads `pulumi_aws`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from multicloud.components._lib import types
from multicloud.components.contracts import (
    AutoName,
    Contract,
    Protected,
    Replaces,
    Rule,
    Source,
    StoredAs,
    Unique,
    one_of,
    text,
    whole_between,
)

READ = "2026-12-01"
TF = "hashicorp/terraform-provider-aws"

SG = types.AWS_EC2_SECURITY_GROUP
INGRESS = types.AWS_VPC_SECURITY_GROUP_INGRESS_RULE
EGRESS = types.AWS_VPC_SECURITY_GROUP_EGRESS_RULE
LB = types.AWS_LB_LOAD_BALANCER
TARGET_GROUP = types.AWS_LB_TARGET_GROUP
RDS = types.AWS_RDS_INSTANCE
RDS_PARAMS = types.AWS_RDS_PARAMETER_GROUP
RDS_SUBNETS = types.AWS_RDS_SUBNET_GROUP
CACHE = types.AWS_ELASTICACHE_REPLICATION_GROUP
CACHE_PARAMS = types.AWS_ELASTICACHE_PARAMETER_GROUP
CACHE_SUBNETS = types.AWS_ELASTICACHE_SUBNET_GROUP
BUCKET = types.AWS_S3_BUCKET
PARAMETER = types.AWS_SSM_PARAMETER
SECRET = types.AWS_SECRETSMANAGER_SECRET
ROLE = types.AWS_IAM_ROLE
HEALTH_CHECK = types.AWS_ROUTE53_HEALTH_CHECK
ALARM = types.AWS_CLOUDWATCH_METRIC_ALARM
TOPIC = types.AWS_SNS_TOPIC
SUBSCRIPTION = types.AWS_SNS_TOPIC_SUBSCRIPTION
USER = types.AWS_IAM_USER
LOG_GROUP = types.AWS_CLOUDWATCH_LOG_GROUP
TASK = types.AWS_ECS_TASK_DEFINITION
CLUSTER = types.AWS_ECS_CLUSTER
OAC = types.AWS_CLOUDFRONT_ORIGIN_ACCESS_CONTROL
CERTIFICATE = types.AWS_ACM_CERTIFICATE
RECORD = types.AWS_ROUTE53_RECORD

# Every AWS type the backends emit that takes tags.
TAGGED = (
    CERTIFICATE,
    "aws:cloudfront/distribution:Distribution",
    LOG_GROUP,
    "aws:ec2/eip:Eip",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/routeTable:RouteTable",
    SG,
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    CLUSTER,
    "aws:ecs/service:Service",
    TASK,
    CACHE_PARAMS,
    CACHE,
    CACHE_SUBNETS,
    ROLE,
    USER,
    LB,
    TARGET_GROUP,
    RDS,
    RDS_PARAMS,
    RDS_SUBNETS,
    BUCKET,
    SECRET,
    PARAMETER,
    INGRESS,
    EGRESS,
)


def _all(*tests: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: all(t(value) for t in tests)


def _no_double_or_trailing_hyphen(value: Any) -> bool:
    return isinstance(value, str) and "--" not in value and not value.endswith("-")


# The task sizes Fargate runs: vCPU → the memory (GB) it may have. Any other pair is refused
# at RegisterTaskDefinition ("No Fargate configuration exists for given values").
FARGATE_SIZES: dict[float, tuple[float, ...]] = {
    0.25: (0.5, 1, 2),
    0.5: (1, 2, 3, 4),
    1: (2, 3, 4, 5, 6, 7, 8),
    2: tuple(range(4, 17)),
    4: tuple(range(8, 31)),
    8: tuple(range(16, 61, 4)),
    16: tuple(range(32, 121, 8)),
}
FARGATE_SIZES_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html "
    "(and RegisterTaskDefinition's `memory`: 8 and 16 vCPU need Linux platform 1.4.0)",
    READ,
)

# Engine versions ElastiCache offers.
ELASTICACHE_VERSIONS = {"valkey": ["7.2", "8.0", "8.1"], "redis": ["7.1"]}
ELASTICACHE_VERSIONS_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html", READ
)

# --- RDS: the CA bundle consumers on other providers verify an instance with ----------------

# The regional bundles live at truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem for
# the commercial regions ("Certificate bundles by AWS Region", RDS User Guide, *Using SSL/TLS to
# encrypt a connection to a DB instance*, read 2026-12-01). AWS GovCloud (us-gov-*) and the China
# regions (cn-*) publish theirs elsewhere, under other partitions: not wired (stacks/checks.py).
RDS_TRUSTSTORE = "https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem"
RDS_TRUSTSTORE_REGION = re.compile(r"(?!cn-|us-gov-)[a-z]{2}-[a-z]+-\d")


# --- EventBridge Scheduler: a job's schedule ----------------------------------------------------

# `cron(minutes hours day-of-month month day-of-week year)`: six fields, one of the two day
# fields `?`, weekdays 1-7 from Sunday or SUN-SAT; the description at most 512 characters
# (*Schedule types on EventBridge Scheduler*; API `CreateSchedule`, read 2026-12-01).
_CRON_FIELD = r"[0-9A-Z*,/-]+"
SCHEDULE_EXPRESSION = (
    rf"cron\({_CRON_FIELD} {_CRON_FIELD} (\?|{_CRON_FIELD}) {_CRON_FIELD} (\?|{_CRON_FIELD}) {_CRON_FIELD}\)"
)
SCHEDULER_SOURCE = Source("https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html", READ)


def _one_day_field_open(value: Any) -> bool:
    """Exactly one of the day-of-month and day-of-week fields is `?`."""
    fields = value[len("cron(") : -1].split(" ") if isinstance(value, str) else []
    return len(fields) == 6 and (fields[2] == "?") != (fields[4] == "?")


# --- EC2: security groups and their rules ---------------------------------------------------

# EC2 takes only these characters in security group and rule descriptions: an apostrophe or
# an arrow fails the whole `up` with "InvalidParameterValue: Invalid rule description"
# (and nothing catches it at preview for the rule resources).
EC2_TEXT = r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*"
EC2_TEXT_SAYS = "at most 255 characters of a-z A-Z 0-9, space and ._-:/()#,@[]+=&;{}!$*"
SG_SOURCE = Source(
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html", READ
)
SG_NAME = Rule(
    (SG,),
    "name",
    EC2_TEXT_SAYS + ", not starting with sg-",
    SG_SOURCE,
    _all(text(EC2_TEXT, 255), lambda v: not v.lower().startswith("sg-")),
)

# --- Elastic Load Balancing -----------------------------------------------------------------

# Load balancer and target group names: 32 letters, digits and hyphens. pulumi-aws auto-names
# a target group with AutoName("name", 32) (an error past 32) and a load balancer with the
# generic 255, which the provider's validName then refuses past 32 at preview.
ELB_NAME = Rule(
    (LB, TARGET_GROUP),
    "name",
    "1-32 letters, digits and hyphens, not starting or ending with a hyphen or starting with internal-",
    Source(f"{TF} internal/service/elbv2/validate.go (validName, validTargetGroupName)", READ),
    _all(text(r"[0-9A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?", 32), lambda v: not v.startswith("internal-")),
)

# --- RDS and ElastiCache --------------------------------------------------------------------

RDS_IDENTIFIER = Rule(
    (RDS,),
    "identifier",
    "1-63 lowercase letters, digits and hyphens, starting with a letter, no -- and no trailing hyphen",
    Source(
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html; "
        f"{TF} internal/service/rds/validate.go (validIdentifier)",
        READ,
    ),
    _all(text(r"[a-z][0-9a-z-]*", 63), _no_double_or_trailing_hyphen),
)
RDS_PARAMS_NAME = Rule(
    (RDS_PARAMS,),
    "name",
    "1-255 lowercase letters, digits, . and -, starting with a letter, no -- and no trailing hyphen",
    Source(f"{TF} internal/service/rds/validate.go (validParamGroupName)", READ),
    _all(text(r"[a-z][0-9a-z.-]*", 255), _no_double_or_trailing_hyphen),
)
RDS_SUBNETS_NAME = Rule(
    (RDS_SUBNETS,),
    "name",
    "1-255 lowercase letters, digits, spaces and _ . -, not 'default'",
    Source(f"{TF} internal/service/rds/validate.go (validSubnetGroupName)", READ),
    _all(text(r"[0-9a-z_ .-]+", 255), lambda v: v.lower() != "default"),
)
CACHE_ID = Rule(
    (CACHE,),
    "replicationGroupId",
    "1-40 letters, digits and hyphens, starting with a letter, no -- and no trailing hyphen",
    Source(
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html; "
        f"{TF} internal/service/elasticache/replication_group.go",
        READ,
    ),
    _all(text(r"[A-Za-z][0-9A-Za-z-]*", 40), _no_double_or_trailing_hyphen),
)
CACHE_SUBNETS_NAME = Rule(
    (CACHE_SUBNETS,),
    "name",
    "1-255 letters, digits and hyphens",
    Source(
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheSubnetGroup.html",
        READ,
    ),
    text(r"[0-9A-Za-z-]+", 255),
)
CACHE_PARAMS_NAME = Rule(
    (CACHE_PARAMS,),
    "name",
    "1-255 letters, digits and hyphens, starting with a letter, no -- and no trailing hyphen",
    Source(
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheParameterGroup.html",
        READ,
    ),
    _all(text(r"[A-Za-z][0-9A-Za-z-]*", 255), _no_double_or_trailing_hyphen),
)
CACHE_TOKEN = Rule(
    (CACHE,),
    "authToken",
    '16-128 printable characters without @, " or /',
    Source(f"{TF} internal/service/elasticache/validate.go (validReplicationGroupAuthToken)", READ),
    text(r"[^@\"/\s]+", 128, min_len=16),
)

# --- S3, IAM, SSM, Secrets Manager, logs, ECS, CloudFront, ACM, Route 53 ---------------------

BUCKET_NAME = Rule(
    (BUCKET,),
    "bucket",
    "3-63 lowercase letters, digits, . and -, starting and ending with a letter or digit, no .., "
    "not starting with xn-- or sthree-",
    Source("https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html", READ),
    _all(
        text(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?", 63, min_len=3),
        lambda v: ".." not in v and not v.startswith(("xn--", "sthree-")) and not v.endswith("-s3alias"),
    ),
)
IAM_NAME = Rule(
    (ROLE, USER),
    "name",
    "1-64 letters, digits and _+=,.@-",
    Source("https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html", READ),
    text(r"[\w+=,.@-]+", 64),
)
IAM_PATH = Rule(
    (ROLE, USER),
    "path",
    "/ alone, or 1-512 printable ASCII characters starting and ending with /",
    Source("https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html", READ),
    text(r"/(?:[\x21-\x7e]*/)?", 512),
)
SSM_NAME = Rule(
    (PARAMETER,),
    "name",
    "letters, digits and _ . - / (at most 1011), at most 15 levels, not starting with aws or ssm",
    Source("https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html", READ),
    _all(
        text(r"[a-zA-Z0-9_.\-/]+", 1011),
        lambda v: v.strip("/").count("/") < 15 and not v.lstrip("/").lower().startswith(("aws", "ssm")),
    ),
)
SECRET_NAME = Rule(
    (SECRET,),
    "name",
    "1-512 letters, digits and /_+=.@-",
    Source("https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html", READ),
    text(r"[A-Za-z0-9/_+=.@-]+", 512),
)
LOG_GROUP_NAME = Rule(
    (LOG_GROUP,),
    "name",
    "1-512 letters, digits and _ . / # -",
    Source(
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html", READ
    ),
    text(r"[0-9A-Za-z_./#-]+", 512),
)
ECS_FAMILY = Rule(
    (TASK,),
    "family",
    "1-255 letters, digits, underscores and hyphens",
    Source("https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html", READ),
    text(r"[0-9A-Za-z_-]+", 255),
)
ECS_VOLUME_NAME = Rule(
    (TASK,),
    "volumes[*].name",
    "1-255 letters, digits, hyphens and underscores",
    Source("https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Volume.html", READ),
    text(r"[0-9A-Za-z_-]+", 255),
)
_DEPENDENCY_CONDITIONS = frozenset({"START", "COMPLETE", "SUCCESS", "HEALTHY"})


def _containers_valid(value: Any) -> bool:
    """Container names (1-255 letters, digits, hyphens, underscores; unique), and each
    dependency naming another container of the task with a condition ECS knows, SUCCESS and
    COMPLETE only on a container that is not essential."""
    try:
        containers = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return False
    if not isinstance(containers, list) or not all(isinstance(c, dict) for c in containers):
        return False
    names = [c.get("name") for c in containers]
    if not all(isinstance(n, str) and re.fullmatch(r"[0-9A-Za-z_-]{1,255}", n) for n in names):
        return False
    essential = {c["name"]: c.get("essential", True) is not False for c in containers}
    for container in containers:
        for dependency in container.get("dependsOn") or []:
            target, condition = dependency.get("containerName"), dependency.get("condition")
            if (
                target not in essential
                or target == container["name"]
                or condition not in _DEPENDENCY_CONDITIONS
            ):
                return False
            if condition in ("SUCCESS", "COMPLETE") and essential[target]:
                return False
    return len(set(names)) == len(names)


ECS_CONTAINERS = Rule(
    (TASK,),
    "containerDefinitions",
    "containers named by 1-255 letters, digits, - and _, each once; dependsOn naming another "
    "container with START, COMPLETE, SUCCESS or HEALTHY (SUCCESS and COMPLETE on a non-essential one)",
    Source(
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html; "
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html",
        READ,
    ),
    _containers_valid,
)
ECS_CLUSTER_NAME = Rule(
    (CLUSTER,),
    "name",
    "1-255 letters, digits, hyphens and underscores",
    Source("https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html", READ),
    text(r"[0-9A-Za-z_-]+", 255),
)
OAC_NAME = Rule(
    (OAC,),
    "name",
    "1-64 characters",
    Source(f"{TF} internal/service/cloudfront/origin_access_control.go", READ),
    text(r".+", 64),
)
_DNS_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
CERTIFICATE_DOMAIN = Rule(
    (CERTIFICATE,),
    "domainName",
    "a domain name of at most 64 characters (the certificate's common name)",
    Source("https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html", READ),
    text(rf"(?:\*\.)?(?:{_DNS_LABEL}\.)+[a-z]{{2,63}}", 64),
)
RECORD_NAME = Rule(
    (RECORD,),
    "name",
    "at most 255 printable ASCII characters without spaces, in labels of at most 63",
    Source("https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html", READ),
    text(r"(?:[\x21-\x2d\x2f-\x7e]{1,63}\.)*[\x21-\x2d\x2f-\x7e]{1,63}\.?", 255),
)

# --- tags -------------------------------------------------------------------------------------

_TAG_CHARS = r"[\w\s.:/=+\-@]"
TAG_SOURCE = Source(
    "https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html", READ
)

RULES = (
    Rule(
        (types.AWS_SCHEDULER_SCHEDULE,),
        "scheduleExpression",
        "cron( six fields ) with ? in exactly one of day-of-month and day-of-week",
        SCHEDULER_SOURCE,
        _all(text(SCHEDULE_EXPRESSION, 256), _one_day_field_open),
    ),
    Rule(
        (types.AWS_SCHEDULER_SCHEDULE,),
        "description",
        "at most 512 characters",
        SCHEDULER_SOURCE,
        text(r"(?s).*", 512, 0),
    ),
    Rule(
        (types.AWS_SCHEDULER_SCHEDULE,),
        "target.retryPolicy.maximumRetryAttempts",
        "0 to 185",
        Source("https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html", READ),
        whole_between(0, 185),
    ),
    Rule(
        (types.AWS_SCHEDULER_SCHEDULE,),
        "target.retryPolicy.maximumEventAgeInSeconds",
        "60 to 86400 seconds",
        Source("https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html", READ),
        whole_between(60, 86400),
    ),
    Rule(
        (types.AWS_SQS_QUEUE,),
        "messageRetentionSeconds",
        "60 seconds to 14 days (1209600)",
        Source(
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html",
            READ,
        ),
        whole_between(60, 1_209_600),
    ),
    SG_NAME,
    Rule((SG,), "description", EC2_TEXT_SAYS, SG_SOURCE, text(EC2_TEXT, 255)),
    Rule(
        (INGRESS, EGRESS),
        "description",
        EC2_TEXT_SAYS,
        Source(
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html; "
            "hashicorp/terraform-provider-aws#18874",
            READ,
        ),
        text(EC2_TEXT, 255, min_len=0),
    ),
    ELB_NAME,
    RDS_IDENTIFIER,
    RDS_PARAMS_NAME,
    RDS_SUBNETS_NAME,
    Rule(
        (RDS,),
        "finalSnapshotIdentifier",
        "1-255 letters, digits and hyphens, starting with a letter, no -- and no trailing hyphen",
        Source(f"{TF} internal/service/rds/instance.go", READ),
        _all(text(r"[A-Za-z][0-9A-Za-z-]*", 255), _no_double_or_trailing_hyphen),
    ),
    CACHE_ID,
    CACHE_SUBNETS_NAME,
    CACHE_PARAMS_NAME,
    CACHE_TOKEN,
    BUCKET_NAME,
    IAM_NAME,
    IAM_PATH,
    SSM_NAME,
    SECRET_NAME,
    LOG_GROUP_NAME,
    ECS_FAMILY,
    ECS_VOLUME_NAME,
    ECS_CONTAINERS,
    ECS_CLUSTER_NAME,
    OAC_NAME,
    CERTIFICATE_DOMAIN,
    RECORD_NAME,
    Rule(
        TAGGED,
        "tags.<key>",
        "tag keys: 1-128 Unicode letters, digits, spaces and _.:/=+-@, not starting with aws:",
        TAG_SOURCE,
        _all(text(f"{_TAG_CHARS}+", 128), lambda key: not key.lower().startswith("aws:")),
    ),
    Rule(
        TAGGED,
        "tags.*",
        "tag values: 0-256 Unicode letters, digits, spaces and _.:/=+-@",
        TAG_SOURCE,
        text(f"{_TAG_CHARS}*", 256, min_len=0),
    ),
    Rule(
        TAGGED,
        "tags",
        "at most 50 tags per resource",
        TAG_SOURCE,
        lambda tags: not isinstance(tags, dict) or len(tags) <= 50,
    ),
)

# Names Pulumi generates when we leave them out: they must obey the same rules.
# Uptime of the apis (components/alerts/aws.py). Route 53 health checks: the API's
# HealthCheckConfig (botocore route53 2013-04-01 model) and terraform-provider-aws
# internal/service/route53/health_check.go; CloudWatch PutMetricAlarm; SNS CreateTopic.
HEALTH_CHECK_SOURCE = Source(
    "https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html; "
    "hashicorp/terraform-provider-aws internal/service/route53/health_check.go",
    READ,
)
SUBSCRIBE_SOURCE = Source("https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html", READ)
ALARM_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html", READ
)
ALARM_NAME = Rule(
    (ALARM,),
    "name",
    "1 to 255 characters without control characters, unique in the region",
    ALARM_SOURCE,
    text(r"[^\x00-\x1f\x7f]+", 255),
)
TOPIC_NAME = Rule(
    (TOPIC,),
    "name",
    "1 to 256 ASCII letters, digits, underscores and hyphens",
    Source("https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html", READ),
    text(r"[A-Za-z0-9_-]+", 256),
)
ALERT_RULES = (
    Rule((HEALTH_CHECK,), "type", "HTTPS or another Route 53 check type", HEALTH_CHECK_SOURCE,
         one_of(("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP", "CALCULATED", "CLOUDWATCH_METRIC"))),
    Rule((HEALTH_CHECK,), "resourcePath", "a path starting with /, at most 255 characters", HEALTH_CHECK_SOURCE,
         text(r"/\S*", 255)),
    Rule((HEALTH_CHECK,), "fqdn", "a domain name of at most 255 characters", HEALTH_CHECK_SOURCE,
         text(r"[A-Za-z0-9.-]+", 255)),
    Rule((HEALTH_CHECK,), "requestInterval", "10 or 30 seconds (fixed at creation)", HEALTH_CHECK_SOURCE,
         lambda v: v in (10, 30) and not isinstance(v, bool)),
    Rule((HEALTH_CHECK,), "failureThreshold", "1 to 10", HEALTH_CHECK_SOURCE, whole_between(1, 10)),
    Rule((ALARM,), "alarmDescription", "at most 1024 characters", ALARM_SOURCE, text(r"(?s).*", 1024, 0)),
    Rule((ALARM,), "period", "10, 20, 30 or a multiple of 60 seconds", ALARM_SOURCE,
         lambda v: whole_between(10, 86400)(v) and (v in (10, 20, 30) or v % 60 == 0)),
    ALARM_NAME,
    TOPIC_NAME,
    # Subscribe: the protocol names the endpoint's kind; an email endpoint is an address.
    Rule((SUBSCRIPTION,), "protocol", "email (the one protocol alerts subscribe)", SUBSCRIBE_SOURCE, one_of(("email",))),
    Rule((SUBSCRIPTION,), "endpoint", "an e-mail address", SUBSCRIBE_SOURCE, text(r"[^@\s]+@[^@\s]+\.[^@\s]+", 254)),
)  # fmt: skip

AUTO_NAMES = (
    AutoName((LB, TARGET_GROUP), "name", ELB_NAME),
    AutoName((SG,), "name", SG_NAME),
    AutoName((ROLE, USER), "name", IAM_NAME),
    AutoName((CACHE,), "replicationGroupId", CACHE_ID, lowercase=True),
    # pulumi-aws names RDS instances without a separator before the random part.
    AutoName((RDS,), "identifier", RDS_IDENTIFIER, separator=""),
    AutoName((RDS_PARAMS,), "name", RDS_PARAMS_NAME),
    AutoName((RDS_SUBNETS,), "name", RDS_SUBNETS_NAME),
    AutoName((CACHE_SUBNETS,), "name", CACHE_SUBNETS_NAME),
    AutoName((CACHE_PARAMS,), "name", CACHE_PARAMS_NAME),
    AutoName((BUCKET,), "bucket", BUCKET_NAME, lowercase=True),
    AutoName((CLUSTER,), "name", ECS_CLUSTER_NAME),
    AutoName((OAC,), "name", OAC_NAME),
    AutoName((SECRET,), "name", SECRET_NAME),
    AutoName((ALARM,), "name", ALARM_NAME),
    AutoName((TOPIC,), "name", TOPIC_NAME),
)

UNIQUE = (
    Unique((BUCKET,), "bucket", "global", Source("https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html", READ)),
    Unique((PARAMETER,), "name", "region", Source("https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html", READ)),
    Unique((SECRET,), "name", "region", Source("https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html", READ)),
    Unique((LOG_GROUP,), "name", "region", Source("https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html", READ)),
    Unique((CACHE,), "replicationGroupId", "region", Source("https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html", READ)),
    Unique((CACHE_SUBNETS,), "name", "region", Source("https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheSubnetGroup.html", READ)),
    Unique((RDS,), "identifier", "region", Source("https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html", READ)),
    Unique((RDS,), "finalSnapshotIdentifier", "region", Source("https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html", READ)),
    Unique((ROLE, USER), "name", "account", Source("https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html", READ)),
    Unique((LB, TARGET_GROUP), "name", "region", Source("https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html", READ)),
)  # fmt: skip

PROTECTIONS = (
    Protected((RDS,), "deletionProtection", Source(f"{TF} internal/service/rds/instance.go", READ)),
    Protected(
        (LB,), "enableDeletionProtection", Source(f"{TF} internal/service/elbv2/load_balancer.go", READ)
    ),
)

REPLACES = (
    Replaces(
        RDS,
        ("identifier", "engine", "dbName", "username", "storageEncrypted", "kmsKeyId", "availabilityZone"),
        Source(f"{TF} internal/service/rds/instance.go (ForceNew)", READ),
    ),
    Replaces(
        CACHE,
        ("replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName", "port"),
        Source(f"{TF} internal/service/elasticache/replication_group.go (ForceNew)", READ),
    ),
    Replaces(BUCKET, ("bucket",), Source(f"{TF} internal/service/s3/bucket.go (ForceNew)", READ)),
)

# Inputs AWS keeps in another form than sent. The provider compares them semantically, so a
# second `up` sends nothing: recorded to show it was checked.
STORED_AS = (
    StoredAs(
        "aws:iam/rolePolicy:RolePolicy",
        "policy",
        "normalised JSON",
        "the provider compares policy documents by meaning (verify.SuppressEquivalentPolicyDiffs)",
        Source(f"{TF} internal/verify/diff.go", READ),
    ),
    StoredAs(
        TASK,
        "containerDefinitions",
        "JSON with AWS defaults filled in",
        "the provider compares container definitions after normalising defaults "
        "(ecs containerDefinitionsAreEquivalent)",
        Source(f"{TF} internal/service/ecs/container_definitions.go", READ),
    ),
)

CONTRACT = Contract(
    provider="aws",
    rules=RULES + ALERT_RULES,
    auto_names=AUTO_NAMES,
    unique=UNIQUE,
    protections=PROTECTIONS,
    replaces=REPLACES,
    stored_as=STORED_AS,
)
