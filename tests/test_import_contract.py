"""The apps' dependency direction (docs/architecture.md, "Shape"): reporting → governance →
projects → portfolio → ppm. Nothing imports upward.

Every module of each app is read with `ast` (not imported), so an import hidden inside a
function counts as much as one at the top. Migrations and tests are left out: migrations
name other apps' models by label, and tests may build a whole world across apps.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each app, and the apps it must never import (everything above it).
FORBIDDEN = {
    "portfolio": {"projects", "governance", "reporting"},
    "projects": {"governance", "reporting"},
    "governance": {"reporting"},
}


def modules(app: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / app).rglob("*.py")
        if not {"migrations", "tests"} & set(path.relative_to(ROOT / app).parts)
    )


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in the module, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(ROOT).parts[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the module's own package
                base = package[: len(package) - node.level + 1]
                found.append((node.lineno, base[0] if base else (node.module or "")))
            elif node.module:
                found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(app: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in modules(app)
        for line, target in imported(path)
        if target in FORBIDDEN[app]
    ]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_no_app_imports_an_app_above_it(app):
    assert modules(app), f"no modules found for {app}"
    assert violations(app) == []


def test_the_contract_catches_an_upward_import(tmp_path, monkeypatch):
    """The scan itself works: a module of a lower app importing reporting is reported, at
    the top or inside a function, absolute or as a submodule."""
    app = tmp_path / "projects"
    (app / "views").mkdir(parents=True)
    (app / "views" / "page.py").write_text(
        "import reporting.engine\n\ndef f():\n    from reporting.models import ProjectRollup\n"
    )
    (app / "migrations").mkdir()
    (app / "migrations" / "0001.py").write_text("from reporting import models\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert violations("projects") == [
        "projects/views/page.py:1 imports reporting",
        "projects/views/page.py:4 imports reporting",
    ]
