"""Time `seed_demo --size large` and record the figure as `seed_large_s` in bench/results.json.

Usage (the database in DATABASE_URL is emptied and refilled):

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/seed_bench.py --reset

Without --reset the run is refused when the database already holds portfolio or project data,
exactly like the command. The figure is the wall time of the whole command run in-process:
generation, foreign-key checks, rollups, commit and ANALYZE (not Python start-up).
Other keys already in results.json are kept.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench.results import RESULTS, record  # noqa: E402

KEY = "seed_large_s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="empty the demo tables first")
    parser.add_argument("--today", help="reference date YYYY-MM-DD (default: today)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default {RESULTS}")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppm.settings")
    import django

    django.setup()
    from django.core.management import CommandError, call_command

    options = ["--size", "large", "-v", "2"]
    if args.reset:
        options.append("--reset")
    if args.today:
        options += ["--today", date.fromisoformat(args.today).isoformat()]
    out = StringIO()
    started = time.perf_counter()
    try:
        call_command("seed_demo", *options, stdout=out)
    except CommandError as error:
        print(f"seed_bench: {error}", file=sys.stderr)
        return 2
    seconds = round(time.perf_counter() - started, 1)
    print(out.getvalue(), end="")
    record(args.out, KEY, seconds)
    print(f"{KEY} = {seconds} s (written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
