"""The measurements behind ``Arch.stacks``: CPU time of K nets trained stacked over one at a time.

For each cell, hidden size and K, K nets (seeds 0..K-1, random-walk series of ``length`` points,
window 20, a fixed number of epochs) are fitted one at a time (``fit``: torch's fused layers) and
as one stack (the batched trainer, forced), and the ratio stacked / alone is printed: below 1 the
stack pays. ``python -m bench.perf.stack_rule [--quick]`` prints the table and, per row, what
``Arch.stacks`` decides, so a change of torch or machine that moves the break-even shows up here.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import torch

CELLS = ("rnn", "gru", "lstm")
HIDDEN = (6, 16, 32, 64)
KS = (2, 3, 8, 32)


def ratio(cell: str, hidden: int, k: int, length: int, epochs: int = 4) -> float:
    """CPU seconds of ``k`` nets stacked over the same nets fitted one at a time."""
    from bench.models import batch_fit
    from bench.models.recurrent import GRU, LSTM, RNN

    cls = {"rnn": RNN, "gru": GRU, "lstm": LSTM}[cell]
    kw = {"hidden_size": hidden, "epochs": epochs, "patience": None, "device": "cpu"}
    zs = [np.random.default_rng(i).standard_normal(length).cumsum() / 10 for i in range(k)]
    start = time.process_time()
    for i, z in enumerate(zs):
        cls(seed=i, **kw).fit(z)
    alone = time.process_time() - start
    models = [cls(seed=i, **kw) for i in range(k)]
    start = time.process_time()
    errors = batch_fit._fit_chunk(models, [m.checked(z) for m, z in zip(models, zs, strict=True)])
    stacked = time.process_time() - start
    if any(e is not None for e in errors):
        raise RuntimeError(f"{cell}({hidden}) x{k}: a stacked fit failed: {errors}")
    return stacked / alone


def table(quick: bool = False) -> list[str]:
    """Markdown rows: cell, hidden, length, then stacked/alone per K (``*``: ``Arch.stacks`` stacks)."""
    from bench.models.recurrent import RecurrentArch

    cpu = torch.device("cpu")
    for cell in CELLS:  # set-up (imports, first calls) outside the timed fits
        ratio(cell, 6, 2, 60, epochs=1)
    lengths = (1000,) if quick else (120, 1000)
    hidden = (6, 32) if quick else HIDDEN
    lines = [
        "| cell | hidden | points | " + " | ".join(f"K={k}" for k in KS) + " |",
        "|---|---:|---:|" + "---:|" * len(KS),
    ]
    for cell in CELLS:
        for h in hidden:
            for n in lengths:
                arch = RecurrentArch(cell, h)
                cells = [f"{ratio(cell, h, k, n):.2f}{'*' if arch.stacks(k, cpu) else ''}" for k in KS]
                lines.append(f"| {cell} | {h} | {n} | " + " | ".join(cells) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.perf.stack_rule", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="hidden 6 and 32, 1000 points only")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    print("stacked / one-at-a-time CPU seconds (below 1: stacking pays; * = what Arch.stacks does)")
    print("\n".join(table(quick=a.quick)))


if __name__ == "__main__":
    main()
