"""The plan read from a file: its tasks in the file's order, with outline parents, working
durations in days, baseline 0, and each task's own problems kept on the task (so that a
preview shows every problem at once); and what the file holds that is not imported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from projects.imports.mspdi.calendars import Calendar, build_calendars
from projects.imports.mspdi.reading import EXPORT, Reader, read
from projects.imports.mspdi.values import (
    ELAPSED_FORMATS,
    a_date,
    flag,
    integer,
    minutes,
    reference,
)
from projects.services import DomainError

NOTES_MAX_CHARS = 2_000
DEFAULT_MINUTES_PER_DAY = 480
MAX_DURATION_DAYS = 36_500


@dataclass
class Task:
    """One row of the plan's Gantt chart: a task, a summary task or a milestone."""

    uid: int
    id: int | None
    name: str
    wbs: str = ""
    outline_level: int = 1
    parent_uid: int | None = None
    summary: bool = False
    milestone: bool = False
    active: bool = True
    start: date | None = None
    finish: date | None = None
    # In working days at the plan's minutes per day, or calendar days when `elapsed`.
    duration_days: Decimal | None = None
    duration_elapsed: bool = False
    percent_complete: int = 0
    actual_start: date | None = None
    actual_finish: date | None = None
    baseline_start: date | None = None
    baseline_finish: date | None = None
    baseline_duration_days: Decimal | None = None
    calendar_uid: int | None = None
    notes: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How a project manager finds the task in Project: its ID (row number) and name."""
        name = self.name if len(self.name) <= 60 else f"{self.name[:59]}…"
        number = f"Task {self.id}" if self.id is not None else f"Task with UID {self.uid}"
        return f"{number} ‘{name}’" if name else f"{number} (no name)"


@dataclass
class Plan:
    """A Microsoft Project plan as read from its XML file, tasks in the file's order."""

    name: str
    start: date | None
    finish: date | None
    minutes_per_day: int
    calendar_uid: int | None
    calendars: list[Calendar]
    tasks: list[Task]
    unsupported: list[str]
    warnings: list[str]  # about parts read in part (a calendar's unreadable hours)

    @property
    def errors(self) -> list[str]:
        return [error for task in self.tasks for error in task.errors]


def parse_mspdi(data: bytes) -> Plan:
    """The plan in an uploaded file, or a DomainError saying why the file cannot be read."""
    return _PlanBuilder(read(data)).build()


