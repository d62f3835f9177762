"""What an experiment produced: its runs' metrics (and the sales article's leaky runs), looked up by
config, model and metric — the one place the pages read numbers from."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.reproduce.execute import RunResult
from bench.reproduce.sales_article import LeakyResult
from bench.reproduce.spec import Claim, Experiment

LEAKY = "sales_article"


@dataclass(frozen=True)
class Outcome:
    experiment: Experiment
    runs: dict[str, RunResult]
    leaky: tuple[LeakyResult, ...] = ()
    quick: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    # metrics_by_series.csv per config, read once: the verdicts look it up for every model.
    _by_series: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    def rows(self, config: str, dataset: str | None = None) -> pd.DataFrame:
        """metrics.csv rows of one config (one dataset of it, if given)."""
        m = self.runs[config].metrics if config in self.runs else pd.DataFrame(columns=["dataset", "model"])
        return m if dataset is None else m[m["dataset"] == dataset]

    def value(self, config: str, model: str, metric: str, dataset: str | None = None) -> float:
        """A model's score: the across-series mean for a collection, the series' value otherwise."""
        if config == LEAKY:
            if metric == "allmse" and model == "lstm_sales" and self.leaky:
                return float(np.mean([r.allmse for r in self.leaky]))
            return math.nan
        m = self.rows(config, dataset)
        m = m[m["model"] == model]
        if m.empty:
            return math.nan
        col = (
            f"{metric}_mean"
            if f"{metric}_mean" in m.columns and m["kind"].iloc[0] == "collection"
            else metric
        )
        v = pd.to_numeric(m[col], errors="coerce") if col in m.columns else pd.Series([math.nan])
        return float(v.iloc[0])

    def claim_value(self, c: Claim) -> float:
        return self.value(c.config, c.model, c.metric, c.dataset)

    def by_series(self, config: str) -> pd.DataFrame:
        """metrics_by_series.csv of a collection run (empty when the config was not run)."""
        if config not in self._by_series:
            r = self.runs.get(config)
            path = None if r is None else r.run_dir / "metrics_by_series.csv"
            found = path is not None and path.is_file()
            self._by_series[config] = (
                pd.read_csv(path) if found else pd.DataFrame(columns=["unique_id", "model"])
            )
        return self._by_series[config]

    def ids(self, config: str) -> frozenset[str]:
        """The series a collection run scored."""
        return frozenset(self.by_series(config)["unique_id"].astype(str))

    def value_on(self, config: str, model: str, metric: str, ids: frozenset[str]) -> float:
        """A model's mean over the series ``ids`` only: comparing a sampled run with a whole one
        on the same series (a sample's mean is not the collection's)."""
        m = self.by_series(config)
        m = m[(m["model"] == model) & m["unique_id"].astype(str).isin(ids)]
        if m.empty or metric not in m.columns or m["unique_id"].nunique() < len(ids):
            return math.nan
        return float(pd.to_numeric(m[metric], errors="coerce").mean())


def fmt(x: float, digits: int = 3) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"
