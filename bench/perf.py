"""Performance benchmark behind ``make perf``: medians, spreads and ratios, never absolute goals.

Every timing is printed as a ratio to a reference measured in the same run (and interleaved with
it, repeat by repeat), so a slower or busier machine shifts both sides alike. Speed goals live
here, never in timed unit tests. ``python -m bench.perf [--quick] [--repeats N] [--suite]
[--out perf.csv|perf.json] [hydra overrides…]``; overrides apply to the composed configs (e.g.
``models.lstm.epochs=5``), not to the ``--suite`` runs, which use the default config as-is.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from bench.runner import backtest
from bench.store import write_csv, write_text
from bench.suite import ModelRun, Prepared, model_runs, prepare
from bench.transforms import build_pipeline

CONF = Path(__file__).resolve().parents[1] / "conf"
MODELS = ("naive", "arima", "arima_garch", "linear", "lstm", "gru", "rnn")
REFERENCE_MODEL = "arima"  # ARIMA(1,0,1) with a constant: conf/models/arima.yaml
COLUMNS = ["name", "per", "median_s", "min_s", "max_s", "spread", "ratio", "reference", "n"]


@dataclass(frozen=True)
class Settings:
    """What to measure and how often; the defaults keep ``make perf`` under ~3 min on 2 cores."""

    repeats: int = 3
    models: tuple[str, ...] = MODELS
    model_folds: int = 3  # folds per timed backtest, per model
    runner_folds: int = 500  # naive folds: enough to lift a millisecond loop above timer noise
    refit_models: tuple[str, ...] = ("arima", "lstm")
    refit_folds: int = 20
    refit_every: int = 5
    blas_folds: int = 6  # ARIMA folds per BLAS child process
    blas_jobs: tuple[int, ...] = (1, 2)  # concurrent children: 2 = the n_jobs=-1 case on 2 cores
    suite: bool = False
    overrides: tuple[str, ...] = ()


QUICK = Settings(repeats=1, model_folds=1, runner_folds=100, refit_folds=10, blas_folds=3, blas_jobs=(1,))


@dataclass(frozen=True)
class Timing:
    """Seconds of one measured thing, one entry per repeat, and the row it is a ratio to."""

    name: str
    per: str
    seconds: tuple[float, ...]
    reference: str


def compose(overrides: Sequence[str]) -> DictConfig:
    """The project's config as the CLI composes it, one process (workers would share the cores)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=["n_jobs=1", *overrides])


def setup(models: Sequence[str], folds: int, extra: Sequence[str]) -> tuple[Prepared, dict[str, ModelRun]]:
    """The fixed 1000-point S&P 500 series with ``folds`` origins and the models built from YAML."""
    cfg = compose(
        ["datasets=[sp500]", "datasets.sp500.tail=1000", f"models=[{','.join(models)}]", "seeds=[0]"]
        + [f"split.folds={folds}", *extra]
    )
    (p,) = prepare(cfg)
    return p, {r.name: r for r in model_runs(cfg, [p])}


def run_loop(p: Prepared, run: ModelRun, refit_every: int | None = None, folds: int | None = None) -> float:
    """Seconds for the runner's fold loop; failures raise so a broken model never looks fast."""
    splits = p.splits if folds is None else p.splits[:folds]
    start = time.perf_counter()
    backtest(
        p.dataset.y.to_numpy(),
        splits,
        run.make(p.dataset),
        partial(build_pipeline, **p.transform),
        horizon=p.spec.horizon,
        refit_every=refit_every or p.spec.refit_every,
        on_error="raise",
    )
    return time.perf_counter() - start


def bare_loop(p: Prepared, run: ModelRun) -> float:
    """The same model on the same slices without the harness (valid for raw-series models only)."""
    y, make, h = p.dataset.y.to_numpy(), run.make(p.dataset), p.spec.horizon
    start = time.perf_counter()
    for s in p.splits:
        make().fit(y[s.train]).predict(h)
    return time.perf_counter() - start


