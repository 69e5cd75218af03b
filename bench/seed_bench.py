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
import json
import os
import sys
import time
from datetime import date
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
KEY = "seed_large_s"


def record(path: Path, key: str, value: float) -> dict[str, object]:
    """Merge one figure into the results file, keeping every other key; write atomically."""
    results = json.loads(path.read_text()) if path.exists() else {}
    results[key] = value
    scratch = path.with_suffix(".json.tmp")
    scratch.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    scratch.replace(path)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="empty the demo tables first")
    parser.add_argument("--today", help="reference date YYYY-MM-DD (default: today)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default {RESULTS}")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
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
