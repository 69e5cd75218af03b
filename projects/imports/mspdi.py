"""Microsoft Project plans saved as XML (MSPDI) on their way in: the file read into a Plan,
the plan's milestones previewed against a project's, and the preview applied.

Project desktop and Project Online save a plan as "XML" (File › Save As › XML Format): one
<Project> element in the namespace NS, holding the plan's calendars, tasks, resources and
assignments. Conductor has no task model, so a plan arrives as milestones: its milestone tasks
and, when asked, the end of each phase (a top-level summary task). What the file holds beyond
that is named in Plan.unsupported, so nobody expects links or resources to have come across.

An upload is untrusted. It is parsed with defusedxml (no DTD, no entities) as a stream that
keeps one task in memory at a time, within MSPDI_MAX_BYTES and MSPDI_MAX_TASKS. What is wrong
with the whole file is a DomainError saying what to do; what is wrong with one task is that
task's error, so that a preview shows every problem at once.
"""

from __future__ import annotations

import codecs
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from ppm.access import can_change
from projects.models import Milestone, Project
from projects.services import (
    ConflictError,
    DomainError,
    milestone_achieve,
    milestone_create,
    milestone_rebaseline,
    milestone_reforecast,
    milestone_update,
)
from projects.services.cost_files import file_size_text
from projects.services.dates import check_calendar

# The milestone services' own date rule (within the project, not before its start): the
# preview applies it so that a row it shows as fine is one the services accept.
from projects.services.milestones import _check_within_project

if TYPE_CHECKING:  # a type only: every parse goes through defusedxml
    from xml.etree.ElementTree import Element