class _PlanBuilder:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.warnings: list[str] = []
        self.minutes_per_day = self._minutes_per_day(reader.header.get("MinutesPerDay", ""))

    def build(self) -> Plan:
        header = self.reader.header
        tasks = self._tasks()
        summary = next(
            (raw.fields.get("Name", "") for raw in self.reader.raw_tasks if raw.is_project),
            "",
        )
        name = header.get("Title") or header.get("Name", "").removesuffix(".xml") or summary
        return Plan(
            name=name.strip(),
            start=self._header_date("StartDate", "start"),
            finish=self._header_date("FinishDate", "finish"),
            minutes_per_day=self.minutes_per_day,
            calendar_uid=reference(header.get("CalendarUID", "")),
            calendars=build_calendars(
                self.reader.raw_calendars,
                minutes_per_day=self.minutes_per_day,
                warnings=self.warnings,
            ),
            tasks=tasks,
            unsupported=self._unsupported(),
            warnings=self.warnings,
        )

    def _minutes_per_day(self, text: str) -> int:
        if not text:
            return DEFAULT_MINUTES_PER_DAY
        value = integer(text)
        if value is None or not 1 <= value <= 1440:
            raise DomainError(
                f"The plan's working day is “{text}” minutes long; it must be between 1 and "
                "1,440. Correct “Hours per day” in Project (File › Options › Schedule) and "
                "export the plan again.",
                field="file",
            )
        return value

    def _header_date(self, name: str, what: str) -> date | None:
        text = self.reader.header.get(name, "")
        if not text:
            return None
        try:
            return a_date(text)
        except (ValueError, DomainError) as error:
            problem = error.message if isinstance(error, DomainError) else "It is not a date."
            raise DomainError(
                f"The plan's {what} date “{text[:30]}” cannot be used. {problem} Correct it "
                "in Project (Project › Project Information) and export the plan again.",
                field="file",
            ) from None

    def _tasks(self) -> list[Task]:
        tasks: list[Task] = []
        seen: dict[int, Task] = {}
        open_levels: list[Task] = []  # the chain of possible parents of the next task
        for raw in self.reader.raw_tasks:
            values = raw.fields
            if raw.is_project or flag(values.get("IsNull")):
                continue
            uid = integer(values.get("UID", ""))
            if uid is None:
                raise DomainError(
                    f"Task number {raw.position:,} in the file has no UID, which Project "
                    f"always writes: the file is damaged. {EXPORT} again.",
                    field="file",
                )
            task = self._task(uid, values, raw.baselines)
            if uid in seen:
                # A parent is found by UID: a repeated UID can make a task its own ancestor.
                raise DomainError(
                    f"Two tasks have the UID {uid} ({seen[uid].label} and {task.label}), so "
                    f"the plan's outline cannot be followed: the file is damaged. {EXPORT} "
                    "again.",
                    field="file",
                )
            seen[uid] = task
            while open_levels and open_levels[-1].outline_level >= task.outline_level:
                open_levels.pop()
            if open_levels:
                task.parent_uid = open_levels[-1].uid
                open_levels[-1].summary = True  # it has a child, whatever its flag says
            open_levels.append(task)
            tasks.append(task)
        return tasks

    def _task(self, uid: int, values: dict[str, str], baselines: list[dict[str, str]]) -> Task:
        task = Task(
            uid=uid,
            id=integer(values.get("ID", "")),
            name=values.get("Name", ""),
            wbs=values.get("WBS", ""),
            summary=flag(values.get("Summary")),
            milestone=flag(values.get("Milestone")),
            active=values.get("Active", "1") != "0",
            calendar_uid=reference(values.get("CalendarUID", "")),
        )
        notes = values.get("Notes", "")
        task.notes = notes if len(notes) <= NOTES_MAX_CHARS else notes[: NOTES_MAX_CHARS - 1] + "…"
        level = values.get("OutlineLevel", "1")
        task.outline_level = integer(level) or 0
        if not 1 <= task.outline_level <= 100:
            task.errors.append(
                f"{task.label}: its outline level “{level}” is not a whole number from 1 to "
                "100; it is read as a top-level task."
            )
            task.outline_level = 1
        text = values.get("PercentComplete") or "0"
        percent = integer(text)
        if percent is None or not 0 <= percent <= 100:
            task.errors.append(
                f"{task.label}: its % complete “{text}” is not a whole number from 0 to 100."
            )
            percent = 0
        task.percent_complete = percent
        fix = "Correct it in Project and export the plan again."
        for attribute, name, what in (
            ("start", "Start", "start"),
            ("finish", "Finish", "finish"),
            ("actual_start", "ActualStart", "actual start"),
            ("actual_finish", "ActualFinish", "actual finish"),
        ):
            setattr(task, attribute, self._task_date(task, values.get(name, ""), what, fix))
        task.duration_days = self._days(task, values, "duration", fix)
        task.duration_elapsed = values.get("DurationFormat", "") in ELAPSED_FORMATS
        if baselines:
            baseline = baselines[0]
            what = "baseline start", "baseline finish"
            task.baseline_start = self._task_date(task, baseline.get("Start", ""), what[0], fix)
            task.baseline_finish = self._task_date(task, baseline.get("Finish", ""), what[1], fix)
            task.baseline_duration_days = self._days(task, baseline, "baseline duration", fix)
        for first, last, what in (
            ("start", "finish", ""),
            ("actual_start", "actual_finish", "actual "),
            ("baseline_start", "baseline_finish", "baseline "),
        ):
            begun, ended = getattr(task, first), getattr(task, last)
            if begun and ended and ended < begun:
                task.errors.append(
                    f"{task.label}: {what}finish {ended} is before its {what}start {begun}. "
                    "Correct the dates in Project and export the plan again."
                )
        return task

    def _task_date(self, task: Task, text: str, what: str, fix: str) -> date | None:
        if not text:
            return None
        try:
            return a_date(text)
        except ValueError:
            task.errors.append(f"{task.label}: its {what} “{text[:30]}” is not a date. {fix}")
        except DomainError as error:
            task.errors.append(
                f"{task.label}: its {what} {text[:10]} is out of range. {error.message} {fix}"
            )
        return None

    def _days(self, task: Task, values: dict[str, str], what: str, fix: str) -> Decimal | None:
        text = values.get("Duration", "")
        if not text:
            return None
        try:
            total = minutes(text)
        except ValueError as error:
            task.errors.append(f"{task.label}: its {what} “{text[:30]}” {error}. {fix}")
            return None
        elapsed = values.get("DurationFormat", "") in ELAPSED_FORMATS
        days = (total / (1440 if elapsed else self.minutes_per_day)).quantize(Decimal("0.01"))
        if days > MAX_DURATION_DAYS:
            task.errors.append(
                f"{task.label}: its {what} of {days:,.0f} days is longer than a plan can be. {fix}"
            )
            return None
        return days

    def _unsupported(self) -> list[str]:
        reader, found = self.reader, self.reader.found
        parts = []
        if "links" in found:
            parts.append("task links (predecessors) are not imported")
        if reader.assignments:
            parts.append(f"resource assignments are not imported ({reader.assignments:,})")
        if reader.resources:
            parts.append(f"resources are not imported ({reader.resources:,})")
        if reader.baseline_numbers:
            numbers = sorted(reader.baseline_numbers)
            listed = ", ".join(str(number) for number in numbers)
            parts.append(
                f"baseline {listed} is not imported, only baseline 0"
                if len(numbers) == 1
                else f"baselines {listed} are not imported, only baseline 0"
            )
        for part, text in (
            ("exceptions", "calendar exceptions (holidays) are not imported"),
            ("work weeks", "calendar work weeks other than the default are not imported"),
            ("deadlines", "task deadlines are not imported"),
            ("custom", "custom fields are not imported"),
            ("timephased", "timephased data is not imported"),
        ):
            if part in found:
                parts.append(text)
        return parts
