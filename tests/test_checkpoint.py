"""Resume inside a task: the fold loop's state at a scheduled refit, pickled and restored, gives the
uninterrupted results — for every model config, local and global — and a task killed mid-loop
continues from its last checkpoint."""

from __future__ import annotations

import pickle
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from bench.engine import suite
from bench.engine.cache import Checkpoint, TaskCache, task_key
from bench.engine.fleets import fleet_of
from bench.engine.runner import LoopState, run_folds
from bench.prep.splits import rolling_origin
from bench.prep.transforms import build_pipeline
from bench.settings import SplitSettings

from conftest import CONF, compose, settings

FOLDS, H, EVERY = 6, 2, 2
NAMES = sorted(p.stem for p in (CONF / "models").glob("*.yaml"))  # local and global


def factory(name: str):
    from hydra.utils import instantiate

    node = compose([f"models=[{name}]", "datasets=[]", "window=6", "debug=fast"]).models[name]
    if "period" in node and node.period is None:
        node.period = 5
    if "window" in node and node.window > 10:
        node.window = 10
    return instantiate(node)


def assert_same_results(a, b) -> None:
    for ra, rb in zip(a, b, strict=True):
        for x, y in zip(ra, rb, strict=True):
            assert (x.fold, x.status, x.error, x.refit, x.info) == (
                y.fold,
                y.status,
                y.error,
                y.refit,
                y.info,
            )
            for f in ("y_hat", "y_var", "y_lo", "y_hi"):
                np.testing.assert_array_equal(getattr(x, f), getattr(y, f))


@pytest.mark.parametrize("name", NAMES)
def test_resuming_from_a_mid_run_checkpoint_gives_the_uninterrupted_results(name, random_walk):
    ys = [random_walk, random_walk[:-7] * 1.5 + 3.0]
    splits = [
        list(rolling_origin(len(y), SplitSettings(folds=FOLDS, horizon=H, step=3), min_train=40)) for y in ys
    ]
    make = factory(name)

    def run(checkpoint=None, resume=None):
        fleet = resume.fleet if resume else fleet_of(make, len(ys))
        return run_folds(ys, splits, fleet, partial(build_pipeline, diff=1), H, refit_every=EVERY,
                         checkpoint=checkpoint, resume=resume)  # fmt: skip

    saved: list[bytes] = []
    whole = run(checkpoint=lambda state: saved.append(pickle.dumps(state)))
    assert len(saved) == FOLDS // EVERY - 1  # before each scheduled refit after the first
    middle: LoopState = pickle.loads(saved[0])
    assert middle.fold == EVERY and [len(r) for r in middle.results] == [EVERY] * len(middle.results)
    assert_same_results(run(resume=middle), whole)
    assert any(r.status == "ok" for rs in whole for r in rs), f"{name}: nothing was compared"


def test_a_checkpoint_is_written_atomically_at_most_every_few_seconds(tmp_path):
    path = tmp_path / "running" / ("a" * 64 + ".pkl")
    ck = Checkpoint(path, every=0.0)
    assert ck.load() is None
    ck.save({"fold": 3})
    assert Checkpoint(path).load() == {"fold": 3}
    ck.save({"fold": 5})  # replaces the earlier state
    assert Checkpoint(path).load() == {"fold": 5}
    slow = Checkpoint(path, every=3600.0)
    slow.save({"fold": 9})  # too soon after the start: skipped
    assert Checkpoint(path).load() == {"fold": 5}
    path.write_bytes(path.read_bytes()[:-5])  # a torn file is ignored, not trusted
    assert Checkpoint(path).load() is None
    assert not list(path.parent.glob("*.tmp"))
    assert Checkpoint(None).load() is None


class Killed(Exception):
    pass


def test_a_task_killed_mid_loop_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    s = settings(["datasets=[sine]", "models=[naive,arima_fixed]", "split.folds=12", "split.refit_every=3",
                  "cache=true", f"cache_dir={tmp_path}"])  # fmt: skip
    from bench.engine.prepare import prepare

    prepared = prepare(s)
    (task,) = [t for t in suite.tasks(s, prepared) if t.name == "arima_fixed"]
    key = task_key(suite.task_parts(task))
    task = replace(task, checkpoint=TaskCache(tmp_path).checkpoint_path(key))
    fresh = suite.run_task(replace(task, checkpoint=None))

    monkeypatch.setattr("bench.engine.cache.CHECKPOINT_EVERY", 0.0)
    real_step = suite.Local.step
    seen = {"folds": 0, "die_at": 7}

    def step(self, i, trains, ctx):
        if i == seen["die_at"]:
            raise Killed  # the process dies after the checkpoint at fold 6
        seen["folds"] += 1
        return real_step(self, i, trains, ctx)

    monkeypatch.setattr(suite.Local, "step", step)
    with pytest.raises(Killed):
        suite.run_task(task)
    saved = Checkpoint(task.checkpoint).load()
    assert saved["loop"].fold == 6 and saved["group"] == 0
    seen.update(folds=0, die_at=None)
    resumed = suite.run_task(task)
    assert seen["folds"] == 12 - 6  # only the folds after the checkpoint ran again
    for a, b in zip(resumed, fresh, strict=True):
        pdt.assert_frame_equal(
            a.drop(columns=["seconds"], errors="ignore"), b.drop(columns=["seconds"], errors="ignore")
        )
    assert isinstance(resumed[0], pd.DataFrame)
