"""A sweep counts its tries: SPA over each model's configurations, read from the jobs' forecast files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from bench.report.sweep import render_sweep
from bench.scoring import multiple as mu
from bench.scoring.aggregate import aggregate
from bench.scoring.frame import score

from conftest import settings

T, ORIGINS = 160, 100


def walk(seed: int = 0) -> np.ndarray:
    return 100.0 + np.cumsum(np.random.default_rng(seed).normal(size=T))


def forecasts(y: np.ndarray, model: str, y_hat: np.ndarray, uid: str = "random_walk") -> pd.DataFrame:
    """One-step forecasts at the last ORIGINS origins, in the runner's layout."""
    cut = np.arange(T - 1 - ORIGINS, T - 1)
    return pd.DataFrame(dict(dataset="random_walk", unique_id=uid, model=model, seed=0,
                             fold=np.arange(ORIGINS), cutoff=cut, ds=cut + 1, h=1, y=y[cut + 1], y_hat=y_hat,
                             y_origin=y[cut], y_var=np.nan, y_lo=np.nan, y_hi=np.nan))  # fmt: skip


def series_frame(ys: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame(dict(dataset="random_walk", unique_id=u, ds=np.arange(T), y=y)) for u, y in ys.items()]
    )


def write_job(root: Path, num: int, window: int, fc: pd.DataFrame, ys: dict[str, np.ndarray], **run) -> None:
    job = root / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump([f"window={window}"]))
    (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"num": num}}}))
    by_series = score(fc, series_frame(ys))
    metrics = (
        aggregate(by_series).assign(kind="collection") if len(ys) > 1 else by_series.assign(kind="series")
    )
    metrics.to_csv(job / "metrics.csv", index=False)
    fc.to_parquet(job / "forecasts.parquet", index=False)
    (job / "run.json").write_text(json.dumps(run))


def noisy(y: np.ndarray, seed: int, scale: float = 0.3) -> np.ndarray:
    """A configuration that only adds noise to persistence: on a random walk it cannot beat naive."""
    cut = np.arange(T - 1 - ORIGINS, T - 1)
    return y[cut] + scale * np.random.default_rng(seed).normal(size=ORIGINS)


def sweep_of(tmp_path: Path, configs: list[np.ndarray], y: np.ndarray, **run) -> Path:
    root = tmp_path / "sweep"
    naive = forecasts(y, "naive", y[np.arange(T - 1 - ORIGINS, T - 1)])
    for num, y_hat in enumerate(configs):
        fc = pd.concat([naive, forecasts(y, "lstm", y_hat)], ignore_index=True)
        write_job(root, num, 10 * (num + 1), fc, {"random_walk": y}, **run)
    return root


def test_four_configurations_get_one_spa_pvalue_in_the_sweep_report(tmp_path: Path) -> None:
    y = walk()
    root = sweep_of(tmp_path, [noisy(y, s) for s in range(4)], y)
    render_sweep(root)
    tries = pd.read_csv(root / "tries.csv").set_index("model")
    assert list(tries.index) == ["lstm"] and tries.loc["lstm", "configurations"] == 4
    # the same p-value the wrapper gives on the four configurations' squared errors, read from the files
    cut = np.arange(T - 1 - ORIGINS, T - 1)
    base = (y[cut + 1] - y[cut]) ** 2
    errs = np.column_stack([(y[cut + 1] - noisy(y, s)) ** 2 for s in range(4)])
    block = mu.block_length(base[:, None] - errs, 1)
    expected = mu.spa_pvalue(base, errs, block, mu.SpaSettings(), "random_walk\0random_walk\0lstm")
    assert tries.loc["lstm", "spa_pvalue"] == pytest.approx(expected)
    assert tries.loc["lstm", "spa_pvalue"] > 0.2  # noise around persistence beats nothing
    text = (root / "report.md").read_text()
    assert "Counting the tries" in text
    assert "- lstm: 4 configurations tried against naive: " in text
    assert f"SPA p = {expected:.2f}" in text


