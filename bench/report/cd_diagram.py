"""Critical-difference diagram (Demšar 2006): mean ranks on one axis, non-significant groups joined.

Models are hung below an axis of mean ranks, the better half to the left, the rest to the right;
a bar joins every maximal group of models whose mean ranks differ by less than the Nemenyi
critical difference (``bench.scoring.ranks.cliques``), and a segment of length CD is drawn above
the axis for scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from bench.report.plots import save_figure  # noqa: E402
from bench.scoring.ranks import cliques  # noqa: E402

ROW = 0.32  # vertical spacing of the label rows, in axis units
BAR = 0.14  # vertical spacing of the clique bars


def cd_diagram(ranks: Mapping[str, float], cd: float, path: Path, *, title: str = "") -> Path:
    """Draw the diagram for ``ranks`` (model → mean rank, 1 = best) and critical difference ``cd``.

    Models with a NaN rank are left out; a NaN or non-positive ``cd`` draws the ranks without bars.
    """
    items = sorted((float(r), str(m)) for m, r in ranks.items() if np.isfinite(r))
    if not items:
        raise ValueError("cd_diagram needs at least one model with a finite mean rank; got none")
    k = len(items)
    lo, hi = 1, max(2, k, math.ceil(items[-1][0]))
    rank_of = {m: r for r, m in items}
    groups = cliques(rank_of, cd)
    half = (k + 1) // 2
    left, right = items[:half], items[half:][::-1]  # the worst model sits on the top right row
    top = -(0.35 + BAR * len(groups))  # first label row, below the bars
    rows = max(len(left), len(right))
    fig, ax = plt.subplots(figsize=(8.5, 1.5 + 0.33 * (rows + len(groups))))
    ax.plot([lo, hi], [0, 0], color="black", lw=1.2)
    for t in range(lo, hi + 1):
        ax.plot([t, t], [0, 0.08], color="black", lw=1)
        ax.text(t, 0.14, str(t), ha="center", va="bottom", fontsize=9)
    if np.isfinite(cd) and cd > 0:
        ax.plot([lo, lo + cd], [0.6, 0.6], color="black", lw=1.6)
        for x in (lo, lo + cd):
            ax.plot([x, x], [0.55, 0.65], color="black", lw=1.2)
        ax.text(lo + cd / 2, 0.7, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
    for i, g in enumerate(groups):
        r = [rank_of[m] for m in g]
        y = -0.2 - BAR * i
        ax.plot([min(r) - 0.03, max(r) + 0.03], [y, y], color="black", lw=3.5, solid_capstyle="round")
    for side, members, x_end, ha in (("l", left, lo - 0.25, "right"), ("r", right, hi + 0.25, "left")):
        for i, (r, m) in enumerate(members):
            y = top - ROW * i
            ax.plot([r, r, x_end], [0, y, y], color="#444444", lw=0.9)
            label = f"{m} ({r:.2f})" if side == "l" else f"({r:.2f}) {m}"
            ax.text(x_end + (-0.05 if side == "l" else 0.05), y, label, ha=ha, va="center", fontsize=9)
    span = hi - lo
    ax.set_xlim(lo - 0.2 * span - 1.2, hi + 0.2 * span + 1.2)
    ax.set_ylim(top - ROW * rows, 1.05)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return save_figure(fig, Path(path))
