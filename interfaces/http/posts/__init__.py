"""The /posts resource."""
