"""Result files: written atomically so a crash never leaves a half-written table behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    ``os.replace`` is atomic on POSIX within one filesystem, so readers see either the old file or
    the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda p: df.to_parquet(p, index=False))


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda p: df.to_csv(p, index=False))


def write_text(text: str, path: Path) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


# Read floats back exactly as written: pandas 2 needs asking, pandas 3 does it by default.
EXACT = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}


def read_csv_table(path: Path) -> pd.DataFrame:
    """A CSV table this project wrote: floats exact, and only an empty cell is missing — a model or
    dataset named ``nan``, ``NA`` or ``null`` stays a name (pandas' default reads it as NaN).
    Consolidated (``copy``): read_csv gives one block per column, and a 120-column metrics table
    made the report's first ``assign`` warn "DataFrame is highly fragmented" on every M3 page."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **EXACT).copy()


def point_latest(run_dir: Path, results_root: Path) -> Path | None:
    """Make ``results_root/latest`` a relative symlink to ``run_dir`` (atomically replaced).

    Skipped (None) when the run dir lives outside ``results_root``, e.g. a custom hydra.run.dir.
    """
    run_dir, results_root = Path(run_dir).resolve(), Path(results_root).resolve()
    try:
        target = run_dir.relative_to(results_root)
    except ValueError:
        return None
    link = results_root / "latest"
    tmp = results_root / f".latest.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)
    return link


def read_run(run_dir: Path) -> dict[str, pd.DataFrame]:
    """Load the stored tables of one run (the reporter never refits)."""
    run_dir = Path(run_dir)
    tables = {}
    for name in ("forecasts", "series", "folds"):
        f = run_dir / f"{name}.parquet"
        if not f.exists():
            raise FileNotFoundError(f"{f} is missing: is {run_dir} a lagbench run directory?")
        tables[name] = pd.read_parquet(f)
    return tables
