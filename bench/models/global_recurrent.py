"""One recurrent net trained on the windows of every series of a collection (a global model).

The same :class:`~bench.models.recurrent.RecurrentNet`, settings and training loop as the local
nets, so local vs global compares the pooling of series and nothing else. Each series contributes
its one-step windows; validation is the chronological tail (``val_frac``) of *each* series' windows,
so no series' late data trains the net while another's is used to stop it. The configs
``rnn_global``, ``gru_global`` and ``lstm_global`` build :class:`GlobalRNN`, :class:`GlobalGRU` and
:class:`GlobalLSTM`; ``rnn``, ``gru`` and ``lstm`` are the local nets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from bench.models import torch_loop, tuned
from bench.models.base import ModelError, as_series, require_length
from bench.models.neural import NetSpec
from bench.models.recurrent import RecurrentSettings
from bench.prep.windowing import make_windows
from bench.types import Forecast


class GlobalRecurrent(RecurrentSettings, NetSpec):
    """A recurrent net shared by a list of series (settings: those of the local
    :class:`~bench.models.recurrent.Recurrent`).

    ``fit(zs)`` trains on all series' windows together (shuffled with the seeded generator),
    a second ``fit`` warm-starts like the local model; ``predict(h)`` forecasts every series
    recursively from its own latest window, in one batch per step (with a likelihood head: exact
    first step, then ``n_paths`` sample paths per series).
    """

    levels: ClassVar[bool] = False
    scope: ClassVar[str] = "global"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._histories: list[np.ndarray] = []

    def check(self, z: np.ndarray) -> None:
        """A series is usable if it gives one training (and one validation) window on its own."""
        require_length(as_series(z, self.cell), self.min_length, f"global {self.cell}", self._length_reason())

    def fit(self, zs: Sequence[np.ndarray]) -> GlobalRecurrent:
        if self.tune is not None:  # one search over the collection's training parts (when due)
            tuned.fit_global(self, zs)
            return self
        return self.fit_plain(zs)

    def fit_plain(self, zs: Sequence[np.ndarray]) -> GlobalRecurrent:
        """``fit`` with the current settings (no search)."""
        if len(zs) == 0:
            raise ModelError(f"global {self.cell}: fit() needs at least one series")
        zs = [as_series(z, self.cell) for z in zs]
        for z in zs:
            self.check(z)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for z in zs:
            X, Y = make_windows(z, self.window, 1)
            n_tr = len(X) - self.train_config.n_val(len(X))
            parts.append((X[:n_tr], Y[:n_tr], X[n_tr:], Y[n_tr:]))
        X_tr, Y_tr, X_val, Y_val = (np.concatenate([p[i] for p in parts]) for i in range(4))
        self._estimate(
            lambda net, cfg, warm: torch_loop.train_split(
                net, X_tr, Y_tr, X_val, Y_val, cfg, self.device, warm
            )
        )
        self._histories = zs
        return self

    def update(self, zs: Sequence[np.ndarray]) -> GlobalRecurrent:
        """Read new histories (the fitted series, in the same order) with the weights held."""
        if self.net is None:
            raise ModelError(f"global {self.cell}: update() before fit()")
        if len(zs) != len(self._histories):
            raise ModelError(
                f"global {self.cell}: update() got {len(zs)} series, fitted on {len(self._histories)}"
            )
        zs = [as_series(z, self.cell) for z in zs]
        for z in zs:
            require_length(z, self.window, f"global {self.cell}", f"one input window of {self.window}")
        self._histories = zs
        return self

    def predict(self, h: int) -> list[Forecast]:
        if self.net is None or not self._histories:
            raise ModelError(f"global {self.cell}: predict() before fit()")
        x = np.stack([z[-self.window :] for z in self._histories])
        if self.likelihood.name != "none":
            return self._sampled(x, h, sum(len(z) for z in self._histories))
        out = np.empty((len(x), h))
        for i in range(h):  # recursive: each step's forecast becomes the newest input value
            out[:, i] = self._step(x)
            x = np.concatenate([x[:, 1:], out[:, i : i + 1]], axis=1)
        # Not checked here: the runner checks each series' forecast, so one non-finite row fails alone.
        info = self._tuning.info()
        return [Forecast(mean=row, info=info) for row in out]


class GlobalRNN(GlobalRecurrent):
    """One Elman RNN (tanh) over every series of a collection."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cell="rnn", **kwargs)


class GlobalGRU(GlobalRecurrent):
    """One GRU over every series of a collection."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cell="gru", **kwargs)


class GlobalLSTM(GlobalRecurrent):
    """One LSTM over every series of a collection."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cell="lstm", **kwargs)
