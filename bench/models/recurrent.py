"""Recurrent forecasters (tanh RNN, GRU, LSTM): one class, one network, one training loop.

The cell is the only difference between ``RNN``, ``GRU`` and ``LSTM``; windows, loss, optimiser,
early stopping and the recursive multi-step rule are shared, so the benchmark compares cells and
not incidental training choices. Nets are trained one step ahead on windows of the transformed
training series and forecast h steps recursively, feeding their own forecasts back in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn

from bench.models import torch_loop
from bench.models.base import ModelError, as_series, check_finite, require_length
from bench.prep.windowing import make_windows, recursive_forecast
from bench.types import Forecast

Cell = Literal["rnn", "gru", "lstm"]
_LAYERS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
# Epochs of a warm-started refit (measured: bench/perf/neural_workloads.py). None = from scratch.
FINETUNE_EPOCHS: int | None = 1


class RecurrentNet(nn.Module):
    """Recurrent layers → dropout → dense ReLU head → one output (the next value)."""

    def __init__(
        self, cell: str, hidden_size: int, num_layers: int, dropout: float, head: Sequence[int]
    ) -> None:
        super().__init__()
        self.cell = cell
        extra = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        self.rnn = _LAYERS[cell](
            input_size=1,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=True,
            # torch applies this only between layers (and warns for one layer), hence the guard;
            # self.drop below covers the last layer's output either way.
            dropout=dropout if num_layers > 1 else 0.0,
            **extra,
        )
        self.drop = nn.Dropout(dropout)
        layers: list[nn.Module] = []
        width = hidden_size
        for units in head:
            layers += [nn.Linear(width, units), nn.ReLU()]
            width = units
        layers.append(nn.Linear(width, 1))
        self.head = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, window) → (batch,): read the window oldest first, regress on the last state."""
        out, _ = self.rnn(x.unsqueeze(-1))
        return self.head(self.drop(out[:, -1])).squeeze(-1)


class RecurrentSpec:
    """The settings shared by the local and the global recurrent models, and their one way to fit.

    ``head`` lists the widths of dense ReLU layers between the recurrent state and the output
    (``[]``: a single linear output). Training: ``optimizer`` (``adam`` | ``rmsprop``; ``lr``,
    ``weight_decay``) on MSE, batches shuffled with a generator seeded from ``seed``, gradient norm
    clipped at ``grad_clip`` (null: off), lr × ``lr_gamma`` every ``lr_step`` epochs (null:
    constant), the last ``val_frac`` of the windows held out in time order for early stopping with
    ``patience`` (null: train all ``epochs``). ``finetune_epochs``: when ``fit`` is called again on
    a fitted object (the runner's warm start), continue from the current weights for that many
    epochs (optimizer and lr schedule rebuilt, same early stopping; null: train from scratch at
    every refit). ``device``: ``auto`` picks CUDA when available.

    Trained once per seed (``stochastic``): the suite passes each entry of ``seeds`` as ``seed``.

    Deviation from Keras-based protocols (e.g. Makridakis et al. 2018): torch's gates are always
    sigmoid, so Keras' ``recurrent_activation`` (``hard_sigmoid`` in Keras 2.0–2.2) has no equivalent.
    """

    stochastic: ClassVar[bool] = True

    def __init__(
        self,
        cell: Cell = "lstm",
        window: int = 20,
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
        head: Sequence[int] = (),
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 3e-3,
        weight_decay: float = 0.0,
        grad_clip: float | None = 1.0,
        lr_step: int | None = None,
        lr_gamma: float = 0.1,
        val_frac: float = 0.1,
        patience: int | None = 5,
        optimizer: str = "adam",
        finetune_epochs: int | None = FINETUNE_EPOCHS,
        seed: int = 0,
        device: str = "auto",
    ) -> None:
        if cell not in _LAYERS:
            raise ValueError(f"cell must be one of {sorted(_LAYERS)}, got {cell!r}")
        if window < 1 or hidden_size < 1 or num_layers < 1 or not 0.0 <= dropout < 1.0:
            raise ValueError("need window, hidden_size, num_layers >= 1 and 0 <= dropout < 1")
        self.cell = cell
        self.window = int(window)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.dropout = float(dropout)
        self.head = tuple(int(u) for u in head)  # Hydra hands over a ListConfig
        self.train_config = torch_loop.TrainConfig(
            epochs=int(epochs),
            batch_size=int(batch_size),
            lr=float(lr),
            weight_decay=float(weight_decay),
            grad_clip=None if grad_clip is None else float(grad_clip),
            lr_step=None if lr_step is None else int(lr_step),
            lr_gamma=float(lr_gamma),
            val_frac=float(val_frac),
            patience=None if patience is None else int(patience),
            seed=int(seed),
            optimizer=str(optimizer),
            finetune_epochs=None if finetune_epochs is None else int(finetune_epochs),
        )
        self.device = torch_loop.resolve_device(device)
        self.net: RecurrentNet | None = None
        self.log: torch_loop.TrainLog | None = None

    @property
    def min_length(self) -> int:
        """Shortest transformed series that gives one training (and one validation) window."""
        return self.window + self.train_config.min_windows()

    def _length_reason(self) -> str:
        why = f"window {self.window} + {self.train_config.min_windows()} one-step window(s) for training"
        if self.train_config.val_frac > 0:
            why += f" and validation (val_frac {self.train_config.val_frac})"
        return why

    def _estimate(
        self, fit: Callable[[RecurrentNet, torch_loop.TrainConfig, bool], torch_loop.TrainLog]
    ) -> None:
        """Train a new net, or fine-tune the fitted one (warm start), inside a seeded torch state.

        ``fit(net, config, warm)`` runs the shared loop on the caller's windows. A failure drops the
        net, so a half-trained one is never forecast from nor warm-started again.
        """
        warm = self.net is not None and self.train_config.finetune_epochs is not None
        cfg = self.train_config.finetune() if warm else self.train_config
        with torch_loop.reproducible(cfg.seed, self.device):
            net = (
                self.net
                if warm
                else RecurrentNet(self.cell, self.hidden_size, self.num_layers, self.dropout, self.head).to(
                    self.device
                )
            )
            self.net = None
            self.log = fit(net, cfg, warm)
            self.net = net

    @torch.no_grad()
    def _step(self, x: np.ndarray) -> np.ndarray:
        """Next values after windows ``x`` (n, window) in eval mode (dropout off)."""
        if self.net is None:
            raise ModelError(f"{self.cell}: forecast before fit()")
        self.net.eval()
        t = torch.as_tensor(np.asarray(x, dtype=np.float32), device=self.device)
        return self.net(t).double().cpu().numpy()


