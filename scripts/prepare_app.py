"""Brings the database up to date before web, worker and beat start (called by `make run`).

Applies migrations, loads the demo data when the database holds no portfolio yet (unless
DEMO_DATA=false), and collects static files when DEBUG is off (with DEBUG on, whitenoise serves
them straight from the source folders). One interpreter for all three saves Django start-ups.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppm.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from portfolio.models import Portfolio

    call_command("migrate", interactive=False)
    demo = os.environ.get("DEMO_DATA", "true").strip().lower() not in {"0", "false", "no", "off"}
    if demo and not Portfolio.objects.exists():
        print("Loading the demo data (first run: the database has no portfolio yet)", flush=True)
        call_command("seed_demo", "--size", "small")
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
