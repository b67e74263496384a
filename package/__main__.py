"""Pulumi runs this file to serve the multicloud package (PulumiPlugin.yaml): the component
host with `multicloud.Application`, its schema inferred from the argument types."""

from multicloud.stacks.application import main

if __name__ == "__main__":
    main()
