"""README's Layout tree is the map a newcomer reads first: it must name every package folder, every
tool and every test folder that exists, and nothing that does not."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1]
    return section.split("```", 2)[1]


def _tree() -> dict[str, set[str]]:
    """Names the tree gives: `name/` under src/orderbridge, and the words listed for tools/ and tests/."""
    block = _layout_block()
    packages: set[str] = set()
    listed: dict[str, set[str]] = {"tools": set(), "tests": set()}
    current: str | None = None  # the top folder whose description a deeply indented line continues
    for line in block.splitlines():
        top = line.split("/", 1)[0]
        if top in listed:
            current = top
            listed[top].update(re.findall(r"\b([a-z_]+)\b", line[len(top) + 1 :]))
        elif line.startswith("     ") and current is not None:
            listed[current].update(re.findall(r"\b([a-z_]+)\b", line))
        elif line.startswith("  "):
            current = None
            names = re.split(r"\s{3,}", line.strip())[0]  # the folder column, before the description
            packages.update(re.findall(r"\b([a-z_]+)/", names))
        else:
            current = None
    return {"packages": packages, **listed}


def _folders(path: Path, *, marker: str | None = None) -> set[str]:
    return {
        child.name
        for child in path.iterdir()
        if child.is_dir()
        and not child.name.startswith((".", "_"))
        and child.name != "payloads"
        and (marker is None or (child / marker).exists())
    }


def test_the_tree_names_every_package_and_no_other() -> None:
    named = _tree()["packages"]
    actual = _folders(ROOT / "src" / "orderbridge", marker="__init__.py")
    assert named == actual, f"README Layout: missing {sorted(actual - named)}, gone {sorted(named - actual)}"


def test_the_tree_names_every_tool_and_test_folder() -> None:
    tree = _tree()
    for top in ("tools", "tests"):
        missing = _folders(ROOT / top) - tree[top]
        assert not missing, f"README Layout: the {top}/ line does not name {sorted(missing)}"
