"""The summary row of each experiment: the source's numbers, lagbench's under each protocol, the
yardstick, and a one-sentence verdict decided from the numbers (never written by hand)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bench.reproduce import monash as mon
from bench.reproduce.outcome import Outcome, fmt

ALPHA = 0.05
STATS = ("theta", "arima", "ets")
NETS = ("rnn", "lstm")


@dataclass(frozen=True)
class SummaryRow:
    source: str
    under_source: str
    under_honest: str
    yardstick: str
    verdict: str


def _scores(o: Outcome, config: str, models: tuple[str, ...], metric: str, dataset: str | None = None) -> str:
    return ", ".join(
        f"{m} {fmt(o.value(config, m, metric, dataset), 2 if metric == 'smape' else 3)}" for m in models
    )


def _best(
    o: Outcome, config: str, models: tuple[str, ...], metric: str, ids: frozenset[str] | None = None
) -> tuple[str, float]:
    """The best model's score: the collection mean, or the mean over ``ids`` when given."""
    vals = {
        m: o.value(config, m, metric) if ids is None else o.value_on(config, m, metric, ids) for m in models
    }
    vals = {m: v for m, v in vals.items() if math.isfinite(v)}
    return min(vals.items(), key=lambda kv: kv[1]) if vals else ("—", math.nan)


def _goals(o: Outcome) -> str:
    goals = [c for c in o.experiment.claims if c.tol is not None]
    met = [abs(o.claim_value(c) - c.value) <= c.tol for c in goals if math.isfinite(o.claim_value(c))]
    return f"{sum(met)} of {len(goals)} reproduction goals met" + (
        "" if len(met) == len(goals) else f" ({len(goals) - len(met)} not run)"
    )


def _there(o: Outcome, config: str, ids: frozenset[str]) -> str:
    """The statistical methods' sMAPE on a sample's own series, for the summary row."""
    scores = ", ".join(f"{m} {fmt(o.value_on(config, m, 'smape', ids), 2)}" for m in ("naive2", *STATS))
    return f" (nets on {len(ids)} series; there: {scores})"


def _nets_vs_paper(o: Outcome, config: str) -> str:
    """The nets' sMAPE beside the paper's Table 7 value, e.g. ``rnn 7.53 (paper 9.48)``."""
    paper = {c.model: c.value for c in o.experiment.claims if c.config == config and c.metric == "smape"}
    return ", ".join(
        f"{m} {fmt(o.value(config, m, 'smape'), 2)}" + (f" (paper {paper[m]:.2f})" if m in paper else "")
        for m in NETS
    )


def m3_makridakis(o: Outcome) -> SummaryRow:
    src, nets, honest = "m3_makridakis_source", "m3_makridakis_source_nets", "m3_makridakis_honest"
    # The nets may run on a sample: the statistical methods are compared on the nets' series.
    net_ids = o.ids(nets)
    same = bool(net_ids) and net_ids != o.ids(src)
    s_stat, s_v = _best(o, src, STATS, "smape", net_ids if same else None)
    s_net, n_v = _best(o, nets, ("rnn", "lstm"), "smape")
    on = f" on the nets' {len(net_ids)} series" if same else ""
    h_stat, hs_v = _best(o, honest, STATS, "smape")
    h_net, hn_v = _best(o, honest, ("rnn", "lstm", "lstm_global"), "smape")
    ok = [a < b for a, b in ((s_v, n_v), (hs_v, hn_v)) if math.isfinite(a) and math.isfinite(b)]
    claim = (
        "cannot be judged (no net was run)"
        if not ok
        else "holds"
        if all(ok)
        else "does not hold"
        if not any(ok)
        else "holds only in part"
    )
    verdict = (
        f"The claim {claim}: best statistical sMAPE {fmt(s_v, 2)} ({s_stat}) vs best net {fmt(n_v, 2)} "
        f"({s_net}){on} under "
        f"the source protocol, {fmt(hs_v, 2)} ({h_stat}) vs {fmt(hn_v, 2)} ({h_net}) under the honest "
        f"one; {_goals(o)}."
    )
    return SummaryRow(
        source="sMAPE (Tables 5, 7): Naive 2 8.59, Theta 7.31, ARIMA 7.34, ETS 7.19; RNN 9.48, LSTM 11.67",
        under_source=f"sMAPE: {_scores(o, src, STATS, 'smape')}; {_nets_vs_paper(o, nets)}"
        + (_there(o, src, net_ids) if same else ""),
        under_honest=f"sMAPE: {_scores(o, honest, (*STATS, 'rnn', 'lstm', 'lstm_global'), 'smape')}",
        yardstick=(
            f"Naive 2 sMAPE {fmt(o.value(src, 'naive2', 'smape'), 2)}, MASE "
            f"{fmt(o.value(src, 'naive2', 'mase'), 3)}"
        ),
        verdict=verdict,
    )


