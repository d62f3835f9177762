"""Command-line entry point: ``python -m bench.run [hydra overrides]``. No logic of its own."""

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
    from bench.engine.suite import run_suite
    from bench.report.render import render
    from bench.store import point_latest

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run_suite(cfg, out_dir)
    except Exception as exc:
        err = user_error(exc)
        if err is None or cfg.debug:
            raise
        # Nothing is kept for a run that fails validation: drop Hydra's half-made run dir.
        shutil.rmtree(out_dir, ignore_errors=True)
        print(f"lagbench: {explain(err)}", file=sys.stderr)
        sys.exit(2)
    report = render(out_dir)
    point_latest(out_dir, Path.cwd() / "results")
    print(f"report: {report}")


if __name__ == "__main__":
    main()
