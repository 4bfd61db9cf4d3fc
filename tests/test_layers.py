"""The package layout is the pipeline: a layer never imports a layer after it."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "carecast"
ORDER = ["data", "benchmark", "model", "costs", "scenarios", "placements", "service", "report",
         "web", "cli"]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "carecast" and parts[1] in ORDER else None


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


FILES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] in ORDER)
TOP_LEVEL = sorted(PACKAGE.glob("*.py"))
"""``carecast.params``, ``carecast.disclosure`` (the small-number rule) and the package
itself: usable by every layer, so they import none."""


@pytest.mark.parametrize("path", TOP_LEVEL, ids=lambda p: p.name)
def test_top_level_modules_import_no_layer(path):
    bad = {m for m in _imports(path) if _layer(m)}
    assert not bad, f"{path.name} imports {sorted(bad)}; every layer may import it"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_lower_layer_imports_a_higher_one(path):
    own = path.relative_to(PACKAGE).parts[0]
    allowed = set(ORDER[: ORDER.index(own) + 1])
    bad = {m for m in _imports(path) if (layer := _layer(m)) and layer not in allowed}
    assert not bad, f"{path.name} ({own}) imports {sorted(bad)}"


FACES = ("web", "cli")
FACE_MAY_IMPORT = {"service", "report", "web", "cli"}


@pytest.mark.parametrize("path", [p for p in FILES if p.relative_to(PACKAGE).parts[0] in FACES],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_faces_import_only_the_service_layer(path):
    """The CLI and web app fit no model and do no cost arithmetic: below the output layers
    they reach only ``carecast.service`` (and ``carecast.params``, ``carecast`` itself)."""
    lazy = _lazy_imports(path.read_text(encoding="utf-8"))
    bad = {m for m in _imports(path) | lazy
           if (layer := _layer(m)) and layer not in FACE_MAY_IMPORT}
    assert not bad, f"{path.name} imports {sorted(bad)}; go through carecast.service"


def _lazy_imports(text: str) -> set[str]:
    return set(re.findall(r'lazy_import\("(carecast\.[a-z_.]+)"\)', text))
