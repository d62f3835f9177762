"""ETS's lean likelihood fit must be statsmodels' own fit, bit for bit (bench/models/ets_mle.py)."""

import warnings

import numpy as np
import pytest
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from bench.data.competitions import entries
from bench.models import ets_mle
from bench.models.ets import ETS, Spec, candidates


def _in_sample(uid: str) -> np.ndarray:
    e = next(e for e in entries("m3") if e.uid == uid)
    return e.y[: e.n_train]


@pytest.mark.parametrize("uid", ["N1402", "N2585"])
def test_every_candidate_reaches_statsmodels_parameters_exactly(uid):
    """Every admissible form of two M3 monthly series: the same floating-point optimum as
    ``ETSModel.fit``, including N2585's damped seasonal forms, which stop at the evaluation cap
    (so the cap's translation, maxfun // (parameters + 1), is checked as well)."""
    z = _in_sample(uid)
    ets = ETS(period=12)
    specs = candidates(len(z), True, 12)
    assert len(specs) == 15
    for spec in specs:
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            ref = ets._model(z, spec).fit(disp=False, maxiter=1000)
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            got = ets_mle.fit(ets._model(z, spec), 1000)
        np.testing.assert_array_equal(np.asarray(got.params), np.asarray(ref.params), err_msg=spec.name)
        assert got.aicc == ref.aicc
        conv = [w for w in theirs if issubclass(w.category, ConvergenceWarning)]
        assert len([w for w in ours if issubclass(w.category, ConvergenceWarning)]) == len(conv), spec.name


def test_the_cap_is_reached_on_n2585():
    """The case above that exercises the evaluation cap really does reach it."""
    z = _in_sample("N2585")
    ets = ETS(period=12)
    with pytest.warns(ConvergenceWarning):
        ets_mle.fit(ets._model(z, Spec("add", "add", True, "add")), 1000)
