"""The report's interval section: every model with an interval, where it came from, CRPS verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.report.intervals import interval_section, interval_source


def rows(model: str, kinds: list[str], seed: int = 0) -> pd.DataFrame:
    n = len(kinds)
    return pd.DataFrame({"model": model, "seed": seed, "cutoff": np.arange(n), "h": 1, "y_interval": kinds})


def metrics() -> pd.DataFrame:
    base = dict(baseline="naive", winkler=1.0, nll=np.nan, qlike=np.nan)
    return pd.DataFrame(
        [
            dict(model="naive", coverage=0.9, width=2.0, crps=1.0, rel_crps=1.0, dm_stat_crps=np.nan,
                 dm_pvalue_crps=np.nan, **base),
            dict(model="arima", coverage=0.88, width=1.5, crps=0.7, rel_crps=0.7, dm_stat_crps=-4.0,
                 dm_pvalue_crps=0.0004, **{**base, "nll": 1.2}),
            dict(model="lstm", coverage=0.9, width=2.1, crps=1.1, rel_crps=1.1, dm_stat_crps=1.0,
                 dm_pvalue_crps=0.3, **base),
            dict(model="rnn", coverage=np.nan, width=np.nan, crps=np.nan, rel_crps=np.nan,
                 dm_stat_crps=np.nan, dm_pvalue_crps=np.nan, **base),
        ]
    )  # fmt: skip


def forecasts() -> pd.DataFrame:
    conformal = [""] * 3 + ["conformal"] * 7
    return pd.concat(
        [rows("naive", conformal), rows("arima", ["model"] * 10), rows("lstm", conformal),
         rows("lstm", [""] * 10, seed=1), rows("rnn", [""] * 10)],
        ignore_index=True,
    )  # fmt: skip


def test_every_model_with_an_interval_is_listed_with_its_source() -> None:
    assert interval_source(forecasts()) == {
        "naive": "conformal",
        "arima": "model",
        "lstm": "conformal",
        "rnn": "",
    }
    text = "\n".join(interval_section(metrics(), forecasts(), level=0.9))
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| model | interval | coverage | mean width | Winkler | CRPS | CRPS / naive")
    assert [line.split(" | ")[:2] for line in table[1:]] == [
        ["| naive", "conformal"], ["| arima", "model"], ["| lstm", "conformal"]
    ]  # fmt: skip
    assert "| **0.7** |" in table[2]  # lowest CRPS in bold


def test_crps_verdicts_and_conformal_counts_are_spelled_out() -> None:
    lines = interval_section(metrics(), forecasts(), level=0.9, alpha=0.05)
    assert "- arima: in distribution beats naive (DM on CRPS p = 0.0004, CRPS ratio 0.70)." in lines
    assert "- lstm: in distribution no better than naive (DM on CRPS p = 0.30, CRPS ratio 1.10)." in lines
    counts = [line for line in lines if "origins without one" in line]
    assert counts == [
        "- naive, lstm: no predictive distribution of their own, so conformal intervals; 3 of 10 origins "
        "without one (too few earlier errors)",
        "- rnn: no predictive distribution of their own, so conformal intervals; 10 of 10 origins without "
        "one (too few earlier errors)",
    ]
    off = interval_section(metrics(), forecasts(), level=0.9, conformal=False)
    assert not any("origins without one" in line for line in off)


def test_a_run_stored_before_the_interval_source_column_still_gets_its_table() -> None:
    old = forecasts().drop(columns="y_interval").assign(y_lo=np.nan)
    old.loc[old["model"] == "arima", "y_lo"] = 0.0
    assert interval_source(old) == {"naive": "", "arima": "model", "lstm": "", "rnn": ""}
    text = "\n".join(interval_section(metrics(), old, 0.9, conformal=False))
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[0] for line in table[1:]] == ["| arima"]
