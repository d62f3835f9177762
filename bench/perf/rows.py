"""The ``make perf`` scoreboard: one row per workload, lagbench against a reference timed in the same run.

Each workload module (ARIMA, GARCH, neural refits, …) returns :class:`ScoreRow` records; the table
and ``results/perf.md`` are rendered from them. A goal is a ratio bound plus an accuracy bound, so
"faster" never hides "worse".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class ScoreRow:
    """One workload: seconds of the reference and of lagbench, and their accuracy on the same origins.

    ``speedup`` = ref_seconds / lagbench_seconds. ``accuracy_diff`` is the relative difference of
    lagbench's accuracy metric to the reference's (0.01 = 1 % worse for a lower-is-better metric).
    ``goal`` states the bound in words; ``met`` says whether both bounds held in this run.
    """

    workload: str
    reference: str
    ref_seconds: float
    lagbench_seconds: float
    metric: str
    ref_accuracy: float
    lagbench_accuracy: float
    goal: str
    met: bool
    note: str = ""

    @property
    def speedup(self) -> float:
        return self.ref_seconds / self.lagbench_seconds if self.lagbench_seconds > 0 else float("nan")

    @property
    def accuracy_diff(self) -> float:
        ref = self.ref_accuracy
        return (self.lagbench_accuracy - ref) / abs(ref) if ref else float("nan")


def frame(rows: list[ScoreRow]) -> pd.DataFrame:
    """The scoreboard as a table (one row per workload, derived columns included)."""
    return pd.DataFrame([{**asdict(r), "speedup": r.speedup, "accuracy_diff": r.accuracy_diff} for r in rows])


def markdown(rows: list[ScoreRow]) -> str:
    """The scoreboard as a markdown table (``results/perf.md``)."""
    head = "| workload | reference | ref s | lagbench s | speedup | metric | accuracy diff | goal | met |"
    out = [head, "|---|---|---:|---:|---:|---|---:|---|---|"]
    for r in rows:
        out.append(
            f"| {r.workload} | {r.reference} | {r.ref_seconds:.3g} | {r.lagbench_seconds:.3g} | "
            f"{r.speedup:.3g}× | {r.metric} | {100 * r.accuracy_diff:+.2f} % | {r.goal} | "
            f"{'yes' if r.met else '**no**'} |"
        )
    return "\n".join(out)
