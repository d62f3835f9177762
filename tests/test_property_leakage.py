"""No leakage, as a property: rewrite the data strictly after an origin and nothing forecast at or
before that origin may change — for every model YAML, random series, transforms and schedules.

Hypothesis draws the series (random walk, AR(1), seasonal), the window, the differencing orders
(incl. ``auto``), Box-Cox/log, the scaler, the split kind, horizon 1–3, refit_every 1–5 and warm
starts; the real model classes are built from ``conf/models/*.yaml`` (nets with FAST_NEURAL).
Examples are derandomised (the same ones on every run) and few per model, to keep the file short.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest
from hydra.utils import instantiate
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bench.engine import conformal
from bench.engine.records import forecast_frame
from bench.engine.runner import FoldResult, backtest, backtest_many
from bench.models.global_recurrent import GlobalRecurrent
from bench.prep.splits import required_length, rolling_origin
from bench.prep.transforms import build_pipeline
from bench.settings import SplitSettings
from bench.types import Dataset

from conftest import FAST_NEURAL, compose, model_names

PERIOD, MIN_TRAIN = 4, 40
LEAK = hsettings(
    max_examples=4, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip


@functools.cache
def model_node(name: str):
    node = compose([f"models=[{name}]", "datasets=[]", "debug=fast"]).models[name]
    if "period" in node and node.period is None:  # the suite passes the dataset's period
        node.period = PERIOD
    return node


def factory(name: str, window: int):
    node = model_node(name).copy()
    if "window" in node:
        node.window = window
    return instantiate(node)


def series(kind: str, seed: int, n: int) -> np.ndarray:
    """A positive series (so log/Box-Cox apply) of the drawn kind."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0, 1, n)
    if kind == "walk":
        x = np.cumsum(e)
    elif kind == "ar":
        x = np.zeros(n)
        for t in range(1, n):
            x[t] = 0.7 * x[t - 1] + e[t]
    else:
        x = 5 * np.sin(2 * np.pi * np.arange(n) / PERIOD) + 0.15 * np.cumsum(e) + e
    return x - x.min() + 10.0


@dataclass(frozen=True)
class Case:
    kind: str
    seed: int
    window: int
    pipeline: dict
    spec: SplitSettings
    warm_start: bool
    cut_fold: int
    rewrite: tuple[float, float]


@st.composite
def cases(draw) -> Case:
    positive = draw(st.sampled_from([None, "log", "guerrero"]))
    pipeline = dict(
        diff=draw(st.sampled_from([0, 1, 2, "auto"])),
        seasonal_diff=draw(st.sampled_from([0, 1, "auto"])),
        scale=draw(st.sampled_from(["standard", "minmax", "robust", "none"])),
        log=positive == "log",
        boxcox="guerrero" if positive == "guerrero" else False,
        deseasonalize=draw(st.booleans()),
        period=PERIOD,
    )
    kind = draw(st.sampled_from(["expanding", "sliding"]))
    folds = draw(st.integers(3, 5))
    spec = SplitSettings(
        folds=folds, horizon=draw(st.integers(1, 3)), step=draw(st.integers(1, 2)), kind=kind,
        train_size=MIN_TRAIN + draw(st.integers(0, 5)) if kind == "sliding" else None,
        refit_every=draw(st.integers(1, 5)),
    )  # fmt: skip
    return Case(
        kind=draw(st.sampled_from(["walk", "ar", "seasonal"])),
        seed=draw(st.integers(0, 2**16)),
        window=draw(st.integers(2, 8)),
        pipeline=pipeline,
        spec=spec,
        warm_start=draw(st.booleans()),
        cut_fold=draw(st.integers(0, folds - 2)),
        rewrite=(draw(st.floats(0.5, 3.0)), draw(st.floats(0.0, 50.0))),
    )


def rewritten(y: np.ndarray, cut: int, rewrite: tuple[float, float], seed: int) -> np.ndarray:
    """``y`` with everything from ``cut`` on replaced (still positive, and surely different)."""
    out = y.copy()
    noise = np.abs(np.random.default_rng(seed + 1).normal(0, 2, len(y) - cut))
    out[cut:] = y[cut:] * rewrite[0] + rewrite[1] + noise + 1.0
    return out


def assert_same(a: FoldResult, b: FoldResult, where: str) -> None:
    assert (a.status, a.error, a.refit) == (b.status, b.error, b.refit), where
    for field in ("y_hat", "y_var", "y_lo", "y_hi"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None), f"{where}: {field}"
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=f"{where}: {field} leaked")
    assert a.info == b.info, f"{where}: fitted choices leaked"
    for field in ("df", "members"):  # the distribution the stored CRPS is computed from
        x, y = (None if r.dist is None else getattr(r.dist, field) for r in (a, b))
        assert (x is None) == (y is None), f"{where}: dist.{field}"
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=f"{where}: dist.{field} leaked")


def n_needed(spec: SplitSettings) -> int:
    return required_length(spec, MIN_TRAIN) + 5


