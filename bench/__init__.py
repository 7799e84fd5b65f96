"""Benchmarks: each prints its figures with a same-run baseline and can write docs/benchmarks.md."""
