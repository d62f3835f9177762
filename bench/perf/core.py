"""Shared pieces of ``make perf``: settings, timings, the composed setups and the result table.

Every timing is printed as a ratio to a reference measured in the same run (and interleaved with
it, repeat by repeat), so a slower or busier machine shifts both sides alike. Speed goals live
here, never in timed unit tests. ``python -m bench.perf [--quick] [--repeats N] [--suite]
[--out perf.csv|perf.json] [hydra overrides…]``; overrides apply to the composed configs (e.g.
``models.lstm.epochs=5``), not to the ``--suite`` runs, which use the default config as-is.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from bench.config import settings_of
from bench.engine.build import ModelRun
from bench.engine.prepare import prepare
from bench.engine.runner import backtest
from bench.engine.suite import model_runs
from bench.models.base import Forecaster
from bench.models.naive import Naive
from bench.prep.transforms import PipelineSpec
from bench.settings import SplitSettings
from bench.store import write_csv, write_text
from bench.types import Split

MODELS = ("naive", "arima_fixed", "arima", "arima_garch", "linear", "lstm", "gru", "rnn")
REFERENCE_MODEL = "arima_fixed"  # ARIMA(1,0,1) with a constant: conf/models/arima_fixed.yaml
COLUMNS = ["name", "per", "median_s", "min_s", "max_s", "spread", "ratio", "reference", "n"]


@dataclass(frozen=True)
class PerfOptions:
    """What to measure and how often; the defaults keep ``make perf`` under ~3 min on 2 cores."""

    repeats: int = 3
    models: tuple[str, ...] = MODELS
    model_folds: int = 2  # folds per timed backtest, per model
    runner_folds: int = 500  # naive folds: enough to lift a millisecond loop above timer noise
    refit_models: tuple[str, ...] = ("arima_fixed", "lstm")
    refit_folds: int = 20
    refit_every: int = 5
    blas_folds: int = 2  # ARIMA folds per timed loop in a BLAS child process
    blas_jobs: tuple[int, ...] = (1, 2)  # concurrent children: 2 = the n_jobs=-1 case on 2 cores
    overrides: tuple[str, ...] = ()


QUICK = PerfOptions(repeats=1, model_folds=1, runner_folds=100, refit_folds=5, blas_folds=2, blas_jobs=(1,))


@dataclass(frozen=True)
class Timing:
    """Seconds of one measured thing, one entry per repeat, and the row it is a ratio to."""

    name: str
    per: str
    seconds: tuple[float, ...]
    reference: str


@dataclass(frozen=True)
class Prepared:
    """One prepared series: what a timed fold loop needs."""

    y: np.ndarray
    splits: list[Split]
    spec: SplitSettings
    pipeline: PipelineSpec
    period: int | None


def setup(models: Sequence[str], folds: int, extra: Sequence[str]) -> tuple[Prepared, dict[str, ModelRun]]:
    """The fixed 1000-point S&P 500 series with ``folds`` origins and the models built from YAML."""
    # One process: workers would share the cores with the timed loop.
    s = settings_of(
        ["n_jobs=1", "datasets=[sp500]", "datasets.sp500.tail=1000", f"models=[{','.join(models)}]"]
        + ["seeds=[0]", f"split.folds={folds}", *applicable(extra, models)]
    )
    (prep,) = prepare(s)
    (ds,) = prep.collection.series()
    period = prep.collection.period
    p = Prepared(
        ds.y.to_numpy(),
        prep.splits(len(ds.y)),
        prep.spec,
        prep.pipeline,
        period,
    )
    return p, {m.name: ModelRun(m, s.seeds[0]) for m in model_runs(s, [prep])}


def applicable(overrides: Sequence[str], models: Sequence[str]) -> list[str]:
    """Drop ``models.<name>.…`` overrides for models this section does not build (Hydra would
    refuse them), so one override list can serve every section."""
    keep = []
    for o in overrides:
        key = o.lstrip("+~").split("=", 1)[0].split(".")
        if not (key[0] == "models" and len(key) > 2 and key[1] not in models):
            keep.append(o)
    return keep


def run_loop(p: Prepared, run: ModelRun, refit_every: int | None = None, folds: int | None = None) -> float:
    """Seconds for the runner's fold loop; failures raise so a broken model never looks fast."""
    splits = p.splits if folds is None else p.splits[:folds]
    start = time.perf_counter()
    backtest(
        p.y,
        splits,
        run.make(p.period),
        p.pipeline.build,
        horizon=p.spec.horizon,
        refit_every=refit_every or p.spec.refit_every,
        on_error="raise",
    )
    return time.perf_counter() - start


