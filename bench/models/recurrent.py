"""Recurrent forecasters (tanh RNN, GRU, LSTM): one class, one network, one training loop.

The cell is the only difference between ``RNN``, ``GRU`` and ``LSTM``; windows, loss, optimiser,
early stopping and the recursive multi-step rule are shared, so the benchmark compares cells and
not incidental training choices. Nets are trained one step ahead on windows of the transformed
training series and forecast h steps recursively, feeding their own forecasts back in.
"""

from __future__ import annotations

from collections.abc import Sequence
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


class Recurrent:
    """A recurrent net trained one step ahead on windows of length ``window``.

    ``head`` lists the widths of dense ReLU layers between the recurrent state and the output
    (``[]``: a single linear output). Training: Adam (``lr``, ``weight_decay``) on MSE, batches
    shuffled with a generator seeded from ``seed``, gradient norm clipped at ``grad_clip``
    (null: off), lr × ``lr_gamma`` every ``lr_step`` epochs (null: constant), the last
    ``val_frac`` of the windows held out in time order for early stopping with ``patience``
    (null: train all ``epochs``). ``device``: ``auto`` picks CUDA when available.
    """

    levels: ClassVar[bool] = False

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
        )
        self.device = torch_loop.resolve_device(device)
        self.net: RecurrentNet | None = None
        self.log: torch_loop.TrainLog | None = None
        self._history: np.ndarray | None = None

    def fit(self, z: np.ndarray) -> Recurrent:
        z = as_series(z, self.cell)
        k = self.train_config.min_windows()
        why = f"window {self.window} + {k} one-step window(s) for training"
        if self.train_config.val_frac > 0:
            why += f" and validation (val_frac {self.train_config.val_frac})"
        require_length(z, self.window + k, self.cell, why)
        X, Y = make_windows(z, self.window, 1)
        with torch_loop.reproducible(self.train_config.seed, self.device):
            self.net = RecurrentNet(self.cell, self.hidden_size, self.num_layers, self.dropout, self.head).to(
                self.device
            )
            # Looked up on the module at call time: one loop for every cell (tests count calls).
            self.log = torch_loop.train_net(self.net, X, Y, self.train_config, self.device)
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

    @torch.no_grad()
    def one_step(self, x: np.ndarray) -> float:
        """Next value after window ``x`` (oldest first), in eval mode (dropout off)."""
        if self.net is None:
            raise ModelError(f"{self.cell}: one_step() before fit()")
        self.net.eval()
        t = torch.as_tensor(np.asarray(x, dtype=np.float32)[None, :], device=self.device)
        return float(self.net(t)[0].item())


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
