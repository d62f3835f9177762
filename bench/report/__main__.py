"""``python -m bench.report RUN_DIR``: re-score and re-render a run from its stored files (no refit)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.report.render import render
from bench.scoring.tables import score_dir


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.report RUN_DIR (e.g. results/latest)", file=sys.stderr)
        return 2
    run_dir = Path(argv[0])
    if not (run_dir / "forecasts.parquet").exists():
        print(f"lagbench: {run_dir} holds no forecasts.parquet; pass a run directory", file=sys.stderr)
        return 2
    score_dir(run_dir)
    print(f"report: {render(run_dir)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
