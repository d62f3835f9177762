"""``make perf`` workloads of the batched trainer and the likelihood heads.

1. **Many nets at once**: the Makridakis et al. (2018) LSTM (6 units, 3 inputs, 500 epochs,
   RMSprop lr 1e-3, batch 32, no validation; ``conf/experiment/m3_makridakis_source_nets.yaml``) on
   the first ``series`` M3 monthly series of the paper's subset, under that experiment's shared
   transform (Box-Cox, deseasonalising, automatic differencing, min-max), fitted at the first of
   18 one-step origins and updated at the others (``refit_every: 18``). Reference: one net at a
   time (``batch_series: 1``); lagbench: ``LSTM.fit_batch`` (all series in one stacked batch).
   Accuracy: mean sMAPE over the series; the goal is the batched sMAPE within the seed-to-seed
   spread (batched runs at ``spread_seeds``) of the one-at-a-time sMAPE.
2. **Likelihood head cost**: the default LSTM on the last 1000 S&P 500 prices (differenced,
   scaled), a fixed number of epochs (no early stopping, so seconds compare cost per epoch),
   Gaussian NLL vs MSE, over three seeds; accuracy: MSE of the one-step mean forecasts of a
   held-out tail (and the Gaussian's 90 % interval coverage in the note).
3. **Seeds as a batch dimension**: three seeds of each default local net (``rnn``, ``gru``, ``lstm``:
   32 units, window 20, early stopping) on 999 S&P 500 windows, trained in one stack, against one
   seed alone (issue goal: three seeds cost at most 1.5× one).
``python -m bench.perf.batched_workloads [--quick] [--only batch|head|seeds] [--memory N]`` prints
the rows; ``--memory N`` the peak RSS of N default LSTMs fitted in one batch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.perf.rows import ScoreRow, markdown

BATCH_GOAL = 20.0  # one-at-a-time seconds / batched seconds
SEEDS_GOAL = 1.5  # three seeds batched / one seed alone, at most
HEAD_GOAL = 1.3  # likelihood-head training seconds / MSE training seconds, at most
# conf/experiment/m3_makridakis_source_nets.yaml: the LSTM and the transform it runs under.
MAKRIDAKIS_LSTM = {
    "window": 3, "hidden_size": 6, "epochs": 500, "lr": 1e-3, "batch_size": 32, "grad_clip": None,
    "val_frac": 0.0, "patience": None, "optimizer": "rmsprop", "finetune_epochs": None, "device": "cpu",
}  # fmt: skip
MAKRIDAKIS_TRANSFORM = {"boxcox": "guerrero", "deseasonalize": True, "diff": "auto", "scale": "minmax"}
ORIGINS = 18  # the paper's one-step origins over the 18 test months


@dataclass(frozen=True)
class BatchWorkload:
    series: int = 200
    epochs: int = 500
    seed: int = 0
    spread_seeds: tuple[int, ...] = (1, 2)


QUICK_BATCH = BatchWorkload(series=16, epochs=40)


@dataclass(frozen=True)
class Prepared:
    """One series: its values, origins, and the transform fitted on the first origin's training part."""

    y: np.ndarray
    splits: list
    pipe: object
    z: np.ndarray


def prepare(n_series: int) -> list[Prepared]:
    """The first ``n_series`` series of the paper's M3 monthly subset, transformed at the first origin."""
    from bench.data.competitions import m3
    from bench.prep.splits import rolling_origin
    from bench.prep.transforms import build_pipeline
    from bench.settings import SplitSettings

    coll = m3("monthly", min_len=81, max_len=126, max_series=n_series, name="m3_monthly_makridakis")
    out = []
    for ds in coll.series():
        y = ds.y.to_numpy()
        splits = list(
            rolling_origin(len(y), SplitSettings(folds=ORIGINS, horizon=1), min_train=len(y) - ORIGINS)
        )
        pipe = build_pipeline(period=coll.period, **MAKRIDAKIS_TRANSFORM)
        out.append(Prepared(y, splits, pipe, pipe.fit_transform(y[splits[0].train])))
    return out


def forecast_smape(models: Sequence[object], data: Sequence[Prepared]) -> float:
    """Mean over series of the sMAPE of the 18 one-step forecasts (updated, not refitted, between)."""
    from bench.scoring.metrics import smape

    scores = []
    for m, d in zip(models, data, strict=True):
        y_hat, y_true = [], []
        for i, s in enumerate(d.splits):
            train = d.y[s.train]
            if i:
                m.update(d.pipe.transform(train))
            y_hat.append(d.pipe.inverse_forecast(m.predict(1).mean, train)[0])
            y_true.append(d.y[s.test][0])
        scores.append(smape(np.array(y_true), np.array(y_hat)))
    return float(np.mean(scores))


