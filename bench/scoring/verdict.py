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
    verdict_: str,
    best_shift: float,
    h: float,
    echo_ratio: float,
    echo_threshold: float = 0.2,
    shift_gain: float = np.nan,
    gain_threshold: float = 0.6,
    max_shift: int = 5,
) -> bool:
    """Lagging = not significantly better than naive AND the forecast trails the actuals.

    "Trails" is: best shift = h (it matches the last observed value), or the echo ratio is small
    (it barely moves away from it), or a clear minimum of the lag scan beyond h — h < best shift <
    ``max_shift`` with shift_gain < ``gain_threshold``. A net trained on levels often trails by 2–4
    steps, pulled back towards the middle of its training range: persistence made worse. A minimum
    on the edge of the scan is not a minimum (a flat forecast of white noise lands there by chance).
    """
    finite = np.isfinite(best_shift)
    shifted = bool(finite and best_shift == h)
    trails = bool(
        finite and h < best_shift < max_shift and np.isfinite(shift_gain) and shift_gain < gain_threshold
    )
    echoes = bool(np.isfinite(echo_ratio) and echo_ratio < echo_threshold)
    return verdict_ != BEATS and (shifted or trails or echoes)


def lagging_column(table: pd.DataFrame, echo_threshold: float = 0.2, max_shift: int = 5) -> list[bool]:
    """``is_lagging`` for every row of a metrics table."""
    cols = ["verdict", "best_shift", "diag_h", "echo_ratio", "shift_gain"]
    return [
        is_lagging(v, k, h, e, echo_threshold, shift_gain=g, max_shift=max_shift)
        for v, k, h, e, g in table[cols].itertuples(index=False)
    ]


def beats_reference(mse: float, mse_std: float, ref_mse: float) -> bool:
    """A (neural) model beats the reference only if its MSE gap exceeds its seed-to-seed std.

    ref_mse − mse > std; a single run has no measured spread (NaN), so the plain gap decides.
    """
    spread = mse_std if np.isfinite(mse_std) else 0.0
    return bool(np.isfinite(mse) and np.isfinite(ref_mse) and ref_mse - mse > spread)


def p_text(p: float) -> str:
    """A p-value as the report prints it: two significant digits below 0.01, else two decimals."""
    return f"{p:.2g}" if np.isfinite(p) and p < 0.01 else (f"{p:.2f}" if np.isfinite(p) else "n/a")


def spa_rejects(spa_p: float, alpha: float = 0.05) -> bool:
    """SPA says some model beats the baseline. The test is one-sided (H1: some model is better),
    while the DM verdict's beats_naive is the better side of a two-sided test at alpha, a one-sided
    test at alpha/2; SPA decides at alpha/2 too, else counting the tries would be more lenient than
    not counting them."""
    return bool(np.isfinite(spa_p) and spa_p < alpha / 2)


def tries_sentence(
    k: int,
    best_model: str | None,
    best_p: float,
    spa_p: float,
    *,
    baseline: str = "naive",
    alpha: float = 0.05,
    what: str = "model",
    reps: int = 1000,
) -> str:
    """The one-by-one DM verdicts read with the number of tries: "5 models tried: best DM p = 0.03
    (gru), SPA p = 0.21 — not significant once the tries are counted." ``best_p`` is the smallest DM
    p of the models with a lower loss than the baseline (None/NaN when there is none)."""
    tried = f"{k} {what}{'s' if k != 1 else ''} tried against {baseline}"
    # a bootstrap p of 0 means no draw was as extreme: p < 1/reps, not p = 0
    spa = f"SPA p < {1 / reps:.2g}" if spa_p == 0 else f"SPA p = {p_text(spa_p)}"
    if best_model is None or not np.isfinite(best_p):
        return f"{tried}: none has a lower MSE than {baseline}; {spa}."
    head = f"{tried}: best DM p = {p_text(best_p)} ({best_model}), {spa}"
    if not np.isfinite(spa_p):
        return f"{head} — too few rows to count the tries."
    if spa_rejects(spa_p, alpha):
        return f"{head} — some {what} beats {baseline} even once the tries are counted."
    if best_p < alpha:
        return f"{head} — not significant once the tries are counted."
    return f"{head} — no {what} beats {baseline}, one by one or counted together."


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
    rel_txt = f"{rel:.2f}" if np.isfinite(rel) else "n/a"
    head = {BEATS: "beats", NO_BETTER: "no better than", WORSE: "worse than"}[row["verdict"]]
    k, h, echo = row.get("best_shift", np.nan), row.get("diag_h", 1), row.get("echo_ratio", np.nan)
    at_h = f" at h = {h:.0f}" if row.get("h_max", 1) > 1 else ""
    over = " over all steps" if at_h else ""
    n_seeds = row.get("n_seeds", 1)
    if n_seeds > 1:  # one forecast, one test: the seed ensemble's (a mean of p-values is no p-value)
        ens = row.get("ens_rel_mse", np.nan)
        ens_txt = f"{ens:.2f}" if np.isfinite(ens) else "n/a"
        why = f"mean forecast of {int(n_seeds)} seeds: DM p = {p_text(p)}, MSE ratio {ens_txt}{over}"
    else:
        why = f"DM p = {p_text(p)}, MSE ratio {rel_txt}{over}"
    text = f"{model}: {head} persistence{at_h} ({why})"
    if row["lagging"]:
        says = []
        if np.isfinite(k) and k >= h:
            says.append(f"match the actuals shifted by {_steps(int(k))}")
        if np.isfinite(echo) and echo < echo_threshold:
            says.append(f"move only {100 * echo:.0f} % as much as the series")
        text += "; its forecasts " + " and ".join(says) + " — right-shift lag"
    elif np.isfinite(k) and np.isfinite(echo):
        text += f"; its forecasts move {100 * echo:.0f} % as much as the series (best shift {k:+.0f})"
    if n_seeds > 1:
        beat = row.get("seeds_beat", np.nan)
        alone = f"{int(beat)} of {int(n_seeds)}" if np.isfinite(beat) else f"? of {int(n_seeds)}"
        text += f"; each seed alone: MSE ratio {rel_txt} on average, significantly better in {alone}"
        vs = row.get("beats_ref", pd.NA)
        if not pd.isna(vs):
            text += f"; {'beats' if vs else 'does not beat'} {reference} by more than its seed spread"
    return text + "."