class Recurrent(RecurrentSpec):
    """A recurrent net trained one step ahead on windows of length ``window`` of one series.

    Settings: see :class:`RecurrentSpec`.
    """

    levels: ClassVar[bool] = False
    scope: ClassVar[str] = "local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._history: np.ndarray | None = None

    def fit(self, z: np.ndarray) -> Recurrent:
        z = as_series(z, self.cell)
        require_length(z, self.min_length, self.cell, self._length_reason())
        X, Y = make_windows(z, self.window, 1)
        # Looked up on the module at call time: one loop for every cell (tests count calls).
        self._estimate(lambda net, cfg, warm: torch_loop.train_net(net, X, Y, cfg, self.device, warm=warm))
        self._history = z
        return self

    def update(self, z: np.ndarray) -> Recurrent:
        """Read a new history with the weights held (between refits)."""
        if self.net is None:
            raise ModelError(f"{self.cell}: update() before fit()")
        z = as_series(z, self.cell)
        require_length(z, self.window, self.cell, f"one input window of {self.window}")
        self._history = z
        return self

    def predict(self, h: int) -> Forecast:
        if self.net is None or self._history is None:
            raise ModelError(f"{self.cell}: predict() before fit()")
        mean = recursive_forecast(self.one_step, self._history, self.window, h)
        return Forecast(mean=check_finite(mean, self.cell))

    def one_step(self, x: np.ndarray) -> float:
        """Next value after window ``x`` (oldest first), in eval mode (dropout off)."""
        if self.net is None:
            raise ModelError(f"{self.cell}: one_step() before fit()")
        return float(self._step(np.asarray(x)[None, :])[0])


class RNN(Recurrent):
    """Elman RNN with tanh (Keras ``SimpleRNN``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cell="rnn", **kwargs)


class GRU(Recurrent):
    """Gated recurrent unit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cell="gru", **kwargs)


class LSTM(Recurrent):
    """Long short-term memory."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cell="lstm", **kwargs)
