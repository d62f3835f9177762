"""The variance proxy: formulas, no look-ahead, OHLC from a CSV, clear errors when columns lack."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.data.csv import load_csv
from bench.data.errors import DataError
from bench.data.synthetic import garch_ohlc_frame
from bench.errors import ConfigError
from bench.prep.proxy import garman_klass, parkinson, squared, variance_factor, with_proxy
from bench.prep.steps import Difference, Scale
from bench.types import Collection, Dataset


def ohlc_csv(tmp_path, n=300, seed=0, **kw):
    frame = garch_ohlc_frame(n, seed=seed, **kw)
    path = tmp_path / "ohlc.csv"
    frame.drop(columns="true_var").to_csv(path, index=False)
    return path, frame


def test_squared_proxy_is_demeaned_with_earlier_returns_only():
    r = np.array([1.0, -2.0, 0.5, 3.0])
    expected = [1.0, (-2.0 - 1.0) ** 2, (0.5 + 0.5) ** 2, (3.0 + 0.5 / 3) ** 2]
    np.testing.assert_allclose(squared(r), expected)
    changed = r.copy()
    changed[3] = 100.0  # a later return moves no earlier proxy
    np.testing.assert_array_equal(squared(changed)[:3], squared(r)[:3])


def test_range_proxies_match_their_formulas_and_add_the_overnight_jump():
    pc, o, h, lo, c = 100.0, 101.0, 104.0, 99.0, 102.0
    on, hl, co = 100 * np.log(o / pc), 100 * np.log(h / lo), 100 * np.log(c / o)
    assert parkinson(pc, o, h, lo, c) == pytest.approx(on**2 + hl**2 / (4 * np.log(2)))
    assert garman_klass(pc, o, h, lo, c) == pytest.approx(on**2 + 0.5 * hl**2 - (2 * np.log(2) - 1) * co**2)
    assert garman_klass(o, o, h, lo, c) < garman_klass(pc, o, h, lo, c)  # no gap, no overnight term


def test_range_proxies_of_a_simulated_day_have_the_true_variance_as_expectation():
    f = garch_ohlc_frame(3000, steps=1000, seed=1)
    pc, o, h, lo, c = (f[k].to_numpy()[1:] for k in ("Close", "Open", "High", "Low", "Close"))
    pc = f["Close"].to_numpy()[:-1]
    truth = f["true_var"].to_numpy()[1:]
    r = 100 * np.log(c / pc)
    for proxy, tol in ((garman_klass(pc, o, h, lo, c), 0.07), (parkinson(pc, o, h, lo, c), 0.07)):
        assert np.mean(proxy / truth) == pytest.approx(1.0, abs=tol)  # sampling the range 1000×/day
        assert np.all(proxy >= 0)
    assert np.mean(r**2 / truth) == pytest.approx(1.0, abs=0.1)
    # Garman–Klass is far less noisy than the squared return: the reason to prefer it.
    assert np.var(garman_klass(pc, o, h, lo, c) / truth) < np.var(r**2 / truth) / 4


def test_csv_loads_open_high_low_beside_the_close_in_time_order(tmp_path):
    path, frame = ohlc_csv(tmp_path, n=50)
    reversed_path = tmp_path / "newest_first.csv"
    frame.drop(columns="true_var").iloc[::-1].to_csv(reversed_path, index=False)
    ds = load_csv(
        str(reversed_path), "Close", time_col="Date", open_col="Open", high_col="High", low_col="Low"
    )
    np.testing.assert_allclose(ds.y.to_numpy(), frame["Close"])
    np.testing.assert_allclose(ds.ohlc["high"].to_numpy(), frame["High"])
    assert list(ds.ohlc.index) == list(ds.y.index)


def test_csv_rows_dropped_for_a_missing_close_drop_their_prices_too(tmp_path):
    path, frame = ohlc_csv(tmp_path, n=40)
    text = path.read_text().splitlines()
    cells = text[5].split(",")
    cells[4] = ""  # the close of data row 4 (line 6)
    text[5] = ",".join(cells)
    path.write_text("\n".join(text) + "\n")
    ds = load_csv(str(path), "Close", missing="drop", open_col="Open", high_col="High", low_col="Low")
    keep = np.r_[0:4, 5:40]
    np.testing.assert_allclose(ds.ohlc["low"].to_numpy(), frame["Low"].to_numpy()[keep])


def test_csv_needs_all_three_price_columns(tmp_path):
    path, _ = ohlc_csv(tmp_path, n=40)
    with pytest.raises(ConfigError, match="high_col, datasets.csv.low_col not given"):
        load_csv(str(path), "Close", open_col="Open")


def test_csv_day_with_a_high_below_its_close_is_named_by_line(tmp_path):
    path, frame = ohlc_csv(tmp_path, n=40)
    frame = frame.drop(columns="true_var")
    frame.loc[7, "High"] = frame.loc[7, "Close"] * 0.9
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="line 9 has open"):
        load_csv(str(path), "Close", open_col="Open", high_col="High", low_col="Low")


def price_collection(with_ohlc: bool) -> Collection:
    f = garch_ohlc_frame(30, seed=2)
    y = pd.Series(f["Close"].to_numpy(), index=pd.RangeIndex(30, name="ds"))
    ohlc = f[["Open", "High", "Low"]].set_axis(["open", "high", "low"], axis=1) if with_ohlc else None
    return Collection.of(Dataset("px", y, ohlc=None if ohlc is None else ohlc.set_axis(y.index)))


def test_with_proxy_gives_each_return_its_range_proxy_and_the_first_price_none():
    coll = with_proxy(price_collection(True), "returns", "garman_klass")
    f = coll.frame
    assert np.isnan(f["y_proxy"].iloc[0]) and np.all(np.isfinite(f["y_proxy"].iloc[1:]))
    c = f["y"].to_numpy()
    expected = garman_klass(c[:-1], f["open"].iloc[1:], f["high"].iloc[1:], f["low"].iloc[1:], c[1:])
    np.testing.assert_allclose(f["y_proxy"].iloc[1:], expected)


def test_level_series_get_no_proxy_and_returns_series_get_the_squared_one():
    assert "y_proxy" not in with_proxy(price_collection(False), "level", "garman_klass").frame
    r = pd.Series(np.array([0.5, -1.0, 2.0]), index=pd.RangeIndex(3, name="ds"))
    coll = with_proxy(Collection.of(Dataset("r", r, returns=True)), "level", "squared")
    np.testing.assert_allclose(coll.frame["y_proxy"], squared(r.to_numpy()))


@pytest.mark.parametrize("kind", ["garman_klass", "parkinson"])
def test_a_range_proxy_without_prices_is_a_config_error_naming_setting_and_columns(kind):
    with pytest.raises(ConfigError, match=rf"variance_proxy={kind} needs .* has no open, high, low"):
        with_proxy(price_collection(False), "returns", kind)
    r = pd.Series(np.ones(3), index=pd.RangeIndex(3, name="ds"))
    with pytest.raises(ConfigError, match="already returns"):
        with_proxy(Collection.of(Dataset("r", r, returns=True)), "level", kind)


def test_variance_factor_maps_the_proxy_onto_the_scaled_series_and_refuses_differencing():
    y = np.random.default_rng(0).normal(0, 3, 200)
    scale = Scale("standard").fit(y)
    assert variance_factor([scale]) == pytest.approx(1 / np.var(y))
    assert variance_factor([]) == 1.0
    with pytest.raises(ConfigError):
        variance_factor([Difference(1), scale])
