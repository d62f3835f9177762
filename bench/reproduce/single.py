"""The single-series reproductions (SOURCES.md §1–3): configs, quoted numbers, setups, deviations."""

from __future__ import annotations

from bench.reproduce.spec import Claim, Experiment, Protocol

STOCK = Experiment(
    name="stock_simplernn_w60",
    title="SimpleRNN(5) on 60-day windows of the TATA Global stock price",
    source="TATA Global stock RNN tutorial (算法进阶; SOURCES.md §2)",
    claim=(
        "The RNN forecasts the 16 test days with MSE 53.03 / MAE 5.82 and 'the predicted trend lags "
        "the actual'."
    ),
    protocols=(
        Protocol(
            "stock_simplernn_w60_article",
            "the tutorial's protocol: trained once, 16 one-step test days",
            "source",
            ("models.rnn_tata.epochs=5", "seeds=[0]"),
        ),
        Protocol(
            "stock_simplernn_w60_honest",
            "honest protocol: 250 rolling origins, retrained every 50 days, KPSS differencing",
            "honest",
            ("models.rnn_tata.epochs=3", "seeds=[0]", "split.folds=30", "split.refit_every=15"),
        ),
    ),
    claims=(
        Claim("tutorial", "SimpleRNN(5)", "rnn_tata", "mse", 53.03141531, "stock_simplernn_w60_article"),
        Claim("tutorial", "SimpleRNN(5)", "rnn_tata", "mae", 5.82196445, "stock_simplernn_w60_article"),
        Claim(
            "SOURCES.md (computed)", "persistence", "naive", "mse", 35.17, "stock_simplernn_w60_article", 0.01
        ),
        Claim(
            "SOURCES.md (computed)", "persistence", "naive", "mae", 4.71, "stock_simplernn_w60_article", 0.01
        ),
    ),
    setup=(
        (
            "data",
            "NSE-TATAGLOBAL.csv + tatatest.csv, Open, sorted by date",
            "the same files read in place (datasets.tata)",
        ),
        (
            "scaling",
            "MinMaxScaler fitted on the training file",
            "transform.scale=minmax fitted on the training part, diff 0",
        ),
        (
            "net",
            "Keras SimpleRNN(5) + Dense(1), Adam, MSE, 100 epochs, batch 100, validation_split 0.1",
            (
                "rnn_tata: nn.RNN(5, tanh) + Linear, Adam 1e-3, MSE, 100 epochs, batch 100, last 10 % "
                "of windows held out (no early stopping)"
            ),
        ),
        (
            "test",
            "the next 16 trading days, inputs the previous 60 actual values",
            "16 origins, horizon 1, trained once (refit_every 16)",
        ),
        ("seeds", "one run", "three seeds (0, 1, 2), metrics averaged"),
    ),
    deviations=(
        (
            "torch and Keras initialise and shuffle differently: single-seed numbers differ; three "
            "seeds are averaged."
        ),
        (
            "Keras' validation_split only reports a validation loss; lagbench also holds out the last "
            "10 % of windows (no early stopping, final weights kept), the same data the net does not "
            "train on."
        ),
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
        Claim(
            "author's earlier article",
            "ARIMA (global MSE, order not restated)",
            "arima",
            "allmse",
            4401.02,
            "sales_article",
        ),
    ),
    setup=(
        (
            "scaling",
            "differences ÷ max of the whole differenced series (leak)",
            (
                "source protocol: the same (bench/reproduce/sales_article.py); honest: standardising "
                "fitted per origin"
            ),
        ),
        (
            "windows / test",
            "3 differences → next; last 10 windows are the test set",
            "window 3; the last 10 months are 10 one-step origins",
        ),
        (
            "net",
            (
                "LSTM 128 → LSTM 128 → Dense 64 relu → 32 relu → 1 tanh; Adam 1e-3 ×0.1 / 100 epochs; "
                "batch 9; 128 epochs"
            ),
            (
                "lstm_sales: the same stack with a linear output; source protocol 128 epochs batch 9; "
                "honest protocol the preset (300 epochs, batch 64)"
            ),
        ),
        (
            "re-integration",
            "running sum of predicted differences, never re-anchored",
            "source protocol: the same; honest: each forecast re-anchored on the last observed level",
        ),
        (
            "score",
            "ALLMSE over in-sample and test points together",
            "source protocol: ALLMSE; honest: out-of-sample MSE only, DM tests against persistence",
        ),
    ),
    deviations=(
        "The article's Keras output layer is tanh; lagbench's net has a linear output.",
        (
            "TensorFlow seed 369 cannot be reproduced in torch: the source protocol runs seeds 369, 0 "
            "and 1 and reports each."
        ),
        (
            "The ARIMA of the author's earlier article (order not restated) is not reproduced under "
            "ALLMSE; the honest protocol compares lagbench's auto-ARIMA out of sample instead."
        ),
        (
            "Where the running-sum path starts is our reading of the article (the observed level just "
            "before the first scored point)."
        ),
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
        (
            "data",
            "np.sin on 20-point sequences (noise-free)",
            "the sine dataset: 300 points, cycle 25, noise 0.1 (datasets.sine)",
        ),
        (
            "net",
            "nn.RNN(1, 32, 1 layer) + Linear, Adam lr 0.01, MSE",
            "rnn: hidden 32, window 20, Adam lr 0.01, MSE, 100 epochs with early stopping",
        ),
        ("state", "hidden state carried across training steps", "each window read from a zero state"),
    ),
    deviations=(
        (
            "Noise (datasets.sine.noise = 0.1) is added so that the control is not trivially perfect; "
            "the tutorial publishes no numbers to match."
        ),
        "Windows start from a zero hidden state instead of carrying it across training steps.",
    ),
)
