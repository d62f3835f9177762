"""Your own model: any class with fit/update/predict, built by Hydra's instantiate (nested
``_target_`` nodes become objects), its capabilities read from the class, its protocol checked
before any fit."""

from __future__ import annotations

import numpy as np
import pytest

from bench.engine.build import ModelRun, model_capabilities
from bench.engine.prepare import prepare
from bench.engine.suite import check_models
from bench.errors import ConfigError
from bench.models.base import Capabilities

from conftest import run_suite, settings

RUN = ["datasets=[sine]", "split.folds=6", "seeds=[0,1]"]


def mine(target: str, *extra: str) -> list[str]:
    return [*RUN, "models=[naive]", f"+models.mine._target_={target}", "+models.mine._partial_=true", *extra]


def test_a_plain_class_runs_as_a_local_deterministic_model(tmp_path):
    s = settings(mine("userland.Drift", "+models.mine.shrink=0.5"))
    assert model_capabilities(s.model("mine")) == Capabilities(False, "local", False, "no", False)
    fc = run_suite_from(s, tmp_path)["forecasts"]
    got = fc[fc["model"] == "mine"]
    assert len(got) == 6 and set(got["seed"]) == {0}  # deterministic: run once, not per seed


def run_suite_from(s, out):
    from bench.benchmark import run_tables

    return run_tables(s, out)


@pytest.mark.parametrize(
    ("target", "extra", "says"),
    [
        ("userland.NoPredict", [], "has no predict method"),
        ("userland.NoUpdate", ["split.refit_every=3"], "has no update method (split.refit_every > 1"),
        ("userland.ReturnsArray", [], "predict(1) returned ndarray, not a bench.types.Forecast"),
        ("userland.Nowhere", [], "models.mine._target_=userland.Nowhere cannot be imported"),
        ("userland.Drift.predict", [], "is a function, not a class"),
    ],
)
def test_a_class_the_fold_loop_cannot_use_stops_the_run_before_any_fit(target, extra, says):
    s = settings(mine(target, *extra))
    with pytest.raises(ConfigError) as err:
        check_models(s, prepare(s))
    text = str(err.value)
    assert says in text and "mine" in text
    if "cannot be imported" not in text and "not a class" not in text:
        assert target in text  # the class is named, with the config


def test_update_is_not_required_when_every_origin_refits():
    s = settings(mine("userland.NoUpdate", "split.refit_every=1"))
    check_models(s, prepare(s))  # no error


def test_nested_target_nodes_arrive_as_objects(tmp_path):
    s = settings(
        mine("userland.WithPart", "+models.mine.part._target_=userland.Offset", "+models.mine.part.by=2.5")
    )
    model = ModelRun(s.model("mine"), 0).make(None)()
    assert type(model.part).__name__ == "Offset" and model.part.by == 2.5
    fc = run_suite_from(s, tmp_path)["forecasts"]
    drift = fc[fc["model"] == "mine"]
    assert len(drift) == 6 and np.all(np.isfinite(drift["y_hat"]))


def test_validate_checks_the_protocol_too(capsys):
    from bench.benchmark import benchmark

    s = settings(mine("userland.ReturnsArray", "validate=true"))
    with pytest.raises(ConfigError, match="not a bench.types.Forecast"):
        benchmark(s, None)  # type: ignore[arg-type]


def test_the_capabilities_of_a_run_are_stored_with_it(tmp_path):
    import json

    run_suite(
        ["datasets=[sine]", "models=[naive,lstm]", "split.folds=2", "debug=fast"],
        tmp_path,
    )
    caps = json.loads((tmp_path / "run.json").read_text())["models"]
    assert caps["lstm"]["stochastic"] and caps["lstm"]["scope"] == "local" and caps["naive"]["levels"]
