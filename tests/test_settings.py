"""Typed settings: parsed once, every bad value one clear error, run.json read back through the types."""

from __future__ import annotations

import filecmp
import json

import pytest

from bench.errors import ConfigError
from bench.settings import Settings, stable_hash

from conftest import run_suite, settings


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("on_error=rasie", "record, raise"),
        ("split.kind=rolling", "expanding, sliding"),
        ("transform.scale=zscore", "standard, minmax, robust, none"),
        ("transform.diff=5", "0, 1, 2, auto"),
        ("n_jobs=0", "n_jobs=0"),
        ("interval_level=1.5", "(0, 1)"),
        ("alpha=0", "(0, 1)"),
        ("split.folds=0", "split.folds=0"),
        ("window=abc", "window must be a whole number"),
        ("+colour=red", "unknown setting colour"),
        ("backend=dask", "loky, ray"),
    ],
)
def test_a_bad_setting_fails_at_parse_time_naming_key_value_and_choices(override, named):
    with pytest.raises(ConfigError) as err:
        settings(["datasets=[sine]", "models=[naive]", override])
    assert named in str(err.value)


def test_settings_survive_run_json_round_trip():
    s = settings(["datasets=[sine,sales]", "models=[naive,arima,lstm]", "transform.diff=auto"]
                 + ["spa.block_length=7", "spa.mcs_level=0.75", "split.select_origins=30"])  # fmt: skip
    again = Settings.from_dict(json.loads(json.dumps(s.to_dict())))
    assert again == s
    assert again.scoring.spa.block_length == 7 and again.datasets[0].split.select_origins == 30
    assert stable_hash(again) == stable_hash(s)
    assert again.datasets[1].split.folds == 10  # sales' own split survives


def test_a_run_without_the_baseline_gets_it_added_first():
    s = settings(["datasets=[sine]", "models=[arima]"])
    assert s.baseline_added and [m.name for m in s.models] == ["naive", "arima"]
    assert not settings(["datasets=[sine]", "models=[naive,arima]"]).baseline_added


def test_an_unknown_baseline_is_refused_with_the_available_models():
    with pytest.raises(ConfigError, match="baseline=nonesuch is not a model config; choose one of: .*naive"):
        settings(["datasets=[sine]", "models=[arima]", "baseline=nonesuch"])


def test_rescoring_stored_files_reproduces_metrics_exactly(tmp_path):
    from bench.scoring.stored import score_dir

    args = ["datasets=[sp500_returns,sine]", "models=[naive,arima_garch]", "split.folds=6"]
    run_suite(args, tmp_path)
    (tmp_path / "first.csv").write_bytes((tmp_path / "metrics.csv").read_bytes())
    score_dir(tmp_path)
    assert filecmp.cmp(tmp_path / "first.csv", tmp_path / "metrics.csv", shallow=False)
    import pandas as pd

    m = pd.read_csv(tmp_path / "metrics.csv").set_index(["dataset", "model"])
    # QLIKE is decided by the stored series table: on returns only, not on the sine's levels.
    assert (
        m.loc[("sp500_returns", "arima_garch"), "qlike"] == m.loc[("sp500_returns", "arima_garch"), "qlike"]
    )
    assert pd.isna(m.loc[("sine", "arima_garch"), "qlike"])
