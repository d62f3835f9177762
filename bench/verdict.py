"""Verdicts: turning the honesty metrics into a decision and a sentence.

Kept apart from the frame-level scorer (``bench.scoring``) because these are the project's
*judgements* — when a model counts as better than persistence, when it is lagging, when a neural
model beats ARIMA given its seed spread — and the report reads them without any of the scoring
machinery. All functions are pure and work on scalars or one metrics row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

BEATS, NO_BETTER, WORSE = "beats_naive", "no_better_than_naive", "worse_than_naive"


def verdict(dm_stat: float, dm_pvalue: float, alpha: float = 0.05) -> str:
    """beats_naive if DM p < alpha and DM < 0, worse_than_naive if p < alpha and DM > 0, else
    no_better_than_naive (which includes an untestable DM: no evidence is no evidence)."""
    if np.isfinite(dm_pvalue) and dm_pvalue < alpha and np.isfinite(dm_stat) and dm_stat != 0:
        return BEATS if dm_stat < 0 else WORSE
    return NO_BETTER


def is_lagging(
    verdict_: str, best_shift: float, h: float, echo_ratio: float, echo_threshold: float = 0.2
) -> bool:
    """Lagging = not significantly better than naive AND (best shift = h OR echo ratio small)."""
    shifted = bool(np.isfinite(best_shift) and best_shift == h)
    echoes = bool(np.isfinite(echo_ratio) and echo_ratio < echo_threshold)
    return verdict_ != BEATS and (shifted or echoes)


def lagging_column(table: pd.DataFrame, echo_threshold: float = 0.2) -> list[bool]:
    """``is_lagging`` for every row of a metrics table (verdict, best_shift, diag_h, echo_ratio)."""
    cols = ["verdict", "best_shift", "diag_h", "echo_ratio"]
    return [is_lagging(*r, echo_threshold) for r in table[cols].itertuples(index=False)]


def beats_reference(mse: float, mse_std: float, ref_mse: float) -> bool:
    """A (neural) model beats the reference only if its MSE gap exceeds its seed-to-seed std.

    ref_mse − mse > std; a single run has no measured spread (NaN), so the plain gap decides.
    """
    spread = mse_std if np.isfinite(mse_std) else 0.0
    return bool(np.isfinite(mse) and np.isfinite(ref_mse) and ref_mse - mse > spread)


def _steps(k: int) -> str:
    return f"{k:+d} step" + ("" if abs(k) == 1 else "s")


def verdict_sentence(
    row: Mapping[str, Any],
    *,
    baseline: str = "naive",
    reference: str = "arima",
    echo_threshold: float = 0.2,
) -> str:
    """One plain-language line per model for the report (naive itself is "the yardstick")."""
    model = row["model"]
    if model == baseline:
        return f"{model}: the yardstick (persistence: repeats the last observed value)."
    if not row.get("n", 0) > 0:
        return f"{model}: no forecasts to score (failed on every fold)."
    p, rel = row.get("dm_pvalue", np.nan), row.get("rel_mse", np.nan)
    p_txt = f"{p:.2g}" if np.isfinite(p) and p < 0.01 else (f"{p:.2f}" if np.isfinite(p) else "n/a")
    rel_txt = f"{rel:.2f}" if np.isfinite(rel) else "n/a"
    head = {BEATS: "beats", NO_BETTER: "no better than", WORSE: "worse than"}[row["verdict"]]
    text = f"{model}: {head} persistence (DM p = {p_txt}, MSE ratio {rel_txt})"
    k, h, echo = row.get("best_shift", np.nan), row.get("diag_h", 1), row.get("echo_ratio", np.nan)
    if row["lagging"]:
        says = []
        if np.isfinite(k) and k == h:
            says.append(f"match the actuals shifted by {_steps(int(k))}")
        if np.isfinite(echo) and echo < echo_threshold:
            says.append(f"move only {100 * echo:.0f} % as much as the series")
        text += "; its forecasts " + " and ".join(says) + " — right-shift lag"
    elif np.isfinite(k) and np.isfinite(echo):
        text += f"; its forecasts move {100 * echo:.0f} % as much as the series (best shift {k:+.0f})"
    n_seeds = row.get("n_seeds", 1)
    if n_seeds > 1:
        text += f"; mean of {int(n_seeds)} seeds"
        vs = row.get("beats_arima", pd.NA)
        if vs is not pd.NA and not pd.isna(vs):
            text += f"; {'beats' if vs else 'does not beat'} {reference} by more than its seed spread"
    return text + "."