def batched_fit(
    data: Sequence[Prepared], w: BatchWorkload, seed: int, one_at_a_time: bool
) -> tuple[float, list]:
    """Fit one LSTM per series (seed ``seed``); seconds of the fits and the fitted models."""
    from bench.models.recurrent import LSTM

    kw = {**MAKRIDAKIS_LSTM, "epochs": w.epochs, "seed": seed}
    models = [LSTM(**kw, batch_series=1 if one_at_a_time else max(1, len(data))) for _ in data]
    start, cpu = time.perf_counter(), time.process_time()
    errors = LSTM.fit_batch(models, [d.z for d in data])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    failed = [e for e in errors if e is not None]
    if failed:
        raise RuntimeError(f"{len(failed)} fits failed, first: {failed[0]}")
    return seconds, cpu, models


def batch_row(w: BatchWorkload = BatchWorkload(), quick: bool = False) -> ScoreRow:
    """One net at a time vs all nets in one stacked batch, same seed; seed spread from batched runs."""
    w = QUICK_BATCH if quick else w
    data = prepare(w.series)
    batched_fit(data[:2], BatchWorkload(series=2, epochs=2), 0, False)  # torch set-up, untimed
    batched_fit(data[:2], BatchWorkload(series=2, epochs=2), 0, True)
    ref_s, ref_cpu, ref_models = batched_fit(data, w, w.seed, one_at_a_time=True)
    lag_s, lag_cpu, lag_models = batched_fit(data, w, w.seed, one_at_a_time=False)
    ref_smape, lag_smape = forecast_smape(ref_models, data), forecast_smape(lag_models, data)
    diff = max(
        float(np.max(np.abs(a.predict(1).mean - b.predict(1).mean)))
        for a, b in zip(ref_models, lag_models, strict=True)
    )
    spread = [lag_smape] + [forecast_smape(batched_fit(data, w, s, False)[2], data) for s in w.spread_seeds]
    width = max(spread) - min(spread)
    speed = ref_s / lag_s
    return ScoreRow(
        workload=f"Makridakis LSTM on {len(data)} M3 monthly series ({w.epochs} epochs)",
        reference="one net at a time (batch_series: 1)",
        ref_seconds=ref_s,
        lagbench_seconds=lag_s,
        metric="mean sMAPE, 18 one-step origins",
        ref_accuracy=ref_smape,
        lagbench_accuracy=lag_smape,
        goal=f">= {BATCH_GOAL:g}x; batched sMAPE within the seed spread",
        met=speed >= BATCH_GOAL and abs(lag_smape - ref_smape) <= width,
        note=(
            f"seed {w.seed}; batched sMAPE at seeds {[w.seed, *w.spread_seeds]}: "
            + ", ".join(f"{v:.3f}" for v in spread)
            + f" (spread {width:.3f}); max |one-step forecast difference| (transformed scale) {diff:.2e}; "
            f"CPU seconds {ref_cpu:.1f} vs {lag_cpu:.1f} ({ref_cpu / lag_cpu:.1f}x)"
        ),
    )


def head_row(quick: bool = False, seeds: Sequence[int] = (0, 1, 2)) -> ScoreRow:
    """Gaussian-head LSTM vs the MSE LSTM: training seconds (fixed epochs) and one-step accuracy."""
    from bench.data.package import sp500
    from bench.models.recurrent import LSTM
    from bench.prep.transforms import build_pipeline

    y = sp500(tail=300 if quick else 1000).y.to_numpy()
    test = 20 if quick else 100
    pipe = build_pipeline(diff=1, scale="standard")
    z = pipe.fit_transform(y[:-test])
    z_all = pipe.transform(y)
    kw = {"epochs": 5 if quick else 30, "patience": None, "device": "cpu"}
    LSTM(**{**kw, "epochs": 1}).fit(z[:60])  # torch set-up, untimed
    seconds: dict[str, float] = {"none": 0.0, "gaussian": 0.0}
    mse: dict[str, list[float]] = {"none": [], "gaussian": []}
    cover: list[float] = []
    for seed in seeds:
        for name in ("none", "gaussian"):
            m = LSTM(**kw, seed=seed, likelihood=name)
            start = time.perf_counter()
            m.fit(z)
            seconds[name] += time.perf_counter() - start
            err, inside = [], []
            for t in range(len(z_all) - test, len(z_all)):  # z_all[:t] is the history at that origin
                m.update(z_all[:t])
                fc = m.predict(1)
                err.append(fc.mean[0] - z_all[t])
                if fc.paths is not None:
                    lo, hi = np.quantile(fc.paths[:, 0], [0.05, 0.95])
                    inside.append(lo <= z_all[t] <= hi)
            mse[name].append(float(np.mean(np.square(err))))
            if inside:
                cover.append(float(np.mean(inside)))
    ratio = seconds["gaussian"] / seconds["none"]
    return ScoreRow(
        workload=f"likelihood-head LSTM: S&P 500 last {len(y)}, {kw['epochs']} epochs, {len(seeds)} seeds",
        reference="the same LSTM trained on MSE (likelihood: none)",
        ref_seconds=seconds["none"],
        lagbench_seconds=seconds["gaussian"],
        metric=f"one-step MSE (transformed scale), {test} held-out days",
        ref_accuracy=statistics.mean(mse["none"]),
        lagbench_accuracy=statistics.mean(mse["gaussian"]),
        goal=f"gaussian head costs <= {HEAD_GOAL:g}x the MSE net's training time",
        met=ratio <= HEAD_GOAL,
        note=f"cost ratio {ratio:.2f}x; gaussian 90 % interval coverage {statistics.mean(cover):.2f}",
    )


