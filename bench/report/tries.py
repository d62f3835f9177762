"""Report lines that count the tries: the SPA sentence beside the one-by-one DM verdicts and the
Model Confidence Set, for one series and for a collection (``bench.scoring.multiple`` computed them)."""

from __future__ import annotations

import math

import pandas as pd

from bench.scoring.verdict import tries_sentence
from bench.settings import ScoringSettings

LOSS_NAMES = {"": "squared error", "_qlike": "QLIKE"}


def best_dm(m: pd.DataFrame, baseline: str) -> tuple[str | None, float]:
    """The model with the smallest DM p among those with a lower loss than the baseline (DM < 0)."""
    if "dm_pvalue" not in m or "dm_stat" not in m:
        return None, math.nan
    others = m[(m["model"] != baseline) & (pd.to_numeric(m["dm_stat"], errors="coerce") < 0)]
    p = pd.to_numeric(others["dm_pvalue"], errors="coerce").dropna()
    if p.empty:
        return None, math.nan
    return str(others.loc[p.idxmin(), "model"]), float(p.min())


def series_tries_lines(m: pd.DataFrame, sc: ScoringSettings) -> list[str]:
    """One series' rows: the SPA sentence and, per loss, the models in the Model Confidence Set."""
    if "spa_models" not in m and "in_mcs" not in m:  # scored before SPA/MCS existed
        return []
    first = m.iloc[0]
    k = first.get("spa_models")
    out = []
    if pd.notna(k):
        model, p = best_dm(m, sc.baseline)
        spa = float(first.get("spa_pvalue", math.nan))
        text = tries_sentence(int(k), model, p, spa, baseline=sc.baseline, alpha=sc.alpha, reps=sc.spa.reps)
        out.append(f"- {text}")
    for suffix, name in LOSS_NAMES.items():
        line = mcs_line(m, suffix, name, sc.spa.mcs_level)
        out += [line] if line else []
    rows, block = first.get("spa_rows"), first.get("spa_block")
    if out and pd.notna(rows) and pd.notna(block):
        out.append(f"- (SPA and MCS: {int(rows)} rows where every model has a forecast, stationary bootstrap "
                   f"with mean block {int(block)}, {sc.spa.reps} replications. SPA is one-sided — H0: no "
                   f"model beats {sc.baseline} — so it decides at {sc.alpha / 2:.1%}, the level of the "
                   f"better side of the two-sided DM test at {sc.alpha:.0%}.)")  # fmt: skip
    return out + [""] if out else []


def mcs_line(m: pd.DataFrame, suffix: str, loss: str, level: float) -> str | None:
    """The models that cannot be told apart from the best on ``loss`` (and those that can, with p)."""
    col, pcol = f"in_mcs{suffix}", f"mcs_pvalue{suffix}"
    if col not in m:
        return None
    tested = m[m[col].notna()]
    if tested.empty:
        return None
    inside = tested[tested[col].astype(bool)]
    out = tested[~tested[col].astype(bool)]
    text = (f"- Model confidence set ({level:.0%}, {loss}): {', '.join(inside['model'])} — "
            "cannot be told apart from the best")  # fmt: skip
    if len(out):
        p = pd.to_numeric(out[pcol], errors="coerce")
        text += "; out: " + ", ".join(f"{r} (MCS p = {v:.2g})" for r, v in zip(out["model"], p, strict=True))
    return text + "."


def collection_tries_lines(agg: pd.DataFrame, sc: ScoringSettings) -> list[str]:
    """A collection: the share of series where SPA says some model beats the baseline beside the
    share where at least one model's own DM says so (the aggregate table has each model's MCS share)."""
    if "share_spa_beats" not in agg or agg["share_spa_beats"].isna().all():
        return []
    first = agg.iloc[0]
    spa, dm = float(first["share_spa_beats"]), float(first["share_any_dm_beats"])
    n = int(agg["n_series"].max())
    k = int((agg["model"] != sc.baseline).sum())
    return [
        f"Counting the tries: on {dm:.0%} of the {n} series at least one of the {k} models beats "
        f"{sc.baseline} by its own DM test (two-sided p < {sc.alpha:.0%}); once the {k} tries are counted "
        f"(Hansen's SPA test, one-sided p < {sc.alpha / 2:.1%}) some model beats {sc.baseline} on {spa:.0%}. "
        f"'in MCS' is the share of series where the model is in the {sc.spa.mcs_level:.0%} Model "
        "Confidence Set: it cannot be told apart from the best model of that series.",
        "",
    ]
