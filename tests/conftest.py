"""Shared fixtures: tiny synthetic series and Hydra-composed configs (no network, no big data)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
SHARED_DATA = ROOT.parent / "shared" / "data"

# The nets' size under debug=fast, for the tests that build a net by hand (configs take `debug=fast`).
FAST_DEBUG = dict(OmegaConf.load(CONF / "debug" / "fast.yaml").debug)
# The sizes debug=fast gives every net (the rest of debug shrinks the *_auto searches).
FAST_NEURAL = {k: FAST_DEBUG[k] for k in ("epochs", "hidden_size", "batch_size")}


@pytest.fixture
def random_walk() -> np.ndarray:
    rng = np.random.default_rng(7)
    return 50 + np.cumsum(rng.normal(0, 1, 120))


@pytest.fixture
def ar1_diff() -> np.ndarray:
    """A random walk whose increments are AR(1) with φ = 0.6."""
    rng = np.random.default_rng(11)
    e = rng.normal(0, 1, 200)
    d = np.zeros(200)
    for t in range(1, 200):
        d[t] = 0.6 * d[t - 1] + e[t]
    return 100 + np.cumsum(d)


TEST_DEFAULTS = ["n_jobs=1", "cache=false"]
# The task cache's finished entries (<key[:2]>/<key>.pkl): not running/ checkpoints, not fits/.
TASK_ENTRIES = "[0-9a-f][0-9a-f]/*.pkl"


def compose(overrides: list[str] | None = None, config_dir: Path | None = None):
    """The project's Hydra config composed as the CLI would (no run dir, no side effects)."""
    from bench.config import compose as compose_config

    # One process in tests unless a test asks for more (worker start-up costs seconds).
    # No task cache unless a test asks for one: a cache hit would make every rerun "identical".
    return compose_config([*TEST_DEFAULTS, *(overrides or [])], config_dir)


def settings(overrides: list[str] | None = None, config_dir: Path | None = None):
    """Typed settings as the CLI parses them (baseline added when absent; typed overrides win)."""
    from bench.config import settings_of

    return settings_of([*TEST_DEFAULTS, *(overrides or [])], config_dir)


def run_suite(overrides: list[str], out_dir: Path) -> dict:
    """Every table of a run (frames and metrics) written into ``out_dir``, without the report."""
    from bench.benchmark import run_tables

    return run_tables(settings(overrides), out_dir)


def model_names() -> list[str]:
    """Every model config, local and global (a global net on one series is a collection of one)."""
    return sorted(p.stem for p in (CONF / "models").glob("*.yaml"))


class FailsOnOneFold:
    """A test model that raises on exactly one training length: failure isolation end to end."""

    levels = False

    def __init__(self, fail_len: int) -> None:
        self.fail_len = fail_len

    def fit(self, z: np.ndarray) -> FailsOnOneFold:
        if len(z) == self.fail_len:
            raise RuntimeError("deliberate failure on one fold")
        self.last = float(z[-1])
        return self

    def update(self, z: np.ndarray) -> FailsOnOneFold:
        return self.fit(z)

    def predict(self, h: int):
        from bench.types import Forecast

        return Forecast(mean=np.full(h, self.last))


@pytest.fixture(scope="module")
def private_ray():
    """A private local Ray of 2 CPUs (even when a cluster runs here), no dashboard, nothing reported.

    Its workers inherit this environment: PYTHONPATH lets them import the tests' functions.
    """
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install -c constraints.txt -e .[ray])")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        path = [str(ROOT / "tests"), *filter(None, [os.environ.get("PYTHONPATH")])]
        mp.setenv("PYTHONPATH", os.pathsep.join(path))
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