def m3_monash(o: Outcome) -> SummaryRow:
    cfg = "m3_monash"
    best, b_v = _best(o, cfg, STATS, "mase")
    net = o.value(cfg, "lstm_global", "mase")
    ahead = math.isfinite(net) and math.isfinite(b_v) and b_v < net
    verdict = (
        f"{'The statistical methods lead' if ahead else 'The statistical methods do not lead'}: best MASE "
        f"{fmt(b_v, 3)} "
        f"({best}) vs the global LSTM's {fmt(net, 3)}; {_goals(o)}."
    )
    return SummaryRow(
        source="MASE: SES 1.091, Theta 0.864, ETS 0.865, ARIMA 0.873, DeepAR 1.167",
        under_source="— (the archive's protocol is the honest one: one origin, no leak)",
        under_honest=f"MASE: {_scores(o, cfg, ('ses', *STATS, 'lstm_global'), 'mase')}",
        yardstick=(
            f"Naive 2 MASE {fmt(o.value(cfg, 'naive2', 'mase'), 3)}, sMAPE "
            f"{fmt(o.value(cfg, 'naive2', 'smape'), 2)}"
        ),
        verdict=verdict,
    )


def _series(o: Outcome, config: str, model: str, dataset: str | None = None) -> dict[str, object]:
    m = o.rows(config, dataset)
    m = m[m["model"] == model]
    return {} if m.empty else m.iloc[0].to_dict()


def _lag_text(r: dict[str, object]) -> str:
    if not r:
        return "—"
    p = r.get("dm_pvalue", np.nan)
    return (
        f"rel. MSE {fmt(float(r.get('rel_mse', np.nan)), 2)}, DM p {fmt(float(p), 3)}, lagging "
        f"{r.get('lagging', '—')}"
    )


def stock(o: Outcome) -> SummaryRow:
    art, hon = "stock_simplernn_w60_article", "stock_simplernn_w60_honest"
    a, h = _series(o, art, "rnn_tata"), _series(o, hon, "rnn_tata")
    rel_a, rel_h = float(a.get("rel_mse", np.nan)), float(h.get("rel_mse", np.nan))
    worse = [r >= 1 for r in (rel_a, rel_h) if math.isfinite(r)]
    lags = [bool(r.get("lagging")) for r in (a, h) if r and r.get("lagging") is not None]
    lag = (
        "flagged lagging (the right shift the tutorial saw) under both protocols"
        if lags and all(lags)
        else "flagged lagging under one protocol"
        if any(lags)
        else "not flagged lagging"
    )
    head = (
        "The tutorial's RNN does not beat persistence"
        if worse and all(worse)
        else "The RNN beats persistence under at least one protocol"
        if worse
        else "Not run"
    )
    ratios = f"MSE ratio {fmt(rel_a, 2)} on the 16 days, {fmt(rel_h, 2)} over the rolling origins"
    verdict = f"{head} ({ratios}); it is {lag}."
    return SummaryRow(
        source="RNN MSE 53.03, MAE 5.82 on 16 days; 'the trend lags'",
        under_source=(
            f"RNN MSE {fmt(float(a.get('mse', np.nan)), 2)}, MAE {fmt(float(a.get('mae', np.nan)), 2)}; "
            f"{_lag_text(a)}"
        ),
        under_honest=f"RNN {_lag_text(h)}; ARIMA rel. MSE {fmt(o.value(hon, 'arima', 'rel_mse'), 2)}",
        yardstick=(
            f"persistence MSE {fmt(o.value(art, 'naive', 'mse'), 2)}, MAE "
            f"{fmt(o.value(art, 'naive', 'mae'), 2)} (16 days)"
        ),
        verdict=verdict,
    )


def _best_mse(o: Outcome, config: str, model: str, datasets: tuple[str, ...]) -> tuple[str, dict]:
    """The dataset (transform) where ``model`` scores its lowest MSE, and that row."""
    rows = {ds: _series(o, config, model, ds) for ds in datasets}
    rows = {ds: r for ds, r in rows.items() if r and math.isfinite(float(r["mse"]))}
    return min(rows.items(), key=lambda kv: float(kv[1]["mse"])) if rows else ("—", {})


