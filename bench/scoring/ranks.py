"""Ranks across series: mean ranks, the Friedman test and the Nemenyi critical difference.

The M-competition papers and Demšar (2006, JMLR 7) compare k forecasting methods over N series by
ranking the methods on each series and averaging the ranks. Friedman tests whether the mean ranks
differ at all; the Nemenyi critical difference CD = q_α·√(k(k+1)/(6N)) says which pairs differ
(two methods whose mean ranks differ by less than CD are not significantly different). Pure
functions over a complete block: one row per series, one column per method, lower is better.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats


def check_alpha(alpha: float) -> float:
    """alpha as a float, or a ValueError naming it when it is not a level in (0, 1)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha = {alpha!r} is not allowed; use a level strictly between 0 and 1")
    return float(alpha)


def block_ranks(block: pd.DataFrame) -> pd.DataFrame:
    """Rank the methods (columns) on every series (row), 1 = lowest value, ties get the average rank.

    The block must be complete (every method has a value on every series): a rank among a subset
    of the methods is not comparable with a rank among all of them.
    """
    if block.isna().to_numpy().any():
        raise ValueError("block_ranks needs a complete block; drop the series where a method has no value")
    return block.rank(axis=1, method="average")


def friedman_pvalue(block: pd.DataFrame) -> float:
    """p-value of the Friedman test (scipy, ties corrected) that all methods have equal mean rank.

    NaN with fewer than 3 methods (the test is defined for k ≥ 3; scipy refuses k = 2), fewer than
    2 series, or when every series is a complete tie (nothing to rank).
    """
    k, n = block.shape[1], block.shape[0]
    if k < 3 or n < 2:
        return float("nan")
    values = block.to_numpy(float)
    if np.all(values == values[:, :1]):
        return float("nan")
    return float(stats.friedmanchisquare(*values.T).pvalue)


@functools.lru_cache(maxsize=64)
def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Critical value q_α of the Nemenyi test: the studentized range quantile over √2 (Demšar, Table 5).

    E.g. α = 0.05: k = 4 → 2.569, k = 5 → 2.728.
    """
    if k < 2:
        raise ValueError(f"k = {k!r} methods is not allowed for the Nemenyi test; it needs at least 2")
    alpha = check_alpha(alpha)
    return float(stats.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def nemenyi_cd(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of mean ranks, q_α·√(k(k+1)/(6N)); NaN with no series or k < 2."""
    if n < 1 or k < 2:
        return float("nan")
    return nemenyi_q(int(k), float(alpha)) * math.sqrt(k * (k + 1) / (6.0 * n))


def cliques(ranks: Mapping[str, float], cd: float) -> list[tuple[str, ...]]:
    """Maximal groups of methods whose mean ranks all lie within less than ``cd`` of each other.

    The bars of a critical-difference diagram: methods in one group are not significantly
    different. Methods ordered by rank (ties by name); groups of one are left out, and so is a
    group contained in a longer one. No groups when cd is not a positive finite number.
    """
    if not (np.isfinite(cd) and cd > 0):
        return []
    items = sorted(((float(r), str(m)) for m, r in ranks.items() if np.isfinite(r)))
    out: list[tuple[str, ...]] = []
    last_end = -1
    for i, (ri, _) in enumerate(items):
        j = i
        while j + 1 < len(items) and items[j + 1][0] - ri < cd:
            j += 1
        if j > i and j > last_end:
            out.append(tuple(m for _, m in items[i : j + 1]))
            last_end = j
    return out
