"""The same application on AWS — the api on Fargate behind a load balancer, Postgres on RDS,
Redis on ElastiCache, uploads in S3 — written with the multicloud library. Only the targets
(and the AWS region and DNS zone) differ from the Hetzner program beside it.

    pip install multicloud
    pulumi config set aws:region eu-central-1
    pulumi up
"""

import pulumi

import multicloud as mc

app = mc.Stack(
    environment="staging",
    domain="shop.example",
    aws=mc.Aws(region="eu-central-1"),
    dns=mc.Dns(provider="route53", zone_id="Z0123456789ABCDEFGHIJ"),
    services={
        "db": mc.Postgres(target="aws", storage_gb=40),
        "cache": mc.Redis(target="aws", memory_mb=512),
        "uploads": mc.Bucket(target="aws"),
        "api": mc.Api(
            target="aws",
            image="ghcr.io/acme/shop-api:2.1.0",
            port=8080,
            health_path="/health",
            replicas=2,
            links=["db", "cache", "uploads"],
        ),
    },
)

built = mc.deploy(app)
pulumi.export("url", built["api"].url)
