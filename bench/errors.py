"""User-facing errors: shown as one paragraph on the command line, never as a traceback."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting that cannot work (unknown option, impossible combination)."""


class InputDataError(ValueError):
    """Data that cannot be used as given (base of the loaders' DataError and too-short series)."""


def user_error(exc: BaseException) -> BaseException | None:
    """The user-facing error behind ``exc`` (Hydra wraps errors raised while instantiating), if any."""
    from omegaconf.errors import MissingMandatoryValue

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ConfigError, InputDataError, MissingMandatoryValue)):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def explain(exc: BaseException) -> str:
    """One paragraph: the message itself, with a hint for the omegaconf mandatory-value case."""
    from omegaconf.errors import MissingMandatoryValue

    if isinstance(exc, MissingMandatoryValue):
        key = getattr(exc, "full_key", "") or ""
        return f"the setting {key} is required but was not given; pass it on the command line, e.g. {key}=..."
    return " ".join(str(exc).split())
