"""The throughput benchmark: the service against a raw-driver floor, driven by wrk.

Run it with `.venv/bin/python -m benchmarks` (`--quick` for a one-minute
version, `--help` for the rest); `benchmarks/run.py` says what it does.
"""
