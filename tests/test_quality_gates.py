"""The lock files say what `make run`, `make test` and the Docker image install: they must agree
with the exact pins in pyproject.toml (after a change there, `make lock` re-pins them). That
the image's lock holds no development package is tests/test_deployment_files.py's concern."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            pins[_normal(match.group(1))] = match.group(2)
    return pins


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_dependency_in_pyproject_is_pinned_exactly():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    requirements = project["dependencies"] + extras["embedded"] + extras["dev"]

    loose = [r for r in requirements if not PIN.match(r)]

    assert loose == [], "pin these exactly (==) in pyproject.toml"


@pytest.mark.parametrize(
    ("lock", "groups"),
    [
        ("requirements.lock", ["runtime"]),
        ("requirements-dev.lock", ["runtime", "embedded", "dev"]),
    ],
)
def test_the_lock_holds_each_pyproject_pin_at_the_same_version(lock, groups):
    project = _pyproject()["project"]
    wanted = _pins(project["dependencies"])
    for extra in groups[1:]:
        wanted |= _pins(project["optional-dependencies"][extra])
    locked = _pins((ROOT / lock).read_text().splitlines())

    drift = {name: (version, locked.get(name)) for name, version in wanted.items()}
    drift = {name: pair for name, pair in drift.items() if pair[0] != pair[1]}

    assert drift == {}, f"{lock} is stale (pyproject, lock): run `make lock`"


def test_no_template_comment_spans_lines():
    """Django's {# … #} ends at the line's end: one spread over lines is printed on the page
    (the filter bar once showed its own comment). Longer notes use {% comment %}."""
    templates = ROOT / "templates"
    spread = [
        f"{path.relative_to(templates)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted(templates.rglob("*.html"))
        for text in [path.read_text()]
        for match in re.finditer(r"\{#(.*?)#\}", text, re.S)
        if "\n" in match.group(1)
    ]
    assert not spread, spread
