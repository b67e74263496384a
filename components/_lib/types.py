"""The Pulumi type tokens our code matches on, each spelled once.

A resource's type token (`hcloud:index/server:Server`) is how the pricing, the plan display,
the render of host files and the list of data-bearing types recognise it. Only tokens some
code compares against are here, not every type an SDK offers; a test or a module that decides
something per type imports the name, so a typo is an import error, not a silent miss.
"""

from __future__ import annotations

# Type tokens of our own components are this prefix and the class name ("multicloud:index:VpsHost").
COMPONENT_PREFIX = "multicloud:index:"
# Every type of this project's package (components, and nothing else).
OWN_PACKAGE_PREFIX = "multicloud:"
# Provider resources ("pulumi:providers:aws") and the root stack ("pulumi:pulumi:Stack").
PROVIDER_PREFIX = "pulumi:providers:"
PULUMI_PREFIX = "pulumi:"
STACK_PREFIX = "pulumi:pulumi:"

# Hetzner Cloud (pulumi_hcloud)
HCLOUD_FIREWALL = "hcloud:index/firewall:Firewall"
HCLOUD_FLOATING_IP = "hcloud:index/floatingIp:FloatingIp"
HCLOUD_FLOATING_IP_ASSIGNMENT = "hcloud:index/floatingIpAssignment:FloatingIpAssignment"
HCLOUD_NETWORK = "hcloud:index/network:Network"
HCLOUD_NETWORK_SUBNET = "hcloud:index/networkSubnet:NetworkSubnet"
HCLOUD_SERVER = "hcloud:index/server:Server"
HCLOUD_SSH_KEY = "hcloud:index/sshKey:SshKey"
HCLOUD_VOLUME = "hcloud:index/volume:Volume"
HCLOUD_VOLUME_ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment"

# DigitalOcean (pulumi_digitalocean)
DO_APP = "digitalocean:index/app:App"
DO_CERTIFICATE = "digitalocean:index/certificate:Certificate"
DO_DATABASE_CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster"
DO_DATABASE_DB = "digitalocean:index/databaseDb:DatabaseDb"
DO_DATABASE_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"
DO_DATABASE_USER = "digitalocean:index/databaseUser:DatabaseUser"
DO_DNS_RECORD = "digitalocean:index/dnsRecord:DnsRecord"
DO_DROPLET = "digitalocean:index/droplet:Droplet"
DO_FIREWALL = "digitalocean:index/firewall:Firewall"
DO_LOAD_BALANCER = "digitalocean:index/loadBalancer:LoadBalancer"
DO_RESERVED_IP = "digitalocean:index/reservedIp:ReservedIp"
DO_RESERVED_IP_ASSIGNMENT = "digitalocean:index/reservedIpAssignment:ReservedIpAssignment"
DO_SPACES_BUCKET = "digitalocean:index/spacesBucket:SpacesBucket"
DO_SPACES_KEY = "digitalocean:index/spacesKey:SpacesKey"
DO_SSH_KEY = "digitalocean:index/sshKey:SshKey"
DO_TAG = "digitalocean:index/tag:Tag"
DO_UPTIME_ALERT = "digitalocean:index/uptimeAlert:UptimeAlert"
DO_UPTIME_CHECK = "digitalocean:index/uptimeCheck:UptimeCheck"
DO_VOLUME = "digitalocean:index/volume:Volume"
DO_VOLUME_ATTACHMENT = "digitalocean:index/volumeAttachment:VolumeAttachment"
DO_VPC = "digitalocean:index/vpc:Vpc"

