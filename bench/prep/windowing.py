"""Supervised windows cut from a transformed series — the only place windows are made."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def make_windows(z: np.ndarray, lookback: int, h: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Return ``X`` (n, lookback) and ``Y`` (n, h): every input window with the h values after it.

    Only values inside ``z`` are used, so windows cut from a fold's training series never reach
    past its origin.
    """
    z = np.asarray(z, dtype=float).reshape(-1)
    if lookback < 1 or h < 1:
        raise ValueError("lookback and h must be >= 1")
    n = len(z) - lookback - h + 1
    if n < 1:
        raise ValueError(f"series of length {len(z)} is too short for windows of {lookback} + horizon {h}")
    idx = np.arange(lookback + h)[None, :] + np.arange(n)[:, None]
    block = z[idx]
    return block[:, :lookback].copy(), block[:, lookback:].copy()


def last_window(z: np.ndarray, lookback: int) -> np.ndarray:
    """The most recent ``lookback`` values: the input for a forecast from the end of ``z``."""
    z = np.asarray(z, dtype=float).reshape(-1)
    if len(z) < lookback:
        raise ValueError(f"need {lookback} values for the input window, have {len(z)}")
    return z[-lookback:].copy()


def recursive_forecast(
    one_step: Callable[[np.ndarray], float], history: np.ndarray, window: int, h: int
) -> np.ndarray:
    """Forecast ``h`` steps by feeding each forecast back in as the newest input value.

    ``one_step`` maps a window (length ``window``, oldest first) to the next value.
    """
    x = last_window(history, window)
    out = np.empty(h, dtype=float)
    for i in range(h):
        out[i] = one_step(x)
        x = np.append(x[1:], out[i])
    return out
