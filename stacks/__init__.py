"""The stack spec (what the user wrote in `Pulumi.<stack>.yaml`) and how it becomes a stack."""
