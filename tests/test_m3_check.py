import pytest

from bench.perf.m3_check import m3_monthly, score


def test_the_m3_selection_is_the_papers_1045_series_with_18_test_points():
    series = list(m3_monthly())
    assert len(series) == 1045
    assert all(81 <= len(x) <= 126 and len(xx) == 18 for _, x, xx in series)


@pytest.mark.slow
def test_naive2_reproduces_makridakis_2018_on_m3_monthly():
    s = score("naive2")
    assert s.n_series == 1045 and s.failed == 0
    assert s.smape == pytest.approx(8.59, abs=0.02)
    assert s.mase == pytest.approx(0.567, abs=0.002)
