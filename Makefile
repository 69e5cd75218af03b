# One command runs it, one command tests it. Both prepare .venv first (scripts/bootstrap.sh).
#   make run        web + worker + beat (+ embedded PostgreSQL and Redis unless DATABASE_URL /
#                   REDIS_URL are set) in the foreground on http://127.0.0.1:$(PORT or 8000)/
#   make test       ruff, deploy check, migrations check and the whole pytest suite
#   make screenshots  the browser tests again, retaking the pictures in docs/screenshots
#   make services   only the embedded PostgreSQL and Redis, printing the URLs to export
#   make bench      the benchmark harness (bench/README.md): large demo data generated once and
#                   reused, figures merged into bench/results.json; BENCH_ARGS are passed on
#   make install    only create .venv and install requirements-dev.lock
#   make lock       re-pin requirements*.lock from pyproject.toml (needs PyPI)
# Recipes are single commands on purpose: make then runs them without a shell in between, and
# a SIGTERM sent to make is passed straight to the runner. Where arguments are passed on, quotes
# in them (PYTEST_ARGS='-m "not slow"') make make start a shell, and `exec` makes that shell
# become the runner rather than stand between make and it.

PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test screenshots services bench install lock

run:
	scripts/conductor.sh run

test:
	exec scripts/conductor.sh test $(PYTEST_ARGS)

screenshots:
	exec scripts/conductor.sh test --screenshots -m browser $(PYTEST_ARGS)

services:
	scripts/conductor.sh services

bench:
	exec scripts/conductor.sh bench $(BENCH_ARGS)

install:
	scripts/bootstrap.sh

lock: install
	scripts/lock.sh