def bare_loop(p: Prepared, new: Callable[[], Forecaster]) -> float:
    """A raw-series model built by calling its class, fitted and asked on the runner's slices."""
    y, h = p.y, p.spec.horizon
    start = time.perf_counter()
    for s in p.splits:
        new().fit(y[s.train]).predict(h)
    return time.perf_counter() - start


def factory_calls(p: Prepared, run: ModelRun) -> float:
    """Only the per-fold model construction through the Hydra-built factory the runner receives."""
    make = run.make(p.period)
    start = time.perf_counter()
    for _ in p.splits:
        make()
    return time.perf_counter() - start


def interleave(cases: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Run every case once per repeat, in turn, so drift during the run hits all of them alike."""
    out: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, case in cases.items():
            out[name].append(case())
    return out


def runner_overhead(s: PerfOptions) -> list[Timing]:
    """backtest() with naive vs the bare loop; the Hydra factory call is shown on its own row."""
    p, runs = setup(["naive"], s.runner_folds, s.overrides)
    cases = {
        "runner.bare_loop": partial(bare_loop, p, Naive),
        "runner.backtest": partial(run_loop, p, runs["naive"]),
        "runner.factory_call": partial(factory_calls, p, runs["naive"]),
    }
    # Millisecond loops: five times the repeats cost nothing and steady the medians.
    t = {k: np.array(v) / len(p.splits) for k, v in interleave(cases, 5 * s.repeats).items()}
    out = [Timing(name, "fold", tuple(x), "runner.bare_loop") for name, x in t.items()]
    # What the harness adds to one fold, as a share of the cheapest real model's fold.
    extra = t["runner.backtest"] - t["runner.bare_loop"]
    return out + [Timing("runner.overhead", "fold", tuple(extra), f"fold.{REFERENCE_MODEL}")]


def model_costs(s: PerfOptions) -> list[Timing]:
    models = list(dict.fromkeys([REFERENCE_MODEL, *s.models]))
    p, runs = setup(models, s.model_folds, s.overrides)
    for m in models:  # warm-up: lazy imports, torch kernel set-up and caches are not a fold's cost
        run_loop(p, runs[m], folds=1)
    n = len(p.splits)
    t = interleave({m: partial(run_loop, p, runs[m]) for m in models}, s.repeats)
    ref = f"fold.{REFERENCE_MODEL}"
    return [Timing(f"fold.{m}", "fold", tuple(x / n for x in t[m]), ref) for m in models]


def refit_savings(s: PerfOptions) -> list[Timing]:
    p, runs = setup(s.refit_models, s.refit_folds, s.overrides)
    cases = {}
    for m in s.refit_models:
        for k in (1, s.refit_every):
            cases[f"refit.{m}.every{k}"] = partial(run_loop, p, runs[m], refit_every=k)
    t = interleave(cases, s.repeats)
    per = f"{len(p.splits)} folds"
    return [Timing(name, per, tuple(x), name.rsplit(".", 1)[0] + ".every1") for name, x in t.items()]


def table(timings: Sequence[Timing]) -> pd.DataFrame:
    """Median, min, max and max/min per row; ratio = median / the reference row's median."""
    med = {t.name: statistics.median(t.seconds) for t in timings}
    rows = []
    for t in timings:
        lo, hi = min(t.seconds), max(t.seconds)
        ratio = med[t.name] / med[t.reference] if t.reference in med else float("nan")
        spread = hi / lo if lo > 0 else float("nan")
        rows.append([t.name, t.per, med[t.name], lo, hi, spread, ratio, t.reference, len(t.seconds)])
    return pd.DataFrame(rows, columns=COLUMNS)


def format_table(df: pd.DataFrame) -> str:
    """A plain fixed-width table: seconds to 4 significant digits, ratios to 3."""
    cols = f"{'per':<9} {'median s':>10} {'min':>10} {'max':>10} {'max/min':>8} {'ratio':>9}"
    head = f"{'name':<28} {cols}  reference"
    lines = [head, "-" * len(head)]
    for r in df.itertuples(index=False):
        lines.append(
            f"{r.name:<28} {r.per:<9} {r.median_s:>10.4g} {r.min_s:>10.4g} {r.max_s:>10.4g} "
            f"{r.spread:>8.3g} {r.ratio:>9.3g}  {r.reference}"
        )
    return "\n".join(lines)


def write_table(df: pd.DataFrame, notes: list[str], s: PerfOptions, path: Path) -> Path:
    """CSV, or JSON (rows, notes and settings) when ``path`` ends in .json; written atomically."""
    if Path(path).suffix == ".json":
        doc = {"rows": df.to_dict(orient="records"), "notes": notes, "settings": asdict(s)}
        return write_text(json.dumps(doc, indent=2, ensure_ascii=False), path)
    return write_csv(df, path)
