"""The content-addressed task cache: stable keys, verified entries, atomic writes."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from bench.engine import cache as cache_mod
from bench.engine.cache import TaskCache, code_fingerprint, data_fingerprint, package_versions, task_key

PARTS = {
    "model": "arima",
    "kwargs": {"order": [1, 1], "trend": "c"},
    "seed": np.int64(3),
    "alpha": 0.05,
    "split": {"folds": 20, "horizon": 1},
}


@dataclass(frozen=True)
class Spec:
    folds: int
    level: float


def entries(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_same_parts_in_another_order_give_the_same_key():
    shuffled = {"split": {"horizon": 1, "folds": 20}, "alpha": 0.05, "seed": 3,
                "kwargs": {"trend": "c", "order": [1, 1]}, "model": "arima"}  # fmt: skip
    assert task_key(PARTS) == task_key(shuffled)
    assert len(task_key(PARTS)) == 64


def test_a_changed_float_or_type_gives_another_key():
    base = task_key(PARTS)
    assert 0.05 + 1e-19 == 0.05 and task_key({**PARTS, "alpha": 0.05 + 1e-19}) == base  # same double
    assert task_key({**PARTS, "alpha": float(np.nextafter(0.05, 1))}) != base
    assert task_key({**PARTS, "alpha": np.float64(0.05)}) == base  # numpy scalars normalised
    assert task_key({**PARTS, "seed": 3.0}) != base  # 3 and 3.0 are different settings
    assert task_key({**PARTS, "kwargs": {"order": [1, 2], "trend": "c"}}) != base
    assert task_key({"x": float("nan")}) == task_key({"x": np.nan}) != task_key({"x": float("inf")})


def test_arrays_and_dataclasses_are_hashed_by_content():
    a = np.arange(5.0)
    assert task_key({"a": a}) == task_key({"a": a.copy()})
    assert task_key({"a": a}) != task_key({"a": a.astype(np.float32)})
    assert task_key({"s": Spec(20, 0.9)}) == task_key({"s": Spec(20, 0.9)})
    assert task_key({"s": Spec(20, 0.9)}) != task_key({"s": Spec(20, 0.8)})
    with pytest.raises(TypeError, match="cannot hash a object"):
        task_key({"x": object()})


def test_data_fingerprint_sees_values_and_index():
    y = np.linspace(0, 1, 50)
    days = pd.date_range("2000-01-01", periods=50, freq="D")
    fp = data_fingerprint(y, days)
    assert fp == data_fingerprint(y.copy(), pd.date_range("2000-01-01", periods=50, freq="D"))
    assert fp == data_fingerprint(y, days.as_unit("s"))  # the stored resolution does not matter
    z = y.copy()
    z[-1] += 1e-12
    assert data_fingerprint(z, days) != fp
    assert data_fingerprint(y, days + pd.Timedelta("1D")) != fp
    assert data_fingerprint(y, pd.RangeIndex(50)) != fp
    assert data_fingerprint(y, days.tz_localize("UTC")) != fp


def test_package_versions_names_the_numeric_stack():
    v = package_versions()
    assert set(v) == {"lagbench", "numpy", "pandas", "scipy", "statsmodels", "arch", "torch", "scikit-learn"}
    assert v["numpy"] == np.__version__


def test_code_fingerprint_changes_with_the_fold_loops_code_only(tmp_path):
    for f in ("models/arima.py", "engine/runner.py", "report/render.py", "types.py"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text(f"# {f}\n")
    fp = code_fingerprint(tmp_path)
    (tmp_path / "report" / "render.py").write_text("# a new report layout\n")
    assert code_fingerprint(tmp_path) == fp  # reports are rendered from stored forecasts
    (tmp_path / "models" / "arima.py").write_text("# a changed model\n")
    assert code_fingerprint(tmp_path) == fp  # a model's code is keyed per model (model_code)
    (tmp_path / "engine" / "runner.py").write_text("# a changed fold loop\n")
    assert code_fingerprint(tmp_path) != fp
    assert len(code_fingerprint()) == 64  # the installed package itself


def _package(root, name: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_model_code_covers_a_user_package_and_what_it_imports_from_itself(tmp_path, monkeypatch):
    _package(tmp_path, "userpkg_a", {
        "__init__.py": "",
        "drift.py": "import numpy\nfrom userpkg_a import util\nfrom .maths import slope\nclass Drift: ...\n",
        "util.py": "X = 1\n",
        "maths.py": "def slope(): ...\n",
        "unrelated.py": "Y = 2\n",
    })  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))
    got = cache_mod.model_code(["userpkg_a.drift.Drift"])
    assert set(got) == {"userpkg_a", "userpkg_a.drift", "userpkg_a.util", "userpkg_a.maths"}  # no numpy
    (tmp_path / "userpkg_a" / "unrelated.py").write_text("Y = 3\n")
    assert cache_mod.model_code(["userpkg_a.drift.Drift"]) == got
    (tmp_path / "userpkg_a" / "maths.py").write_text("def slope(): return 1\n")
    changed = cache_mod.model_code(["userpkg_a.drift.Drift"])
    assert (
        changed["userpkg_a.maths"] != got["userpkg_a.maths"]
        and changed["userpkg_a.drift"] == got["userpkg_a.drift"]
    )


def test_model_code_of_a_top_level_module_takes_its_neighbours_only(tmp_path, monkeypatch):
    (tmp_path / "usermod_b.py").write_text("import json\nimport usermod_b_helper\nclass M: ...\n")
    (tmp_path / "usermod_b_helper.py").write_text("Z = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert set(cache_mod.model_code(["usermod_b.M"])) == {"usermod_b", "usermod_b_helper"}
    assert cache_mod.targets_of(
        {"_target_": "a.B", "net": {"_target_": "c.D", "k": [{"_target_": "e.F"}]}}
    ) == ["a.B", "c.D", "e.F"]


def test_bench_models_are_keyed_by_their_own_modules():
    naive = cache_mod.model_code(["bench.models.naive.Naive"])
    lstm = cache_mod.model_code(["bench.models.recurrent.LSTM"])
    assert "bench.models.naive" in naive and "bench.models.recurrent" not in naive
    assert {"bench.models.recurrent", "bench.models.torch_loop"} <= set(lstm)


def test_round_trip_and_sharding(tmp_path):
    c = TaskCache(tmp_path)
    key = task_key(PARTS)
    result = {"mean": np.arange(3.0), "info": {"order": (1, 0, 1)}}
    assert c.get(key) is None
    assert c.put(key, result)
    got = c.get(key)
    np.testing.assert_array_equal(got["mean"], result["mean"])
    assert got["info"] == result["info"]
    assert entries(tmp_path) == [tmp_path / key[:2] / f"{key}.pkl"]
    assert (c.stats.hits, c.stats.misses, c.stats.writes, c.stats.corrupt) == (1, 1, 1, 0)


def test_disabled_cache_stores_nothing(tmp_path):
    c = TaskCache(tmp_path, enabled=False)
    key = task_key(PARTS)
    assert not c.put(key, 1)
    assert c.get(key) is None and entries(tmp_path) == []


@pytest.mark.parametrize("damage", ["truncate", "flip_payload", "flip_header", "empty", "wrong_key"])
def test_a_damaged_entry_is_detected_deleted_and_counted(tmp_path, damage):
    c = TaskCache(tmp_path)
    key, other = task_key(PARTS), task_key({"other": 1})
    c.put(key, list(range(100)))
    path = c.path(key)
    blob = bytearray(path.read_bytes())
    if damage == "truncate":
        blob = blob[: len(blob) - 7]
    elif damage == "flip_payload":
        blob[-3] ^= 0xFF
    elif damage == "flip_header":
        blob[len(cache_mod.MAGIC) + 12] ^= 0x01
    elif damage == "empty":
        blob = bytearray()
    else:  # an intact entry filed under another key (e.g. copied by hand)
        c.put(other, "x")
        blob = bytearray(c.path(other).read_bytes())
    path.write_bytes(bytes(blob))
    assert c.get(key) is None
    assert not path.exists() and c.stats.corrupt == 1
    assert c.put(key, "recomputed") and c.get(key) == "recomputed"


def test_a_crash_mid_write_leaves_no_entry_and_no_temporary_file(tmp_path, monkeypatch):
    c = TaskCache(tmp_path)
    key = task_key(PARTS)

    def crash(fd):  # the bytes are in the temporary file; the process dies before the rename
        raise KeyboardInterrupt("simulated crash")

    monkeypatch.setattr(cache_mod.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        c.put(key, np.arange(1000.0))
    assert entries(tmp_path) == []
    monkeypatch.undo()
    assert c.get(key) is None


def test_a_full_disk_warns_and_keeps_going(tmp_path, monkeypatch):
    c = TaskCache(tmp_path)
    key = task_key(PARTS)

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_mod.os, "fsync", full)
    with pytest.warns(UserWarning, match="No space left"):
        assert c.put(key, 1) is False
    assert entries(tmp_path) == [] and c.stats.write_errors == 1


def test_an_unpicklable_result_raises_and_writes_nothing(tmp_path):
    c = TaskCache(tmp_path)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        c.put(task_key(PARTS), lambda: 1)
    assert entries(tmp_path) == []


def test_a_bad_key_is_refused(tmp_path):
    with pytest.raises(ValueError, match="64 lowercase hex"):
        TaskCache(tmp_path).get("../etc/passwd")


def test_the_first_stored_entry_wins_and_stays_whole(tmp_path):
    # Two sweep jobs computing one task at once must end up with the same stored result.
    c = TaskCache(tmp_path)
    key = task_key(PARTS)
    c.put(key, "a" * 10_000)
    c.put(key, "b")
    assert c.get(key) == "a" * 10_000
    assert not [p for p in tmp_path.rglob("*.tmp")]
    assert os.listdir(tmp_path / key[:2]) == [f"{key}.pkl"]