def interleave(cases: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Run every case once per repeat, in turn, so drift during the run hits all of them alike."""
    out: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, case in cases.items():
            out[name].append(case())
    return out


def runner_overhead(s: Settings) -> list[Timing]:
    p, runs = setup(["naive"], s.runner_folds, s.overrides)
    n = len(p.splits)
    # Millisecond loops: five times the repeats cost nothing and steady the medians.
    t = interleave({"bare": lambda: bare_loop(p, runs["naive"]), "runner": lambda: run_loop(p, runs["naive"])},
                   5 * s.repeats)  # fmt: skip
    bare, runner = np.array(t["bare"]) / n, np.array(t["runner"]) / n
    return [
        Timing("runner.bare_loop", "fold", tuple(bare), "runner.bare_loop"),
        Timing("runner.backtest", "fold", tuple(runner), "runner.bare_loop"),
        # What the harness adds to one fold, as a share of the cheapest real model's fold.
        Timing("runner.overhead", "fold", tuple(runner - bare), f"fold.{REFERENCE_MODEL}"),
    ]


def model_costs(s: Settings) -> list[Timing]:
    models = list(dict.fromkeys([REFERENCE_MODEL, *s.models]))
    p, runs = setup(models, s.model_folds, s.overrides)
    for m in models:  # warm-up: lazy imports, torch kernel set-up and caches are not a fold's cost
        run_loop(p, runs[m], folds=1)
    n = len(p.splits)
    t = interleave({m: partial(run_loop, p, runs[m]) for m in models}, s.repeats)
    ref = f"fold.{REFERENCE_MODEL}"
    return [Timing(f"fold.{m}", "fold", tuple(x / n for x in t[m]), ref) for m in models]


def refit_savings(s: Settings) -> list[Timing]:
    p, runs = setup(s.refit_models, s.refit_folds, s.overrides)
    cases = {}
    for m in s.refit_models:
        for k in (1, s.refit_every):
            cases[f"refit.{m}.every{k}"] = partial(run_loop, p, runs[m], refit_every=k)
    t = interleave(cases, s.repeats)
    per = f"{len(p.splits)} folds"
    return [Timing(name, per, tuple(x), name.rsplit(".", 1)[0] + ".every1") for name, x in t.items()]


def blas_threads(s: Settings) -> tuple[list[Timing], list[str]]:
    """One ARIMA loop in child processes with 1 vs 2 OpenBLAS threads, alone and ``jobs`` at once."""
    cases = {(j, k): partial(blas_batch, j, k, s) for j in s.blas_jobs for k in (1, 2)}
    pools: dict[int, str] = {}
    seconds: dict[tuple[int, int], list[float]] = {c: [] for c in cases}
    for _ in range(s.repeats):
        for (j, k), case in cases.items():
            secs, pools[k] = case()
            seconds[(j, k)].append(secs)
    out = []
    for (j, k), x in seconds.items():
        tag = "" if j == 1 else f"{j}jobs."
        out.append(Timing(f"blas.arima.{tag}threads{k}", f"{s.blas_folds} folds", tuple(x),
                          f"blas.arima.{tag}threads1"))  # fmt: skip
    return out, [f"BLAS in children with OPENBLAS_NUM_THREADS={k}: {v}" for k, v in sorted(pools.items())]


def blas_batch(jobs: int, threads: int, s: Settings) -> tuple[float, str]:
    """Start ``jobs`` children, release them together once all are imported and warmed up, and
    return the slowest child's loop time (the batch's wall time) with the BLAS pools it saw."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", "bench.perf", "--blas-child", str(s.blas_folds), *s.overrides]
    errs = [tempfile.TemporaryFile() for _ in range(jobs)]
    procs = [subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=e, text=True)
             for e in errs]  # fmt: skip
    for proc in procs:  # each prints "ready" after its warm-up fold
        proc.stdout.readline()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = []
    for proc, err in zip(procs, errs, strict=True):
        out, _ = proc.communicate()
        err.seek(0)
        if proc.returncode != 0:
            tail = err.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"BLAS child failed ({proc.returncode}):\n{tail}")
        err.close()
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return max(r["seconds"] for r in reports), reports[0]["pools"]


def blas_child(folds: int, overrides: Sequence[str]) -> None:
    """Child side of ``blas_batch``: warm up, say ready, wait for "go", time the ARIMA loop."""
    p, runs = setup([REFERENCE_MODEL], folds, overrides)
    run_loop(p, runs[REFERENCE_MODEL], folds=1)
    print("ready", flush=True)
    sys.stdin.readline()
    secs = run_loop(p, runs[REFERENCE_MODEL])
    print(json.dumps({"seconds": secs, "pools": describe_pools()}), flush=True)


