"""What every section of one report shares: built once per run by ``render``, passed down as one
record, so a section's parameters are only what differs between its calls (dataset, rows, frames)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.settings import ScoringSettings


@dataclass(frozen=True)
class ReportContext:
    """Run-wide report settings: where plots go, the models' colours and capabilities, scoring."""

    report_dir: Path  # image links are relative to it (the run dir, so the folder can be moved)
    plot_dir: Path
    colours: Mapping[str, str] = field(default_factory=dict)
    scoring: ScoringSettings = ScoringSettings()
    conformal: bool = True  # conformal intervals for models without a predictive distribution
    models: tuple[str, ...] = ()  # the run's models, in the run's order
    caps: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # run.json "models"
