"""report.md for one run, built only from the files the run stored (never refits anything)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from bench.report import plots
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
    Column("coverage", "coverage", "{:.0%}"),
    Column("width", "width", "{:.4g}"),
    Column("failed", "failed folds", "{:.0f}"),
    Column("fit_seconds", "fit s", "{:.1f}"),
]


def render(run_dir: Path) -> Path:
    """Write ``report.md`` (and its plots) into ``run_dir``; returns the report's path."""
    from bench.scoring import lag_curves, per_horizon
    from bench.verdict import verdict_sentence

    run_dir = Path(run_dir).resolve()
    tables = read_run(run_dir)
    metrics = pd.read_csv(run_dir / "metrics.csv")
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    cfg = info["config"]
    fc, series = tables["forecasts"], tables["series"]
    colours = plots.model_colours(list(dict.fromkeys(tables["folds"]["model"])))
    horizon = int(cfg["split"]["horizon"])
    scans = lag_curves(fc, series)
    lines = header(run_dir, info)
    for name, meta in info["datasets"].items():
        m = metrics[metrics["dataset"] == name]
        f, s = fc[fc["dataset"] == name], series[series["dataset"] == name]
        lines += dataset_intro(name, meta)
        lines += [metric_table(m), ""]
        lines += [f"- {verdict_sentence(r)}" for r in m.to_dict("records")] + [""]
        lines += warnings_lines(m)
        if f.empty:
            lines += ["_No successful forecasts for this dataset: see `folds.parquet`._", ""]
            continue
        ov = plots.overlay(f, s, colours, name, run_dir / "plots" / f"{name}_overlay.png")
        sc = plots.lag_scan(scans[scans["dataset"] == name], colours, name,
                            run_dir / "plots" / f"{name}_lag_scan.png")  # fmt: skip
        lines += [f"![{name}: forecasts vs actuals]({ov.relative_to(run_dir)})", ""]
        lines += [f"![{name}: lag scan]({sc.relative_to(run_dir)})", ""]
        if horizon > 1:
            ht = per_horizon(f)
            hp = plots.per_horizon(ht, colours, name, run_dir / "plots" / f"{name}_horizon.png")
            lines += [f"![{name}: error by horizon]({hp.relative_to(run_dir)})", ""]
    lines += footer(info)
    return write_text("\n".join(lines) + "\n", run_dir / "report.md")


def header(run_dir: Path, info: dict) -> list[str]:
    cfg = info["config"]
    sp, tr = cfg["split"], cfg["transform"]
    overrides = _overrides(run_dir)
    rows = [
        ("models", ", ".join(cfg["models"])),
        ("datasets", ", ".join(cfg["datasets"])),
        ("target", cfg["target"]),
        ("transform", f"log={tr['log']}, seasonal_diff={tr['seasonal_diff']}, diff={tr['diff']}, "
                      f"scale={tr['scale']} — fitted on each fold's training part only"),
        ("window", cfg["window"]),
        ("split", f"{sp['kind']}, {sp['folds']} origins, step {sp['step']}, horizon {sp['horizon']}, "
                  f"refit every {sp['refit_every']}"),
        ("seeds", ", ".join(map(str, cfg["seeds"]))),
        ("interval level", f"{cfg['interval_level']:.0%}"),
        ("overrides", " ".join(f"`{o}`" for o in overrides) or "none (defaults)"),
    ]  # fmt: skip
    out = [f"# lagbench report — `{run_dir.name}`", "",
           "Out-of-sample forecasts on rolling origins, every model through the same transform, "
           "windows and splits; all errors on the original scale. **MSE / naive < 1 means better "
           "than persistence.** A best shift of +h or an echo ratio near 0 means the forecast "
           "mostly repeats the last value (right-shift lag).", "",
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


def metric_table(m: pd.DataFrame) -> str:
    """Models as rows; the best value of each ranked column in bold; `—` where not applicable."""
    cols = [c for c in HEADLINE if c.key in m.columns]
    best = {}
    for c in cols:
        vals = pd.to_numeric(m[c.key], errors="coerce")
        if c.better and vals.notna().any():
            best[c.key] = vals.min() if c.better == "low" else vals.max()
    head = "| model | " + " | ".join(c.header for c in cols) + " |"
    rows = [head, "|---|" + "---:|" * len(cols)]
    for _, r in m.iterrows():
        cells = []
        for c in cols:
            cells.append(_cell(r, c, best.get(c.key)))
        rows.append(f"| {r['model']} | " + " | ".join(cells) + " |")
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


def warnings_lines(m: pd.DataFrame) -> list[str]:
    if "warnings" not in m.columns:
        return []
    noisy = m[m["warnings"].fillna(0) > 0]
    if noisy.empty:
        return []
    parts = [f"{r['model']} {int(r['warnings'])}" for _, r in noisy.iterrows()]
    return [f"Warnings raised while fitting (counted, not printed): {', '.join(parts)}.", ""]


def footer(info: dict) -> list[str]:
    v = ", ".join(f"{k} {val}" for k, val in info["versions"].items() if val)
    return ["---", f"Files: `forecasts.parquet` (one row per origin × step), `folds.parquet` "
            f"(status, errors, timings per fold), `metrics.csv`, `series.parquet`, `run.json`. "
            f"Versions: {v}."]  # fmt: skip


def _overrides(run_dir: Path) -> list[str]:
    f = run_dir / ".hydra" / "overrides.yaml"
    return list(yaml.safe_load(f.read_text()) or []) if f.exists() else []
