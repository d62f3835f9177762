"""The sweep report: every job of a Hydra multirun side by side, written at the sweep root.

``SweepReport`` is a Hydra callback (registered under ``hydra.callbacks``): ``on_multirun_end`` runs
in the launching process after all jobs returned and gathers from the job dirs, so it works the
same under the basic, joblib, Ray and Submitit launchers. ``python -m bench.report SWEEP_DIR``
re-renders it from the same files.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback

from bench.report.sweep_files import (
    Job,
    combined_metrics,
    config_order,
    override_key,
    read_jobs,
    sweep_overrides,
    swept_keys,
)
from bench.report.sweep_tries import counted_tries, sweep_scoring, tries_lines
from bench.settings import ScoringSettings
from bench.store import point_latest, write_csv, write_text


class SweepReport(Callback):
    """Write ``metrics.csv`` (+ ``metrics_by_series.csv``), ``jobs.csv`` and ``report.md`` at the
    sweep root when a multirun ends.

    With ``fail_on_job_error`` (default) a sweep in which any job left no results exits with code 1
    after the report is written, so scripts and CI notice a half-failed sweep.
    """

    def __init__(self, fail_on_job_error: bool = True) -> None:
        self.fail_on_job_error = fail_on_job_error

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        # Hydra's config object (typed as Any: below the entry point nothing imports omegaconf);
        # only the sweep dir is read from it, everything else comes from the files.
        sweep_dir = Path(str(config.hydra.sweep.dir))
        report = render_sweep(sweep_dir)
        # results/latest names the whole sweep (not whichever job finished last), as bench.run does
        point_latest(sweep_dir, Path.cwd() / "results")
        print(f"sweep report: {report}")
        failed = [j for j in read_jobs(sweep_dir) if not j.ok]
        if failed:
            nums = ", ".join(str(j.num) for j in failed)
            print(f"lagbench: {len(failed)} sweep job(s) left no results (job {nums}); see {report}",
                  file=sys.stderr)  # fmt: skip
            if self.fail_on_job_error:
                raise SystemExit(1)


def render_sweep(sweep_dir: Path) -> Path:
    """Gather every job dir under ``sweep_dir`` and write the sweep's tables and report there."""
    sweep_dir = Path(sweep_dir).resolve()
    jobs = read_jobs(sweep_dir)
    if not jobs:
        raise FileNotFoundError(f"{sweep_dir} holds no job dirs (<n>/.hydra/overrides.yaml)")
    keys = swept_keys(jobs)
    metrics = combined_metrics(jobs, keys)
    write_csv(metrics, sweep_dir / "metrics.csv")
    by_series = combined_metrics(jobs, keys, "metrics_by_series.csv")  # collections' series rows
    if len(by_series):
        write_csv(by_series, sweep_dir / "metrics_by_series.csv")
    write_csv(job_table(jobs, keys), sweep_dir / "jobs.csv")
    tries = counted_tries(jobs)  # SPA over each model's configurations, from the jobs' forecasts
    if len(tries):
        write_csv(tries, sweep_dir / "tries.csv")
    lines = report_lines(sweep_dir, jobs, keys, metrics, tries)
    return write_text("\n".join(lines) + "\n", sweep_dir / "report.md")


def job_table(jobs: Sequence[Job], keys: Sequence[str]) -> pd.DataFrame:
    rows = [{"job": j.num, **{k: j.params.get(k) for k in keys}, "status": "ok" if j.ok else "failed",
             "error": j.error, "dir": j.dir.name, "overrides": " ".join(j.overrides)}
            for j in jobs]  # fmt: skip
    return pd.DataFrame(rows)


