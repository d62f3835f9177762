"""``python -m bench.report DIR``: re-score and re-render from stored files (no refit), for one run
or a whole sweep (a dir with ``multirun.yaml`` or job dirs)."""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.report DIR (a run, e.g. results/latest, or a sweep)", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if (path / "forecasts.parquet").exists():
        from bench.report.render import render
        from bench.scoring.stored import score_dir

        score_dir(path)
        print(f"report: {render(path)}")
        return 0
    from bench.report.sweep_files import is_sweep_dir

    if is_sweep_dir(path):
        from bench.report.sweep import render_sweep

        print(f"sweep report: {render_sweep(path)}")
        return 0
    print(
        f"lagbench: {path} holds neither forecasts.parquet (a run) nor multirun.yaml or job dirs "
        "(a sweep); pass a run or sweep directory",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
