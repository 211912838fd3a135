"""The use cases: what the service does, written against the domain's ports only."""