@pytest.mark.parametrize("name", model_names())
@LEAK
@given(case=cases())
def test_rewriting_the_data_after_an_origin_never_moves_a_forecast_made_at_or_before_it(name, case):
    y = series(case.kind, case.seed, n_needed(case.spec))
    splits = list(rolling_origin(len(y), case.spec, min_train=MIN_TRAIN))
    make = factory(name, case.window)

    def run(values: np.ndarray) -> list[FoldResult]:
        return backtest(
            values, splits, make, lambda: build_pipeline(**case.pipeline), case.spec.horizon,
            refit_every=case.spec.refit_every, warm_start=case.warm_start, on_error="record",
        )  # fmt: skip

    cut = splits[case.cut_fold].origin + 1
    before, after = run(y), run(rewritten(y, cut, case.rewrite, case.seed))
    for s, a, b in zip(splits, before, after, strict=True):
        if s.origin < cut:
            assert_same(a, b, f"{name} fold {s.fold} (origin {s.origin}, data rewritten from {cut})")
    assert before[0].status == "ok", f"nothing compared: {before[0].error}"
    later = [(a, b) for s, a, b in zip(splits, before, after, strict=True) if s.origin >= cut]
    # seasonal naive may copy a value from before the cut to every later origin: nothing to see
    assert name == "seasonal_naive" or moved(later), f"{name}: no later origin saw the rewritten data"


def moved(pairs: list[tuple[FoldResult, FoldResult]]) -> bool:
    """Some origin after the cut sees the rewrite (else the comparison above proves nothing); a
    fold that fails on the rewritten data only (e.g. a Box-Cox λ < 0 forecast beyond −1/λ) counts,
    and so does a moved variance (a volatility model holds its mean between refits)."""
    return any(
        a.status != b.status
        or (a.status == "ok" and not (np.array_equal(a.y_hat, b.y_hat) and _same_var(a, b)))
        for a, b in pairs
    )


def _same_var(a: FoldResult, b: FoldResult) -> bool:
    return (a.y_var is None and b.y_var is None) or np.array_equal(a.y_var, b.y_var, equal_nan=True)


@pytest.mark.parametrize("name", ["naive", "linear"])
@LEAK
@given(case=cases())
def test_rewriting_the_data_after_an_origin_never_moves_a_conformal_interval_made_at_or_before_it(name, case):
    """Conformal intervals come from the run's own errors whose targets are known at the origin: the
    recorded rows (fold loop → records → conformal step) at origins before the cut stay identical."""
    spec = replace(case.spec, folds=30)
    y = series(case.kind, case.seed, n_needed(spec))
    splits = list(rolling_origin(len(y), spec, min_train=MIN_TRAIN))
    make = factory(name, case.window)

    def rows(values: np.ndarray) -> pd.DataFrame:
        res = backtest(
            values, splits, make, lambda: build_pipeline(**case.pipeline), spec.horizon,
            refit_every=spec.refit_every, warm_start=case.warm_start, on_error="record",
        )  # fmt: skip
        fc = forecast_frame(Dataset("d", pd.Series(values)), name, 0, res, spec.horizon)
        return conformal.apply(fc, level=0.8, min_errors=9).set_index(["cutoff", "h"])

    cut = splits[15 + case.cut_fold].origin + 1
    before, after = rows(y), rows(rewritten(y, cut, case.rewrite, case.seed))
    early = before.index.get_level_values("cutoff") < cut
    cols = ["y_hat", "y_lo", "y_hi", "y_interval"]
    pd.testing.assert_frame_equal(before.loc[early, cols], after.loc[early, cols])
    assert (before.loc[early, "y_interval"] == "conformal").sum() >= 3, "no conformal interval compared"
    late = ~early & (before["y_interval"] == "conformal")
    assert not np.allclose(before.loc[late, "y_lo"], after.loc[late, "y_lo"]), "no later interval moved"


@LEAK
@given(case=cases(), n_series=st.integers(2, 3), victim=st.integers(0, 2))
def test_global_loop_rewriting_one_series_after_an_origin_moves_no_earlier_forecast(case, n_series, victim):
    """One net over every series: a rewrite of one series' future reaches no earlier forecast of any."""
    n = n_needed(case.spec)
    ys = [series(case.kind, case.seed + k, n + 7 * k) for k in range(n_series)]
    splits = [list(rolling_origin(len(y), case.spec, min_train=MIN_TRAIN)) for y in ys]
    victim %= n_series
    cut = splits[victim][case.cut_fold].origin + 1
    changed = [y.copy() for y in ys]
    changed[victim] = rewritten(ys[victim], cut, case.rewrite, case.seed)

    def run(values: list[np.ndarray]):
        return backtest_many(
            values, splits,
            lambda: GlobalRecurrent(cell="gru", window=case.window, seed=0, device="cpu", **FAST_NEURAL),
            lambda: build_pipeline(**case.pipeline), case.spec.horizon,
            refit_every=case.spec.refit_every, warm_start=case.warm_start, on_error="record",
        )  # fmt: skip

    before, after = run(ys), run(changed)
    for k in range(n_series):
        for fold in range(case.cut_fold + 1):  # fold i of every series is fitted together
            where = f"series {k} fold {fold} (series {victim} rewritten)"
            assert_same(before[k][fold], after[k][fold], where)
    assert before[victim][0].status == "ok", before[victim][0].error
    later = slice(case.cut_fold + 1, None)
    assert moved(list(zip(before[victim][later], after[victim][later], strict=True)))
