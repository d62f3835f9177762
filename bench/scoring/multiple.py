"""Counting the tries: Hansen's SPA test and the Model Confidence Set over the stored forecasts.

One DM test per model answers "does *this* model beat the baseline?"; asked of six models (or eight
configurations of one) on the same origins, one of them clears 5 % by luck far more often than 5 %
of the time. Two tests from ``arch.bootstrap`` count the tries (wrapped here, not re-implemented):

- **SPA** (Hansen 2005, ``arch.bootstrap.SPA``): H0 "no model of the set beats the baseline"; its
  p-value is the honest version of "the best model's DM p". ``spa_pvalue`` is the consistent one.
- **MCS** (Hansen, Lunde & Nason 2011, ``arch.bootstrap.MCS``, statistic T_R): the set of models
  that cannot be told apart from the best at ``mcs_level``; ``in_mcs`` / ``mcs_pvalue`` per model.

Losses are built per series from the rows where every model has a forecast (a model with none is
left out), seeds averaged into one forecast per model (the seed ensemble), ordered by time: origin,
then step. Each loss is a function of that aligned frame (``LOSSES``): squared error always, QLIKE
on return series for the models with a variance. A per-row loss the engine stores (CRPS, once the
forecasts carry a ``crps`` column) plugs in as ``NamedLoss("crps", stored("crps"))``.

Block length (``spa.block_length: auto``): the h-step errors of origins whose targets overlap are
dependent, so a block must hold at least the rows one origin's errors stay dependent over —
H rows per origin × (1 + the later origins sharing a target), i.e. 1 for one-step forecasts and
H·⌈H/step⌉ for H steps —, or the Politis–White (2004) estimate for the loss differentials
(``arch.bootstrap.optimal_block_length``, capped at T / ``MIN_BLOCKS``: it is noisy on short
samples) when that is longer (volatility clustering in squared errors). Fewer than ``MIN_BLOCKS``
spans (one origin of 18 steps, say) cannot be bootstrapped: the p-values are NaN then rather than
numbers the resampling cannot support.

arch 8.0.0's ``SPA.compute`` compares raw mean loss differentials (its ``studentize`` flag only
feeds the recentring threshold), which lets the noisiest model dominate the maximum. Hansen's
statistic divides each by its long-run standard deviation ω̂_k, the same ω̂_k in the bootstrap;
:func:`spa_pvalue` passes the differentials already divided by ω̂_k (arch's own kernel estimate),
which is exactly that, and leaves a studentizing arch unchanged (ω̂ of a studentized column is 1).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from arch.bootstrap import MCS, SPA, optimal_block_length
from joblib import Parallel, delayed, effective_n_jobs

from bench.settings import ScoringSettings, SpaSettings

PER_WORKER = 50  # series per worker below which spreading the bootstraps costs more than it saves

MIN_ROWS = 10  # fewer aligned rows: no SPA/MCS (NaN), as a DM on a handful of points says little
MIN_BLOCKS = 5  # the rows must hold at least this many blocks for the bootstrap to resample anything
ORDER = ["cutoff", "h"]


@dataclass(frozen=True)
class Aligned:
    """One series' forecasts on the rows every model has, in time order (origin, then step)."""

    keys: pd.DataFrame  # cutoff, ds, h: one row per aligned forecast
    y: np.ndarray  # the truth, (T,)
    wide: dict[str, pd.DataFrame]  # forecast column (y_hat, y_var, …) -> T × models, seeds averaged
    returns: bool  # a return series: QLIKE (variance vs y²) means something

    @property
    def models(self) -> list[str]:
        return list(self.wide["y_hat"].columns)


Loss = Callable[[Aligned], "pd.DataFrame | None"]


class NamedLoss(NamedTuple):
    """A loss function over the aligned frame and the suffix its columns get (``spa_pvalue_qlike``)."""

    name: str
    fn: Loss

    @property
    def suffix(self) -> str:
        return "" if self.name == "se" else f"_{self.name}"


