"""The data files an installed booth gets (pyproject's package-data), checked against the checkout without
building a wheel: every file the code opens at run time is shipped, and every glob still matches a file.

A file left out of package-data works in the checkout and goes missing only on an installed booth (a
template that 500s, a profile that "does not exist"), so this is checked here rather than found there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
WEB = ROOT / "kiosk" / "web"


def _globbed(table: dict[str, list[str]]) -> dict[tuple[str, str], set[Path]]:
    """For each (package, glob) of a package-data table, the files it matches, resolved."""
    found = {}
    for package, globs in table.items():
        base = ROOT.joinpath(*package.split("."))
        for pattern in globs:
            found[package, pattern] = {p.resolve() for p in base.glob(pattern) if p.is_file()}
    return found


def _shipped() -> set[Path]:
    included = set().union(*_globbed(SETUPTOOLS["package-data"]).values())
    excluded = set().union(*_globbed(SETUPTOOLS.get("exclude-package-data", {})).values())
    return included - excluded


def _templates() -> set[str]:
    """The templates the web code renders, and those they extend or include."""
    names = set()
    for source in WEB.glob("*.py"):
        names |= set(re.findall(r'render_template\(\s*"([^"]+)"', source.read_text(encoding="utf-8")))
    todo = list(names)
    while todo:
        text = (WEB / "templates" / todo.pop()).read_text(encoding="utf-8")
        for name in re.findall(r'{%-?\s*(?:extends|include|import|from)\s+"([^"]+)"', text):
            if name not in names:
                names.add(name)
                todo.append(name)
    return names


def _opened_at_run_time() -> set[Path]:
    """Every data file the package reads: profiles, templates, static files, models and their notices."""
    from kiosk.ops.probes import MODEL_FILES as CHECKER_MODELS
    from kiosk.vision.attributes import MODEL_FILES as ATTRIBUTE_MODELS
    from kiosk.vision.model_dir import PACKAGED_MODELS
    from kiosk.vision.profiles import available
    from kiosk.web.staff import STATIC_DIR

    files = [ROOT / "kiosk" / "vision" / "profiles" / f"{name}.toml" for name in available()]
    templates = _templates()
    files += [WEB / "templates" / name for name in templates]
    for name in templates:
        text = (WEB / "templates" / name).read_text(encoding="utf-8")
        files += [WEB / "static" / f for f in re.findall(r"url_for\('static', filename='([^']+)'\)", text)]
    files += [p for p in STATIC_DIR.iterdir() if p.is_file()]  # the staff console serves its whole folder
    models = {*CHECKER_MODELS, *ATTRIBUTE_MODELS.values(), "SHA256SUMS", "NOTICE"}
    files += [PACKAGED_MODELS / name for name in models]
    files += list(PACKAGED_MODELS.glob("LICENSE-*"))
    return {p.resolve() for p in files}


def test_what_the_code_reads_is_found_in_the_checkout() -> None:
    opened = _opened_at_run_time()
    assert {"chsi.toml", "student.html", "staff_base.html", "staff.js", "face_landmark.tflite", "NOTICE"} <= {
        p.name for p in opened
    }
    missing = sorted(str(p.relative_to(ROOT)) for p in opened if not p.is_file())
    assert not missing, f"the code reads files that are not there: {missing}"


def test_every_file_read_at_run_time_is_in_package_data() -> None:
    left_out = sorted(str(p.relative_to(ROOT)) for p in _opened_at_run_time() - _shipped())
    assert not left_out, f"add these to [tool.setuptools.package-data] in pyproject.toml: {left_out}"


def test_every_package_data_glob_matches_a_tracked_file() -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run([git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    tracked = {(ROOT / name).resolve() for name in listed.decode().split("\0") if name}
    stale = [
        f"{package}: {pattern!r}"
        for (package, pattern), files in _globbed(SETUPTOOLS["package-data"]).items()
        if not files & tracked
    ]
    assert not stale, f"package-data globs that match no tracked file: {stale}"
