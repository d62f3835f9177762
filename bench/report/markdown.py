"""Markdown tables of metrics: columns, formatting, the best value of each ranked column in bold."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    fmt: str = "{:.4g}"
    better: str | None = None  # "low" | "high" | None: which end is bold


HEADLINE = [
    Column("rel_mse", "MSE / naive", "{:.3f}", "low"),
    Column("dm_pvalue", "DM p", "{:.3f}"),
    Column("best_shift", "best shift", "{:+.0f}"),
    Column("echo_ratio", "echo ratio", "{:.2f}"),
    Column("dir_acc", "dir. acc.", "{:.0%}", "high"),
    Column("mse", "MSE", "{:.4g}", "low"),
    Column("mae", "MAE", "{:.4g}", "low"),
    Column("rmse", "RMSE", "{:.4g}", "low"),
    Column("failed", "failed folds", "{:.0f}"),
    Column("fit_seconds", "fit s", "{:.1f}"),
]
# Point forecasts say nothing about a volatility model: intervals get their own table
# (bench.report.intervals.interval_columns).


def metric_table(m: pd.DataFrame, cols: list[Column]) -> str:
    """Models as rows; the best value of each ranked column in bold; `—` where not applicable."""
    cols = [c for c in cols if c.key in m.columns and m[c.key].notna().any()]
    best = {}
    for c in cols:
        vals = pd.to_numeric(m[c.key], errors="coerce")
        if c.better and vals.notna().sum() > 1:
            best[c.key] = vals.min() if c.better == "low" else vals.max()
    rows = ["| model | " + " | ".join(c.header for c in cols) + " |", "|---|" + "---:|" * len(cols)]
    for _, r in m.iterrows():
        rows.append(f"| {r['model']} | " + " | ".join(_cell(r, c, best.get(c.key)) for c in cols) + " |")
    return "\n".join(rows)


def _cell(r: pd.Series, c: Column, best: float | None) -> str:
    v = r.get(c.key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    text = c.fmt.format(v)
    std = r.get(f"{c.key}_std")
    if std is not None and isinstance(std, float) and not math.isnan(std) and std > 0:
        text += f" ± {c.fmt.format(std).lstrip('+')}"
    if best is not None and v == best:
        text = f"**{text}**"
    return text
