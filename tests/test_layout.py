"""The stage layout: imports point one way (data → prep → models → engine → scoring → report).

A stage may import from earlier stages and from the shared base modules, never from a later one;
the base modules import no stage. Only the entry points read Hydra's config objects.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

BENCH = ROOT / "bench"
STAGES = ["data", "prep", "models", "engine", "scoring", "report"]
BASE = {"types", "errors", "settings", "parse", "parse_values", "parse_datasets", "parse_scoring", "store"}
ENTRIES = {"run", "config", "benchmark"}  # sequence the stages; may import any of them
TOOLS = {"perf", "reproduce"}  # their own entry points (python -m bench.perf / bench.reproduce)
OMEGACONF_ALLOWED = {"bench.run", "bench.config"}


def modules() -> list[Path]:
    return sorted(p for p in BENCH.rglob("*.py"))


def name_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module this file imports (absolute names), including imports inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def stage(module: str) -> str | None:
    """The top-level part of ``bench.<part>...``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "bench" else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: name_of(p))
def test_imports_point_one_way(path: Path) -> None:
    me = stage(name_of(path))
    for target in imports(path):
        other = stage(target)
        if other is None or other == me:
            continue
        if me in BASE:
            assert other in BASE, f"{name_of(path)} (a base module) imports the stage {target}"
        elif me in STAGES:
            assert other in BASE or (other in STAGES and STAGES.index(other) < STAGES.index(me)), (
                f"{name_of(path)} (stage {me}) imports {target}: imports must point data → prep → "
                "models → engine → scoring → report"
            )
        if other in ENTRIES or other in TOOLS:
            assert me in ENTRIES or me in TOOLS, f"{name_of(path)} imports the entry module {target}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: name_of(p))
def test_only_the_entry_reads_hydra_configs(path: Path) -> None:
    name = name_of(path)
    if name in OMEGACONF_ALLOWED or stage(name) in TOOLS:
        return
    assert not any(t == "omegaconf" or t.startswith("omegaconf.") for t in imports(path)), (
        f"{name} imports omegaconf: below the entry point settings are typed objects"
    )


def test_no_import_circles_between_modules() -> None:
    graph = {name_of(p): {t for t in imports(p) if t.startswith("bench")} for p in modules()}
    seen: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state = seen.get(node)
        if state == 2:
            return
        assert state != 1, f"import circle: {' → '.join(trail + [node])}"
        seen[node] = 1
        for nxt in graph.get(node, ()):
            if nxt in graph and nxt != node:
                visit(nxt, trail + [node])
        seen[node] = 2

    for n in graph:
        visit(n, [])