def report_lines(
    sweep_dir: Path,
    jobs: Sequence[Job],
    keys: Sequence[str],
    metrics: pd.DataFrame,
    tries: pd.DataFrame | None = None,
) -> list[str]:
    task, hydra = sweep_overrides(sweep_dir)
    failed = [j for j in jobs if not j.ok]
    shared = [o for o in jobs[0].overrides if _key(o) not in keys]
    rows = [
        ("sweep", _code(task) or "not recorded (no multirun.yaml)"),
        ("hydra", _code(hydra) or "none"),
        ("swept", ", ".join(f"`{k}`" for k in keys) or "nothing varies between jobs"),
        ("shared by all jobs", _code(shared) or "none"),
        ("jobs", f"{len(jobs)} ({len(jobs) - len(failed)} with results, {len(failed)} failed)"),
    ]
    out = [f"# lagbench sweep — `{sweep_dir.name}`", "",
           "One column per job, one table per dataset. Each cell: **MSE / naive** (< 1 beats "
           "persistence) · **DM p** against naive · **best shift** of the lag scan (+h = the forecast "
           "matches the actuals shifted right) · *lagging* when the model is not significantly better "
           "than naive and only repeats the last value. The lowest MSE / naive of each model is bold. "
           "A collection of series shows its AvgRelMSE and the shares of series instead.",
           "", "| setting | value |", "|---|---|"]  # fmt: skip
    out += [f"| {k} | {v} |" for k, v in rows] + [""]
    labels = {j.num: label(j, keys) for j in jobs}
    ok = [j for j in jobs if j.ok]
    sc = sweep_scoring(jobs)[0]
    for dataset in config_order(ok, "datasets", metrics["dataset"]) if len(metrics) else []:
        counted = tries[tries["dataset"] == dataset] if tries is not None and len(tries) else None
        out += dataset_section(dataset, ok, metrics, labels, counted, sc)
    out += jobs_section(jobs, labels)
    if failed:
        out += ["## Failed jobs", ""]
        out += [f"- job {j.num} ({labels[j.num]}): {j.error}" for j in failed] + [""]
    return out


def label(job: Job, keys: Sequence[str]) -> str:
    """What sets this job apart: its swept values (``window=10``), or its number when none vary."""
    parts = [f"{k}={job.params[k]}" for k in keys if k in job.params]
    return ", ".join(parts) if parts else f"job {job.num}"


def dataset_section(
    dataset: str,
    jobs: Sequence[Job],
    metrics: pd.DataFrame,
    labels: dict,
    tries: pd.DataFrame | None = None,
    sc: ScoringSettings | None = None,
) -> list[str]:
    m = scored(metrics[metrics["dataset"] == dataset])
    collection = bool(len(m)) and (m["kind"] == "collection").all() if "kind" in m else False
    cols = [j for j in jobs if (m["job"] == j.num).any()]
    models = config_order(cols, "models", m["model"])
    best = {model: _best(m.loc[m["model"] == model, "_score"]) for model in models}
    out = [f"## {dataset}", ""]
    if collection:
        n = _num(m["n_series"].max()) if "n_series" in m else None
        out += [f"A collection{'' if n is None else f' of {n:.0f} series'}: each cell is the AvgRelMSE "
                "(geometric mean over the series of MSE / naive) · the share of series significantly "
                "better than naive (DM) · the share of series lagging.", ""]  # fmt: skip
    out += ["| model | " + " | ".join(_esc(labels[j.num]) for j in cols) + " |"]
    out += ["|---|" + "---:|" * len(cols)]
    pipelines = [_pipeline(j, dataset) for j in cols]
    if any(pipelines):
        out.append("| *pipeline* | " + " | ".join(p or "—" for p in pipelines) + " |")
    for model in models:
        cells = []
        for j in cols:
            row = m[(m["model"] == model) & (m["job"] == j.num)]
            cells.append(cell(row.iloc[0], best[model]) if len(row) else "—")
        out.append(f"| {model} | " + " | ".join(cells) + " |")
    what = "AvgRelMSE" if collection else "MSE / naive"
    out += ["", f"Best configuration per model (lowest {what}):", ""]
    out += [best_line(model, m[m["model"] == model], labels, what) for model in models]
    counted = [] if tries is None or sc is None else tries_section(m, models, tries, labels, sc, collection)
    return out + [""] + counted


def tries_section(
    m: pd.DataFrame,
    models: Sequence[str],
    tries: pd.DataFrame,
    labels: dict,
    sc: ScoringSettings,
    collection: bool,
) -> list[str]:
    """Per swept model: the best configuration's DM p beside the SPA p over all its configurations."""
    lines = []
    for model in models:
        rows, t = m[m["model"] == model], tries[tries["model"] == model]
        if rows["_score"].notna().any() and len(t):
            best = rows.loc[rows["_score"].idxmin()]
            lines += tries_lines(model, best, t.iloc[0], labels, sc, collection)
    if not lines:
        return []
    head = ("Counting the tries (Hansen's SPA test over each model's configurations, on the rows they share "
            f"with the baseline; one-sided, so it decides at {sc.alpha / 2:.1%}, the better side of the "
            f"two-sided DM test at {sc.alpha:.0%}; `tries.csv`):")  # fmt: skip
    return [head, "", *lines, ""]