def test_a_configuration_that_really_is_better_survives_the_count(tmp_path: Path) -> None:
    y = walk(1)
    cut = np.arange(T - 1 - ORIGINS, T - 1)
    oracle = y[cut] + 0.5 * (y[cut + 1] - y[cut])  # half of the next move: MSE a quarter of naive's
    root = sweep_of(tmp_path, [noisy(y, 0), noisy(y, 1), oracle, noisy(y, 2)], y)
    render_sweep(root)
    tries = pd.read_csv(root / "tries.csv").set_index("model")
    assert tries.loc["lstm", "spa_pvalue"] < 0.01
    assert (
        "some configuration beats naive even once the tries are counted" in (root / "report.md").read_text()
    )


def test_jobs_on_other_data_are_not_tries_on_the_same_origins(tmp_path: Path) -> None:
    y, other = walk(2), walk(3)
    root = sweep_of(tmp_path, [noisy(y, s) for s in range(3)], y)
    cut = np.arange(T - 1 - ORIGINS, T - 1)
    fc = pd.concat([forecasts(other, "naive", other[cut]), forecasts(other, "lstm", other[cut] + 0.1)])
    write_job(root, 3, 40, fc, {"random_walk": other})
    render_sweep(root)
    tries = pd.read_csv(root / "tries.csv").set_index("model")
    assert tries.loc["lstm", "configurations"] == 3 and str(tries.loc["lstm", "jobs_left_out"]) == "3"


def test_select_origins_picks_on_the_first_origins_and_scores_on_the_rest(tmp_path: Path) -> None:
    y = walk(4)
    cut = np.arange(T - 1 - ORIGINS, T - 1)
    early = y[cut] + 0.5 * (y[cut + 1] - y[cut]) * (np.arange(ORIGINS) < 40)  # peeks only on the first 40
    early += 1.5 * (np.arange(ORIGINS) >= 40)  # and is off by 1.5 afterwards
    st = settings(["datasets=[random_walk]", "models=[naive,lstm]", "split.select_origins=40"])
    root = sweep_of(tmp_path, [noisy(y, 0), early, noisy(y, 1), noisy(y, 2)], y, settings=st.to_dict())
    render_sweep(root)
    t = pd.read_csv(root / "tries.csv").set_index("model").loc["lstm"]
    assert t["select_origins"] == 40 and t["picked_job"] == 1 and t["later_origins"] == 60
    later = np.arange(ORIGINS) >= 40
    base = (y[cut + 1] - y[cut])[later] ** 2
    assert t["heldout_score"] == pytest.approx(np.mean((y[cut + 1] - early)[later] ** 2) / np.mean(base))
    assert t["heldout_score"] > 1 and t["heldout_dm_pvalue"] < 0.05  # the early pick is worse, clearly
    text = (root / "report.md").read_text()
    assert (
        "- lstm, picked on the first 40 origins: window=20 (job 1); on the other 60 origins MSE / naive"
        in text
    )
    assert ": worse than naive (held out: the pick has not seen these origins)." in text


def test_a_collection_sweep_gives_the_share_of_series_where_spa_rejects(tmp_path: Path) -> None:
    ys = {f"S{i}": walk(10 + i) for i in range(3)}
    cut = np.arange(T - 1 - ORIGINS, T - 1)
    root = tmp_path / "sweep"
    for num in range(4):
        parts = []
        for i, (u, y) in enumerate(ys.items()):
            parts.append(forecasts(y, "naive", y[cut], uid=u))
            parts.append(forecasts(y, "lstm", noisy(y, 10 * num + i), uid=u))
        write_job(root, num, 10 * (num + 1), pd.concat(parts, ignore_index=True), ys)
    render_sweep(root)
    t = pd.read_csv(root / "tries.csv").set_index("model").loc["lstm"]
    assert t["series"] == 3 and t["configurations"] == 4 and np.isnan(t["spa_pvalue"])
    assert 0.0 <= t["share_spa_beats"] <= 1.0
    assert "4 configurations tried against naive on 3 series: the best" in (root / "report.md").read_text()
