"""Reproductions of the published comparisons (SOURCES.md): ``python -m bench.reproduce [--quick]``."""
