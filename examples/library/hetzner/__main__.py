"""One Hetzner host running Postgres, Redis and an api, behind Caddy, with the frontend's DNS
and the database's backups on Cloudflare — written in Python with the multicloud library
instead of a `multicloud:` stack config.

    pip install multicloud
    pulumi config set --secret sshPrivateKey < ~/.ssh/shop_deploy
    pulumi config set --secret healthchecksApiKey ...   # the backups report to Healthchecks.io
    pulumi config set --secret hcloud:token ...
    pulumi config set --secret cloudflare:apiToken ...
    pulumi up
"""

import pulumi

import multicloud as mc

config = pulumi.Config()

app = mc.Stack(
    environment="prod",
    domain="shop.example",
    dns=mc.Dns(provider="cloudflare", zone_id="023e105f4ecef8ad9ca31a8372d0c353"),
    cloudflare=mc.Cloudflare(account_id="7c5dae5552338874e5053f2534d2767a"),
    admin=mc.Admin(
        ssh_public_keys=[
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@shop.example"
        ],
        cidrs=["203.0.113.0/24"],
        acme_email="ops@shop.example",
    ),
    alerts=mc.Alerts(emails=["ops@shop.example"]),
    hosts={"main": mc.Host(target="hetzner", size=mc.Size(cpu=4, memory_gb=8), location="fsn1")},
    services={
        "db": mc.Postgres(target="hetzner", host="main", storage_gb=40, backup=mc.Backup(bucket="backups")),
        "cache": mc.Redis(target="hetzner", host="main", memory_mb=512),
        "backups": mc.Bucket(target="cloudflare"),
        "api": mc.Api(
            target="hetzner",
            host="main",
            image="ghcr.io/acme/shop-api:2.1.0",
            port=8080,
            health_path="/health",
            links=["db", "cache"],
        ),
    },
)

credentials = mc.Credentials(
    ssh_private_key=config.require_secret("sshPrivateKey"),
    healthchecks_api_key=config.require_secret("healthchecksApiKey"),
)
built = mc.deploy(app, credentials)
pulumi.export("url", built["api"].url)
