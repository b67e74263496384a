"""Pulumi entry point: read the `multicloud:` stack config, validate it, build the stack.

`infra plan` runs exactly this program under Pulumi mocks, so the offline plan and
`pulumi up` cannot drift apart.
"""

from multicloud.stacks.program import run

run()