def seeds_row(quick: bool = False, seeds: Sequence[int] = (0, 1, 2)) -> ScoreRow:
    """CPU seconds of three seeds of each default local net in one ``fit_batch`` vs one seed alone
    (the mean of the three alone: early stopping ends seeds at different epochs). ``fit_batch``
    stacks them where that pays (``Arch.stacks``), else fits them in turn."""
    from bench.data.package import sp500
    from bench.models.recurrent import GRU, LSTM, RNN
    from bench.prep.transforms import build_pipeline

    z = build_pipeline(diff=1, scale="standard").fit_transform(
        sp500(tail=300 if quick else 1000).y.to_numpy()
    )
    one = many = 0.0
    per_cell = []
    for cls in (RNN, GRU, LSTM):
        cls.fit_batch([cls(epochs=1, device="cpu", seed=s) for s in seeds], [z[:100]] * len(seeds))  # set-up
        alone = []
        for s in seeds:
            start = time.process_time()
            cls(device="cpu", seed=s).fit(z)
            alone.append(time.process_time() - start)
        start = time.process_time()
        errors = cls.fit_batch([cls(device="cpu", seed=s) for s in seeds], [z] * len(seeds))
        batched = time.process_time() - start
        if any(e is not None for e in errors):
            raise RuntimeError(f"{cls.__name__}: a batched fit failed: {errors}")
        mean = sum(alone) / len(alone)  # one seed: the average seed (early stopping varies them)
        one, many = one + mean, many + batched
        per_cell.append(
            f"{cls.__name__} {batched / mean:.2f}x one seed, {batched / sum(alone):.2f}x all alone"
        )
    return ScoreRow(
        workload=f"{len(seeds)} seeds of rnn, gru, lstm (defaults), {len(z)} S&P 500 points, "
        "one fit_batch each",
        reference="one seed of each alone",
        ref_seconds=one,
        lagbench_seconds=many,
        metric="CPU seconds (no accuracy: the same nets)",
        ref_accuracy=float("nan"),
        lagbench_accuracy=float("nan"),
        goal=f"{len(seeds)} seeds cost <= {SEEDS_GOAL:g}x one seed",
        met=many / one <= SEEDS_GOAL,
        note="CPU seconds of the batched seeds: " + "; ".join(per_cell),
    )


def peak_memory(n_nets: int, length: int = 1000) -> str:
    """Peak RSS of ``n_nets`` default LSTMs fitted in one batch (2 epochs) on random series."""
    import resource

    from bench.models.recurrent import LSTM

    zs = [np.random.default_rng(i).standard_normal(length) for i in range(n_nets)]
    LSTM(epochs=1, device="cpu").fit(zs[0][:100])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    LSTM.fit_batch([LSTM(epochs=2, device="cpu", seed=i, batch_series=n_nets) for i in range(n_nets)], zs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    what = f"{n_nets} default LSTMs, {length}-point series, one batch"
    return f"{what}: peak RSS {peak - base:.0f} MB above the {base:.0f} MB before fitting"


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m bench.perf.batched_workloads", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 16 series × 40 epochs; 300 prices")
    ap.add_argument("--series", type=int, default=BatchWorkload.series)
    ap.add_argument("--only", choices=["batch", "head", "seeds"], default=None)
    ap.add_argument("--memory", type=int, default=None, metavar="N", help="only: peak RSS of N LSTMs")
    a = ap.parse_args(argv)
    if a.memory:
        print(peak_memory(a.memory))
        return
    rows = []
    if a.only in (None, "batch"):
        rows.append(batch_row(BatchWorkload(series=a.series), quick=a.quick))
    if a.only in (None, "head"):
        rows.append(head_row(quick=a.quick))
    if a.only in (None, "seeds"):
        rows.append(seeds_row(quick=a.quick))
    print(markdown(rows))
    for r in rows:
        print(f"# {r.workload}: {r.note}")


if __name__ == "__main__":
    main()
