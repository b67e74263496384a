"""CrossGuard policy pack for multicloud stacks (run with `pulumi preview --policy-pack policies`)."""
