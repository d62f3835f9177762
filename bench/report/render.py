"""report.md for one run, built only from the files the run stored (never refits anything)."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from bench.report import plots
from bench.settings import Settings
from bench.store import read_run, write_text


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
# Point forecasts say nothing about a volatility model: intervals get their own table.
INTERVALS = [
    Column("coverage", "coverage", "{:.0%}"),
    Column("width", "mean width", "{:.4g}"),  # narrower is only better at the same coverage
    Column("nll", "Gaussian NLL", "{:.3f}", "low"),
    Column("qlike", "QLIKE", "{:.3f}", "low"),
]


def render(run_dir: Path) -> Path:
    """Write ``report.md`` (and its plots) into ``run_dir``; returns the report's path."""
    from bench.scoring.frame import lag_curves, per_horizon

    run_dir = Path(run_dir).resolve()
    tables = read_run(run_dir)
    metrics = pd.read_csv(run_dir / "metrics.csv")
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    st = Settings.from_dict(info["settings"])
    fc, series, folds = tables["forecasts"], tables["series"], tables["folds"]
    order = [m.name for m in st.models]
    colours = plots.model_colours(order)
    metrics = metrics.assign(_o=metrics["model"].map(order.index)).sort_values(["_o"], kind="stable")
    scans = lag_curves(fc, series, max_shift=st.scoring.max_shift)
    lines = header(run_dir, st)
    for name, meta in info["datasets"].items():
        m = metrics[metrics["dataset"] == name]
        f, s = fc[fc["dataset"] == name], series[series["dataset"] == name]
        lines += dataset_intro(name, meta)
        lines += [metric_table(m, HEADLINE), ""]
        lines += [f"- {text}" for text in m["verdict_text"].fillna("")] + [""]
        lines += interval_table(m, st.scoring.interval_level)
        lines += problems(folds[folds["dataset"] == name])
        if f.empty:
            lines += ["_No successful forecasts for this dataset: see `folds.parquet`._", ""]
            continue
        plot_dir = run_dir / "plots"
        ov = plots.overlay(f, s, colours, name, plot_dir / f"{name}_overlay.png")
        sc = plots.lag_scan(scans[scans["dataset"] == name], colours, name, plot_dir / f"{name}_lag_scan.png")
        lines += [f"![{name}: forecasts vs actuals]({ov.relative_to(run_dir)})", ""]
        lines += [f"![{name}: lag scan]({sc.relative_to(run_dir)})", ""]
        if meta["horizon"] > 1:
            hp = plots.per_horizon(per_horizon(f), colours, name, plot_dir / f"{name}_horizon.png")
            lines += [f"![{name}: error by horizon]({hp.relative_to(run_dir)})", ""]
    lines += footer(info)
    return write_text("\n".join(lines) + "\n", run_dir / "report.md")


def header(run_dir: Path, s: Settings) -> list[str]:
    overrides = _overrides(run_dir)
    sc = s.scoring
    own = [
        d.name for d in s.datasets if (d.split, d.transform) != (s.datasets[0].split, s.datasets[0].transform)
    ]
    tr, sp = s.datasets[0].transform, s.datasets[0].split
    models = ", ".join(m.name for m in s.models)
    if s.baseline_added:
        models += f" (the baseline {sc.baseline} was added: every ratio is against it)"
    rows = [
        ("models", models),
        ("datasets", ", ".join(d.name for d in s.datasets)),
        ("baseline / reference", f"{sc.baseline} / {sc.reference}"),
        ("target", s.target),
        ("transform", f"log={tr.log}, boxcox={tr.boxcox}, deseasonalize={tr.deseasonalize}, "
                      f"seasonal_diff={tr.seasonal_diff}, diff={tr.diff}, scale={tr.scale} — fitted on "
                      "each fold's training part only; models on levels (naive, ETS, Theta, Naive 2) "
                      "get the raw series"),
        ("window", s.window),
        ("split", f"{sp.kind}, {sp.folds} origins, step {sp.step}, horizon {sp.horizon}, "
                  f"refit every {sp.refit_every}{', warm-started' if sp.warm_start else ''}"),
        ("own split/transform", ", ".join(own) or "none"),
        ("seeds", ", ".join(map(str, s.seeds))),
        ("interval level", f"{sc.interval_level:.0%}"),
        ("overrides", " ".join(f"`{o}`" for o in overrides) or "none (defaults)"),
    ]  # fmt: skip
    out = [f"# lagbench report — `{run_dir.name}`", "",
           "Out-of-sample forecasts on rolling origins, every model through the same transform, "
           "windows and splits; all errors on the original scale. **MSE / naive < 1 means better "
           "than persistence**, and DM p says whether that is more than luck. A model that is not "
           "significantly better than persistence and whose forecasts best match the actuals "
           "shifted by +h (best shift) or barely move (echo ratio near 0) only repeats the last "
           "value: the right-shift lag. The overlay plots draw the actuals shifted by +h as a faint "
           "line; the first seed's forecasts are shown.", "",
           "| setting | value |", "|---|---|"]  # fmt: skip
    out += [f"| {k} | {v} |" for k, v in rows]
    return out + [""]


def dataset_intro(name: str, meta: dict) -> list[str]:
    out = [f"## {name}", "",
           f"{meta['source'] or 'source not stated'} — {meta['n']} observations "
           f"({meta['start'][:10]} → {meta['end'][:10]}), {meta['folds']} forecast origins "
           f"{meta['first_cutoff'][:10]} → {meta['last_cutoff'][:10]}; pipeline: {meta['pipeline']}.",
           ""]  # fmt: skip
    out += [f"> note: {n}" for n in meta["notes"]]
    return out + ([""] if meta["notes"] else [])


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


def interval_table(m: pd.DataFrame, level: float) -> list[str]:
    with_var = m.dropna(subset=["coverage"]) if "coverage" in m else m.iloc[:0]
    if with_var.empty:
        return []
    head = f"Intervals ({level:.0%} nominal), models with a predictive variance only:"
    return [head, "", metric_table(with_var, INTERVALS), ""]


def problems(folds: pd.DataFrame) -> list[str]:
    """Failed folds (with the first error) and warnings (by kind), per model: counted, not printed."""
    out = []
    for model, g in folds.groupby("model", sort=False):
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


def footer(info: dict) -> list[str]:
    v = ", ".join(f"{k} {val}" for k, val in info["versions"].items() if val)
    return ["---", f"Files: `forecasts.parquet` (one row per origin × step), `folds.parquet` "
            f"(status, errors, timings per fold), `metrics.csv`, `series.parquet`, `run.json`. "
            f"Versions: {v}."]  # fmt: skip


def _overrides(run_dir: Path) -> list[str]:
    f = run_dir / ".hydra" / "overrides.yaml"
    return list(yaml.safe_load(f.read_text()) or []) if f.exists() else []