NS = "http://schemas.microsoft.com/project"
MSPDI_MAX_BYTES: int = getattr(settings, "MSPDI_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
MSPDI_MAX_TASKS: int = getattr(settings, "MSPDI_IMPORT_MAX_TASKS", 20_000)
NOTES_MAX_CHARS = 2_000
DEFAULT_MINUTES_PER_DAY = 480
# Project nests its XML six levels deep, and its largest element (an assignment with daily
# timephased data over years) holds tens of thousands of elements. Held in memory one at a
# time, an element of this many is refused: it is built to exhaust a worker, not a plan.
MAX_DEPTH = 32
MAX_ELEMENTS_PER_ITEM = 200_000
MAX_DURATION_DAYS = 36_500

EXPORT = "In Project, choose File › Save As › “XML Format (*.xml)” and upload that file"
_OLE2 = b"\xd0\xcf\x11\xe0"  # .mpp, and Office 97 files (.xls, .doc)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # .xlsx, .docx, zipped folders
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),  # before UTF-16's: it starts with it
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
# Without a mark, XML's first character '<' tells two- and four-byte encodings apart.
_UNMARKED = (
    (b"<\x00\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\x00<", "utf-32-be", "UTF-32"),
    (b"<\x00", "utf-16-le", "UTF-16"),
    (b"\x00<", "utf-16-be", "UTF-16"),
)
_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([^\"']{1,40})[\"']")
# MSPDI's DurationFormat codes of elapsed durations (calendar time, 24 hours a day): em, eh,
# ed, ew, emo, e% and their estimated ("?") forms.
_ELAPSED_FORMATS = {"4", "6", "8", "10", "12", "20", "36", "38", "40", "42", "44", "52"}
_NUMBER = r"(\d{1,9}(?:\.\d{1,6})?)"
_DURATION = re.compile(
    rf"(-)?P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_NO_RESOURCE = "-65535"  # the resource UID of Project's placeholder assignments
# What is kept of each task until the plan is built (a task has some 80 fields; 20,000 tasks
# of all of them would hold a worker's memory for nothing).
_TASK_FIELDS = {
    name: name
    for name in (
        *("UID", "ID", "Name", "WBS", "OutlineLevel", "Summary", "Milestone", "Active", "IsNull"),
        *("Start", "Finish", "Duration", "DurationFormat", "PercentComplete", "ActualStart"),
        *("ActualFinish", "CalendarUID", "Notes"),
    )
}
_BASELINE_FIELDS = {name: name for name in ("Start", "Finish", "Duration", "DurationFormat")}


# --- The plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """A working calendar of the plan: which weekdays are worked, and for how long."""

    uid: int
    name: str
    base_calendar_uid: int | None
    # ISO weekday (1 = Monday) → working minutes, inherited from the base calendar where the
    # calendar does not say otherwise.
    week: dict[int, int]

    @property
    def working_weekdays(self) -> tuple[int, ...]:
        return tuple(day for day in sorted(self.week) if self.week[day] > 0)

    @property
    def minutes_per_day(self) -> int:
        """The usual length of a working day (the most common one; 0 if none is worked)."""
        worked = Counter(minutes for minutes in self.week.values() if minutes > 0)
        return max(worked, key=lambda minutes: (worked[minutes], minutes)) if worked else 0


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


# --- Reading the file ----------------------------------------------------------------------


def parse_mspdi(data: bytes) -> Plan:
    """The plan in an uploaded file, or a DomainError saying why the file cannot be read."""
    if len(data) > MSPDI_MAX_BYTES:
        size, limit = file_size_text(len(data)), file_size_text(MSPDI_MAX_BYTES)
        too_big = (
            f"The file is larger than {limit}, the most read of a plan"
            if size == limit
            else f"The file is {size}; plans of at most {limit} are read"
        )
        raise DomainError(
            f"{too_big}. Check that it is the plan of this project alone, and split a larger "
            "plan before importing it.",
            field="file",
        )
    reader = _Reader()
    for event, element in _events(_decode(_sniffed(data))):
        reader.take(event, element)
    return reader.plan()


def _sniffed(data: bytes) -> bytes:
    if not data.strip():
        raise DomainError(f"The file is empty. {EXPORT}.", field="file")
    if data.startswith(_OLE2):
        raise DomainError(
            "This is a Project .mpp file (or another Office binary file), which Conductor "
            f"does not read. {EXPORT}.",
            field="file",
        )
    if data.startswith(_ZIP):
        raise DomainError(
            "This is a zip archive (an Excel or Word file, or a compressed folder), not a "
            f"plan saved as XML. {EXPORT}.",
            field="file",
        )
    return data


def _decode(data: bytes) -> str:
    """The file's text. The parser is given text, not bytes, so that every encoding problem
    is found here and explained, not reported by the parser as a bad token."""
    for mark, codec, name in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return _decoded(data[len(mark) :], codec, name)
    for start, codec, name in _UNMARKED:
        if data.startswith(start):
            return _decoded(data, codec, name)
    if b"\x00" in data:
        raise DomainError(
            "The file holds NUL bytes, so it is not an XML text file (perhaps another kind of "
            f"file renamed to .xml). {EXPORT}.",
            field="file",
        )
    declared = _DECLARED_ENCODING.search(data[:300])
    if declared is None:
        return _decoded(data, "utf-8", "UTF-8")
    label = declared.group(1).decode("ascii", "replace").strip()
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        raise DomainError(
            f"The file declares the character encoding “{label}”, which Conductor does not "
            f"know. {EXPORT} (Project writes UTF-8).",
            field="file",
        ) from None
    if codec.startswith(("utf-16", "utf-32")):
        # Declared but contradicted: those would have a mark or NUL bytes. Read what it is.
        codec, label = "utf-8", "UTF-8"
    return _decoded(data, codec, label.upper())


def _decoded(data: bytes, codec: str, name: str) -> str:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        raise DomainError(
            f"The file is meant to be {name} text, but byte 0x{data[error.start]:02X} at "
            f"position {error.start:,} is not {name}. {EXPORT} (Project writes UTF-8).",
            field="file",
        ) from None
    except (LookupError, ValueError):  # a codec Python knows but cannot decode with
        raise DomainError(
            f"The file's character encoding “{name}” cannot be read. {EXPORT}.", field="file"
        ) from None
    if "\x00" in text:
        raise DomainError(
            f"The file holds NUL characters, which XML does not allow. {EXPORT}.", field="file"
        )
    start = text.lstrip()[:20].lower()
    if not start.startswith("<"):
        raise DomainError(
            f"The file is not XML (it does not start with “<”). {EXPORT}.", field="file"
        )
    if start.startswith(("<!doctype html", "<html")):
        raise DomainError(
            f"This is a web page (HTML), not a plan saved as XML. {EXPORT}.", field="file"
        )
    return text


def _events(text: str) -> Iterator[tuple[str, Element]]:
    try:
        yield from iterparse(io.StringIO(text), events=("start", "end"), forbid_dtd=True)
    except DefusedXmlException:
        raise DomainError(
            "The file declares a DOCTYPE or entities, which Project never writes and "
            f"Conductor does not read (they can make a file expand without limit). {EXPORT}.",
            field="file",
        ) from None
    except ParseError as error:
        line, column = error.position
        if error.code in (3, 5):  # expat: no element found, unclosed token (at the end)
            raise DomainError(
                f"The file ends at line {line:,} before its XML is complete: it was probably "
                "cut off while being copied or uploaded. Upload it again, or export it again "
                "from Project.",
                field="file",
            ) from None
        reason = str(error).split(":")[0]
        raise DomainError(
            f"The file is not well-formed XML ({reason}, at line {line:,}, column "
            f"{column:,}); it may have been edited by hand. {EXPORT}.",
            field="file",
        ) from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _fields(element: Element, keep: dict[str, str] | None = None) -> dict[str, str]:
    """An element's simple children by name (MSPDI keeps most values one level down); with
    `keep`, only those it names, under its own copy of the name (one string for all tasks)."""
    values = {}
    for child in element:
        name = _local(child.tag)
        if not len(child) and (keep is None or name in keep):
            values[keep[name] if keep else name] = (child.text or "").strip()
    return values


def _child(element: Element, name: str) -> Element | None:
    return element.find(f"{{{NS}}}{name}")


@dataclass
class _RawTask:
    position: int
    fields: dict[str, str]
    baselines: list[dict[str, str]]


class _Reader:
    """Takes the parser's events and keeps what a Plan needs, one item at a time: each
    element below the root's sections is dropped once read, so memory stays flat."""

    def __init__(self) -> None:
        self.stack: list[Element] = []
        self.item_elements = 0
        self.header: dict[str, str] = {}
        self.raw_tasks: list[_RawTask] = []
        self.raw_calendars: list[tuple[dict[str, str], list[Element]]] = []
        self.task_count = 0
        self.found: set[str] = set()
        self.assignments = 0
        self.resources = 0
        self.baseline_numbers: set[int] = set()

    def take(self, event: str, element: Element) -> None:
        if event == "start":
            if not self.stack:
                _check_root(element.tag)
            if len(self.stack) >= MAX_DEPTH:
                raise DomainError(
                    f"The file's XML is nested more than {MAX_DEPTH} levels deep, which no "
                    f"Project plan is. {EXPORT}.",
                    field="file",
                )
            if len(self.stack) == 2:
                self.item_elements = 0
            self.item_elements += 1
            if self.item_elements > MAX_ELEMENTS_PER_ITEM:
                raise DomainError(
                    f"One item of the file holds more than {MAX_ELEMENTS_PER_ITEM:,} XML "
                    f"elements, far more than Project writes. {EXPORT}.",
                    field="file",
                )
            self.stack.append(element)
            return
        self.stack.pop()
        if len(self.stack) == 2:
            self._item(_local(self.stack[1].tag), _local(element.tag), element)
            self.stack[1].remove(element)
        elif len(self.stack) == 1:
            if not len(element):
                self.header[_local(element.tag)] = (element.text or "").strip()
            self.stack[0].remove(element)

    def _item(self, section: str, tag: str, element: Element) -> None:
        if section == "Tasks" and tag == "Task":
            self._task(element)
        elif section == "Calendars" and tag == "Calendar":
            self._calendar(element)
        elif section == "Resources" and tag == "Resource":
            if _fields(element).get("UID", "0") != "0":  # resource 0 is Project's blank one
                self.resources += 1
        elif section == "Assignments" and tag == "Assignment":
            if _fields(element).get("ResourceUID", _NO_RESOURCE) != _NO_RESOURCE:
                self.assignments += 1
            if _child(element, "TimephasedData") is not None:
                self.found.add("timephased")

    def _task(self, element: Element) -> None:
        values = _fields(element, _TASK_FIELDS)
        if values.get("UID") != "0" and values.get("OutlineLevel") != "0":
            self.task_count += 1
            if self.task_count > MSPDI_MAX_TASKS:
                raise DomainError(
                    f"The plan has more than {MSPDI_MAX_TASKS:,} tasks; at most "
                    f"{MSPDI_MAX_TASKS:,} are read. Import the plan of this project alone, or "
                    "split it into smaller plans.",
                    field="file",
                )
        baselines = []
        for baseline in element.findall(f"{{{NS}}}Baseline"):
            number = _int((baseline.findtext(f"{{{NS}}}Number") or "").strip())
            if number == 0:
                baselines.append(_fields(baseline, _BASELINE_FIELDS))
            elif number is not None:
                self.baseline_numbers.add(number)
        for name, part in (
            ("PredecessorLink", "links"),
            ("ExtendedAttribute", "custom"),
            ("TimephasedData", "timephased"),
            ("Deadline", "deadlines"),
        ):
            if _child(element, name) is not None:
                self.found.add(part)
        self.raw_tasks.append(_RawTask(len(self.raw_tasks) + 1, values, baselines))

    def _calendar(self, element: Element) -> None:
        days = _child(element, "WeekDays")
        weekdays = list(days) if days is not None else []
        if _child(element, "Exceptions") is not None or any(
            _fields(day).get("DayType") == "0" for day in weekdays
        ):
            self.found.add("exceptions")
        if _child(element, "WorkWeeks") is not None:
            self.found.add("work weeks")
        self.raw_calendars.append((_fields(element), weekdays))

    def plan(self) -> Plan:
        return _PlanBuilder(self).build()


def _check_root(tag: str) -> None:
    if tag == f"{{{NS}}}Project":
        return
    if _local(tag) == "Project":
        raise DomainError(
            "This XML file has a <Project> root element but not Microsoft Project's "
            f"namespace ({NS}), so it is not a Project XML plan. {EXPORT}.",
            field="file",
        )
    raise DomainError(
        f"This XML file is not a Microsoft Project plan: its root element is "
        f"<{_local(tag)[:40]}>, not <Project>. {EXPORT}.",
        field="file",
    )


# --- Values ----------------------------------------------------------------------------


def _int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else None


def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() in ("1", "true")


def _date(text: str) -> date:
    """A date from MSPDI's "2026-03-06T17:00:00". Project writes the plan's wall-clock time
    without a zone; the date is the one written, never shifted into the server's zone.
    Raises ValueError (not a date) or DomainError (outside the sane calendar)."""
    value = datetime.fromisoformat(text).date()
    check_calendar(value, field="file")
    return value


def _minutes(text: str) -> Decimal:
    """The minutes of an ISO 8601 duration ("PT16H0M0S", "PT0H0M0S", "P2DT4H"); a day (D)
    is 24 hours, as in XML Schema. Raises ValueError with the reason."""
    match = _DURATION.fullmatch(text.strip())
    if not match or not any(match.groups()[1:]) or text.strip().endswith("T"):
        raise ValueError("cannot be read (a duration looks like PT16H0M0S)")
    sign, years, months, days, hours, minutes, seconds = match.groups()
    if years or months:
        raise ValueError("is in years or months, which have no fixed length")
    total = (
        Decimal(days or 0) * 1440
        + Decimal(hours or 0) * 60
        + Decimal(minutes or 0)
        + Decimal(seconds or 0) / 60
    )
    if sign and total:
        raise ValueError("is negative")
    return total


# --- Building the plan -------------------------------------------------------------------------


class _PlanBuilder:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.warnings: list[str] = []
        self.minutes_per_day = self._minutes_per_day(reader.header.get("MinutesPerDay", ""))

    def build(self) -> Plan:
        header = self.reader.header
        tasks = self._tasks()
        summary = next(
            (raw.fields.get("Name", "") for raw in self.reader.raw_tasks if _is_project(raw)),
            "",
        )
        name = header.get("Title") or header.get("Name", "").removesuffix(".xml") or summary
        return Plan(
            name=name.strip(),
            start=self._header_date("StartDate", "start"),
            finish=self._header_date("FinishDate", "finish"),
            minutes_per_day=self.minutes_per_day,
            calendar_uid=_uid(header.get("CalendarUID", "")),
            calendars=self._calendars(),
            tasks=tasks,
            unsupported=self._unsupported(),
            warnings=self.warnings,
        )

    def _minutes_per_day(self, text: str) -> int:
        if not text:
            return DEFAULT_MINUTES_PER_DAY
        minutes = _int(text)
        if minutes is None or not 1 <= minutes <= 1440:
            raise DomainError(
                f"The plan's working day is “{text}” minutes long; it must be between 1 and "
                "1,440. Correct “Hours per day” in Project (File › Options › Schedule) and "
                "export the plan again.",
                field="file",
            )
        return minutes

    def _header_date(self, name: str, what: str) -> date | None:
        text = self.reader.header.get(name, "")
        if not text:
            return None
        try:
            return _date(text)
        except (ValueError, DomainError) as error:
            problem = error.message if isinstance(error, DomainError) else "It is not a date."
            raise DomainError(
                f"The plan's {what} date “{text[:30]}” cannot be used. {problem} Correct it "
                "in Project (Project › Project Information) and export the plan again.",
                field="file",
            ) from None

    def _calendars(self) -> list[Calendar]:
        own: dict[int, tuple[str, int | None, dict[int, int]]] = {}
        for values, weekdays in self.reader.raw_calendars:
            uid = _int(values.get("UID", ""))
            if uid is not None:
                base = _uid(values.get("BaseCalendarUID", ""))
                own[uid] = (values.get("Name", ""), base, self._week(values, weekdays))
        for uid, (name, base, days) in own.items():
            if base is not None and base not in own:
                self.warnings.append(
                    f"Calendar ‘{name}’ is based on calendar UID {base}, which the file does "
                    "not hold; the days it does not define are taken as Monday to Friday."
                )
                own[uid] = (name, None, days)
        weeks: dict[int, dict[int, int]] = {}
        for uid in own:
            # Up the chain of base calendars to one already resolved (or none), then down.
            chain: list[int] = []
            current: int | None = uid
            while current is not None and current not in weeks:
                if current in chain:
                    names = " → ".join(f"‘{own[link][0]}’" for link in (*chain, current))
                    raise DomainError(
                        f"The plan's calendars are based on one another in a circle ({names}): "
                        f"the file is damaged. {EXPORT} again.",
                        field="file",
                    )
                chain.append(current)
                current = own[current][1]
            week = weeks[current] if current is not None else self._standard()
            for link in reversed(chain):
                week = weeks[link] = {**week, **own[link][2]}
        return [
            Calendar(uid=uid, name=name, base_calendar_uid=base, week=weeks[uid])
            for uid, (name, base, _) in own.items()
        ]

    def _standard(self) -> dict[int, int]:
        """Project's default week, for days a base calendar leaves out."""
        return {day: (self.minutes_per_day if day <= 5 else 0) for day in range(1, 8)}

    def _week(self, values: dict[str, str], weekdays: list[Element]) -> dict[int, int]:
        week = {}
        for day in weekdays:
            day_values = _fields(day)
            day_type = _int(day_values.get("DayType", ""))
            if day_type is None or not 1 <= day_type <= 7:
                continue  # 0 is an exception (a holiday), reported as not imported
            iso = 7 if day_type == 1 else day_type - 1
            if not _flag(day_values.get("DayWorking")):
                week[iso] = 0
                continue
            times = _child(day, "WorkingTimes")
            spans = [_fields(span) for span in times] if times is not None else []
            minutes = [self._span(values, span) for span in spans]
            week[iso] = sum(minutes) if spans else self.minutes_per_day
        return week

    def _span(self, calendar: dict[str, str], span: dict[str, str]) -> int:
        try:
            start = _time(span.get("FromTime", ""))
            finish = _time(span.get("ToTime", ""))
        except ValueError:
            self.warnings.append(
                f"Calendar ‘{calendar.get('Name', '')}’ has working hours that cannot be read "
                f"(“{span.get('FromTime', '')}” to “{span.get('ToTime', '')}”); they count "
                "as none."
            )
            return 0
        minutes = (finish.hour * 60 + finish.minute) - (start.hour * 60 + start.minute)
        return minutes if minutes > 0 else minutes + 1440  # to 00:00 is to midnight

    def _tasks(self) -> list[Task]:
        tasks: list[Task] = []
        seen: dict[int, Task] = {}
        open_levels: list[Task] = []  # the chain of possible parents of the next task
        for raw in self.reader.raw_tasks:
            values = raw.fields
            if _is_project(raw) or _flag(values.get("IsNull")):
                continue
            uid = _int(values.get("UID", ""))
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
            id=_int(values.get("ID", "")),
            name=values.get("Name", ""),
            wbs=values.get("WBS", ""),
            summary=_flag(values.get("Summary")),
            milestone=_flag(values.get("Milestone")),
            active=values.get("Active", "1") != "0",
            calendar_uid=_uid(values.get("CalendarUID", "")),
        )
        notes = values.get("Notes", "")
        task.notes = notes if len(notes) <= NOTES_MAX_CHARS else notes[: NOTES_MAX_CHARS - 1] + "…"
        level = values.get("OutlineLevel", "1")
        task.outline_level = _int(level) or 0
        if not 1 <= task.outline_level <= 100:
            task.errors.append(
                f"{task.label}: its outline level “{level}” is not a whole number from 1 to "
                "100; it is read as a top-level task."
            )
            task.outline_level = 1
        text = values.get("PercentComplete") or "0"
        percent = _int(text)
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
        task.duration_elapsed = values.get("DurationFormat", "") in _ELAPSED_FORMATS
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
            return _date(text)
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
            minutes = _minutes(text)
        except ValueError as error:
            task.errors.append(f"{task.label}: its {what} “{text[:30]}” {error}. {fix}")
            return None
        elapsed = values.get("DurationFormat", "") in _ELAPSED_FORMATS
        days = (minutes / (1440 if elapsed else self.minutes_per_day)).quantize(Decimal("0.01"))
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


def _is_project(raw: _RawTask) -> bool:
    """The project summary task (UID 0 / outline level 0), which stands for the plan."""
    return raw.fields.get("UID") == "0" or raw.fields.get("OutlineLevel") == "0"


def _uid(text: str) -> int | None:
    """A reference to another item; -1 (and blank) refers to none."""
    value = _int(text)
    return value if value is not None and value >= 0 else None


def _time(text: str) -> time:
    return time(0, 0) if text.strip() == "24:00:00" else time.fromisoformat(text.strip())


# --- The plan's milestones against the project's ---------------------------------------------


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass
class MilestoneRow:
    """What importing one milestone task (or phase end) would do to the project."""

    action: RowAction
    name: str
    baseline_date: date | None
    forecast_date: date | None
    actual_date: date | None
    is_key: bool
    task_uid: int
    task_label: str
    phase_end: bool = False
    description: str = ""
    milestone_id: int | None = None
    milestone_version: int | None = None
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class MilestonePreview:
    """A dry run of a plan's import into a project's milestones; nothing is written."""

    project_id: int
    plan_name: str
    rows: list[MilestoneRow]
    notes: list[str]
    unsupported: list[str]

    @property
    def errors(self) -> list[str]:
        return [error for row in self.rows for error in row.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: RowAction) -> int:
        return sum(1 for row in self.rows if row.action == action)


def _key(name: str) -> str:
    """Milestones match by name, whatever its case and spacing."""
    return " ".join(name.split()).casefold()


def _day(value: date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else "none"


def plan_milestones(
    plan: Plan,
    project: Project,
    *,
    summaries_as_milestones: bool = False,
    today: date | None = None,
) -> MilestonePreview:
    """What importing `plan` would do to `project`'s milestones, row by row: its milestone
    tasks (flagged, or of zero duration) and, with `summaries_as_milestones`, the end of each
    top-level summary task (a phase). One query; nothing is written."""
    today = today or timezone.localdate()
    existing: dict[str, list[Milestone]] = {}
    for milestone in Milestone.objects.filter(project=project).order_by("pk"):
        existing.setdefault(_key(milestone.name), []).append(milestone)
    preview = MilestonePreview(
        project_id=project.pk,
        plan_name=plan.name,
        rows=[],
        notes=[],
        unsupported=list(plan.unsupported),
    )
    named: dict[str, str] = {}
    for task in plan.tasks:
        phase = task.summary and task.parent_uid is None
        if phase and summaries_as_milestones:
            row = _row(task, phase_end=True)
        elif not task.summary and (task.milestone or task.duration_days == 0):
            row = _row(task, phase_end=False)
        else:
            preview.notes.extend(
                f"{error} (It is not imported, so this does not hold the import up.)"
                for error in task.errors
            )
            continue
        if not task.active:
            preview.notes.append(f"{task.label} is inactive in the plan and is not imported.")
            continue
        _check_row(row, project, today)
        key = _key(row.name)
        if key in named:
            row.errors.append(
                f"{row.task_label}: {named[key]} has the same name; milestones are matched by "
                "name, so rename one of them in Project."
            )
        named.setdefault(key, row.task_label)
        _match(row, existing.get(key, []), preview.notes)
        preview.rows.append(row)
    if not preview.rows:
        preview.notes.append(
            "The plan has no milestone tasks (marked as milestones, or of zero duration)."
        )
    return preview


def _row(task: Task, *, phase_end: bool) -> MilestoneRow:
    done = task.finish if task.percent_complete == 100 else None
    return MilestoneRow(
        action=RowAction.CREATE,
        name=task.name.strip(),
        baseline_date=task.baseline_finish or task.finish,
        forecast_date=task.finish,
        actual_date=task.actual_finish or done,
        is_key=not phase_end,
        task_uid=task.uid,
        task_label=f"{task.label} (phase end)" if phase_end else task.label,
        phase_end=phase_end,
        description=task.notes,
        errors=list(task.errors),
    )


def _check_row(row: MilestoneRow, project: Project, today: date) -> None:
    label = row.task_label
    if not row.name:
        row.errors.append(f"{label}: it has no name; name it in Project.")
    limit = Milestone._meta.get_field("name").max_length
    if len(row.name) > limit:
        row.errors.append(
            f"{label}: its name is {len(row.name)} characters long; a milestone's name has at "
            f"most {limit}. Shorten it in Project."
        )
    if row.forecast_date is None:
        if not row.errors:  # an unreadable finish has its own error already
            row.errors.append(f"{label}: it has no finish date. Schedule it in Project.")
        return
    for value, what in (
        (row.baseline_date, "baseline date"),
        (row.forecast_date, "finish"),
        (row.actual_date, "actual finish"),
    ):
        if value is None:
            continue
        try:
            _check_within_project(project, value, what)
        except DomainError as error:
            row.errors.append(f"{label}: its {what} {_day(value)} does not fit: {error.message}")
    if row.actual_date and row.actual_date > today:
        row.errors.append(
            f"{label}: it is complete on {_day(row.actual_date)}, which is after today "
            f"({_day(today)}). Correct its actual finish or % complete in Project."
        )


def _match(row: MilestoneRow, candidates: list[Milestone], notes: list[str]) -> None:
    if len(candidates) > 1:
        row.errors.append(
            f"{row.task_label}: the project has {len(candidates)} milestones named "
            f"‘{candidates[0].name}’, so it is not clear which one the task is. Rename them "
            "in Conductor first."
        )
        return
    if not candidates:
        return
    milestone = candidates[0]
    row.milestone_id, row.milestone_version = milestone.pk, milestone.version
    row.changes = [text for _, text in _differences(milestone, row)]
    row.action = RowAction.UPDATE if row.changes else RowAction.UNCHANGED
    if milestone.actual_date and row.forecast_date != milestone.forecast_date:
        notes.append(
            f"‘{milestone.name}’ is already achieved in Conductor: its forecast stays "
            f"{_day(milestone.forecast_date)}."
        )
    if milestone.actual_date and row.actual_date is None:
        notes.append(
            f"‘{milestone.name}’ is achieved in Conductor but not complete in the plan; it "
            "stays achieved."
        )


def _differences(milestone: Milestone, row: MilestoneRow) -> list[tuple[str, str]]:
    """What the import changes on an existing milestone: (field, what the user reads).
    A forecast of an achieved milestone stays, and an import never un-achieves one."""
    changes = []
    if row.is_key != milestone.is_key:
        changes.append(("is_key", "becomes a key milestone" if row.is_key else "no longer key"))
    if row.baseline_date != milestone.baseline_date:
        changes.append(
            (
                "baseline_date",
                f"baseline {_day(milestone.baseline_date)} → {_day(row.baseline_date)}",
            )
        )
    if milestone.actual_date is None and row.forecast_date != milestone.forecast_date:
        changes.append(
            (
                "forecast_date",
                f"forecast {_day(milestone.forecast_date)} → {_day(row.forecast_date)}",
            )
        )
    if row.actual_date is not None and row.actual_date != milestone.actual_date:
        changes.append(("actual_date", f"achieved {_day(row.actual_date)}"))
    return changes


# --- Applying a preview ------------------------------------------------------------------------


def apply_milestones(preview: MilestonePreview, project: Project, *, by) -> int:
    """Write a checked preview in one transaction, all rows or none, through the milestone
    services (history, forecasts, the rollup's stale mark). Returns the rows written.

    Refused: a preview with any row error, one made for another project, a user who may not
    change the project (PermissionDenied), and a preview overtaken by another change to the
    project's milestones (check the plan again)."""
    if preview.project_id != project.pk:
        raise DomainError("This plan was checked against another project: check it again here.")
    if not can_change(by, project):
        raise PermissionDenied("You may view this project but not change it.")
    errors = preview.errors
    if errors:
        more = f" (and {len(errors) - 1:,} more)" if len(errors) > 1 else ""
        raise DomainError(
            f"Fix the plan first: {errors[0].rstrip('.')}{more}. Nothing was imported.",
            field="file",
        )
    reason = f"Imported from the Microsoft Project plan “{preview.plan_name[:100]}”"
    written = 0
    with transaction.atomic():
        # Two imports into one project wait for each other rather than both creating a row.
        Project.objects.select_for_update().filter(pk=project.pk).values_list("pk").first()
        current = {m.pk: m for m in Milestone.objects.select_for_update().filter(project=project)}
        names = {_key(m.name) for m in current.values()}
        for row in preview.rows:
            milestone = _current(row, current, names)
            if row.action == RowAction.UNCHANGED:
                continue
            try:
                _write(row, milestone, project, by=by, reason=reason)
            except DomainError as error:
                raise DomainError(
                    f"{row.task_label}: {error.message} Nothing was imported.", field="file"
                ) from None
            except ConflictError:  # cannot happen under the lock; kept all-or-nothing anyway
                raise DomainError(_overtaken(row), field="file") from None
            written += 1
    return written


def _overtaken(row: MilestoneRow) -> str:
    return (
        f"‘{row.name}’ was changed in Conductor after the plan was checked. Check the plan "
        "again to see the change; nothing was imported."
    )


def _current(row: MilestoneRow, current: dict[int, Milestone], names: set[str]) -> Milestone | None:
    """The row's milestone as locked now, if it is still as the preview saw it."""
    if row.milestone_id is None:
        if _key(row.name) in names:
            raise DomainError(_overtaken(row), field="file")
        return None
    milestone = current.get(row.milestone_id)
    if milestone is None or milestone.version != row.milestone_version:
        raise DomainError(_overtaken(row), field="file")
    return milestone


def _write(
    row: MilestoneRow, milestone: Milestone | None, project: Project, *, by, reason: str
) -> None:
    """One row through the milestone services, each call with the version the last left."""
    if milestone is None:
        milestone = milestone_create(
            project=project,
            name=row.name,
            baseline_date=row.baseline_date,
            forecast_date=row.forecast_date,
            is_key=row.is_key,
            description=row.description,
            by=by,
        )
        changed = {"actual_date"} if row.actual_date else set()
    else:
        milestone.project = project  # the services read its dates; no query per row
        changed = {name for name, _ in _differences(milestone, row)}
    if "is_key" in changed:
        milestone_update(
            milestone=milestone,
            expected_version=milestone.version,
            by=by,
            name=milestone.name,
            description=milestone.description,
            is_key=row.is_key,
            weight=milestone.weight,
        )
    if "baseline_date" in changed:
        milestone_rebaseline(
            milestone=milestone,
            expected_version=milestone.version,
            baseline_date=row.baseline_date,
            by=by,
            reason=reason,
        )
    if "forecast_date" in changed:
        milestone_reforecast(
            milestone=milestone,
            expected_version=milestone.version,
            forecast_date=row.forecast_date,
            by=by,
            reason=reason,
        )
    if "actual_date" in changed:
        milestone_achieve(
            milestone=milestone,
            expected_version=milestone.version,
            actual_date=row.actual_date,
            by=by,
        )
