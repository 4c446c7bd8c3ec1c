"""Benchmarks: `python -m bench NAME [--json]`. Each prints figures; with --json, one JSON object."""