def describe_pools() -> str:
    from threadpoolctl import threadpool_info  # a scikit-learn dependency, so always installed

    pools = [
        f"{i['internal_api']} ({Path(i['filepath']).name}) × {i['num_threads']}" for i in threadpool_info()
    ]
    return ", ".join(pools) or "none loaded"


def suite_wall(s: Settings) -> list[Timing]:
    """End to end ``python -m bench.run`` (default config) vs the same suite with only naive."""
    variants = {"suite.default": [], "suite.naive_only": ["models=[naive]"]}

    def once(extra: list[str]) -> float:
        with tempfile.TemporaryDirectory(prefix="lagbench-perf-") as tmp:
            cmd = [sys.executable, "-m", "bench.run", f"hydra.run.dir={tmp}/run", *extra]
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
            secs = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
        return secs

    t = interleave({name: partial(once, extra) for name, extra in variants.items()}, s.repeats)
    return [Timing(name, "run", tuple(x), "suite.naive_only") for name, x in t.items()]


def measure(s: Settings, log: Callable[[str], None] = lambda _: None) -> tuple[pd.DataFrame, list[str]]:
    """Run every section; return the table and notes on the threads in use."""
    if s.repeats < 1 or REFERENCE_MODEL not in s.models:
        raise ValueError(f"need repeats >= 1 and {REFERENCE_MODEL!r} among the models (the reference)")
    timings: list[Timing] = []
    sections = [("runner overhead", runner_overhead), ("model cost per fold", model_costs),
                ("refit_every", refit_savings)] + ([("suite", suite_wall)] if s.suite else [])  # fmt: skip
    for label, section in sections:
        log(f"perf: {label} …")
        timings += section(s)
    log("perf: BLAS threads …")
    blas, notes = blas_threads(s)
    return table(timings + blas), [describe_env(), *notes]


def describe_env() -> str:
    import torch

    keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    env = " ".join(f"{k}={os.environ.get(k, 'unset')}" for k in keys)
    return f"{os.cpu_count()} CPUs; {env}; torch threads {torch.get_num_threads()}; BLAS {describe_pools()}"


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
    head = f"{'name':<28} {'per':<9} {'median s':>10} {'min':>10} {'max':>10} {'max/min':>8} {'ratio':>9}  reference"
    lines = [head, "-" * len(head)]
    for r in df.itertuples(index=False):
        lines.append(
            f"{r.name:<28} {r.per:<9} {r.median_s:>10.4g} {r.min_s:>10.4g} {r.max_s:>10.4g} "
            f"{r.spread:>8.3g} {r.ratio:>9.3g}  {r.reference}"
        )
    return "\n".join(lines)


def write_table(df: pd.DataFrame, notes: list[str], s: Settings, path: Path) -> Path:
    """CSV, or JSON (rows, notes and settings) when ``path`` ends in .json; written atomically."""
    if Path(path).suffix == ".json":
        doc = {"rows": df.to_dict(orient="records"), "notes": notes, "settings": asdict(s)}
        return write_text(json.dumps(doc, indent=2, ensure_ascii=False), path)
    return write_csv(df, path)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run (~20 s): one repeat, few folds")
    ap.add_argument("--repeats", type=int, help="repeats per measurement (default 3, quick 1)")
    ap.add_argument("--suite", action="store_true", help="also time the default suite end to end (minutes)")
    ap.add_argument("--out", type=Path, help="also write the table to this .csv or .json file")
    ap.add_argument("--blas-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("overrides", nargs="*", help="hydra overrides for the composed configs")
    a = ap.parse_args(argv)
    if a.blas_child is not None:
        return blas_child(a.blas_child, a.overrides)
    s = replace(QUICK if a.quick else Settings(), suite=a.suite, overrides=tuple(a.overrides))
    if a.repeats is not None:
        s = replace(s, repeats=a.repeats)
    start = time.perf_counter()
    df, notes = measure(s, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(format_table(df))
    for note in notes:
        print(f"# {note}")
    print(
        f"# {s.repeats} repeat(s), interleaved; ratio = median / reference median; total {time.perf_counter() - start:.0f} s"
    )
    if a.out:
        print(f"# written: {write_table(df, notes, s, a.out)}")


if __name__ == "__main__":
    main()