def squared_error(a: Aligned) -> pd.DataFrame:
    """(y − ŷ)² per row and model."""
    return a.wide["y_hat"].rsub(a.y, axis=0) ** 2


def qlike(a: Aligned) -> pd.DataFrame | None:
    """log σ² + y²/σ² per row, for the models with a positive variance on every row of a return
    series (the same loss as ``bench.scoring.metrics.qlike``); None when that is no model."""
    v = a.wide.get("y_var")
    if not a.returns or v is None:
        return None
    v = v.loc[:, (v > 0).all() & np.isfinite(v).all()]
    if v.shape[1] == 0:
        return None
    return np.log(v) + (a.y**2)[:, None] / v


def stored(column: str) -> Loss:
    """A per-row loss the engine already stored in the forecasts (e.g. ``crps``), for the models
    that have it on every aligned row; None while no model has it."""

    def loss(a: Aligned) -> pd.DataFrame | None:
        w = a.wide.get(column)
        if w is None:
            return None
        w = w.loc[:, w.notna().all()]
        return w if w.shape[1] else None

    return loss


LOSSES: tuple[NamedLoss, ...] = (
    NamedLoss("se", squared_error),
    NamedLoss("qlike", qlike),
    NamedLoss("crps", stored("crps")),  # per-row CRPS fixed at record time (bench.engine.crps)
)


def align(fc: pd.DataFrame, returns: bool = False, extra: Sequence[str] = ()) -> Aligned | None:
    """One series' forecast rows (any number of models and seeds) on the keys every model has.

    Seeds become one forecast per model (their mean: the seed ensemble); models with no row at all
    are left out rather than emptying the frame; None when fewer than two models remain.
    """
    fc = fc.dropna(subset=["y", "y_hat"])  # a model left with no row drops out here
    cols = ["y_hat", *(c for c in ("y_var", *extra) if c in fc)]
    keys = ["cutoff", "ds", "h"]
    if fc["model"].nunique() < 2:
        return None
    means = fc.groupby([*keys, "model"], sort=True)[[*cols, "y"]].mean()
    wide = means[cols].unstack("model")
    wide = wide[wide["y_hat"].notna().all(axis=1)]
    if wide.empty:
        return None
    # sorted by (cutoff, ds, h): within an origin ds grows with h, so this is origin, then step
    truth = means["y"].groupby(level=keys).first().reindex(wide.index).to_numpy(float)
    models = list(wide["y_hat"].columns)
    parts = {c: wide[c].reindex(columns=models).reset_index(drop=True) for c in cols}
    return Aligned(keys=wide.index.to_frame(index=False), y=truth, wide=parts, returns=returns)


def dependence_span(keys: pd.DataFrame) -> int:
    """Rows (in origin, step order) one origin's errors stay dependent over: its H steps times the
    origins whose targets overlap its own (1 for one-step forecasts, H·⌈H/step⌉ for H steps)."""
    per = keys.groupby("cutoff", sort=True)["ds"].agg(["min", "max", "size"])
    first, last = per["min"].to_numpy(), per["max"].to_numpy()
    later = np.searchsorted(first, last, side="right") - np.arange(len(per)) - 1
    return int(per["size"].max() * (1 + max(int(later.max()), 0)))


