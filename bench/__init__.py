"""Benchmarks of the program and its proof tiers: `.venv/bin/python -m bench` prints one table."""
