"""Nets tuned inside their refits: the chosen net is an untuned net with the chosen settings, the
search sees only the training part, and the same seed gives the same search."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bench.engine.runner import backtest
from bench.models.global_recurrent import GlobalLSTM
from bench.models.recurrent import GRU, LSTM
from bench.prep.splits import rolling_origin
from bench.prep.transforms import build_pipeline
from bench.settings import SplitSettings

from conftest import ROOT, run_suite

SPACE = {"hidden_size": [4, 8], "lr": {"low": 1e-3, "high": 3e-2, "log": True}, "epochs": [2, 4]}
TUNE = {"trials": 4, "batch": 2, "startup": 2, "space": SPACE}
HALVING = {**TUNE, "trials": 6, "halving": {"eta": 2, "min_epochs": 1, "final": 2}}  # rungs 6-3-2
SMALL = dict(window=6, hidden_size=4, epochs=3, batch_size=16, batch_series=1)


def noisy_sine(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sin(np.arange(n) / 4.0) + 0.2 * rng.standard_normal(n)


def chosen(m: LSTM) -> dict:
    info = m._tuning.info()
    return {k: v for k, v in info.items() if k != "trials"}


@pytest.mark.parametrize("tune", [TUNE, HALVING], ids=["full", "halving"])
def test_a_tuned_net_forecasts_as_the_untuned_net_with_the_chosen_settings(tune):
    """Also with successive halving: the chosen net is trained in full, as the untuned one."""
    z = noisy_sine()
    tuned = LSTM(seed=3, tune=tune, **SMALL).fit(z)
    params = tuned._tuning.choice
    assert set(params) == set(SPACE) and tuned._tuning.trials == tune["trials"]
    plain = LSTM(seed=3, **{**SMALL, **params}).fit(z)
    np.testing.assert_array_equal(tuned.predict(3).mean, plain.predict(3).mean)
    assert tuned.hidden_size == params["hidden_size"] and tuned.train_config.lr == params["lr"]


def test_the_same_seed_gives_the_same_search_and_another_seed_another():
    z = noisy_sine()
    a, b = (LSTM(seed=0, tune=TUNE, **SMALL).fit(z) for _ in range(2))
    assert a._tuning.info() == b._tuning.info()
    np.testing.assert_array_equal(a.predict(2).mean, b.predict(2).mean)
    other = LSTM(seed=1, tune=TUNE, **SMALL).fit(z)
    assert other._tuning.choice != a._tuning.choice or not np.array_equal(
        other.predict(2).mean, a.predict(2).mean
    )


def test_search_at_the_first_fit_then_every_kth_later_refits_warm_start_the_choice():
    z = noisy_sine(160)
    every = LSTM(seed=0, tune={**TUNE, "every": 2}, **SMALL)
    once = LSTM(seed=0, tune=TUNE, **SMALL)
    for n in (120, 130, 140, 150):
        every.fit(z[:n])
        once.fit(z[:n])
    assert (every._tuning.searches, once._tuning.searches) == (2, 1)
    assert once._tuning.fits == every._tuning.fits == 4


@pytest.mark.parametrize("tune", [TUNE, HALVING], ids=["full", "halving"])
def test_batched_searches_of_many_series_choose_as_each_would_alone(tune):
    zs = [noisy_sine(110, seed=s) for s in range(3)]
    batched = [LSTM(seed=s, tune=tune, **{**SMALL, "batch_series": 8}) for s in range(3)]
    assert LSTM.fit_batch(batched, zs) == [None, None, None]
    alone = [LSTM(seed=s, tune=tune, **SMALL).fit(z) for s, z in enumerate(zs)]
    for b, a in zip(batched, alone, strict=True):
        assert chosen(b).keys() == chosen(a).keys()
        np.testing.assert_allclose(b.predict(2).mean, a.predict(2).mean, atol=1e-4)


def test_tuning_mixed_with_untuned_members_in_one_batch():
    zs = [noisy_sine(110, seed=s) for s in range(2)]
    models = [LSTM(seed=0, tune=TUNE, **SMALL), LSTM(seed=0, **SMALL)]
    assert LSTM.fit_batch(models, zs) == [None, None]
    assert models[0]._tuning.choice and not models[1]._tuning.choice


def test_a_global_net_searches_once_over_the_collection():
    zs = [noisy_sine(100, seed=s) for s in range(3)]
    g = GlobalLSTM(seed=0, tune=HALVING, **{k: v for k, v in SMALL.items() if k != "batch_series"})
    fcs = g.fit(zs).predict(2)
    assert g._tuning.searches == 1 and len(fcs) == 3
    assert all(
        fc.info["trials"] == 6 and fc.info["rungs"] == "6-3-2" and "hidden_size" in fc.info for fc in fcs
    )


def test_halving_trains_fewer_epochs_and_the_untuned_settings_come_first(monkeypatch):
    """Rung 0 trains every trial for min_epochs, rung 1 the best half for twice as many, the final
    two in full; the first trial is the untuned net's own settings."""
    from bench.models import tuned as tuned_mod

    seen: list[tuple[int, ...]] = []
    real = tuned_mod.candidate
    monkeypatch.setattr(
        tuned_mod, "candidate", lambda m, p: seen.append((p["epochs"], p["hidden_size"])) or real(m, p)
    )
    LSTM(seed=0, tune=HALVING, **{**SMALL, "epochs": 4, "hidden_size": 8}).fit(noisy_sine())
    assert [e for e, _ in seen[:6]] == [1] * 6 and [e for e, _ in seen[6:9]] == [2] * 3
    assert len(seen) == 11 and all(e in (2, 4) for e, _ in seen[9:])  # the final two: own epochs
    assert seen[0] == (1, 8)  # the defaults (hidden 8, epochs 4 capped at 1) are trial one


