"""Benchmarks: `python -m bench NAME [--json]`; with --json each prints one JSON object."""
