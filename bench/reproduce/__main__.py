"""``python -m bench.reproduce [--quick] [--only NAME ...]``: run every reproduction, write the pages.

Each experiment's configs run one after the other through ``bench.benchmark`` (one at a time: the
machine is shared); pages go to ``<out>/<experiment>.md`` and ``<out>/summary.md``, the runs to
``<out>/runs/<config>/``. ``--quick`` (or ``QUICK=1``) runs a small subset of each config
(``Protocol.quick``) into ``results/reproduce-quick`` unless ``--out`` says otherwise.

The task cache stays on (``cache=true``): a config reads a task an earlier one finished when the task
key is equal, e.g. the levels models (Naive 2, SES, Theta, ETS) of m3_makridakis_honest, which differ
from m3_makridakis_source's only in the shared transform they never see. ``cache=false`` refits them;
time a cold run with an empty ``cache_dir=<new dir>`` instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench.reproduce.execute import read_back, run_config
from bench.reproduce.experiments import EXPERIMENTS
from bench.reproduce.outcome import Outcome
from bench.reproduce.pages import page, summary
from bench.reproduce.verdicts import SUMMARIES
from bench.store import write_text

QUICK_LEAKY = {"epochs": 20}
LEAKY_SEEDS = (369, 0, 1)


def leaky_runs(quick: bool, jobs_overrides: tuple[str, ...]) -> tuple:
    """The sales article's own protocol (bench/reproduce/sales_article.py), on the shipped series."""
    from bench.data.shipped import sales
    from bench.reproduce.execute import experiment_settings
    from bench.reproduce.sales_article import leaky_run

    s = experiment_settings("sales_lstm_vs_arima_honest", jobs_overrides)
    model = s.model("lstm_sales")
    y = sales().y.to_numpy()
    seeds = LEAKY_SEEDS[:1] if quick else LEAKY_SEEDS
    return tuple(leaky_run(y, model, seed, **(QUICK_LEAKY if quick else {})) for seed in seeds)


def run_experiment(
    name: str,
    out: Path,
    quick: bool,
    common: tuple[str, ...],
    tata: str | None = None,
    configs: set[str] | None = None,
    reuse: bool = False,
    every: int = 1,
    full: bool = False,
) -> Outcome:
    """Run the experiment's configs (only ``configs`` if given, the others read back if finished);
    with ``reuse`` a config finished by an earlier invocation is read back instead of run again."""
    e = EXPERIMENTS[name]
    runs = {}
    for p in e.protocols:
        skip = bool(configs) and p.config not in configs
        done = read_back(out / "runs" / p.config) if reuse or skip else None
        if done is not None:
            runs[p.config] = done
        if done is not None or skip:
            continue
        where = (f"datasets.tata.path={tata}",) if tata and p.config.startswith("stock_") else ()
        overrides = (*common, *where, *(p.quick if quick else ()))
        k = every if full else max(p.every, every)
        if k > 1 and not quick:
            overrides = (*overrides, *sample(p.config, overrides, k))
        print(f"[reproduce] {name}: {p.config} {' '.join(overrides)}", flush=True)
        runs[p.config] = run_config(p.config, out / "runs" / p.config, overrides)
    leaky = ()
    if name == "sales_lstm_vs_arima" and (not configs or "sales_article" in configs):
        leaky = leaky_runs(quick, common)
    notes = []
    for r in runs.values():
        if (r.metrics["dataset"] == "tata").any() and _fallback(r.run_dir):
            notes.append(
                "The TATA files were not found: the S&P 500 stood in (see the run's report); the "
                "tutorial's numbers do not apply to it."
            )
    return Outcome(e, runs, leaky, quick, tuple(notes))


def sample(config: str, overrides: tuple[str, ...], every: int) -> tuple[str, ...]:
    """``ids`` overrides keeping every ``every``-th series of each collection (package order, so each
    M3 category keeps its share)."""
    from bench.engine.prepare import load
    from bench.reproduce.execute import experiment_settings
    from bench.types import Collection

    out = []
    for ds in experiment_settings(config, overrides).datasets:
        coll = load(ds)
        if isinstance(coll, Collection):
            out.append(f"datasets.{ds.name}.ids=[{','.join(coll.ids[::every])}]")
    return tuple(out)


def _fallback(run_dir: Path) -> bool:
    return "TATA files not found" in (run_dir / "run.json").read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1")
    ap.add_argument("--only", nargs="+", choices=sorted(EXPERIMENTS), default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument(
        "--jobs", type=int, default=-1, help="worker processes per run (n_jobs; default -1: every core)"
    )
    ap.add_argument(
        "--tata",
        default=None,
        help="directory of the TATA files (default: ../shared/data/tata from the repo root)",
    )
    ap.add_argument("--every", type=int, default=1, help="full runs: every k-th series of each collection")
    ap.add_argument(
        "--full",
        action="store_true",
        help="whole collections: ignore each config's sample (--every still applies)",
    )
    ap.add_argument("--configs", nargs="+", default=None, help="run only these configs (others: read back)")
    ap.add_argument(
        "--reuse", action="store_true", help="read back configs finished by an earlier invocation"
    )
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run, e.g. cache=false")
    args = ap.parse_args(argv)
    out = args.out or Path("results") / ("reproduce-quick" if args.quick else "reproduce")
    common = (f"n_jobs={args.jobs}", *args.overrides)
    names = args.only or list(EXPERIMENTS)
    rows = []
    for name in names:
        configs = set(args.configs) if args.configs else None
        o = run_experiment(
            name, out, args.quick, common, args.tata, configs, args.reuse, args.every, args.full
        )
        row = SUMMARIES[name](o)
        write_text(page(o, row, out), out / f"{name}.md")
        rows.append((name, row))
        print(f"[reproduce] {name}: {row.verdict}", flush=True)
    if args.only is None or len(names) > 1:
        write_text(summary(rows, args.quick), out / "summary.md")
    print(f"[reproduce] pages in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
