#!/usr/bin/env bash
# Entry point behind `make run`, `make test` and `make services`: makes .venv ready, then
# becomes scripts/devstack.py (exec, so a signal sent to this process reaches the runner).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh"
cd "$root"
exec "$root/.venv/bin/python" "$root/scripts/devstack.py" "$@"
