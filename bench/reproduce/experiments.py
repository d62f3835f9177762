"""Every reproduction by name (``python -m bench.reproduce --only NAME``); definitions in m3 / single."""

from __future__ import annotations

from bench.reproduce.m3 import M3_MAKRIDAKIS, M3_MONASH
from bench.reproduce.monash import MONASH
from bench.reproduce.single import SALES, SINE, STOCK
from bench.reproduce.spec import Claim, Experiment, Protocol

__all__ = ["EXPERIMENTS", "Claim", "Experiment", "Protocol"]

EXPERIMENTS: dict[str, Experiment] = {
    e.name: e for e in (M3_MAKRIDAKIS, M3_MONASH, MONASH, STOCK, SALES, SINE)
}
