"""User-facing errors: shown as one paragraph on the command line, never as a traceback."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting that cannot work (unknown option, impossible combination)."""


class InputDataError(ValueError):
    """Data that cannot be used as given (base of the loaders' DataError and too-short series)."""


def user_error(exc: BaseException) -> BaseException | None:
    """The user-facing error behind ``exc`` (a loader may wrap one in its own), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ConfigError, InputDataError)):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def explain(exc: BaseException) -> str:
    """One paragraph: the message itself, white space folded."""
    return " ".join(str(exc).split())
