"""Successive halving over epochs: the cheap way to try many nets and still choose at full training.

Used by :mod:`bench.models.tuning` after TPE's first rung; kept apart because it is the one part of
a search that decides how much training each candidate gets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Halving:
    """Successive halving over epochs (Jamieson & Talwalkar 2016; with TPE proposing the trials it is
    BOHB's scheme, Falkner et al. 2018): every trial trains at most ``min_epochs`` epochs, the best
    1/``eta`` of them go on with ``eta`` times as many, and so on until ``final`` or fewer are left,
    which train with their own settings in full — exactly as the untuned net would — and the best
    of those is chosen (a choice made at full training, not on a short run). A rung trains its survivors
    again from the start (same seed: the same initial weights and shuffles, so a longer run begins
    as the shorter one did), which keeps every candidate an untuned net with fewer epochs.

    ``points``: the rungs before the last train on at most the last ``points`` values of the training
    part (their validation tail the last ``val_frac`` of those): a long series' cheap rungs cost what a
    short one's do and see its most recent stretch, while the last rung — the model — sees all of it.
    None: every rung sees the whole training part."""

    eta: int = 3
    min_epochs: int = 1
    final: int = 1
    points: int | None = None

    def counts(self, trials: int) -> list[int]:
        """Candidates per rung, e.g. 20 trials with eta 3: [20, 7, 3, 1] (final 3: [20, 7, 3])."""
        out = [trials]
        while out[-1] > self.final:
            out.append(math.ceil(out[-1] / self.eta))
        return out

    def cap(self, rung: int, rungs: int) -> int | None:
        """The most epochs a candidate trains at ``rung`` of ``rungs`` (None: its own, the last rung)."""
        return None if rung == rungs - 1 else self.min_epochs * self.eta**rung

    def span(self, rung: int, rungs: int) -> int | None:
        """The most training values a candidate sees at ``rung`` (None: all — the last rung)."""
        return None if rung == rungs - 1 else self.points

    @classmethod
    def from_config(cls, node: Any) -> Halving | None:
        if node is None:
            return None
        if not isinstance(node, Mapping) or set(node) - {"eta", "min_epochs", "final", "points"}:
            raise ValueError(
                f"tune.halving={node!r}: write {{eta: 3, min_epochs: 1, final: 1, points: null}} (or null: "
                "every trial in full)"
            )
        points = node.get("points")
        out = cls(
            int(node.get("eta", cls.eta)),
            int(node.get("min_epochs", cls.min_epochs)),
            int(node.get("final", cls.final)),
            None if points is None else int(points),
        )
        if out.eta < 2 or out.min_epochs < 1 or out.final < 1 or (out.points is not None and out.points < 2):
            raise ValueError(
                "tune.halving needs eta >= 2, min_epochs >= 1, final >= 1 and points >= 2 (or null), "
                f"got {dict(node)}"
            )
        return out
