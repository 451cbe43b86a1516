"""The tests' own layout: helpers live in tests/helpers and are imported one way, as ``tests.helpers.x``.

pytest imports each test module by its bare name (tests/ has no ``__init__.py``) while the repository root
is on ``sys.path`` too, so a test module imported from another one, or a helper imported both as ``fakes``
and as ``tests.fakes``, would be loaded twice: two copies of its classes and module state, and ``isinstance``
checks that fail for no visible reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.paths import REPO

TESTS = REPO / "tests"


def _imports(path: Path) -> list[str]:
    """Every module name ``path`` imports, at any depth (function-level imports included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _python_files() -> list[Path]:
    return sorted([*TESTS.glob("*.py"), *(TESTS / "helpers").glob("*.py"), *(REPO / "bench").glob("*.py")])


def test_only_test_modules_and_the_conftest_sit_in_tests() -> None:
    strays = [p.name for p in TESTS.glob("*.py") if not p.name.startswith("test_") and p.name != "conftest.py"]
    assert strays == [], f"helpers belong in tests/helpers/: {strays}"


def test_no_module_imports_a_test_module_or_the_conftest() -> None:
    helpers = {p.stem for p in (TESTS / "helpers").glob("*.py")}
    wrong = []
    for path in _python_files():
        for name in _imports(path):
            first, _, rest = name.partition(".")
            bare_test = first.startswith("test_") or first == "conftest"
            via_tests = first == "tests" and (rest.startswith("test_") or rest == "conftest")
            bare_helper = first in helpers or first == "helpers"
            if bare_test or via_tests or bare_helper:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert wrong == [], "import shared code from tests.helpers.<module>:\n" + "\n".join(wrong)


def test_the_guard_sees_both_import_styles(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text("from test_booth import Rig\n\ndef f():\n    import tests.test_web\n", encoding="utf-8")
    assert _imports(sample) == ["test_booth", "tests.test_web"]
