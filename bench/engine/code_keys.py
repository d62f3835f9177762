"""Code fingerprints: a task's key changes when the code that computes it does.

The engine's own source (fold loop, transforms, records) enters every key; a model's enters only its
tasks' keys, through the modules its ``_target_``s import from their own package (a user's package
included, site-packages excluded). Its own module because finding that closure reads source files.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The parts of lagbench whose code decides every task's result whatever the model: the fold loop,
# the transforms, the records. A model's own code enters its tasks' keys through ``module_closure``
# (scoring and reports work on stored forecasts, so editing them never throws the cache away).
ENGINE_CODE = ("engine", "prep", "types.py")


def code_fingerprint(root: Path | None = None, parts: tuple[str, ...] = ENGINE_CODE) -> str:
    """sha256 over the source of ``parts`` of the ``bench`` package (paths and contents), so an
    edited runner or transform gets new keys even though the package version did not change."""
    root = Path(__file__).resolve().parents[1] if root is None else Path(root)
    h = hashlib.sha256()
    for part in parts:
        p = root / part
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.exists() else []
        for f in files:
            h.update(f"{f.relative_to(root).as_posix()}\n".encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def targets_of(node: Any) -> list[str]:
    """Every ``_target_`` in a (nested) config: the model's class and any object it is built with."""
    if isinstance(node, Mapping):
        here = [str(node["_target_"])] if "_target_" in node else []
        return here + [t for k, v in node.items() if k != "_target_" for t in targets_of(v)]
    if isinstance(node, (list, tuple)):
        return [t for v in node for t in targets_of(v)]
    return []


def model_code(targets: list[str]) -> dict[str, str]:
    """sha256 of the source of every module that computes these targets: each target's module and
    the modules it imports from its own package (or, for a top-level module, its own directory),
    transitively — a user's ``my_pkg/drift.py`` and its helpers included, site-packages excluded."""
    out: dict[str, str] = {}
    for target in targets:
        module = _module_of(target)
        if module is not None:
            for name, path in _closure(module):
                out[name] = _file_hash(path)
    return dict(sorted(out.items()))


def _module_of(target: str) -> str | None:
    """The longest importable module prefix of a dotted target (``a.b.C.method`` → ``a.b``)."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin not in (None, "built-in", "frozen"):
            return name
    return None


@functools.cache
def _closure(module: str) -> tuple[tuple[str, Path], ...]:
    """(name, source file) of ``module`` and what it imports from its own package, transitively.

    Cached per process: a user edits a module between runs, not during one.
    """
    spec = importlib.util.find_spec(module)
    origin = Path(spec.origin)
    top = module.split(".")[0]
    home = origin.parent if "." not in module and spec.submodule_search_locations is None else None
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            sp = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if sp is None or sp.origin is None or not sp.origin.endswith(".py"):
            continue
        path = Path(sp.origin)
        if home is not None and path.parent != home:
            continue  # a top-level module's helpers live beside it
        seen[name] = path
        parents = [".".join(name.split(".")[:n]) for n in range(1, name.count(".") + 1)]
        todo += parents if home is None else []  # a package's __init__ runs before its modules
        todo += [m for m in _imported(path, name, sp.submodule_search_locations is not None)
                 if m.split(".")[0] == top or (home is not None and "." not in m)]  # fmt: skip
    return tuple(sorted(seen.items()))


def _imported(path: Path, name: str, is_package: bool) -> list[str]:
    """Absolute names of the modules a source file imports (``from x import y`` adds x.y too)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    package = name if is_package else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: max(0, len(package.split(".")) - node.level + 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base:
                out.append(base)
                out += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
    return out


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
