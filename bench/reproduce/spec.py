"""The records of a reproduction: its configs (protocols), the source's claims and its setup.

An experiment is one or more named configs (``conf/experiment/<config>.yaml``), each labelled as the
source's protocol or lagbench's honest one, plus the source's numbers for the page. ``quick`` are the
overrides of ``--quick`` (a small subset of every config, minutes on two cores).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["source", "honest"]


@dataclass(frozen=True)
class Protocol:
    config: str  # conf/experiment/<config>.yaml
    label: str
    kind: Kind
    quick: tuple[str, ...] = ()
    every: int = 1  # full runs: every k-th series of each collection (a systematic sample) ...
    why: str = ""  # ... and why the whole collection cannot run (required with every > 1; on the page)

    def __post_init__(self) -> None:
        if self.every > 1 and not self.why:
            raise ValueError(f"{self.config}: a sampled protocol (every={self.every}) must say why")


@dataclass(frozen=True)
class Claim:
    """One published number: which lagbench model and metric it is compared with, and under which
    of the experiment's configs (``config`` "sales_article" = the leaky module, not a config)."""

    where: str  # e.g. "Table 5"
    source_model: str
    model: str
    metric: str  # smape | mase | mse | mae | allmse
    value: float
    config: str
    tol: float | None = None  # a reproduction goal: |lagbench − source| ≤ tol
    dataset: str | None = None  # the config's dataset the number is for (None: its only one)


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    source: str  # citation, SOURCES.md section
    claim: str  # the source's claim in one sentence
    protocols: tuple[Protocol, ...]
    claims: tuple[Claim, ...]
    setup: tuple[tuple[str, str, str], ...]  # aspect, source, lagbench
    deviations: tuple[str, ...]
