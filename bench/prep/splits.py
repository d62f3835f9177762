"""Rolling-origin evaluation splits, counted back from the end of the series."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bench.errors import ConfigError, InputDataError
from bench.types import Split


class SeriesTooShortError(InputDataError):
    """The series cannot hold the requested folds, horizon and minimum training length."""


@dataclass(frozen=True)
class SplitSpec:
    """Mirror of the ``split`` config block (one source of truth for horizon, folds and step)."""

    folds: int = 20
    horizon: int = 1
    step: int = 1
    kind: str = "expanding"
    train_size: int | None = None
    refit_every: int = 1

    def required_length(self, min_train: int) -> int:
        """Observations needed so the first origin still has ``min_train`` training points."""
        first_train = max(min_train, self.train_size or 0)
        return first_train + (self.folds - 1) * self.step + self.horizon


def rolling_origin(n: int, spec: SplitSpec, min_train: int = 1) -> Iterator[Split]:
    """Yield ``spec.folds`` splits whose last test window ends on the last observation.

    Origins sit ``step`` apart; ``expanding`` trains on everything up to the origin, ``sliding`` on
    the last ``train_size`` observations. With h = 1 and step = 1 the last ``folds`` observations
    are the targets. ``min_train`` is the shortest training part any fold may have (the runner
    derives it from the window, the differencing and the models' needs).
    """
    if spec.folds < 1 or spec.horizon < 1 or spec.step < 1 or spec.refit_every < 1:
        raise ConfigError("split.folds, split.horizon, split.step and split.refit_every must be >= 1")
    if spec.kind not in ("expanding", "sliding"):
        raise ConfigError(f"split.kind must be 'expanding' or 'sliding', not {spec.kind!r}")
    if spec.kind == "sliding" and not spec.train_size:
        raise ConfigError("split.kind=sliding needs split.train_size (observations per training window)")
    if spec.kind == "sliding" and spec.train_size < min_train:
        raise SeriesTooShortError(
            f"split.train_size={spec.train_size} is below the {min_train} training points the "
            "window, differencing and models need; raise split.train_size"
        )
    needed = spec.required_length(min_train)
    if n < needed:
        raise SeriesTooShortError(
            f"the series has {n} observations but {needed} are needed: {spec.folds} folds × step "
            f"{spec.step}, horizon {spec.horizon} and at least {max(min_train, spec.train_size or 0)}"
            " training points before the first origin; lower split.folds, split.step or window, "
            "or use a longer series"
        )
    last_origin = n - spec.horizon - 1
    for fold in range(spec.folds):
        origin = last_origin - (spec.folds - 1 - fold) * spec.step
        start = 0 if spec.kind == "expanding" else origin + 1 - spec.train_size
        yield Split(
            fold=fold,
            train=slice(start, origin + 1),
            test=slice(origin + 1, origin + 1 + spec.horizon),
        )
