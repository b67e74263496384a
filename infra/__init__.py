"""The `infra` command line: validate, plan and render stacks offline."""
