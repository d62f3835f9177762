"""The volatility section of a returns series: variance forecasts against the variance proxy.

A table (QLIKE and MSE against the proxy, DM against the volatility yardstick and the model to
beat, the variance lag scan), one verdict sentence per model, the variance overlay (proxy as points,
forecasts as lines, log scale, the last 250 days zoomed) and the variance lag scan plot. Built from
the stored metrics and forecasts only.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from bench.report.context import ReportContext  # noqa: E402
from bench.report.markdown import Column, metric_table  # noqa: E402
from bench.report.plots import draw_shift_ratios, save_figure  # noqa: E402
from bench.scoring import volatility as vol  # noqa: E402

ZOOM = 250
VOLATILITY = [
    Column("qlike_proxy", "QLIKE vs proxy", "{:.3f}", "low"),
    Column("mse_var", "MSE of variance", "{:.4g}", "low"),
    Column("dm_pvalue_qlike_vs_vol_baseline", "DM p vs yardstick", "{:.3f}"),
    Column("dm_pvalue_qlike_vs_vol_ref", "DM p vs reference", "{:.3f}"),
    Column("var_best_shift", "best shift", "{:+.0f}"),
    Column("var_shift_gain", "shift gain", "{:.2f}"),
    Column("var_echo_ratio", "echo ratio", "{:.2f}"),
    Column("coverage", "coverage", "{:.0%}"),
]


def volatility_section(
    name: str,
    m: pd.DataFrame,
    data: dict[str, pd.DataFrame],
    ctx: ReportContext,
    stem: str,
) -> list[str]:
    """Markdown lines (empty unless some model has variance forecasts scored against a proxy)."""
    colours, plot_dir, report_dir = ctx.colours, ctx.plot_dir, ctx.report_dir
    max_shift = ctx.scoring.max_shift
    if "qlike_proxy" not in m or not m["qlike_proxy"].notna().any():
        return []
    scored = m[m["qlike_proxy"].notna()]
    first = scored.iloc[0]
    lines = [
        f"Volatility: variance forecasts against the variance proxy (yardstick {first['vol_baseline']}, "
        f"reference {first['vol_reference']}; lower QLIKE is better; shift gain < 1: the forecasts fit "
        "the proxy k days earlier better than the same day's — read it against the reference's):",
        "",
        metric_table(scored, VOLATILITY),
        "",
    ]
    lines += [f"- {vol.sentence(r)}" for r in scored.to_dict("records")] + [""]
    f, s = data["forecasts"], data["series"]
    if f.empty or "y_proxy" not in s:
        return lines
    ov = overlay(f, s, colours, name, plot_dir / f"{stem}_variance.png")
    curves = vol.lag_curves(f, s, max_shift)
    sc = lag_scan(curves, colours, name, plot_dir / f"{stem}_variance_lag_scan.png")
    lines += [f"![{name}: variance forecasts vs proxy]({ov.relative_to(report_dir)})", ""]
    lines += [f"![{name}: variance lag scan]({sc.relative_to(report_dir)})", ""]
    return lines


def overlay(fc: pd.DataFrame, series: pd.DataFrame, colours: dict[str, str], title: str, path: Path) -> Path:
    """The proxy as points and each model's one-step variance forecasts as lines (first seed), log
    scale: the whole history with its test part, then the last ``ZOOM`` days."""
    fc = fc[(fc["h"] == fc["h"].min()) & fc["y_var"].notna()]
    fc = fc[fc["seed"] == fc.groupby("model")["seed"].transform("min")]
    s = series.sort_values("ds")
    proxy = s.set_index("ds")["y_proxy"]
    positive = proxy[proxy > 0]
    fig, axes = plt.subplots(2, 1, figsize=(11, 8.4))
    for ax, start in zip(axes, (proxy.index[0], proxy.index[max(0, len(proxy) - ZOOM)]), strict=True):
        shown = positive[positive.index >= start]
        ax.plot(shown.index, shown.to_numpy(), ".", color="#7f7f7f", ms=2.5, alpha=0.6, label="proxy")
        for model, g in fc[fc["ds"] >= start].groupby("model", sort=False):
            g = g.sort_values("ds")
            ax.plot(g["ds"], g["y_var"], color=colours[model], lw=1.2, label=model)
        ax.set_yscale("log")
        ax.set_ylabel("variance (returns × 100)²")
        ax.grid(alpha=0.25)
        zoom = "" if start == proxy.index[0] else f" — last {min(ZOOM, len(proxy))} days"
        ax.set_title(f"{title}: one-step variance forecasts vs the proxy{zoom}", fontsize=11)
    axes[0].legend(loc="best", fontsize=8, ncol=3)
    return save_figure(fig, path)


def lag_scan(curves: pd.DataFrame, colours: dict[str, str], title: str, path: Path) -> Path:
    """MSE(σ̂²_t, p_{t−k}) / MSE(σ̂²_t, p_t) against k per model; the minimum is starred."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    draw_shift_ratios(ax, curves, colours)
    ax.set_xlabel("shift k (variance forecast compared with the proxy k days earlier)")
    ax.set_ylabel(r"MSE($\hat\sigma^2_t$, $p_{t-k}$) / MSE($\hat\sigma^2_t$, $p_t$)")
    ax.set_title(f"{title}: variance lag scan (★ = best shift)", fontsize=10)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=8)
    return save_figure(fig, path)
