"""Rolling-origin evaluation splits, counted back from the end of the series.

Takes the parsed :class:`bench.settings.SplitSettings` (checked once, in ``bench.parse``); only what
depends on the series is checked here: its length and the training points the run needs.
"""

from __future__ import annotations

from collections.abc import Iterator

from bench.errors import InputDataError
from bench.settings import SplitSettings
from bench.types import Split


class SeriesTooShortError(InputDataError):
    """The series cannot hold the requested folds, horizon and minimum training length."""


def required_length(split: SplitSettings, min_train: int) -> int:
    """Observations needed so the first origin still has ``min_train`` training points."""
    first_train = max(min_train, split.train_size or 0)
    return first_train + (split.folds - 1) * split.step + split.horizon


def rolling_origin(n: int, split: SplitSettings, min_train: int = 1) -> Iterator[Split]:
    """Yield ``split.folds`` splits whose last test window ends on the last observation.

    Origins sit ``step`` apart; ``expanding`` trains on everything up to the origin, ``sliding`` on
    the last ``train_size`` observations. With h = 1 and step = 1 the last ``folds`` observations
    are the targets. ``min_train`` is the shortest training part any fold may have (the runner
    derives it from the window, the differencing and the models' needs).
    """
    if split.kind == "sliding" and split.train_size < min_train:
        raise SeriesTooShortError(
            f"split.train_size={split.train_size} is below the {min_train} training points the "
            "window, differencing and models need; raise split.train_size"
        )
    needed = required_length(split, min_train)
    if n < needed:
        raise SeriesTooShortError(
            f"the series has {n} observations but {needed} are needed: {split.folds} folds × step "
            f"{split.step}, horizon {split.horizon} and at least {max(min_train, split.train_size or 0)}"
            " training points before the first origin; lower split.folds, split.step or window, "
            "or use a longer series"
        )
    last_origin = n - split.horizon - 1
    for fold in range(split.folds):
        origin = last_origin - (split.folds - 1 - fold) * split.step
        start = 0 if split.kind == "expanding" else origin + 1 - split.train_size
        yield Split(
            fold=fold,
            train=slice(start, origin + 1),
            test=slice(origin + 1, origin + 1 + split.horizon),
        )
