"""Command-line entry point: ``python -m bench.run [hydra overrides]``. No logic of its own.

Settings are parsed once here (``bench.config``); a bad setting or bad data is one paragraph on
stderr and exit code 2, with nothing left under ``results/`` (unless ``debug=true``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from bench.errors import explain, user_error


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    from bench.app import run
    from bench.config import load_settings
    from bench.store import point_latest

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        report = run(load_settings(cfg), out_dir)
    except Exception as exc:
        err = user_error(exc)
        if err is None or cfg.get("debug", False):
            raise
        # Nothing is kept for a run that fails validation: drop Hydra's half-made run dir.
        shutil.rmtree(out_dir, ignore_errors=True)
        print(f"lagbench: {explain(err)}", file=sys.stderr)
        sys.exit(2)
    if report is None:  # validate=true: nothing was run, nothing is kept
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    point_latest(out_dir, Path.cwd() / "results")
    print(f"report: {report}")


if __name__ == "__main__":
    main()
