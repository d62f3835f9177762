"""What make reproduce's speed rests on: a levels model's task key leaves out the shared transform
(it is handed the raw series), so runs that differ only there share its cached tasks, while a
transformed model's key keeps it; global models' tasks are dispatched first without moving a number."""

from __future__ import annotations

from bench.engine import suite
from bench.engine.cache import task_key
from bench.engine.prepare import prepare

from conftest import settings

RUN = ["datasets=[sine]", "models=[naive,theta,linear]", "split.folds=6", "split.refit_every=3"]
RAW = ["transform.diff=0", "transform.scale=none"]
SHARED = ["transform.diff=1", "transform.scale=minmax"]


def tasks_of(transform: list[str], tmp_path=None) -> dict:
    cache = ["cache=true", f"cache_dir={tmp_path}"] if tmp_path else []
    s = settings([*RUN, *transform, *cache])
    return s, {t.name: t for t in suite.tasks(s, prepare(s))}


def test_only_the_transformed_models_key_changes_with_the_shared_transform():
    _, raw = tasks_of(RAW)
    _, shared = tasks_of(SHARED)
    keys = {
        name: (task_key(suite.task_parts(raw[name])), task_key(suite.task_parts(shared[name])))
        for name in raw
    }
    assert keys["naive"][0] == keys["naive"][1]
    assert keys["theta"][0] == keys["theta"][1]
    assert keys["linear"][0] != keys["linear"][1]


def test_a_levels_models_forecasts_do_not_depend_on_the_shared_transform():
    _, raw = tasks_of(RAW)
    _, shared = tasks_of(SHARED)
    for name in ("naive", "theta"):
        (fa, da), (fb, db) = suite.run_task(raw[name]), suite.run_task(shared[name])
        assert fa.equals(fb)
        assert da.drop(columns="seconds").equals(db.drop(columns="seconds"))
    fa, _ = suite.run_task(raw["linear"])
    fb, _ = suite.run_task(shared["linear"])
    assert not fa["y_hat"].equals(fb["y_hat"])  # the premise: the transform does move a transformed model


def test_a_second_run_with_another_transform_reads_the_levels_tasks_from_the_cache(tmp_path):
    s, _ = tasks_of(RAW, tmp_path)
    first, _ = suite.execute(s, prepare(s))
    s, _ = tasks_of(SHARED, tmp_path)
    second, stats = suite.execute(s, prepare(s))
    assert stats["hits"] == 2 and stats["computed"] == 1  # naive and theta read back, linear fitted
    for name in ("naive", "theta"):
        a = first["forecasts"][first["forecasts"].model == name].reset_index(drop=True)
        b = second["forecasts"][second["forecasts"].model == name].reset_index(drop=True)
        assert a.equals(b)


def test_global_tasks_are_dispatched_first_and_the_tables_keep_task_order(monkeypatch):
    s = settings(["datasets=[sine]", "models=[naive,rnn_global]", "debug=fast"])
    with monkeypatch.context() as m:  # the tasks in model order, as before
        m.setattr(suite, "dispatch_order", lambda todo, missing: list(missing))
        plain, _ = suite.execute(s, prepare(s))
    sent = []
    real = suite.parallel_map

    def spy(fn, items, *args):
        sent.extend(t.name for t in items)
        return real(fn, items, *args)

    monkeypatch.setattr(suite, "parallel_map", spy)
    ordered, _ = suite.execute(s, prepare(s))
    assert sent == ["rnn_global", "naive"]
    assert ordered["forecasts"].equals(plain["forecasts"])
    assert ordered["folds"].drop(columns="seconds").equals(plain["folds"].drop(columns="seconds"))
