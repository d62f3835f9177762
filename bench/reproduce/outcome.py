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
        return self.value(c.config, c.model, c.metric)


def fmt(x: float, digits: int = 3) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"
