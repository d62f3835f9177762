"""report.md for one run, built only from the files the run stored (never refits anything)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import yaml

from bench.report import plots
from bench.report.collection import collection_report, dataset_intro
from bench.report.context import ReportContext
from bench.report.series import series_section
from bench.settings import DatasetSettings, Settings, SplitSettings, TransformSettings
from bench.store import read_csv_table, read_run, write_text
from bench.types import DatasetInfo


def render(run_dir: Path) -> Path:
    """Write ``report.md`` (and its plots) into ``run_dir``; returns the report's path."""
    run_dir = Path(run_dir).resolve()
    tables = read_run(run_dir)
    metrics = read_csv_table(run_dir / "metrics.csv")
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    st = Settings.from_dict(info["settings"])
    order = [m.name for m in st.models]
    colours = plots.model_colours(order)
    metrics = metrics.assign(_o=metrics["model"].map(order.index)).sort_values(["_o"], kind="stable")
    lines = header(run_dir, st)
    ctx = ReportContext(
        report_dir=run_dir, plot_dir=run_dir / "plots", colours=colours, scoring=st.scoring,
        conformal=st.conformal.enabled, models=tuple(order), caps=info.get("models", {}),
    )  # fmt: skip
    by_series = read_csv_table(run_dir / "metrics_by_series.csv")
    by_series = by_series.assign(_o=by_series["model"].map(order.index)).sort_values("_o", kind="stable")
    for name, stored in info["datasets"].items():
        meta = DatasetInfo.from_dict(stored)
        m = metrics[metrics["dataset"] == name]
        data = {k: v[v["dataset"] == name] for k, v in tables.items()}
        lines += dataset_intro(name, meta)
        if meta.n_series > 1:
            per = by_series[by_series["dataset"] == name]
            lines += collection_report(name, meta, per, m, data, ctx)
        else:
            lines += series_section(name, meta, m, data, ctx)
    lines += footer(info)
    return write_text("\n".join(lines) + "\n", run_dir / "report.md")


def header(run_dir: Path, s: Settings) -> list[str]:
    overrides = _overrides(run_dir)
    sc = s.scoring
    # Runs stored before the run's own split/transform were recorded: the first dataset's stand in.
    tr = s.transform or s.datasets[0].transform
    sp = s.split or s.datasets[0].split
    models = ", ".join(m.name for m in s.models)
    if s.baseline_added:
        models += f" (the baseline {sc.baseline} was added: every ratio is against it)"
    rows = [("models", models)]
    if only := [m.name for m in s.models if m.name in s.returns_only]:
        rows += [("returns only", f"{', '.join(only)}: fitted on returns datasets only (`returns_only`)")]
    rows += [
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
    ]  # fmt: skip
    rows += [(f"{d.name} (own)", text) for d in s.datasets if (text := own_settings(d, sp, tr, s.window))]
    rows += [
        ("seeds", ", ".join(map(str, s.seeds))),
        ("interval level", f"{sc.interval_level:.0%}"),
        ("overrides", " ".join(f"`{o}`" for o in overrides) or "none (defaults)"),
    ]
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


SPLIT_WORDS = {
    "kind": "{}",
    "folds": "{} origins",
    "step": "step {}",
    "horizon": "horizon {}",
    "train_size": "train_size {}",
    "refit_every": "refit every {}",
    "min_train": "min_train {}",
}


def own_settings(
    d: DatasetSettings, split: SplitSettings, transform: TransformSettings, window: int | None = None
) -> str:
    """How a dataset's split, transform and window differ from the run's, e.g. ``10 origins, refit
    every 1`` (empty when they do not)."""
    words = [
        w.format(getattr(d.split, k))
        for k, w in SPLIT_WORDS.items()
        if getattr(d.split, k) != getattr(split, k)
    ]
    if d.split.warm_start != split.warm_start:
        words.append("warm-started" if d.split.warm_start else "not warm-started")
    if d.window is not None and d.window != window:
        words.append(f"window {d.window} (the models that read the run's)")
    changed = [f"{k}={v}" for k, v in asdict(d.transform).items() if v != getattr(transform, k)]
    return "; ".join(p for p in (", ".join(words), "transform " + ", ".join(changed) if changed else "") if p)


def footer(info: dict) -> list[str]:
    prov = info.get("provenance", {})
    v = ", ".join(f"{k} {val}" for k, val in prov.get("versions", {}).items() if val)
    torch = prov.get("torch", {})
    device = (
        f"torch on {torch['device']} ({torch['threads']} threads)"
        if torch.get("loaded")
        else "torch not loaded"
    )
    threads = ", ".join(f"{k}={val}" for k, val in prov.get("threads", {}).items())
    return ["---", f"Files: `forecasts.parquet` (one row per origin × step), `folds.parquet` "
            f"(status, errors, timings, choices per fold), `metrics.csv`, `metrics_by_series.csv`, "
            f"`series.parquet`, `run.json` (settings, data fingerprints, provenance). "
            f"Code: {prov.get('git_commit', 'not recorded')}. Versions: {v}. {device}; "
            f"{threads}."]  # fmt: skip


def _overrides(run_dir: Path) -> list[str]:
    f = run_dir / ".hydra" / "overrides.yaml"
    return list(yaml.safe_load(f.read_text()) or []) if f.exists() else []
