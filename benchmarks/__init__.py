"""Seed-scale dataset generator (benchmarks.seed) and benchmark runner (benchmarks.run).

Benchmarks are not tests: nothing here runs under pytest. See benchmarks/README.md.
"""