def scored(m: pd.DataFrame) -> pd.DataFrame:
    """The rows that speak for a dataset, with ``_score``: MSE / naive for a single series, the
    AvgRelMSE aggregate for a collection (its per-series rows live in metrics_by_series.csv)."""
    if "kind" in m and (m["kind"] == "collection").any():
        m = m[m["kind"] == "collection"]
        return m.assign(_score=pd.to_numeric(m.get("avg_rel_mse"), errors="coerce"))
    return m.assign(_score=pd.to_numeric(m["rel_mse"], errors="coerce") if "rel_mse" in m else float("nan"))


def cell(r: pd.Series, best: float | None) -> str:
    score = _num(r.get("_score"))
    text = "—" if score is None else f"{score:.3f}"
    if score is not None and best is not None and score == best:
        text = f"**{text}**"
    if r.get("kind") == "collection":
        beats, lag = _num(r.get("share_dm_beats")), _num(r.get("share_lagging"))
        return " · ".join([text, "—" if beats is None else f"DM better {beats:.0%}",
                           "—" if lag is None else f"lagging {lag:.0%}"])  # fmt: skip
    p, shift = _num(r.get("dm_pvalue")), _num(r.get("best_shift"))
    parts = [text, "—" if p is None else f"p {p:.3f}", "—" if shift is None else f"{shift:+.0f}"]
    if _true(r.get("lagging")):
        parts.append("*lagging*")
    return " · ".join(parts)


def best_line(model: str, rows: pd.DataFrame, labels: dict, what: str = "MSE / naive") -> str:
    vals = rows["_score"]
    if vals.notna().sum() == 0:
        return f"- {model}: no {what} in any job"
    if vals.nunique() == 1 and len(vals) > 1:
        return f"- {model}: the same in every configuration ({what} {vals.iloc[0]:.3f})"
    r = rows.loc[vals.idxmin()]
    ties = [int(j) for j in rows.loc[vals == vals.min(), "job"] if j != r["job"]]
    also = f"; equal: {', '.join(f'job {j}' for j in ties)}" if ties else ""
    text = f"- {model}: {_esc(labels[r['job']])} (job {r['job']}{also}) — {what} {r['_score']:.3f}"
    if r.get("kind") == "collection":
        beats, lag = _num(r.get("share_dm_beats")), _num(r.get("share_lagging"))
        text += "" if beats is None else f", significantly better than naive on {beats:.0%} of the series"
        return text + ("" if lag is None else f", lagging on {lag:.0%}")
    p = _num(r.get("dm_pvalue"))
    text += "" if p is None else f", DM p {p:.3f}"
    shift = _num(r.get("best_shift"))
    text += "" if shift is None else f", best shift {shift:+.0f}"
    verdict = r.get("verdict_text")
    return text + (f"; {verdict}" if isinstance(verdict, str) and verdict else "")


def jobs_section(jobs: Sequence[Job], labels: dict) -> list[str]:
    out = ["## Jobs", "", "| job | configuration | status | report |", "|---:|---|---|---|"]
    for j in jobs:
        rep = j.dir / "report.md"
        link = f"[{j.dir.name}/report.md]({j.dir.name}/report.md)" if rep.exists() else "—"
        out.append(f"| {j.num} | {_esc(labels[j.num])} | {'ok' if j.ok else 'failed'} | {link} |")
    return out + [""]


def _pipeline(job: Job, dataset: str) -> str | None:
    meta = (job.info.get("datasets") or {}).get(dataset) or {}
    return meta.get("pipeline")


def _key(override: str) -> str:
    return override_key(override)[0]


def _best(values: pd.Series) -> float | None:
    """The lowest value, or None when there is nothing to choose (all equal, e.g. naive's 1.0)."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    return None if v.nunique() < 2 else float(v.min())


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _true(v) -> bool:
    return v is True or (isinstance(v, str) and v.strip().lower() == "true") or v == 1


def _code(items: Sequence[str]) -> str:
    return " ".join(f"`{o}`" for o in items)


def _esc(text: str) -> str:
    """Markdown table cells cannot hold a bare pipe."""
    return str(text).replace("|", "\\|")