def test_halving_points_train_the_cheap_rung_on_the_recent_values_and_the_choice_on_all(monkeypatch):
    """``halving.points``: rung 0's candidates see only the last ``points`` values of the training
    part; the final rung (the model) trains on all of it, as the untuned net with its settings."""
    from bench.models import neural

    lengths: list[list[int]] = []
    real = neural._fit_plain_batch
    monkeypatch.setattr(
        neural, "_fit_plain_batch", lambda ms, zs: lengths.append([len(z) for z in zs]) or real(ms, zs)
    )
    tune = {**TUNE, "trials": 4, "halving": {"eta": 4, "final": 1, "points": 50}}  # rungs 4-1
    z = noisy_sine(120)
    m = LSTM(seed=0, tune=tune, **SMALL).fit(z)
    assert sorted({n for call in lengths[:-1] for n in call}) == [50] and lengths[-1] == [120]
    plain = LSTM(seed=0, **{**SMALL, **m._tuning.choice}).fit(z)
    np.testing.assert_array_equal(m.predict(2).mean, plain.predict(2).mean)


def test_a_series_too_short_for_the_net_fails_with_its_own_reason_before_any_trial(monkeypatch):
    from bench.models import tuned as tuned_mod

    built: list[dict] = []
    real = tuned_mod.candidate
    monkeypatch.setattr(tuned_mod, "candidate", lambda m, p: built.append(p) or real(m, p))
    short, ok = LSTM(seed=0, tune=TUNE, **SMALL), LSTM(seed=0, tune=TUNE, **SMALL)
    errors = LSTM.fit_batch([short, ok], [noisy_sine(5), noisy_sine()])
    assert "window 6" in str(errors[0]) and errors[1] is None and short.net is None
    assert len(built) == TUNE["trials"] and short._tuning.fits == 0 and ok._tuning.fits == 1


@pytest.mark.parametrize(
    "tune, fragment",
    [
        ({"space": {"window": [4, 8]}}, "tune.space.window cannot be searched"),
        ({"space": {"hiden_size": [4]}}, "tune.space.hiden_size is not a setting"),
        ({"space": {}}, "tune.space is empty"),
        ({"trials": 0, "space": SPACE}, "tune.trials"),
        ({"space": {"lr": {"low": 0, "high": 1, "log": True}}}, "log range needs low > 0"),
    ],
)
def test_bad_tune_settings_are_refused_naming_the_key(tune, fragment):
    with pytest.raises(ValueError, match=fragment):
        GRU(seed=0, tune=tune, **SMALL)
    with pytest.raises(ValueError, match="val_frac > 0"):
        GRU(seed=0, tune=TUNE, val_frac=0.0, patience=None, **SMALL)


def test_a_search_never_sees_data_after_the_origin_also_when_it_searches_again():
    """Rewriting the data after an origin moves neither a forecast nor a choice made at or before it,
    with a search at every refit (so later searches run on longer training parts)."""
    y = noisy_sine(130) + 5.0
    spec = SplitSettings(folds=6, horizon=2, step=1, refit_every=2)
    splits = list(rolling_origin(len(y), spec, min_train=100))

    def run(values):
        return backtest(
            values, splits, lambda: LSTM(seed=0, tune={**HALVING, "every": 1}, **SMALL),
            lambda: build_pipeline(scale="standard"), 2, refit_every=2, warm_start=True, on_error="raise",
        )  # fmt: skip

    cut = splits[2].origin + 1
    changed = y.copy()
    changed[cut:] = changed[cut:] * 3 + 10
    before, after = run(y), run(changed)
    for s, a, b in zip(splits, before, after, strict=True):
        if s.origin < cut:
            np.testing.assert_array_equal(a.y_hat, b.y_hat)
            assert a.info == b.info and "hidden_size" in a.info
    pairs = zip(before, after, strict=True)
    assert any(a.info != b.info or not np.array_equal(a.y_hat, b.y_hat) for a, b in pairs)


def test_the_choices_reach_folds_parquet_and_the_report(tmp_path):
    out = tmp_path / "run"
    run_suite(["models=[naive,lstm_auto]", "datasets=[sine]", "debug=fast", "split.folds=2"], out)
    folds = pd.read_parquet(out / "folds.parquet")
    refits = folds[(folds.model == "lstm_auto") & folds.refit]
    assert len(refits) and all('"hidden_size"' in c and '"trials": 4' in c for c in refits.choices)


def test_a_bad_search_space_on_the_command_line_exits_2_naming_it(tmp_path):
    got = subprocess.run(
        [sys.executable, "-m", "bench.run", "models=[lstm_auto]", "datasets=[sine]",
         "+models.lstm_auto.tune.space.window=[4,8]", f"hydra.run.dir={tmp_path / 'r'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert got.returncode == 2, got.stderr
    assert "tune.space.window cannot be searched" in got.stderr + got.stdout
    assert "Traceback" not in got.stderr and not (tmp_path / "r").exists()
