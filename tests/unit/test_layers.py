"""The folders are the architecture: each package imports only from the layers below it (or its own).

A layer is a set of packages; nothing imports upward, no two packages import each other, and no
module reaches into another module's private names. This test is the layout's definition: moving
a module means changing the table below, in the same commit, and saying why.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# Lowest first. Same-layer imports are allowed as long as they never form a cycle.
LAYERS: list[tuple[str, ...]] = [
    ("core",),  # domain types, the error tree, redaction, the clock: no orderbridge imports at all
    ("config",),  # the one loader and the settings tables
    ("http",),  # the one outbound HTTP policy
    ("connectwise", "tdsynnex", "carriers", "store"),  # clients and codecs of the services; our own database
    ("rules", "simulators"),  # pure business rules; the simulated services (product code, not tests)
    ("sync",),  # one cycle: discover, observe, plan, apply, record
    ("alerts", "notify", "reach", "reports", "callbacks", "troubleshoot"),  # what the operator sees and is told
    ("runners",),  # once, daemon, setup, replay, backfill, worker, demo
    ("web",),  # the dashboard
    ("cli",),  # one module per command
]
LAYER_OF = {package: index for index, packages in enumerate(LAYERS) for package in packages}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "orderbridge").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported from, names imported, line) for every `from orderbridge... import ...`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "orderbridge":
            out.append((node.module, [alias.name for alias in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names if alias.name.startswith("orderbridge.")]
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


MODULES = _modules()


def test_every_package_has_a_layer() -> None:
    packages = {_package(module) for module in MODULES} - {""}
    assert sorted(packages - set(LAYER_OF)) == []


def test_nothing_imports_upward() -> None:
    upward = []
    for module, path in MODULES.items():
        mine = LAYER_OF.get(_package(module))
        for target, _names, line in _imports(path):
            theirs = LAYER_OF.get(_package(target))
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{module}:{line} imports {target} (layer {LAYERS[theirs]} above {LAYERS[mine]})")
    assert upward == []


def test_no_two_packages_import_each_other() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, _names, _line in _imports(path):
            if _package(target) and _package(target) != _package(module):
                edges[_package(module)].add(_package(target))
    cycles = sorted(f"{a} <-> {b}" for a in edges for b in edges[a] if a < b and a in edges.get(b, set()))
    assert cycles == []


def test_core_imports_nothing_of_ours_but_core() -> None:
    outside = [
        f"{module} imports {target}"
        for module, path in MODULES.items()
        if _package(module) == "core"
        for target, _names, _line in _imports(path)
        if _package(target) not in ("core", "")
    ]
    assert outside == []


def test_no_private_name_crosses_a_module() -> None:
    crossing = [
        f"{module}:{line} imports {name} from {target}"
        for module, path in MODULES.items()
        for target, names, line in _imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__") and target != module
    ]
    assert crossing == []


@pytest.mark.parametrize("tool", ["bench", "faults", "screenshots"])
def test_the_tools_are_not_installed_with_the_package(tool: str) -> None:
    assert not (SRC / "orderbridge" / tool).exists()
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        assert not [name for name in imported if name.split(".")[0] == "tools"], module
