"""One markdown page per experiment (setup side by side, the source's numbers beside lagbench's,
every run's table and report linked, deviations, verdict) and the summary table."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from bench.reproduce.monash import N_SERIES, grid
from bench.reproduce.outcome import Outcome, fmt
from bench.reproduce.verdicts import SummaryRow

COLLECTION = [
    "n_series",
    "smape_mean",
    "mase_mean",
    "avg_rel_mse",
    "mean_rank",
    "share_dm_beats",
    "share_lagging",
]
SERIES = ["mse", "mae", "rel_mse", "dm_pvalue", "verdict", "lagging", "best_shift"]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def _cell(v: object) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e6:
        return str(int(v))
    if isinstance(v, float):
        return fmt(v, 4 if abs(v) < 10 else 2)
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def metrics_table(m: pd.DataFrame) -> list[str]:
    if m.empty:
        return ["(no rows)"]
    collection = (m["kind"] == "collection").any()
    cols = [c for c in (COLLECTION if collection else SERIES) if c in m.columns]
    lead = ["model"] if m["dataset"].nunique() == 1 else ["dataset", "model"]
    rows = [[*(str(r[c]) for c in lead), *(_cell(r[c]) for c in cols)] for _, r in m.iterrows()]
    return _table([*lead, *cols], rows)


def claims_table(o: Outcome) -> list[str]:
    rows = []
    for c in o.experiment.claims:
        got = o.claim_value(c)
        diff = got - c.value if math.isfinite(got) else math.nan
        goal = "" if c.tol is None else (f"±{c.tol:g}: " + ("met" if abs(diff) <= c.tol else "missed"))
        if c.tol is not None and not math.isfinite(diff):
            goal = f"±{c.tol:g}: not run"
        rows.append(
            [c.where, c.source_model, f"`{c.model}`", c.metric, repr(c.value), _cell(got), _cell(diff), goal]
        )
    header = ["where", "source model", "lagbench model", "metric", "source", "lagbench", "Δ", "goal"]
    return _table(header, rows) if rows else ["The source publishes no numbers for this experiment."]


def leaky_section(o: Outcome) -> list[str]:
    if not o.leaky:
        return []
    rows = [
        [
            str(r.seed),
            fmt(r.allmse, 2),
            fmt(r.test_mse_path, 2),
            fmt(r.test_mse_anchored, 2),
            fmt(r.persistence_test_mse, 2),
        ]
        for r in o.leaky
    ]
    return [
        "## The article's own protocol (leaky, labelled)",
        "",
        "Run by `bench/reproduce/sales_article.py`, never by the benchmark: differences scaled by the "
        "maximum of the "
        "whole differenced series (test months included), one running sum of predicted differences, MSE over "
        "in-sample and test points together (ALLMSE). The last three columns are the same net's 10 test "
        "months.",
        "",
        *_table(
            [
                "seed",
                "ALLMSE (article's score)",
                "test MSE, running-sum path",
                "test MSE, re-anchored",
                "persistence test MSE",
            ],
            rows,
        ),
        "",
    ]


def sampled(r) -> int:
    """The k of a run made on every k-th series (its ``ids`` override), 1 for a whole collection."""
    ids = [o for o in r.overrides if ".ids=[" in o]
    if not ids:
        return 1
    n = len(ids[0].split("=", 1)[1].strip("[]").split(","))
    total = {"m3_monthly_makridakis": 1045, **N_SERIES}.get(ids[0].split(".")[1], n)
    return max(1, round(total / n))


def run_section(o: Outcome, out_dir: Path) -> list[str]:
    lines = ["## lagbench runs", ""]
    for p in o.experiment.protocols:
        r = o.runs.get(p.config)
        lines += [
            f"### {p.label}",
            "",
            "`"
            + " ".join(["python -m bench.run", f"+experiment={p.config}", *(p.quick if o.quick else ())])
            + "`",
            "",
        ]
        if r is None:
            lines += ["Not run.", ""]
            continue
        k = sampled(r)
        if k > 1 and not o.quick:
            n = int(r.metrics["n_series"].max()) if "n_series" in r.metrics else 0
            why = p.why if k == p.every else f"`python -m bench.reproduce --every {k}`"
            lines += [f"A systematic sample: one series in {k} ({n} series): {why}.", ""]
        rel = Path(os.path.relpath(r.run_dir, out_dir))
        lines += [
            f"Wall time {r.seconds:.0f} s. Full report: "
            f"[{rel / 'report.md'}]({rel / 'report.md'}); "
            f"plots: [{rel / 'plots'}/]({rel / 'plots'}/).",
            "",
            *metrics_table(r.metrics),
            "",
        ]
    return lines


# Experiments whose numbers read best as their own table (instead of the list of claims).
TABLES: dict[str, Callable[[Outcome], list[str]]] = {"monash": grid}


def page(o: Outcome, row: SummaryRow, out_dir: Path) -> str:
    e = o.experiment
    lines = [f"# {e.title}", "", f"Source: {e.source}.", "", f"Claim: {e.claim}", ""]
    if o.quick:
        lines += [
            (
                "> **QUICK run** (`--quick`): a small subset with short training; the numbers are not "
                "the reproduction."
            ),
            "",
        ]
    lines += [
        "## Setup: source vs lagbench",
        "",
        *_table(["aspect", "source", "lagbench"], [list(s) for s in e.setup]),
        "",
    ]
    if e.name in TABLES:
        lines += TABLES[e.name](o)
    else:
        lines += ["## The source's numbers (quoted from SOURCES.md) and lagbench's", "", *claims_table(o), ""]
    lines += leaky_section(o) + run_section(o, out_dir)
    lines += ["## Deviations", "", *(f"- {d}" for d in (*e.deviations, *o.notes)), ""]
    lines += ["## Verdict", "", row.verdict, ""]
    return "\n".join(lines)


def summary(rows: list[tuple[str, SummaryRow]], quick: bool) -> str:
    lines = ["# Reproductions of the published comparisons", ""]
    if quick:
        lines += ["> **QUICK run**: small subsets, short training — a smoke test, not the reproduction.", ""]
    body = [
        [f"[{n}]({n}.md)", r.source, r.under_source, r.under_honest, r.yardstick, r.verdict] for n, r in rows
    ]
    header = [
        "experiment",
        "source claim and numbers",
        "lagbench, source protocol",
        "lagbench, honest protocol",
        "persistence / Naive 2",
        "verdict",
    ]
    return "\n".join([*lines, *_table(header, body), ""])
