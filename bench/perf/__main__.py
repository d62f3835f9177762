"""``python -m bench.perf [--quick] [--repeats N] [--suite] [--out perf.csv|perf.json] [overrides…]``.

Every timing is printed as a ratio to a reference measured in the same run (and interleaved with
it, repeat by repeat), so a slower or busier machine shifts both sides alike. Speed goals live
here, never in timed unit tests. Overrides apply to the composed configs (e.g.
``models.lstm.epochs=5``), not to the ``--suite`` runs, which use the default config as-is.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench.perf.core import QUICK, PerfOptions, format_table, write_table
from bench.perf.goals import DEFAULT_REFIT_EVERY, scoreboard
from bench.perf.measure import measure

DESCRIPTION = "Performance benchmark behind make perf: medians, spreads and ratios, never absolute goals."


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.perf", description=DESCRIPTION)
    ap.add_argument("--quick", action="store_true", help="smoke run (~20 s): one repeat, few folds")
    ap.add_argument("--repeats", type=int, help="repeats per measurement (default 3, quick 1)")
    ap.add_argument(
        "--suite", action="store_true", help="scoreboard: also the default suite's wall time and peak RSS"
    )
    ap.add_argument("--out", type=Path, help="also write the table to this .csv or .json file")
    ap.add_argument("--refit-every", type=int, default=DEFAULT_REFIT_EVERY, help="schedule of the scoreboard")
    ap.add_argument("--no-board", action="store_true", help="skip the scoreboard (only the timing table)")
    ap.add_argument("--board-out", type=Path, default=Path("results/perf.md"), help="scoreboard markdown")
    ap.add_argument("overrides", nargs="*", help="hydra overrides for the composed configs")
    a = ap.parse_args(argv)
    s = replace(QUICK if a.quick else PerfOptions(), overrides=tuple(a.overrides))
    if a.repeats is not None:
        s = replace(s, repeats=a.repeats)
    start = time.perf_counter()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if not a.no_board:
        print("\n".join(scoreboard(a.quick, a.refit_every, a.suite, a.board_out, log=log)))
        print(f"# scoreboard written: {a.board_out}\n")
    df, notes = measure(s, log=log)
    print(format_table(df))
    for note in notes:
        print(f"# {note}")
    total = time.perf_counter() - start
    print(f"# {s.repeats} repeat(s), interleaved; ratio = median / reference median; total {total:.0f} s")
    if a.out:
        print(f"# written: {write_table(df, notes, s, a.out)}")


if __name__ == "__main__":
    main()
