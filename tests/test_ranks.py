"""Mean ranks, Friedman and Nemenyi against Demšar (2006) and hand-worked blocks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench.scoring import ranks as rk

# Demšar (2006), Table 5: critical values of the two-tailed Nemenyi test, k = 2..10.
DEMSAR_Q05 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
DEMSAR_Q10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920]


@pytest.mark.parametrize("k", range(2, 11))
def test_nemenyi_q_matches_demsar_table_5(k: int) -> None:
    assert rk.nemenyi_q(k, 0.05) == pytest.approx(DEMSAR_Q05[k - 2], abs=1e-3)
    assert rk.nemenyi_q(k, 0.10) == pytest.approx(DEMSAR_Q10[k - 2], abs=1e-3)


def test_nemenyi_cd_formula() -> None:
    # Demšar's worked example: k = 4 methods, N = 14 data sets → CD = 2.569 · √(20/84) ≈ 1.25
    assert rk.nemenyi_cd(4, 14, 0.05) == pytest.approx(1.25, abs=5e-3)
    assert rk.nemenyi_cd(4, 14) == pytest.approx(rk.nemenyi_q(4) * math.sqrt(4 * 5 / (6 * 14)))
    assert math.isnan(rk.nemenyi_cd(4, 0)) and math.isnan(rk.nemenyi_cd(1, 10))


def test_bad_alpha_and_k_are_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        rk.nemenyi_q(4, 1.5)
    with pytest.raises(ValueError, match="at least 2"):
        rk.nemenyi_q(1)


def test_block_ranks_average_ties_and_refuse_gaps() -> None:
    block = pd.DataFrame({"a": [1.0, 5.0], "b": [2.0, 5.0], "c": [3.0, 4.0]})
    r = rk.block_ranks(block)
    np.testing.assert_allclose(r.to_numpy(), [[1, 2, 3], [2.5, 2.5, 1]])
    with pytest.raises(ValueError, match="complete block"):
        rk.block_ranks(block.where(block > 1))


def test_friedman_pvalue_is_scipys_and_nan_when_undefined() -> None:
    rng = np.random.default_rng(3)
    block = pd.DataFrame(rng.normal(size=(12, 4)) + [0.0, 0.5, 1.0, 1.5], columns=list("abcd"))
    expected = stats.friedmanchisquare(*block.to_numpy().T).pvalue
    assert rk.friedman_pvalue(block) == pytest.approx(expected)
    assert math.isnan(rk.friedman_pvalue(block[["a", "b"]]))  # k = 2
    assert math.isnan(rk.friedman_pvalue(block.iloc[:1]))  # one series
    assert math.isnan(rk.friedman_pvalue(pd.DataFrame(np.ones((5, 3)))))  # all ties
    # a method last on every series is detected
    clear = pd.DataFrame({"a": range(20), "b": np.arange(20) + 1.0, "c": np.arange(20) + 2.0})
    assert rk.friedman_pvalue(clear) < 1e-6


def test_cliques_join_models_closer_than_cd() -> None:
    ranks = {"a": 1.0, "b": 1.5, "c": 2.4, "d": 3.9, "e": 4.0}
    assert rk.cliques(ranks, 1.0) == [("a", "b"), ("b", "c"), ("d", "e")]
    # exactly CD apart is a significant difference: not joined
    assert rk.cliques({"a": 1.0, "b": 2.0}, 1.0) == []
    assert rk.cliques(ranks, 10.0) == [("a", "b", "c", "d", "e")]
    assert rk.cliques(ranks, float("nan")) == []