def block_length(diffs: np.ndarray, span: int, setting: int | str = "auto") -> int:
    """The stationary bootstrap's mean block: ``setting`` if a number, else the longer of ``span``
    and the Politis–White estimate over the varying loss-differential columns (that one capped at
    T / ``MIN_BLOCKS``); at most T."""
    t = diffs.shape[0]
    if setting != "auto":
        return int(min(int(setting), t))
    varying = diffs[:, np.ptp(diffs, axis=0) > 0]
    pw = np.array([])
    if varying.shape[1] and t >= MIN_ROWS:  # too few rows: no test anyway (and no PW estimate)
        with np.errstate(divide="ignore", invalid="ignore"):  # a column with a few nonzero values
            pw = optimal_block_length(varying)["stationary"].to_numpy(float)
    pw = pw[np.isfinite(pw)]
    # The estimate is noisy on a hundred rows; it may lengthen blocks up to T / MIN_BLOCKS, never
    # past (a structural span that long is another matter: those rows cannot be bootstrapped).
    est = min(math.ceil(float(pw.max())), t // MIN_BLOCKS) if pw.size else 1
    return int(min(max(span, est, 1), t))


def enough(t: int, block: int) -> bool:
    """Enough rows to bootstrap: ``MIN_ROWS`` and ``MIN_BLOCKS`` blocks."""
    return t >= MIN_ROWS and t >= MIN_BLOCKS * block


def rng(sp: SpaSettings, key: str) -> np.random.Generator:
    """A bootstrap generator of its own for each series (or sweep cell): deterministic from the
    settings' seed and the key, independent between series (one seed for all would reuse the same
    resampling indices on every series of equal length)."""
    return np.random.default_rng([sp.seed, zlib.crc32(key.encode())])


def long_run_variance(d: np.ndarray, block: int) -> np.ndarray:
    """ω̂² of each column: γ₀ + 2 Σ_i κ_i γ_i with the stationary bootstrap's weights
    κ_i = (1 − i/T)(1 − p)^i + (i/T)(1 − p)^(T−i), p = 1/block (Hansen 2005; arch's SPA uses the same)."""
    t = d.shape[0]
    x = d - d.mean(axis=0)
    p = 1.0 / block
    out = (x**2).sum(axis=0) / t
    for i in range(1, t):
        kappa = (1.0 - i / t) * (1.0 - p) ** i + (i / t) * (1.0 - p) ** (t - i)
        out += 2.0 * kappa * (x[: t - i] * x[i:]).sum(axis=0) / t
    return out


def spa_pvalue(base: np.ndarray, models: np.ndarray, block: int, sp: SpaSettings, key: str) -> float:
    """Hansen's consistent SPA p-value of H0 "no column of ``models`` has a lower expected loss than
    ``base``" (losses, T × k), studentized (module docstring). NaN when every model's loss equals
    the baseline's on every row (nothing differs, nothing to test) or the rows are too few."""
    d = np.asarray(base, float)[:, None] - np.asarray(models, float).reshape(len(base), -1)
    d = d[:, np.ptp(d, axis=0) > 0]
    if d.shape[1] == 0 or not enough(d.shape[0], block):
        return float("nan")
    omega = np.sqrt(np.maximum(long_run_variance(d, block), 0.0))
    omega[~(omega > 0)] = 1.0
    test = SPA(np.zeros(d.shape[0]), -d / omega, block_size=block, reps=sp.reps, seed=rng(sp, key))
    test.compute()
    return float(test.pvalues["consistent"])


def mcs_pvalues(losses: pd.DataFrame, block: int, sp: SpaSettings, key: str) -> pd.Series:
    """The MCS p-value of each column (in the set at ``mcs_level`` when > 1 − level). Columns with
    identical losses share one entry (the R statistic divides by their zero spread otherwise)."""
    nan = pd.Series(np.nan, index=losses.columns)
    if losses.shape[1] < 2 or not enough(losses.shape[0], block):
        return nan
    arr = losses.to_numpy(float)
    _, first, which = np.unique(arr.T, axis=0, return_index=True, return_inverse=True)
    which = np.asarray(which).reshape(-1)
    if len(first) == 1:
        return pd.Series(1.0, index=losses.columns)
    test = MCS(arr[:, first], size=1.0 - sp.mcs_level, reps=sp.reps, block_size=block, seed=rng(sp, key))
    test.compute()
    p = test.pvalues["Pvalue"].reindex(range(len(first))).to_numpy(float)
    return pd.Series(p[which], index=losses.columns)


def test_losses(
    a: Aligned, baseline: str, sp: SpaSettings, key: str, losses: Sequence[NamedLoss] = LOSSES
) -> tuple[dict[str, float], pd.DataFrame]:
    """SPA and MCS on every loss of one aligned frame: the series-level numbers (``spa_pvalue``,
    ``spa_models``, ``spa_rows``, ``spa_block``, then ``spa_pvalue_<loss>``) and one row per model
    (``in_mcs``, ``mcs_pvalue`` and their ``_<loss>`` twins)."""
    top: dict[str, float] = {}
    per = pd.DataFrame(index=pd.Index(a.models, name="model"))
    se = squared_error(a)
    block = None
    for loss in losses:
        mat = loss.fn(a)
        if mat is None or mat.shape[1] == 0:
            continue
        if block is None:  # one block per series: from the squared-error differentials to the baseline
            base = se[baseline].to_numpy()[:, None] if baseline in se else se.iloc[:, :1].to_numpy()
            block = block_length(base - se.to_numpy(), dependence_span(a.keys), sp.block_length)
            others = [m for m in a.models if m != baseline]
            top.update(spa_models=float(len(others)), spa_rows=float(len(a.y)), spa_block=float(block))
        s = loss.suffix
        others = [m for m in mat.columns if m != baseline]
        if baseline in mat and others:
            top[f"spa_pvalue{s}"] = spa_pvalue(
                mat[baseline].to_numpy(), mat[others].to_numpy(), block, sp, key
            )
        p = mcs_pvalues(mat, block, sp, key)
        per[f"mcs_pvalue{s}"] = p
        inside = pd.array(
            [pd.NA if np.isnan(v) else bool(v > 1.0 - sp.mcs_level) for v in p], dtype="boolean"
        )
        per[f"in_mcs{s}"] = pd.Series(inside, index=p.index)
    return top, per


def tries(forecasts: pd.DataFrame, returns: set[tuple], sc: ScoringSettings, n_jobs: int = 1) -> pd.DataFrame:
    """One row per dataset × series × model of a run: the series' SPA p-value(s) and the model's
    MCS membership, from the forecasts alone (``returns``: the (dataset, unique_id) of return series).

    The bootstraps are the costly part of scoring a collection (about a minute for 1045 series), so
    series are spread over ``n_jobs`` processes (joblib's convention, -1: every core) in contiguous
    chunks; each series' bootstrap is seeded from its own key, so the result never depends on it."""
    fc = forecasts if "unique_id" in forecasts else forecasts.assign(unique_id=forecasts["dataset"])
    groups = list(fc.groupby(["dataset", "unique_id"], sort=False))
    workers = min(effective_n_jobs(n_jobs), max(1, len(groups) // PER_WORKER))
    if workers <= 1:
        rows = _tries_of(groups, returns, sc)
    else:
        size = -(-len(groups) // (4 * workers))
        parts = Parallel(n_jobs=workers)(
            delayed(_tries_of)(groups[i : i + size], returns, sc) for i in range(0, len(groups), size)
        )
        rows = [r for part in parts for r in part]
    if not rows:
        return pd.DataFrame(columns=["dataset", "unique_id", "model"])
    out = pd.concat(rows, ignore_index=True)
    head = ["dataset", "unique_id", "model"]
    return out[head + [c for c in out.columns if c not in head]]


def _tries_of(groups: list, returns: set[tuple], sc: ScoringSettings) -> list[pd.DataFrame]:
    """:func:`tries`' rows of some series (``groups``: ((dataset, unique_id), forecasts) pairs)."""
    rows = []
    for (ds_name, uid), g in groups:
        a = align(g, returns=(ds_name, uid) in returns, extra=("crps",))
        if a is None:
            continue
        top, per = test_losses(a, sc.baseline, sc.spa, key=f"{ds_name}\0{uid}")
        rows.append(per.reset_index().assign(dataset=ds_name, unique_id=uid, **top))
    return rows
