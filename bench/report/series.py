"""The report section of one single series: its table, verdicts, intervals, problems and plots."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd

from bench.report import plots
from bench.report.context import ReportContext
from bench.report.intervals import interval_section
from bench.report.markdown import HEADLINE, metric_table
from bench.report.tries import series_tries_lines
from bench.report.volatility import volatility_section
from bench.types import DatasetInfo


def series_section(
    name: str,
    meta: DatasetInfo,
    m: pd.DataFrame,
    data: dict[str, pd.DataFrame],
    ctx: ReportContext,
    plot_name: str | None = None,
) -> list[str]:
    """Table and plots of one series (``data``: its forecasts, series and folds rows), with the
    SPA sentence and the Model Confidence Set under the verdicts."""
    from bench.scoring.frame import lag_curves, per_horizon

    colours, plot_dir, report_dir, sc = ctx.colours, ctx.plot_dir, ctx.report_dir, ctx.scoring
    f, s = data["forecasts"], data["series"]
    lines = [metric_table(m, HEADLINE), ""]
    lines += [f"- {text}" for text in m["verdict_text"].fillna("")] + [""]
    lines += series_tries_lines(m, sc)
    lines += interval_section(m, f, sc.interval_level, sc.alpha, ctx.conformal)
    lines += volatility_section(name, m, data, ctx, plot_name or name)
    lines += choices(data["folds"])
    lines += problems(data["folds"])
    if f.empty:
        return lines + ["_No successful forecasts for this series: see `folds.parquet`._", ""]
    stem = plot_name or name
    ov = plots.overlay(f, s, colours, name, plot_dir / f"{stem}_overlay.png")
    scans = lag_curves(f, s, max_shift=sc.max_shift)
    sc = plots.lag_scan(scans, colours, name, plot_dir / f"{stem}_lag_scan.png")
    lines += [f"![{name}: forecasts vs actuals]({ov.relative_to(report_dir)})", ""]
    lines += [f"![{name}: lag scan]({sc.relative_to(report_dir)})", ""]
    if meta.horizon > 1:
        hp = plots.per_horizon(per_horizon(f), colours, name, plot_dir / f"{stem}_horizon.png")
        lines += [f"![{name}: error by horizon]({hp.relative_to(report_dir)})", ""]
    return lines


def problems(folds: pd.DataFrame) -> list[str]:
    """Failed folds (with the first error) and warnings (by kind), per model: counted, not printed."""
    out = []
    for model, g in folds.groupby("model", sort=False):
        skipped = g[g["status"] == "skipped"]
        if len(skipped):
            out.append(f"- {model}: not scored, the series is too short for it: {skipped['error'].iloc[0]}")
            continue
        bad = g[g["status"] != "ok"]
        if len(bad):
            out.append(f"- {model}: {len(bad)} of {len(g)} folds failed (recorded in `folds.parquet`); "
                       f"first error: `{bad['error'].iloc[0]}`")  # fmt: skip
        kinds: Counter[str] = Counter()
        for w in g["warnings"]:
            kinds.update(json.loads(w))
        if kinds:
            listed = ", ".join(f"{n} × {k}" for k, n in kinds.most_common())
            out.append(f"- {model}: warnings while fitting (counted, not printed): {listed}")
    return out + [""] if out else []


def choices(folds: pd.DataFrame, top: int = 2) -> list[str]:
    """What the refits chose per model (differencing orders, ARIMA orders, ETS components): the
    most common choices with how many refits made them, so automatic steps are never hidden."""
    if "choices" not in folds:
        return []
    out = []
    refits = folds[folds["refit"].astype(bool) & (folds["status"] == "ok")]
    for model, g in refits.groupby("model", sort=False):
        counts = Counter(g["choices"])
        counts.pop("{}", None)
        if not counts:
            continue
        shown = "; ".join(f"{_choice(c)} ({n} of {len(g)} refits)" for c, n in counts.most_common(top))
        more = f"; {len(counts) - top} other choice(s)" if len(counts) > top else ""
        out.append(f"- {model} chose: {shown}{more}")
    return out + [""] if out else []


def _choice(text: str) -> str:
    return ", ".join(f"{k}={v}" for k, v in json.loads(text).items())
