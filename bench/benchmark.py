"""One run end to end: prepare → execute → write → score from the written files → report.

The stages know nothing of each other's files; this module sequences them. Scoring always reads
the stored frames back (``score_dir``), so ``make report`` on a stored run gives the run's metrics.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from bench.engine import conformal
from bench.engine.build import model_capabilities
from bench.engine.needs import with_needs
from bench.engine.prepare import Prepared, prepare
from bench.engine.provenance import provenance
from bench.engine.suite import execute, model_runs
from bench.scoring.stored import score_dir
from bench.settings import Settings
from bench.store import write_parquet, write_text
from bench.types import DatasetInfo

TABLES = ("forecasts", "folds", "series")


def benchmark(s: Settings, out_dir: Path) -> Path | None:
    """Run the suite into ``out_dir``; returns the report path (None for ``validate=true``)."""
    prepared = with_needs(s, prepare(s))  # too short for every model: an input error before any fit
    if s.validate:
        model_runs(s, prepared)  # builds every model once per dataset (fits none): bad parameters fail here
        for line in describe(prepared):
            print(line)
        return None
    run_tables(s, out_dir, prepared)
    from bench.report.render import render

    return render(out_dir)


def run_tables(s: Settings, out_dir: Path, prepared: list[Prepared] | None = None) -> dict[str, pd.DataFrame]:
    """Execute, write the frames and ``run.json``, score from the files: every table, no report."""
    prepared = with_needs(s, prepare(s) if prepared is None else prepared)
    tables, cache = execute(s, prepared)
    if s.conformal.enabled:  # after every fold loop: intervals from each run's own earlier errors
        level = s.scoring.interval_level
        tables["forecasts"] = conformal.apply(tables["forecasts"], level, s.conformal.needed(level))
    out_dir = Path(out_dir)
    for name in TABLES:
        write_parquet(tables[name], out_dir / f"{name}.parquet")
    info = {
        "settings": s.to_dict(),
        "datasets": {name: asdict(d) for name, d in run_info(s, prepared).items()},
        "models": {m.name: asdict(model_capabilities(m)) for m in s.models},  # read from each class
        "provenance": provenance({p.name: p.collection for p in prepared}),
        "cache": cache,
    }
    write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str), out_dir / "run.json")
    return {**tables, **score_dir(out_dir)}


def run_info(s: Settings, prepared: list[Prepared]) -> dict[str, DatasetInfo]:
    """What was run on what, per dataset, stored beside the results (fev-style provenance)."""
    out = {}
    for p in prepared:
        coll, f = p.collection, p.collection.frame
        first = next(coll.series(p.ids[:1]))
        splits = p.splits(len(first.y))
        lengths = f.groupby("unique_id", sort=False).size()
        out[p.name] = DatasetInfo(
            n=int(len(first.y)) if p.single else int(lengths.sum()),
            n_series=int(len(lengths)),
            n_evaluated=len(p.ids),
            n_skipped=len(p.skipped),
            min_length=int(lengths.min()),
            max_length=int(lengths.max()),
            start=str(f["ds"].min()),
            end=str(f["ds"].max()),
            period=coll.period,
            freq=coll.freq,
            source=coll.source,
            returns=coll.returns,
            notes=tuple(coll.notes),
            pipeline=p.pipeline.build().describe(),
            folds=len(splits),
            horizon=p.spec.horizon,
            first_cutoff=str(first.y.index[splits[0].origin]),
            last_cutoff=str(first.y.index[splits[-1].origin]),
            scored={m.name: len(p.ids_for(m.name)) for m in s.models},  # series each model is scored on
            window=p.settings.window or s.window,
        )
    return out


def describe(prepared: list[Prepared]) -> list[str]:
    """``validate=true``: what would run, per dataset (nothing is fitted)."""
    lines = ["lagbench: settings and data are valid; nothing was fitted (validate=true)"]
    for p in prepared:
        f = p.collection.frame
        n = f.groupby("unique_id", sort=False).size()
        lines.append(
            f"- {p.name}: {len(n)} series ({len(p.skipped)} too short), lengths {n.min()}–{n.max()}, "
            f"{p.spec.folds} origins each, horizon {p.spec.horizon}"
        )
        for model, why in (p.too_short or {}).items():
            if why:
                first = next(iter(why.values()))
                lines.append(f"  - {model}: {len(why)} series too short for it, e.g. {first}")
    return lines
