"""multicloud: one application on AWS, DigitalOcean, Hetzner Cloud or Cloudflare with Pulumi,
the monthly cost shown before anything is built.

The stack-config program (`__main__.py` at the repository's top) is one user of these
packages: `multicloud.components` (the Pulumi components), `multicloud.stacks` (config →
components), `multicloud.costs` (the cost engine), `multicloud.infra` (the `infra` command)
and `multicloud.policies` (the CrossGuard pack).
"""

__version__ = "0.1.0"
