"""Seasonal naive: last season's value, for any horizon."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from bench.models.naive import Naive
from bench.models.seasonal import SeasonalNaive

from conftest import CONF


@pytest.mark.parametrize("m", [1, 4, 12])
def test_forecast_equals_the_value_one_period_earlier_up_to_two_periods(m):
    y = np.random.default_rng(m).normal(size=50)
    h = 2 * m
    fc = SeasonalNaive(period=m).fit(y).predict(h)
    n = len(y)
    # y_{T+i-m·ceil(i/m)}, with T = n - 1 the last observed position and i = 1..h.
    expected = [y[n - 1 + i - m * math.ceil(i / m)] for i in range(1, h + 1)]
    np.testing.assert_array_equal(fc.mean, expected)
    assert fc.var is None and fc.paths is None


def test_period_one_is_plain_persistence():
    y = np.arange(10.0) ** 2
    np.testing.assert_array_equal(
        SeasonalNaive(period=1).fit(y).predict(3).mean, Naive().fit(y).predict(3).mean
    )


def test_update_reads_the_new_last_season():
    y = np.arange(30.0)
    model = SeasonalNaive(period=5).fit(y[:20])
    np.testing.assert_array_equal(model.update(y).predict(5).mean, y[-5:])


def test_sees_the_raw_series():
    assert SeasonalNaive.levels is True


def test_too_short_history_and_bad_period_are_clear_errors():
    with pytest.raises(ValueError, match="full season"):
        SeasonalNaive(period=12).fit(np.ones(5))
    with pytest.raises(ValueError, match="period"):
        SeasonalNaive(period=0)


def test_yaml_instantiates_a_working_model():
    cfg = OmegaConf.load(CONF / "models" / "seasonal_naive.yaml")
    assert cfg.period is None, "null = the dataset's period, filled in by the suite"
    model = instantiate(cfg)(period=4)
    assert isinstance(model, SeasonalNaive) and model.period == 4
    y = np.arange(40.0)
    np.testing.assert_array_equal(model.fit(y).predict(2).mean, y[-4:][:2])
