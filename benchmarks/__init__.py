"""Benchmarks of issue 6: `python -m benchmarks --help` (see benchmarks/README.md)."""
