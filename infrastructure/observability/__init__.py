"""What an operator sees: logs that carry request ids, health probes, metrics."""
