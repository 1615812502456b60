"""Benchmarks: `make bench` runs them and prints server times per page."""
