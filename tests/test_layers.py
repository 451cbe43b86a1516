"""The package layers the README's module table promises, proved over the source's imports.

Each package may import only packages in lower layers (and itself); packages in the same layer do not
import one another. That rules out cycles between packages and keeps, for example, hardware and
vision free of the web, the CLI and the app. Imports inside functions count too: a lazy import is
still a dependency.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

KIOSK = Path(__file__).resolve().parents[1] / "kiosk"

# Lowest first. Keep in step with the module table in README.md.
LAYERS: list[set[str]] = [
    {"core"},
    {"hw", "vision"},
    {"codes", "output", "booth"},
    {"storage"},
    {"queue", "centre"},
    {"upload"},
    {"ops"},
    {"staff"},
    {"web", "demo"},
    {"app"},
    {"cli"},
]
LAYER_OF = {pkg: n for n, layer in enumerate(LAYERS) for pkg in layer}


def _package_of(module: str) -> str | None:
    """``kiosk.vision.checks.glasses`` -> ``vision``; the top-level ``kiosk`` itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "kiosk" else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``kiosk`` module named by an import in ``path``, with its line, lazy imports included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        assert not (isinstance(node, ast.ImportFrom) and node.level), f"{path}: use absolute imports"
    return [(line, name) for line, name in found if name == "kiosk" or name.startswith("kiosk.")]


def _edges() -> list[tuple[str, int, str, str]]:
    """(file, line, from-package, to-package) for every import that crosses a package boundary."""
    edges = []
    for path in sorted(KIOSK.rglob("*.py")):
        rel = path.relative_to(KIOSK.parent)
        if path.parent == KIOSK:
            continue  # the entry points, kiosk/__init__.py and kiosk/__main__.py, may import anything
        here = rel.parts[1]
        for line, name in _imports(path):
            there = _package_of(name)
            if there is not None and there != here and (KIOSK / there).is_dir():
                edges.append((str(rel), line, here, there))
    return edges


def test_every_package_has_a_layer():
    packages = {p.name for p in KIOSK.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(LAYER_OF), "add new packages to LAYERS and to the README's module table"


def test_the_top_level_holds_no_modules_but_the_entry_points():
    loose = sorted(p.name for p in KIOSK.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"], f"put {loose} in the package that matches its job"


def test_packages_import_only_lower_layers():
    wrong = [
        f"{file}:{line}: {here} (layer {LAYER_OF[here]}) imports {there} (layer {LAYER_OF[there]})"
        for file, line, here, there in _edges()
        if LAYER_OF[there] >= LAYER_OF[here]
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("low", ["core", "hw", "vision", "codes"])
def test_hardware_vision_and_codes_never_reach_up_to_the_web_cli_or_app(low):
    reached = {there for _, _, here, there in _edges() if here == low}
    assert not reached & {"web", "cli", "app", "demo", "staff"}


def test_the_rule_catches_an_upward_import(tmp_path, monkeypatch):
    """The check itself can fail: a vision module importing the web is reported with its line."""
    fake = tmp_path / "kiosk"
    for pkg in ("vision", "web"):
        (fake / pkg).mkdir(parents=True)
        (fake / pkg / "__init__.py").write_text("")
    (fake / "vision" / "bad.py").write_text("def f():\n    from kiosk.web import create_app\n")
    monkeypatch.setattr(sys.modules[__name__], "KIOSK", fake)
    assert ("kiosk/vision/bad.py", 2, "vision", "web") in _edges()
