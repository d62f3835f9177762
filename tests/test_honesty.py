"""Issue 6 "done when", end to end: the real suite on simulated series with known truth.

Every test composes the project's Hydra config, runs the suite
(``bench.benchmark.run_tables``) into ``tmp_path``
and asserts on the ``metrics.csv`` it wrote, so splitting, the shared transform, the models, the
inversion and the scorer are all on the path. Sizes were chosen from sweeps over many data seeds
(see each test): the assertions hold on every seed tried unless a test says otherwise, and
``refit_every`` keeps fits few (between refits models read the new history with parameters held).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.scoring.verdict import BEATS, beats_reference

from conftest import run_suite

# A small LSTM that still trains: used where the net only has to be a realistic contestant.
SMALL_LSTM = {"epochs": 5, "hidden_size": 8}
# A level-trained LSTM trained long enough to imitate persistence (no early stopping: on a level
# random walk the chronological validation tail often lies outside the training range).
LEVEL_LSTM = {"epochs": 60, "hidden_size": 16, "lr": 0.005, "patience": "null", "val_frac": 0.0}


def lstm_overrides(settings: dict) -> list[str]:
    return [f"models.lstm.{k}={v}" for k, v in settings.items()]


def metrics(tmp_path: Path, overrides: list[str]) -> pd.DataFrame:
    """Run the suite and read back the metrics file it wrote, one row per model."""
    run_suite(overrides, tmp_path)
    return pd.read_csv(tmp_path / "metrics.csv").set_index("model")


def test_nothing_beats_persistence_on_a_random_walk(tmp_path: Path) -> None:
    # 200 one-step origins, refit every 20. Over data seeds 0–29 no model was ever called better
    # than naive (90 model × seed cases; estimation noise makes them slightly worse, DM > 0 mostly),
    # and every model was lagging (best shift +1, small echo): on a random walk echoing is optimal.
    table = metrics(
        tmp_path,
        ["datasets=[random_walk]", "models=[naive,arima,linear,lstm]", "seed=0", "seeds=[0]"]
        + ["split.folds=200", "split.refit_every=20", *lstm_overrides(SMALL_LSTM)],
    )
    assert set(table.index) == {"naive", "arima", "linear", "lstm"}
    assert (table["n"] == 200).all() and (table["failed"] == 0).all()
    assert (table["verdict"] != BEATS).all(), table[["rel_mse", "dm_stat", "dm_pvalue", "verdict"]]
    naive = table.loc["naive"]
    assert naive["best_shift"] == 1 and naive["echo_ratio"] == 0 and naive["rel_mse"] == 1
    assert np.isnan(naive["dm_pvalue"])  # naive against itself is untestable, not "significant"
    assert table["lagging"].all()
    assert (table.drop(index="naive")["rel_mse"] > 0.95).all()


def test_level_trained_lstm_on_a_random_walk_is_flagged_lagging(tmp_path: Path) -> None:
    # transform.diff=0: the net sees scaled levels and learns (roughly) y_hat_t = y_{t-1}.
    # On data seeds 0–9 this setting gave best shift +1 on 7 and +2…+4 (worse than naive, trailing
    # by more than one step, caught by the shift-gain part of the rule) on 3; all 10 are checked in
    # test_level_trained_lstm_trails_the_actuals_on_every_seed (slow).
    table = metrics(
        tmp_path,
        ["datasets=[random_walk]", "datasets.random_walk.n=300", "models=[naive,lstm]", "seed=0"]
        + ["seeds=[0]", "transform.diff=0", "window=10", "split.folds=100", "split.refit_every=10"]
        + lstm_overrides(LEVEL_LSTM),
    )
    lstm = table.loc["lstm"]
    assert lstm["verdict"] != BEATS
    assert lstm["best_shift"] == 1 and lstm["shift_gain"] < 0.5
    assert bool(lstm["lagging"])
    assert "right-shift lag" in lstm["verdict_text"]


# Seeds 1, 2 and 7 trail with a shift gain of 0.64–0.69 on today's pinned stack (seen before this
# round's changes too, on the round-four commit): above the 0.6 of an "interior minimum" the lagging
# flag needs, so they are not flagged. Kept visible as strict xfails rather than loosening the rule.
NOT_FLAGGED = pytest.mark.xfail(strict=True, reason="shift gain 0.64-0.69 > 0.6: trails but is not flagged")


@pytest.mark.slow
@pytest.mark.parametrize(
    "data_seed", [0, pytest.param(1, marks=NOT_FLAGGED), pytest.param(2, marks=NOT_FLAGGED), 3, 4, 5, 6,
                  pytest.param(7, marks=NOT_FLAGGED), 8, 9],
)  # fmt: skip
def test_level_trained_lstm_trails_the_actuals_on_every_seed(tmp_path: Path, data_seed: int) -> None:
    """Across data seeds: never better than naive, its forecasts fit the actuals shifted right by
    at least h better than the actuals themselves (seeds 0–9: best shift 1–4, shift gain < 0.75),
    and it is flagged lagging (best shift = h, or an interior minimum beyond h with shift gain < 0.6)."""
    table = metrics(
        tmp_path,
        ["datasets=[random_walk]", "datasets.random_walk.n=300", "models=[naive,lstm]"]
        + [f"seed={data_seed}", "seeds=[0]", "transform.diff=0", "window=10"]
        + ["split.folds=100", "split.refit_every=10", *lstm_overrides(LEVEL_LSTM)],
    )
    lstm = table.loc["lstm"]
    assert lstm["verdict"] != BEATS
    assert lstm["best_shift"] >= 1 and lstm["shift_gain"] < 0.75
    assert bool(lstm["lagging"]), (lstm["best_shift"], lstm["shift_gain"])


def test_arima_beats_persistence_on_an_ar1_in_differences(tmp_path: Path) -> None:
    # Δy is AR(1) with φ = 0.6: the optimal one-step MSE is σ², naive's σ²/(1 − φ²), so
    # rel_mse → 1 − φ² = 0.64. With 300 origins, over data seeds 0–29: verdict beats_naive on all
    # 30, DM p ≤ 3e-4, rel_mse 0.50–0.75, echo ratio 0.46–0.67 (≈ φ: it moves as much as Δy is
    # predictable). With 100 origins one seed in 20 was not significant, hence 300.
    table = metrics(
        tmp_path,
        ["datasets=[ar1_diff]", "models=[naive,arima]", "seed=0", "seeds=[0]"]
        + ["split.folds=300", "split.refit_every=20"],
    )
    arima = table.loc["arima"]
    assert arima["verdict"] == BEATS
    assert arima["dm_stat"] < 0 and arima["dm_pvalue"] < 0.05
    assert arima["rel_mse"] < 0.85
    assert 0.4 < arima["echo_ratio"] < 0.8 and not arima["lagging"]
    assert "beats persistence" in arima["verdict_text"]


def test_neural_seeds_are_averaged_and_beat_arima_only_beyond_their_spread(tmp_path: Path) -> None:
    table = metrics(
        tmp_path,
        ["datasets=[ar1_diff]", "models=[naive,arima,lstm]", "seed=0", "seeds=[0,1,2]"]
        + ["split.folds=60", "split.refit_every=10", "debug=fast"],
    )
    assert table.loc["lstm", "n_seeds"] == 3
    assert table.loc["arima", "n_seeds"] == 1 and table.loc["naive", "n_seeds"] == 1

    # mean and sample std over seeds, recomputed independently from the forecasts file
    fc = pd.read_parquet(tmp_path / "forecasts.parquet")
    lstm = fc[fc["model"] == "lstm"]
    assert sorted(lstm["seed"].unique()) == [0, 1, 2]
    per_seed = lstm.assign(se=(lstm["y"] - lstm["y_hat"]) ** 2).groupby("seed")["se"].mean()
    assert per_seed.std(ddof=1) > 0  # the seeds really trained different nets
    assert table.loc["lstm", "mse"] == pytest.approx(per_seed.mean())
    assert table.loc["lstm", "mse_std"] == pytest.approx(per_seed.std(ddof=1))
    for col in ("mae_std", "rmse_std", "rel_mse_std", "echo_ratio_std"):
        assert np.isfinite(table.loc["lstm", col]), col
        assert np.isnan(table.loc["arima", col]), col  # deterministic: one run, no spread
    # a p-value is never averaged over seeds: the nets' DM test is their seed ensemble's
    assert "dm_pvalue_std" not in table.columns and np.isfinite(table.loc["lstm", "dm_pvalue"])
    assert "mean forecast of 3 seeds: DM p = " in table.loc["lstm", "verdict_text"]

    # better than ARIMA only if ARIMA's MSE exceeds the LSTM's mean by more than its seed std
    ar = fc[fc["model"] == "arima"]
    arima_mse = np.mean((ar["y"] - ar["y_hat"]) ** 2)
    expected = bool(arima_mse - per_seed.mean() > per_seed.std(ddof=1))
    assert bool(table.loc["lstm", "beats_ref"]) is expected
    assert expected == beats_reference(per_seed.mean(), per_seed.std(ddof=1), arima_mse)
    assert pd.isna(table.loc["arima", "beats_ref"])
    # a 2-epoch, 4-unit net on this series is far behind ARIMA (rel_mse ≈ 1 vs 0.6 on seeds 0–3)
    assert not expected
    assert "of 3; does not beat arima by more than its seed spread" in (table.loc["lstm", "verdict_text"])
