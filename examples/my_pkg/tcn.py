"""A tiny temporal convolutional network (causal dilated 1-D convolutions), as a user would write it.

Maps a batch of windows (batch, window) to the next value (batch,): the contract of lagbench's
``torch_module`` model. Nothing here knows about lagbench.
    python -m bench.run 'models=[naive,arima,torch_module]' \\
      models.torch_module.net._target_=my_pkg.tcn.TinyTCN +models.torch_module.net.channels=16
"""

from __future__ import annotations

import torch
from torch import nn


class CausalBlock(nn.Module):
    """Conv1d padded on the left only (no look-ahead), ReLU, with a residual connection."""

    def __init__(self, channels_in: int, channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(channels_in, channels, kernel_size, dilation=dilation)
        self.skip = nn.Conv1d(channels_in, channels, 1) if channels_in != channels else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.conv(nn.functional.pad(x, (self.pad, 0))))
        return out + self.skip(x)


class TinyTCN(nn.Module):
    """``levels`` causal blocks with dilations 1, 2, 4, … and a linear read-out of the last step."""

    def __init__(self, window: int, channels: int = 8, kernel_size: int = 2, levels: int = 2) -> None:
        super().__init__()
        self.window = window  # the input length (unused: the convolutions take any length)
        blocks = [CausalBlock(1 if i == 0 else channels, channels, kernel_size, 2**i) for i in range(levels)]
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(x.unsqueeze(1))  # (batch, channels, window)
        return self.out(h[:, :, -1]).squeeze(-1)
