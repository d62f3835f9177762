"""Recurrent forecasters (tanh RNN, GRU, LSTM): one class, one network, one training loop.

The cell is the only difference between ``RNN``, ``GRU`` and ``LSTM``; windows, loss, optimiser,
early stopping and the recursive multi-step rule are shared, so the benchmark compares cells and
not incidental training choices. Nets are trained one step ahead on windows of the transformed
training series and forecast h steps recursively, feeding their own forecasts back in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from bench.models.neural import LocalNet

Cell = Literal["rnn", "gru", "lstm"]
_LAYERS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class RecurrentNet(nn.Module):
    """Recurrent layers → dropout → dense ReLU head → one output (the next value), or ``n_out``
    raw parameters of a likelihood head."""

    def __init__(
        self,
        cell: str,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        head: Sequence[int],
        n_out: int = 1,
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
        layers.append(nn.Linear(width, n_out))
        self.head = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, window) → (batch,) [or (batch, n_out)]: read the window oldest first, regress on
        the last state."""
        out, _ = self.rnn(x.unsqueeze(-1))
        return self.head(self.drop(out[:, -1])).squeeze(-1)


@dataclass(frozen=True)
class RecurrentArch:
    """The recurrent architecture settings: ``head`` lists the widths of dense ReLU layers between
    the recurrent state and the output (``[]``: a single linear output)."""

    cell: str = "lstm"
    hidden_size: int = 32
    num_layers: int = 1
    dropout: float = 0.0
    head: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.cell not in _LAYERS:
            raise ValueError(f"cell must be one of {sorted(_LAYERS)}, got {self.cell!r}")
        if self.hidden_size < 1 or self.num_layers < 1 or not 0.0 <= self.dropout < 1.0:
            raise ValueError("need window, hidden_size, num_layers >= 1 and 0 <= dropout < 1")

    @classmethod
    def of(
        cls, cell: str, hidden_size: int, num_layers: int, dropout: float, head: Sequence[int]
    ) -> RecurrentArch:
        # Hydra hands over a ListConfig for head, and YAML numbers may be of either type.
        return cls(str(cell), int(hidden_size), int(num_layers), float(dropout), tuple(int(u) for u in head))

    def describe(self, model: Any) -> RecurrentArch:
        """Copy the settings onto ``model`` (``model.hidden_size`` …, what the report and tuning read)."""
        model.cell, model.hidden_size, model.num_layers, model.dropout, model.head = (
            self.cell, self.hidden_size, self.num_layers, self.dropout, self.head,
        )  # fmt: skip
        return self

    @property
    def label(self) -> str:
        return self.cell

    def build(self, n_out: int, window: int) -> RecurrentNet:
        return RecurrentNet(self.cell, self.hidden_size, self.num_layers, self.dropout, self.head, n_out)

    def batch_key(self) -> tuple:
        # Dropout is a per-net rate in the batched forward, so it does not split batches.
        return ("recurrent", self.cell, self.hidden_size, self.num_layers, self.head)

    def stacks(self, k: int, device: torch.device) -> bool:
        """Stack ``k`` nets only where it is the cheaper way to train them (deterministic: the choice
        depends on the architecture, ``k`` and the device only, never on a timing).

        On CUDA any ``k`` >= 2. On CPU torch's LSTM alone is compute-bound from 16 units up, so
        stacked LSTMs pay only when small or several. Medians of 3 runs of stacked/alone CPU time
        (``python -m bench.perf.stack_rule``, 120- and 1000-point series): LSTM(6) 0.67–0.87 for 3
        nets but 1.01–1.02 for 2, LSTM(16) 0.87–0.98 for 3 and 0.50–0.53 for 8, LSTM(32) 1.00–1.01
        for 3 but 0.69 for 8 and 0.48–0.62 for 32, LSTM(64) 0.76–0.86 for 8 but 1.07–1.14 for 32;
        GRU and RNN stacks win from two nets (3 GRU(32) 0.49–0.55, 3 RNN(32) 0.40–0.43).
        """
        if k < 2:
            return False  # one net alone is exactly ``fit``
        if device.type != "cpu" or self.cell != "lstm":
            return True
        h = self.hidden_size
        return (h <= 8 and k >= 3) or (h <= 32 and k >= 8)

    def stacked_forward(
        self, params: dict[str, torch.Tensor], x: torch.Tensor, drop: Any = None
    ) -> torch.Tensor:
        """K nets' forward on (K, batch, window) from their stacked parameters (plain matmuls)."""
        from bench.models.stacked import recurrent_forward

        return recurrent_forward(self, params, x, drop)


class RecurrentSettings:
    """The recurrent architecture's settings (``cell``, ``hidden_size``, ``num_layers``, ``dropout``,
    ``head``: :class:`RecurrentArch`), shared by the local and the global nets: a mixin placed before
    the net base, so it builds ``arch`` and hands the rest of the settings on."""

    def __init__(
        self,
        cell: Cell = "lstm",
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
        head: Sequence[int] = (),
        **kwargs: Any,
    ) -> None:
        arch = RecurrentArch.of(cell, hidden_size, num_layers, dropout, head).describe(self)
        super().__init__(arch=arch, **kwargs)


class Recurrent(RecurrentSettings, LocalNet):
    """A recurrent net trained one step ahead on windows of length ``window`` of one series.

    Settings: those of :class:`RecurrentSettings` and the shared ones of
    :class:`~bench.models.neural.NetSpec`.

    Trained once per seed (``stochastic``, from :class:`~bench.models.neural.NetSpec`): the suite
    passes each entry of ``seeds`` as ``seed``.

    Deviation from Keras-based protocols (e.g. Makridakis et al. 2018): torch's gates are always
    sigmoid, so Keras' ``recurrent_activation`` (``hard_sigmoid`` in Keras 2.0–2.2) has no equivalent.
    """


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
