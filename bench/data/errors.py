"""The loaders' user-facing error: one paragraph saying what is wrong, where, and what to do."""

from __future__ import annotations

from bench.errors import InputDataError


class DataError(InputDataError):
    """Data that cannot be loaded or used as given (bad file, column, value, date or series)."""
