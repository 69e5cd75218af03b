"""`manage.py kpi_catalogue`: print the KPI catalogue as docs/metrics.md has it, or write it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from reporting.kpis import catalogue_markdown

TARGET = Path(settings.BASE_DIR) / "docs" / "metrics.md"


class Command(BaseCommand):
    help = "Print the KPI catalogue (reporting/kpis.py) as Markdown; --write: docs/metrics.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help=f"write {TARGET.name}")

    def handle(self, *args, **options) -> None:
        text = catalogue_markdown()
        if options["write"]:
            TARGET.write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {TARGET}")
        else:
            self.stdout.write(text, ending="")
