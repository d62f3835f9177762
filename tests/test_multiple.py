"""Counting the tries: the SPA and MCS wrappers reproduce arch.bootstrap, and read the stored frames right."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch.bootstrap import MCS, SPA

from bench.scoring import multiple as mu
from bench.settings import ScoringSettings, SpaSettings

SP = SpaSettings(reps=500, seed=7)


def fixed_losses(t: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A baseline and three models' squared errors: the first model a little better, the others not."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(t, 4))
    base = (1.2 * e[:, 0]) ** 2
    models = np.column_stack([(1.0 * e[:, 1]) ** 2, (1.3 * e[:, 2]) ** 2, (2.0 * e[:, 3]) ** 2])
    return base, models


def test_long_run_variance_is_archs_own_estimate() -> None:
    base, models = fixed_losses()
    spa = SPA(base, models, block_size=4, reps=100, seed=0)
    spa.compute()  # arch keeps the estimate it computed (private, so only checked here)
    np.testing.assert_allclose(mu.long_run_variance(base[:, None] - models, 4), spa._loss_diff_var)


def test_spa_reproduces_arch_on_a_fixed_loss_matrix() -> None:
    # Studentizing divides each differential column by its own ω̂. On a matrix whose columns already
    # share one ω̂, that is a common scale, so arch's plain SPA must give exactly the wrapper's p-value.
    base, models = fixed_losses()
    d = base[:, None] - models
    d = d / np.sqrt(mu.long_run_variance(d, 5))
    models = base[:, None] - d
    ours = mu.spa_pvalue(base, models, 5, SP, key="fixed")
    spa = SPA(base, models, block_size=5, reps=SP.reps, seed=mu.rng(SP, "fixed"))
    spa.compute()
    assert ours == spa.pvalues["consistent"]
    assert 0.0 <= ours < 0.05  # the first model's gain (σ² 1.44 → 1.0) is real


def test_mcs_reproduces_arch_on_a_fixed_loss_matrix() -> None:
    base, models = fixed_losses()
    losses = pd.DataFrame(np.column_stack([base, models]), columns=["naive", "a", "b", "c"])
    ours = mu.mcs_pvalues(losses, 5, SP, key="fixed")
    mcs = MCS(losses.to_numpy(), size=0.1, reps=SP.reps, block_size=5, seed=mu.rng(SP, "fixed"))
    mcs.compute()
    theirs = mcs.pvalues["Pvalue"].sort_index().to_numpy()
    np.testing.assert_array_equal(ours.to_numpy(), theirs)
    assert list(ours.index[ours > 0.1]) == [losses.columns[i] for i in mcs.included]
    assert ours["a"] == 1.0 and ours["c"] < 0.1  # the best is in the set, the worst (σ² 4) is not


def test_identical_columns_share_one_mcs_entry() -> None:
    base, models = fixed_losses()
    losses = pd.DataFrame({"naive": base, "copy": base, "a": models[:, 0], "c": models[:, 2]})
    p = mu.mcs_pvalues(losses, 5, SP, key="k")
    assert p["naive"] == p["copy"] and np.isfinite(p).all()


def test_a_noisy_useless_model_does_not_hide_a_good_one() -> None:
    # "good" is better than the baseline by a small, steady margin; "noisy" is as good on average
    # with a huge spread. Unstudentized, the noisy column's bootstrap maxima swamp the good one's gain.
    rng = np.random.default_rng(3)
    t = 300
    base = rng.normal(size=t) ** 2 + 1.0
    good = base - 0.1 + 0.05 * rng.normal(size=t)
    noisy = base + 20.0 * rng.normal(size=t)
    p = mu.spa_pvalue(base, np.column_stack([good, noisy]), 2, SP, key="n")
    assert p < 0.01


def test_spa_does_not_reject_when_no_model_is_better() -> None:
    rng = np.random.default_rng(1)
    e = rng.normal(size=(250, 6))
    base = e[:, 0] ** 2
    models = (1.05 * e[:, 1:]) ** 2  # five models, each a little worse than the baseline
    assert mu.spa_pvalue(base, models, 3, SP, key="null") > 0.2


def test_spa_is_nan_when_nothing_differs_or_rows_are_too_few() -> None:
    base, models = fixed_losses(t=200)
    assert np.isnan(mu.spa_pvalue(base, np.column_stack([base, base]), 3, SP, key="same"))
    assert np.isnan(mu.spa_pvalue(base[:8], models[:8], 1, SP, key="short"))
    assert np.isnan(mu.spa_pvalue(base[:40], models[:40], 10, SP, key="few blocks"))  # 4 blocks < 5
    assert mu.mcs_pvalues(pd.DataFrame({"a": base[:40], "b": models[:40, 0]}), 10, SP, "k").isna().all()


def test_same_settings_give_the_same_pvalues_and_the_key_gives_each_series_its_own_draws() -> None:
    base, models = fixed_losses()
    assert mu.spa_pvalue(base, models, 4, SP, "s1") == mu.spa_pvalue(base, models, 4, SP, "s1")
    a, b = mu.rng(SP, "s1").integers(0, 10**9, 5), mu.rng(SP, "s2").integers(0, 10**9, 5)
    assert not np.array_equal(a, b)


def keys(origins: list[int], horizon: int) -> pd.DataFrame:
    rows = [(c, c + k, k) for c in origins for k in range(1, horizon + 1)]
    return pd.DataFrame(rows, columns=["cutoff", "ds", "h"])


@pytest.mark.parametrize(
    ("origins", "horizon", "span"),
    [
        (list(range(50)), 1, 1),  # one-step errors: no overlap
        (list(range(50)), 3, 9),  # 3 steps, step 1: an origin shares targets with the next two
        (list(range(0, 60, 3)), 3, 3),  # 3 steps, step 3: no overlap, one origin's 3 rows
        (list(range(0, 60, 2)), 3, 6),
    ],
)
def test_dependence_span_counts_rows_of_overlapping_origins(
    origins: list[int], horizon: int, span: int
) -> None:
    assert mu.dependence_span(keys(origins, horizon)) == span


def test_block_length_is_at_least_the_span_and_a_number_is_taken_as_given() -> None:
    rng = np.random.default_rng(0)
    d = rng.normal(size=(100, 2))
    assert mu.block_length(d, 9) >= 9
    assert mu.block_length(d, 1) >= 1
    assert mu.block_length(d, 9, 4) == 4 and mu.block_length(d, 1, 500) == 100
    assert mu.block_length(d, 60) == 60  # a structural span is kept (too few blocks: no test)
    # a strongly autocorrelated differential asks for longer blocks than white noise
    ar = np.zeros(400)
    for i in range(1, 400):
        ar[i] = 0.9 * ar[i - 1] + rng.normal()
    assert mu.block_length(ar[:, None], 1) > mu.block_length(rng.normal(size=(400, 1)), 1)
    assert mu.block_length(ar[:50, None], 1) <= 50 // mu.MIN_BLOCKS  # a noisy estimate is capped


def frame(models: dict[str, np.ndarray], y: np.ndarray, seeds: dict[str, int] | None = None) -> pd.DataFrame:
    """Forecast rows of one series, one-step origins 0..T-1 (a model's NaN: no forecast there)."""
    rows = []
    for m, f in models.items():
        for s in range((seeds or {}).get(m, 1)):
            for t in range(len(y)):
                rows.append(("d", "u", m, s, t, t + 1, 1, y[t], f[t] + s, np.nan))
    cols = ["dataset", "unique_id", "model", "seed", "cutoff", "ds", "h", "y", "y_hat", "y_var"]
    return pd.DataFrame(rows, columns=cols)


def test_align_keeps_the_rows_every_model_has_and_averages_seeds() -> None:
    y = np.arange(30, dtype=float)
    gap = y.copy()
    gap[[3, 7]] = np.nan
    fc = frame({"naive": y - 1, "a": gap, "net": y + 1, "dead": np.full(30, np.nan)}, y, seeds={"net": 3})
    a = mu.align(fc)
    assert a.models == ["a", "naive", "net"]  # "dead" has no forecast at all: left out, not fatal
    assert len(a.y) == 28 and not {3, 7} & set(a.keys["cutoff"])
    np.testing.assert_allclose(a.wide["y_hat"]["net"], a.y + 2)  # seeds 0, 1, 2 add 0, 1, 2: mean +1+1
    assert mu.align(frame({"naive": y}, y)) is None  # one model: nothing to compare


def test_tries_per_series_qlike_only_on_returns_and_the_stored_loss_hook() -> None:
    rng = np.random.default_rng(5)
    t = 120
    y = rng.normal(size=t)
    fc = frame({"naive": np.zeros(t), "a": 0.1 * rng.normal(size=t), "b": 0.1 * rng.normal(size=t)}, y)
    sc = ScoringSettings(spa=SP)
    plain = mu.tries(fc, set(), sc).set_index("model")
    assert plain["spa_models"].eq(2).all() and plain["spa_rows"].eq(t).all()
    assert plain["spa_pvalue"].nunique() == 1 and "spa_pvalue_qlike" not in plain
    assert plain["in_mcs"].dtype == "boolean"
    # a variance for naive and a: QLIKE on a return series, over those two only
    fc.loc[fc["model"] == "naive", "y_var"] = 1.0
    fc.loc[fc["model"] == "a", "y_var"] = rng.uniform(0.5, 1.5, size=t)  # QLIKE scores the variance
    ret = mu.tries(fc, {("d", "u")}, sc).set_index("model")
    assert np.isfinite(ret["spa_pvalue_qlike"]).all()
    assert ret["in_mcs_qlike"].isna()["b"] and not ret["in_mcs_qlike"].isna()["a"]
    assert "spa_pvalue_qlike" not in mu.tries(fc, set(), sc)  # not returns: no QLIKE
    # a per-row loss stored with the forecasts (CRPS, later) plugs in as one more NamedLoss
    fc["crps"] = np.abs(fc["y"] - fc["y_hat"])
    a = mu.align(fc, extra=["crps"])
    top, per = mu.test_losses(a, "naive", SP, "k", [*mu.LOSSES, mu.NamedLoss("crps", mu.stored("crps"))])
    assert np.isfinite(top["spa_pvalue_crps"]) and "in_mcs_crps" in per


# --- across series and in the report ------------------------------------------------------------


def tried_frame() -> pd.DataFrame:
    """Four series × three models with SPA p-values and DM results chosen to disagree on purpose."""
    nan = float("nan")
    spa = {"a": 0.01, "b": 0.04, "c": 0.30, "d": nan}  # a: SPA rejects (< 2.5 %); b: not at 2.5 %
    dm = {  # model: (dm_stat, dm_pvalue, in_mcs) per series
        "naive": {u: (nan, nan, True) for u in "abcd"},
        "arima": {
            "a": (-3.0, 0.003, True),
            "b": (-2.2, 0.03, True),
            "c": (1.0, 0.3, False),
            "d": (nan, nan, pd.NA),
        },
        "lstm": {
            "a": (0.5, 0.6, False),
            "b": (0.1, 0.9, True),
            "c": (-2.5, 0.02, True),
            "d": (2.0, 0.04, pd.NA),
        },
    }
    rows = [
        dict(dataset="m", unique_id=u, model=m, mse=1.0, smape=1.0, mase=1.0, rel_mse=1.0, dm_stat=s,
             dm_pvalue=p, lagging=False, in_mcs=inside, spa_pvalue=spa[u], spa_models=2.0)
        for m, per in dm.items() for u, (s, p, inside) in per.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_collection_shares_put_spa_beside_the_one_by_one_dm_verdicts() -> None:
    from bench.scoring.aggregate import aggregate

    out = aggregate(tried_frame()).set_index("model")
    # DM alone says "some model beats naive" on a (arima), b (arima) and c (lstm): 3 of 4
    assert out["share_any_dm_beats"].eq(0.75).all()
    # SPA, one-sided at 2.5 %: only a; b's 0.04 is not enough, d is untestable (counts as no)
    assert out["share_spa_beats"].eq(0.25).all()
    # MCS share over the series where the model was tested (d has no MCS for arima and lstm)
    assert out.loc["naive", "share_in_mcs"] == 1.0
    assert out.loc["arima", "share_in_mcs"] == pytest.approx(2 / 3)
    assert out.loc["lstm", "share_in_mcs"] == pytest.approx(2 / 3)


def test_report_lines_name_the_tries_and_the_confidence_set() -> None:
    from bench.report.tries import collection_tries_lines, series_tries_lines
    from bench.scoring.aggregate import aggregate

    sc = ScoringSettings()
    one = tried_frame()
    one = one[one["unique_id"] == "b"].assign(mcs_pvalue=[1.0, 0.5, 0.3], spa_rows=100.0, spa_block=3.0)
    one.loc[one["model"] == "lstm", ["in_mcs", "mcs_pvalue"]] = [False, 0.04]
    text = "\n".join(series_tries_lines(one, sc))
    assert (
        "- 2 models tried against naive: best DM p = 0.03 (arima), SPA p = 0.04 — not significant once "
        in text
    )
    assert (
        "Model confidence set (90%, squared error): naive, arima — cannot be told apart from the best" in text
    )
    assert "out: lstm (MCS p = 0.04)" in text and "100 rows" in text and "mean block 3" in text
    lines = collection_tries_lines(aggregate(tried_frame()), sc)
    assert "on 75% of the 4 series at least one of the 2 models beats naive by its own DM test" in lines[0]
    assert "some model beats naive on 25%" in lines[0]
    assert series_tries_lines(one.drop(columns=["spa_models", "in_mcs"]), sc) == []  # scored before SPA


def test_a_bootstrap_pvalue_of_zero_is_printed_as_below_one_over_reps() -> None:
    from bench.scoring.verdict import tries_sentence

    text = tries_sentence(4, "lstm", 1e-6, 0.0, reps=1000, what="configuration")
    assert "SPA p < 0.001 — some configuration beats naive even once the tries are counted." in text


RUN = ["datasets=[ar1_diff,panel]", "models=[naive,linear,theta]", "split.folds=20", "window=6",
       "datasets.panel.n_series=3", "datasets.panel.min_len=80", "spa.reps=200"]  # fmt: skip


def test_a_run_writes_spa_per_series_mcs_per_model_and_the_collection_shares(tmp_path) -> None:
    from conftest import run_suite

    t = run_suite(RUN, tmp_path)
    by_series = t["metrics_by_series"]
    assert by_series["spa_pvalue"].notna().all() and by_series["in_mcs"].notna().all()
    assert by_series.groupby(["dataset", "unique_id"])["spa_pvalue"].nunique().eq(1).all()
    m = pd.read_csv(tmp_path / "metrics.csv")
    single, panel = m[m["kind"] == "series"], m[m["kind"] == "collection"]
    assert single["spa_pvalue"].notna().all() and single["spa_models"].eq(2).all()
    assert panel["share_in_mcs"].between(0, 1).all() and panel["share_spa_beats"].nunique() == 1


@pytest.mark.slow
def test_the_run_report_counts_the_tries_under_the_verdicts_and_across_series(tmp_path) -> None:
    from bench.report.render import render

    from conftest import run_suite

    run_suite(RUN, tmp_path)
    text = render(tmp_path).read_text()
    assert (
        "- 2 models tried against naive: " in text and "Model confidence set (90%, squared error): " in text
    )
    assert "Counting the tries: on " in text and "| in MCS |" in text


def test_tries_spread_over_processes_give_the_same_rows_in_the_same_order(monkeypatch) -> None:
    rng = np.random.default_rng(11)
    t = 60
    parts = []
    for k in range(8):
        y = rng.normal(size=t)
        f = frame({"naive": np.zeros(t), "a": 0.3 * rng.normal(size=t)}, y)
        parts.append(f.assign(unique_id=f"s{k}"))
    fc = pd.concat(parts, ignore_index=True)
    sc = ScoringSettings(spa=SP)
    monkeypatch.setattr(mu, "PER_WORKER", 2)  # 8 series: 2 processes (a collection would be larger)
    pd.testing.assert_frame_equal(mu.tries(fc, set(), sc, n_jobs=2), mu.tries(fc, set(), sc, n_jobs=1))