# AWS (pulumi_aws)
AWS_ACM_CERTIFICATE = "aws:acm/certificate:Certificate"
AWS_ACM_CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
AWS_APPAUTOSCALING_POLICY = "aws:appautoscaling/policy:Policy"
AWS_APPAUTOSCALING_TARGET = "aws:appautoscaling/target:Target"
AWS_CLOUDFRONT_DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
AWS_CLOUDFRONT_ORIGIN_ACCESS_CONTROL = "aws:cloudfront/originAccessControl:OriginAccessControl"
AWS_CLOUDWATCH_LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
AWS_CLOUDWATCH_METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
AWS_EC2_EIP = "aws:ec2/eip:Eip"
AWS_EC2_INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
AWS_EC2_NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
AWS_EC2_ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
AWS_EC2_ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
AWS_EC2_SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
AWS_EC2_SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"  # read by the policy pack
AWS_EC2_SUBNET = "aws:ec2/subnet:Subnet"
AWS_EC2_VPC = "aws:ec2/vpc:Vpc"
AWS_ECS_CLUSTER = "aws:ecs/cluster:Cluster"
AWS_ECS_SERVICE = "aws:ecs/service:Service"
AWS_ECS_TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
AWS_SCHEDULER_SCHEDULE = "aws:scheduler/schedule:Schedule"
AWS_SQS_QUEUE = "aws:sqs/queue:Queue"
AWS_SNS_TOPIC = "aws:sns/topic:Topic"
AWS_SNS_TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
AWS_ELASTICACHE_PARAMETER_GROUP = "aws:elasticache/parameterGroup:ParameterGroup"
AWS_ELASTICACHE_REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
AWS_ELASTICACHE_SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup"
AWS_IAM_ACCESS_KEY = "aws:iam/accessKey:AccessKey"
AWS_IAM_ROLE = "aws:iam/role:Role"
AWS_IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
AWS_IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
AWS_IAM_USER = "aws:iam/user:User"
AWS_IAM_USER_POLICY = "aws:iam/userPolicy:UserPolicy"
AWS_LB_LISTENER = "aws:lb/listener:Listener"
AWS_LB_LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
AWS_LB_TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
AWS_RDS_INSTANCE = "aws:rds/instance:Instance"
AWS_RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
AWS_RDS_SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
AWS_ROUTE53_RECORD = "aws:route53/record:Record"
AWS_ROUTE53_HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
AWS_S3_BUCKET = "aws:s3/bucket:Bucket"
AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
AWS_S3_BUCKET_OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
AWS_S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
AWS_S3_BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
AWS_SECRETSMANAGER_SECRET = "aws:secretsmanager/secret:Secret"
AWS_SECRETSMANAGER_SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
AWS_SSM_PARAMETER = "aws:ssm/parameter:Parameter"
AWS_VPC_SECURITY_GROUP_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
AWS_VPC_SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
# The policy pack also checks other spellings of resources we create: the load balancer under
# its `alb` module name, and the V2 S3 bucket resources.
AWS_ALB_LISTENER = "aws:alb/listener:Listener"
AWS_ALB_LOAD_BALANCER = "aws:alb/loadBalancer:LoadBalancer"
AWS_S3_BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION_V2 = (
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
)
AWS_S3_BUCKET_VERSIONING_V2 = "aws:s3/bucketVersioningV2:BucketVersioningV2"

# Cloudflare (pulumi_cloudflare)
CLOUDFLARE_API_TOKEN = "cloudflare:index/apiToken:ApiToken"
CLOUDFLARE_DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
CLOUDFLARE_PAGES_DOMAIN = "cloudflare:index/pagesDomain:PagesDomain"
CLOUDFLARE_PAGES_PROJECT = "cloudflare:index/pagesProject:PagesProject"
CLOUDFLARE_R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket"
CLOUDFLARE_R2_BUCKET_LIFECYCLE = "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle"
# A bucket's custom domain and its r2.dev domain: each makes it public (the policy pack checks them).
CLOUDFLARE_R2_CUSTOM_DOMAIN = "cloudflare:index/r2CustomDomain:R2CustomDomain"
CLOUDFLARE_R2_MANAGED_DOMAIN = "cloudflare:index/r2ManagedDomain:R2ManagedDomain"

# Shared by every target: generated secrets, releases over SSH, and our dynamic provider.
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
RANDOM_STRING = "random:index/randomString:RandomString"

# TLS (pulumi_tls): the private CA of a database or cache reached across providers
TLS_CERT_REQUEST = "tls:index/certRequest:CertRequest"
TLS_LOCALLY_SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert"
TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
TLS_SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert"

REMOTE_COMMAND = "command:remote:Command"
# A download on the deploying machine: the RDS CA bundle (components/postgres/aws.py).
LOCAL_COMMAND = "command:local:Command"

# The type of every resource of a Python dynamic provider: Hetzner Object Storage buckets
# (components/object_store/hetzner_s3.py) are ours, told apart by their endpoint.
DYNAMIC_RESOURCE = "pulumi-python:dynamic:Resource"
# Healthchecks.io checks (components/alerts/healthchecks.py): a dynamic resource with a type
# name of its own (`pulumi.dynamic.Resource`'s module=/name= class arguments).
HEALTHCHECKS_CHECK = "pulumi-python:dynamic/healthchecks:Check"

# Checkly (pulumi_checkly): uptime checks of the apis on Hetzner hosts.
CHECKLY_ALERT_CHANNEL = "checkly:index/alertChannel:AlertChannel"
CHECKLY_SSL_MONITOR = "checkly:index/sslMonitor:SslMonitor"
CHECKLY_URL_MONITOR = "checkly:index/urlMonitor:UrlMonitor"
