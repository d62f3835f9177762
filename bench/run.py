"""Command-line entry point: ``lagbench [hydra overrides]`` (= ``python -m bench.run``). No logic of its own.

Settings are parsed once here (``bench.config``); a bad setting or bad data is one paragraph on
stderr and exit code 2, with nothing left under ``results/`` (``traceback=true`` shows the traceback).
"""

from __future__ import annotations

import shutil
import sys
from concurrent.futures import BrokenExecutor
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from bench.errors import explain, user_error
from bench.store import write_text

# Absolute: under the `lagbench` console script Hydra would read a relative path as a package `conf`.
CONF_DIR = str(Path(__file__).resolve().parents[1] / "conf")


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def main(cfg: DictConfig) -> None:
    from bench.benchmark import benchmark
    from bench.config import load_settings
    from bench.store import point_latest

    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    overrides = [*hc.overrides.hydra, *hc.overrides.task]  # hydra.searchpath finds a user's baseline
    config_dir = next((s.path for s in hc.runtime.config_sources if s.provider == "command-line"), None)
    try:
        report = benchmark(load_settings(cfg, overrides, config_dir), out_dir)
    except KeyboardInterrupt:
        # Finished tasks are already in the cache (each stored atomically as it arrives); a run dir
        # without its report would look like a result, so none is kept. A rerun resumes.
        shutil.rmtree(out_dir, ignore_errors=True)
        print("lagbench: interrupted; finished tasks are cached, run the same command to resume",
              file=sys.stderr)  # fmt: skip
        sys.exit(130)
    except BrokenExecutor as exc:
        # A worker process died (killed, out of memory): finished tasks are cached; say so in one line.
        shutil.rmtree(out_dir, ignore_errors=True)
        print(f"lagbench: a worker process died ({explain(exc)[:300]}); finished tasks are cached, "
              "run the same command to resume", file=sys.stderr)  # fmt: skip
        sys.exit(1)
    except Exception as exc:
        err = user_error(exc)
        if err is None or cfg.get("traceback", False):
            raise
        print(f"lagbench: {explain(err)}", file=sys.stderr)
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            # One job of a sweep: leave its error for the sweep report and let the others go on.
            write_text(explain(err) + "\n", out_dir / "error.txt")
            return
        # Nothing is kept for a run that fails validation: drop Hydra's half-made run dir.
        shutil.rmtree(out_dir, ignore_errors=True)
        sys.exit(2)
    if report is None:  # validate=true: nothing was run, nothing is kept
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    point_latest(out_dir, Path.cwd() / "results")
    print(f"report: {report}")


def renamed_debug_flag(args: list[str]) -> list[str]:
    """``debug=true|false`` as ``traceback=…``, with a note: ``debug`` became a config group (``debug=fast``),
    and Hydra refuses a boolean for a group with a message that names neither. ``+debug=fast`` (the
    group is in the defaults list already, so Hydra would refuse the ``+``) as ``debug=fast``."""
    out = []
    for arg in args:
        key, _, value = arg.partition("=")
        if key == "+debug":
            arg, key = arg[1:], "debug"
        if key == "debug" and value.lower() in ("true", "false"):
            print(f"lagbench: {arg} is now traceback={value.lower()} (debug=fast is the quick-check preset)",
                  file=sys.stderr)  # fmt: skip
            arg = f"traceback={value.lower()}"
        out.append(arg)
    return out


def cli() -> None:
    """Compose the command line once (Hydra's Compose API) and reword what Hydra would refuse, then run."""
    from bench.config import check_command_line

    sys.argv[1:] = renamed_debug_flag(sys.argv[1:])
    problem = check_command_line(sys.argv[1:])
    if problem:
        print(f"lagbench: {problem}", file=sys.stderr)
        sys.exit(2)
    main()


if __name__ == "__main__":
    cli()
