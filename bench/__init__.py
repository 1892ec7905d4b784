"""Benchmarks of the served app (`make bench`): see bench/README.md."""