def sales(o: Outcome) -> SummaryRow:
    hon, sets = "sales_lstm_vs_arima_honest", ("sales_diff0", "sales_diff1")
    leaky = float(np.mean([r.allmse for r in o.leaky])) if o.leaky else math.nan
    anchored = float(np.mean([r.test_mse_anchored for r in o.leaky])) if o.leaky else math.nan
    parts = []
    for ds in sets:
        lstm, arima = _series(o, hon, "lstm_sales", ds), _series(o, hon, "arima", ds)
        parts.append(
            f"{ds[-5:]}: LSTM {_lag_text(lstm)}; ARIMA rel. MSE {fmt(float(arima.get('rel_mse', np.nan)), 2)}"
        )
    (l_ds, lstm), (a_ds, arima) = _best_mse(o, hon, "lstm_sales", sets), _best_mse(o, hon, "arima", sets)
    naive = _series(o, hon, "naive", "sales_diff1")
    if lstm and arima:
        l_mse, a_mse = float(lstm["mse"]), float(arima["mse"])
        sig = float(lstm["rel_mse"]) < 1 and float(lstm["dm_pvalue"]) < ALPHA
        honest = (
            f"out of sample the LSTM's best (MSE {fmt(l_mse, 0)}, {l_ds[-5:]}) "
            f"{'beats' if l_mse < a_mse else 'loses to'} ARIMA's best ({fmt(a_mse, 0)}, {a_ds[-5:]}) and "
            f"{'beats' if sig else 'does not beat'} persistence ({fmt(float(naive.get('mse', np.nan)), 0)}) "
            "significantly (DM, 5 %)"
        )
    else:
        honest = "the honest run is missing"
    verdict = (
        f"The article's ALLMSE is an in-sample, running-sum score (lagbench's run of it: {fmt(leaky, 0)}); "
        f"{honest}."
    )
    return SummaryRow(
        source="LSTM ALLMSE 2521.30 vs ARIMA 4401.02 (in-sample + test)",
        under_source=(
            f"LSTM ALLMSE {fmt(leaky, 1)} (mean of {len(o.leaky)} seeds); its 10 test months re-anchored: "
            f"MSE {fmt(anchored, 1)}"
        ),
        under_honest="; ".join(parts),
        yardstick=f"persistence test MSE {fmt(float(naive.get('mse', np.nan)), 1)} (10 months)",
        verdict=verdict,
    )


def sine(o: Outcome) -> SummaryRow:
    r = _series(o, "sine_rnn", "rnn")
    rel, p = float(r.get("rel_mse", np.nan)), float(r.get("dm_pvalue", np.nan))
    passed = math.isfinite(rel) and rel < 1 and math.isfinite(p) and p < ALPHA
    return SummaryRow(
        source="no numbers (a learnable series)",
        under_source="—",
        under_honest=f"RNN {_lag_text(r)}; ARIMA rel. MSE {fmt(o.value('sine_rnn', 'arima', 'rel_mse'), 2)}",
        yardstick=f"persistence MSE {fmt(o.value('sine_rnn', 'naive', 'mse'), 4)}",
        verdict=(
            (
                f"Control passes: the RNN beats persistence (MSE ratio {fmt(rel, 2)}, DM p {fmt(p, 3)}), "
                "so the harness lets a net win where there is something to learn."
            )
            if passed
            else (
                "Control FAILS: the RNN does not beat persistence significantly (MSE ratio "
                f"{fmt(rel, 2)}, DM p {fmt(p, 3)})."
            )
        ),
    )


def monash_table(o: Outcome) -> SummaryRow:
    """The summary row: cells within ±0.05 of the archive, and who leads on each collection."""
    stats = [(ds, m) for ds in mon.COLLECTIONS for m in mon.STATS]
    got = {(ds, m): o.value(mon.CONFIG, m, "mase", ds) for ds in mon.COLLECTIONS for m in mon.METHODS}
    run = [k for k in stats if math.isfinite(got[k])]
    near = [k for k in run if abs(got[k] - mon.archive(*k)) <= mon.TOL]
    net_wins = [
        mon.COLLECTIONS[ds]
        for ds in mon.COLLECTIONS
        if math.isfinite(got[(ds, "lstm_global")])
        and all(got[(ds, "lstm_global")] < got[(ds, m)] for m in mon.STATS if math.isfinite(got[(ds, m)]))
    ]
    best = {
        ds: min(mon.STATS, key=lambda m: got[(ds, m)] if math.isfinite(got[(ds, m)]) else math.inf)
        for ds in mon.COLLECTIONS
    }
    leaders = ", ".join(f"{mon.COLLECTIONS[d]} {mon.METHODS[m]} {fmt(got[(d, m)])}" for d, m in best.items())
    verdict = (
        f"{len(near)} of {len(stats)} statistical cells within ±{mon.TOL:g} MASE of the archive "
        f"({len(run)} run); "
        + (
            f"the global LSTM beats every statistical method on {', '.join(net_wins)}."
            if net_wins
            else "the global LSTM beats the best statistical method on no collection."
        )
    )
    return SummaryRow(
        source="MASE, Table 2: SES, Theta, ETS, ARIMA, DeepAR on M1 monthly, M3 (4 subsets), Tourism (3)",
        under_source="— (the archive's protocol is the honest one: one origin, no leak)",
        under_honest=f"best statistical MASE per collection: {leaders}",
        yardstick=f"seasonal naive MAPE on Tourism, lagbench (paper): {mon.mape_text(o)}",
        verdict=verdict,
    )


SUMMARIES: dict[str, Callable[[Outcome], SummaryRow]] = {
    "m3_makridakis": m3_makridakis,
    "monash": monash_table,
    "m3_monash": m3_monash,
    "stock_simplernn_w60": stock,
    "sales_lstm_vs_arima": sales,
    "sine_rnn": sine,
}
