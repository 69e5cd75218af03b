"""`manage.py seed_demo`: load the demo organisation or a benchmark-sized data set."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from projects.demo import DEFAULT_SEED, LARGE_PROJECTS, MAX_PROJECTS, DemoDataExists, generate
from projects.demo.people import DEMO_PASSWORD

HELP = f"""Generate demo data: portfolios, projects and everything around them.

--size small (default) loads a believable IT organisation of 27 projects in five portfolios,
with logins for every role: director, director2, pm, pmo, executive and named project
managers (ana.silva, raj.patel, ...), all with the password "{DEMO_PASSWORD}".
--size large generates {LARGE_PROJECTS:,} projects in 20 portfolios (200,000 milestones,
about a million cost lines and status reports, 50,000 risks) set-based inside PostgreSQL;
--projects N generates N projects in the same proportions, with N // 500 portfolios
(at least 1, at most 20).

Dates are placed relative to --today (default: the current date), so the data always looks
current; the same --seed and --today always produce the same rows and ids.

The command refuses to run when any portfolio, project or related table already holds rows.
--reset first deletes them: it TRUNCATEs every portfolio and project table, their audit
history, and every table of other apps that refers to them (gate reviews, rollups, report
runs...), and removes demo users the new data does not need. Never use --reset on a
database with real data.

Generated rows bypass the audit trail: the pghistory triggers of the tables written are
switched off (pgtrigger.disable, inside the seed transaction, so other sessions never see
them off) and on again before the commit. Everything runs in one transaction, which also
computes every project's rollup (dashboards read rollups only); then ANALYZE.
-v 2 prints how long each phase and each bulk statement took.
"""


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}") from error


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        kwargs["formatter_class"] = RawDescriptionHelpFormatter
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        amount = parser.add_mutually_exclusive_group()
        amount.add_argument(
            "--size",
            choices=["small", "large"],
            default="small",
            help="small: the hand-written organisation (default); large: the benchmark set.",
        )
        amount.add_argument(
            "--projects",
            type=int,
            metavar="N",
            help=f"Generate N projects (1–{MAX_PROJECTS:,}) with the large generator.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Seed of the pseudo-random choices (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--today",
            type=_day,
            default=None,
            help="Reference date YYYY-MM-DD the data is placed around (default: today).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all portfolio and project data first (see above).",
        )

    def _progress(self, message: str) -> None:
        self.stdout.write(f"  … {message}")

    def handle(self, *args, **options) -> None:
        projects = options["projects"]
        if projects is None and options["size"] == "large":
            projects = LARGE_PROJECTS
        if projects is not None and not 1 <= projects <= MAX_PROJECTS:
            raise CommandError(f"--projects must be between 1 and {MAX_PROJECTS:,}")
        if not 0 <= options["seed"] < 2**31:
            raise CommandError("--seed must be between 0 and 2147483647")
        today = options["today"] or timezone.localdate()  # the organisation's day
        try:
            outcome = generate(
                projects=projects,
                seed=options["seed"],
                today=today,
                reset=options["reset"],
                log=self._progress if options["verbosity"] >= 2 else lambda message: None,
            )
        except DemoDataExists as refusal:
            raise CommandError(str(refusal)) from refusal
        width = max(len(label) for label in outcome.counts)
        for label, count in outcome.counts.items():
            self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        what = "small demo" if projects is None else f"{projects:,} projects"
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {what} (seed {options['seed']}, today {today}) with "
                f"{outcome.users} users in {outcome.seconds:.1f} s. Log in as director, pm, pmo or "
                f"executive with password '{DEMO_PASSWORD}'."
            )
        )
