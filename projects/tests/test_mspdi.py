"""Microsoft Project XML (MSPDI) plans: the file read into a plan, the plan's milestones
previewed against a project's, the preview applied all or nothing, and every kind of bad file
refused with a message a project manager can act on."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppm.audit import history_for
from projects.imports import mspdi
from projects.imports.mspdi import (
    NS,
    MilestonePreview,
    Plan,
    RowAction,
    apply_milestones,
    parse_mspdi,
    plan_milestones,
    reading,  # where the limits and the parser are looked up
)
from projects.models import Milestone, MilestoneForecast, RollupState
from projects.services import DomainError
from projects.tests.factories import MilestoneFactory

PLAN_XML = (Path(__file__).parent / "fixtures" / "mspdi" / "plan.xml").read_bytes()
EXPORT = "In Project, choose File › Save As › “XML Format (*.xml)” and upload that file."
AFTER_THE_PLAN = date(2026, 6, 1)  # "today" for previews: every completed task is in the past


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_mspdi(PLAN_XML)


def task_xml(uid: int, name: str = "Cutover", level: int = 1, **fields: str) -> str:
    fields.setdefault("Start", "2026-06-01T08:00:00")
    fields.setdefault("Finish", "2026-06-05T17:00:00")
    fields.setdefault("Duration", "PT40H0M0S")
    inner = "".join(f"<{tag}>{value}</{tag}>" for tag, value in fields.items())
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name>"
        f"<OutlineLevel>{level}</OutlineLevel>{inner}</Task>"
    )


def milestone_xml(uid: int, name: str, finish: str = "2026-06-05T17:00:00", **fields: str) -> str:
    return task_xml(
        uid, name, Milestone="1", Start=finish, Finish=finish, Duration="PT0H0M0S", **fields
    )


def mspdi_xml(tasks: str = "", *, header: str = "", after: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Project xmlns="{NS}"><Title>Small plan'
        f"</Title>{header}<Tasks>{tasks}</Tasks>{after}</Project>"
    ).encode()


def only_task(data: bytes) -> mspdi.Task:
    [task] = parse_mspdi(data).tasks
    return task


def import_into(project, user, data: bytes, **options) -> int:
    """The whole path an upload takes: read, preview, apply."""
    preview = plan_milestones(parse_mspdi(data), project, today=AFTER_THE_PLAN, **options)
    return apply_milestones(preview, project, by=user)


# --- Reading the plan ------------------------------------------------------------------------


def test_it_reads_the_plans_name_dates_and_calendars(plan):
    assert (plan.name, plan.start, plan.finish) == (
        "Service Desk Replacement",
        date(2026, 2, 2),
        date(2026, 5, 29),
    )
    assert plan.minutes_per_day == 450
    assert plan.calendar_uid == 3
    calendars = {calendar.uid: calendar for calendar in plan.calendars}
    assert [calendars[uid].name for uid in (1, 3, 4)] == [
        "Standard",
        "IT Service Week (7.5 h)",
        "Ana Silva",
    ]
    assert calendars[1].working_weekdays == (1, 2, 3, 4, 5)
    assert calendars[1].minutes_per_day == 480
    assert calendars[3].working_weekdays == (1, 2, 3, 4, 5)
    assert calendars[3].minutes_per_day == 450  # 08:30–12:30 and 13:00–16:30
    # Ana's calendar is the 7.5-hour week without Fridays: what it does not say, it inherits.
    assert calendars[4].base_calendar_uid == 3
    assert calendars[4].working_weekdays == (1, 2, 3, 4)
    assert calendars[4].minutes_per_day == 450


def test_it_reads_the_tasks_in_file_order_without_the_project_summary_or_blank_rows(plan):
    assert [task.uid for task in plan.tasks] == list(range(1, 15))
    assert plan.tasks[0].name == "Discovery"
    assert [task.name for task in plan.tasks if task.summary] == [
        "Discovery",
        "Build",
        "Configure platform",
        "Deploy",
    ]
    assert [task.name for task in plan.tasks if task.milestone] == [
        "Requirements signed off",
        "Go-live",
    ]
    inactive = [task for task in plan.tasks if not task.active]
    assert [task.name for task in inactive] == ["Legacy archive export"]
    assert plan.errors == []


def test_a_tasks_parent_is_the_nearest_earlier_task_with_a_smaller_outline_level(plan):
    parents = {task.name: task.parent_uid for task in plan.tasks}
    assert parents["Discovery"] is None
    assert parents["Requirements signed off"] == 1
    assert parents["Configure platform"] == 5
    assert parents["Workflows and SLAs"] == 6
    assert parents["Integrations (Active Directory, email)"] == 6
    assert parents["Data migration rehearsal"] == 5  # back up a level after 2.1.2
    assert parents["Go-live"] == 10
    by_uid = {task.uid: task for task in plan.tasks}
    assert (by_uid[7].wbs, by_uid[7].outline_level) == ("2.1.1", 3)


def test_durations_are_working_days_at_the_plans_minutes_per_day(plan):
    days = {task.name: task.duration_days for task in plan.tasks}
    # 7.5-hour days: PT112H30M0S is 15 days, not 14.06 at eight hours.
    assert days["Discovery"] == Decimal("15.00")
    assert days["Build"] == Decimal("40.00")
    assert days["Vendor selection"] == Decimal("5.00")
    assert days["Go-live"] == Decimal("0.00")
    freeze = next(task for task in plan.tasks if task.name == "Data freeze")
    assert (freeze.duration_days, freeze.duration_elapsed) == (Decimal("3.00"), True)
    assert freeze.baseline_duration_days == Decimal("3.00")


@pytest.mark.parametrize(
    ("duration", "duration_format", "days", "elapsed"),
    [
        ("PT16H0M0S", "7", "2.00", False),
        ("PT0H0M0S", "7", "0.00", False),
        ("PT4H30M0S", "5", "0.56", False),
        ("PT0H90M0S", "3", "0.19", False),
        ("PT7H59M60S", "7", "1.00", False),
        ("P1DT0H0M0S", "7", "3.00", False),  # a D is 24 hours, as in XML Schema
        ("PT48H0M0S", "8", "2.00", True),  # elapsed days run round the clock
        ("PT36H0M0S", "6", "1.50", True),
        ("PT1440M", "4", "1.00", True),
        ("-PT0H0M0S", "7", "0.00", False),
    ],
)
def test_it_converts_every_form_of_duration(duration, duration_format, days, elapsed):
    task = only_task(mspdi_xml(task_xml(1, Duration=duration, DurationFormat=duration_format)))
    assert task.errors == []
    assert (task.duration_days, task.duration_elapsed) == (Decimal(days), elapsed)


def test_it_reads_progress_actuals_and_baseline_0(plan):
    by_name = {task.name: task for task in plan.tasks}
    done = by_name["Requirements workshops"]
    assert done.percent_complete == 100
    assert (done.actual_start, done.actual_finish) == (date(2026, 2, 2), date(2026, 2, 13))
    started = by_name["Vendor selection"]
    assert (started.percent_complete, started.actual_start, started.actual_finish) == (
        60,
        date(2026, 2, 16),
        None,
    )
    go_live = by_name["Go-live"]
    # Baseline 0 (22 May), not baseline 1 (15 May) which the file also holds.
    assert (go_live.baseline_start, go_live.baseline_finish) == (
        date(2026, 5, 22),
        date(2026, 5, 22),
    )
    rehearsal = by_name["Data migration rehearsal"]
    assert (rehearsal.baseline_start, rehearsal.baseline_finish) == (
        date(2026, 3, 30),
        date(2026, 4, 10),
    )
    assert rehearsal.baseline_duration_days == Decimal("10.00")
    integrations = by_name["Integrations (Active Directory, email)"]
    assert integrations.baseline_finish is None  # never baselined
    assert integrations.calendar_uid == 1
    assert by_name["Go-live"].calendar_uid is None  # -1: the project's calendar


def test_it_names_what_it_does_not_import(plan):
    assert plan.unsupported == [
        "task links (predecessors) are not imported",
        "resource assignments are not imported (1)",
        "resources are not imported (1)",
        "baseline 1 is not imported, only baseline 0",
        "calendar exceptions (holidays) are not imported",
    ]


def test_notes_are_kept_up_to_a_sane_length(plan):
    by_name = {task.name: task for task in plan.tasks}
    assert by_name["Workflows and SLAs"].notes == (
        "Includes the 42 request types agreed in the workshops & their SLAs."
    )
    long_notes = only_task(mspdi_xml(task_xml(1, Notes="x" * 50_000))).notes
    assert len(long_notes) == mspdi.NOTES_MAX_CHARS
    assert long_notes.endswith("…")


def test_a_long_chain_of_base_calendars_is_followed_without_recursion():
    calendars = "".join(
        f"<Calendar><UID>{uid}</UID><Name>C{uid}</Name><BaseCalendarUID>{uid - 1}"
        "</BaseCalendarUID></Calendar>"
        for uid in range(2, 5_001)
    )
    base = (
        "<Calendar><UID>1</UID><Name>Base</Name><BaseCalendarUID>-1</BaseCalendarUID><WeekDays>"
        "<WeekDay><DayType>7</DayType><DayWorking>1</DayWorking><WorkingTimes><WorkingTime>"
        "<FromTime>09:00:00</FromTime><ToTime>13:00:00</ToTime></WorkingTime></WorkingTimes>"
        "</WeekDay></WeekDays></Calendar>"
    )
    plan = parse_mspdi(mspdi_xml(header=f"<Calendars>{calendars}{base}</Calendars>"))
    last = next(calendar for calendar in plan.calendars if calendar.uid == 5_000)
    assert last.working_weekdays == (1, 2, 3, 4, 5, 6)  # Saturday mornings, from the base
    assert last.week[6] == 240


def test_a_calendar_part_that_cannot_be_read_is_a_warning():
    plan = parse_mspdi(
        mspdi_xml(
            header="<Calendars><Calendar><UID>2</UID><Name>Night shift</Name>"
            "<BaseCalendarUID>9</BaseCalendarUID><WeekDays><WeekDay><DayType>2</DayType>"
            "<DayWorking>1</DayWorking><WorkingTimes><WorkingTime><FromTime>22:00:00</FromTime>"
            "<ToTime>00:00:00</ToTime></WorkingTime><WorkingTime><FromTime>late</FromTime>"
            "<ToTime>06:00:00</ToTime></WorkingTime></WorkingTimes></WeekDay></WeekDays>"
            "</Calendar></Calendars>"
        )
    )
    [night] = plan.calendars
    assert night.week[1] == 120  # 22:00 to midnight; the unreadable span counts as none
    assert night.working_weekdays == (1, 2, 3, 4, 5)
    assert plan.warnings == [
        "Calendar ‘Night shift’ has working hours that cannot be read (“late” to “06:00:00”); "
        "they count as none.",
        "Calendar ‘Night shift’ is based on calendar UID 9, which the file does not hold; the "
        "days it does not define are taken as Monday to Friday.",
    ]


def test_a_plan_without_minutes_per_day_has_eight_hour_days():
    plan = parse_mspdi(mspdi_xml(task_xml(1, Duration="PT16H0M0S")))
    assert plan.minutes_per_day == 480
    assert plan.tasks[0].duration_days == Decimal("2.00")


def test_a_task_with_children_is_a_summary_whatever_its_flag_says():
    plan = parse_mspdi(mspdi_xml(task_xml(1, "Phase", Summary="0") + task_xml(2, "Step", 2)))
    assert [(task.summary, task.parent_uid) for task in plan.tasks] == [(True, None), (False, 1)]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"Start": "2026-06-01T08:00:00", "Finish": "2026-05-01T17:00:00"},
            "Task 1 ‘Cutover’: finish 2026-05-01 is before its start 2026-06-01. Correct the "
            "dates in Project and export the plan again.",
        ),
        (
            {"ActualStart": "2026-06-03T08:00:00", "ActualFinish": "2026-06-02T17:00:00"},
            "Task 1 ‘Cutover’: actual finish 2026-06-02 is before its actual start 2026-06-03.",
        ),
        (
            {"Duration": "-PT8H0M0S"},
            "Task 1 ‘Cutover’: its duration “-PT8H0M0S” is negative. Correct it in Project",
        ),
        (
            {"Duration": "8 days"},
            "Task 1 ‘Cutover’: its duration “8 days” cannot be read (a duration looks like "
            "PT16H0M0S).",
        ),
        ({"Duration": "P1M"}, "is in years or months, which have no fixed length."),
        ({"Duration": "PT9999999H"}, "is longer than a plan can be."),
        (
            {"Finish": "9999-12-31T17:00:00"},
            "Task 1 ‘Cutover’: its finish 9999-12-31 is out of range. Dates run from "
            "1 Jan 1990 to 31 Dec 2100; check the year.",
        ),
        (
            {"Start": "0001-01-01T08:00:00"},
            "Task 1 ‘Cutover’: its start 0001-01-01 is out of range.",
        ),
        ({"Start": "10000-01-01T08:00:00"}, "its start “10000-01-01T08:00:00” is not a date."),
        ({"Finish": "soon"}, "Task 1 ‘Cutover’: its finish “soon” is not a date."),
        (
            {"PercentComplete": "150"},
            "Task 1 ‘Cutover’: its % complete “150” is not a whole number from 0 to 100.",
        ),
    ],
)
def test_a_bad_value_is_the_tasks_error_not_the_files(fields, error):
    plan = parse_mspdi(mspdi_xml(task_xml(1, **fields) + task_xml(2, "Fine")))
    assert len(plan.errors) == 1
    assert error in plan.errors[0]
    assert plan.tasks[1].errors == []


def test_an_outline_level_that_cannot_be_read_makes_a_top_level_task():
    plan = parse_mspdi(mspdi_xml(task_xml(1, "Phase") + task_xml(2, "Odd", level=-3)))
    assert plan.tasks[1].parent_uid is None
    assert "Task 2 ‘Odd’: its outline level “-3” is not a whole number" in plan.errors[0]


# --- Files that are not a plan -----------------------------------------------------------------


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("plan.xml", PLAN_XML)
    return out.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10 if n > 1 else b"&lol;" * 10)
        for n in range(1, 10)
    )
    + b']><Project xmlns="http://schemas.microsoft.com/project"><Title>&lol9;</Title></Project>'
)


def _many_tasks(count: int) -> bytes:
    rows = "".join(
        f"<Task><UID>{n}</UID><ID>{n}</ID><Name>T{n}</Name><OutlineLevel>1</OutlineLevel></Task>"
        for n in range(1, count + 1)
    )
    return mspdi_xml(rows)


BAD_FILES = {
    "empty": (b"", f"The file is empty. {EXPORT}"),
    "blank": (b"  \r\n\t ", f"The file is empty. {EXPORT}"),
    "mpp": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        "This is a Project .mpp file (or another Office binary file), which Conductor does "
        f"not read. {EXPORT}",
    ),
    "zip": (
        _zip(),
        "This is a zip archive (an Excel or Word file, or a compressed folder), not a plan "
        f"saved as XML. {EXPORT}",
    ),
    "csv": (
        b"ID,Name,Duration\n1,Cutover,5d\n",
        f"The file is not XML (it does not start with “<”). {EXPORT}",
    ),
    "nul bytes": (
        PLAN_XML[:200] + b"\x00\x00" + PLAN_XML[200:],
        "The file holds NUL bytes, so it is not an XML text file",
    ),
    "nul character in UTF-16": (
        "<Project>\x00</Project>".encode("utf-16"),
        "The file holds NUL characters, which XML does not allow.",
    ),
    "Latin-1 without a declaration": (
        mspdi_xml(task_xml(1, "Mise en production")).replace(b"Mise", "Élan".encode("latin-1")),
        "The file is meant to be UTF-8 text, but byte 0xC9 at position",
    ),
    "declared UTF-8 but Windows-1252": (
        '<?xml version="1.0" encoding="utf-8"?><Project>€</Project>'.encode("cp1252"),
        "The file is meant to be UTF-8 text, but byte 0x80 at position 47 is not UTF-8.",
    ),
    "unknown encoding": (
        b'<?xml version="1.0" encoding="x-klingon"?><Project/>',
        "The file declares the character encoding “x-klingon”, which Conductor does not know.",
    ),
    "UTF-16 that is not": (
        codecs.BOM_UTF16_LE + b"<\x00P\x00\x00\xd8",
        "The file is meant to be UTF-16 text, but byte",
    ),
    "html": (
        b"<!doctype html><html><body>Sign in</body></html>",
        f"This is a web page (HTML), not a plan saved as XML. {EXPORT}",
    ),
    "another XML": (
        b'<?xml version="1.0"?><workbook><sheet/></workbook>',
        "This XML file is not a Microsoft Project plan: its root element is <workbook>, not "
        f"<Project>. {EXPORT}",
    ),
    "Project without the namespace": (
        b"<Project><Tasks/></Project>",
        "This XML file has a <Project> root element but not Microsoft Project's namespace "
        "(http://schemas.microsoft.com/project)",
    ),
    "entity bomb": (BILLION_LAUGHS, "The file declares a DOCTYPE or entities"),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Project xmlns="http://schemas.microsoft.com/project"><Title>&x;</Title></Project>',
        "The file declares a DOCTYPE or entities",
    ),
    "cut off": (
        PLAN_XML[: len(PLAN_XML) // 2],
        "before its XML is complete: it was probably cut off while being copied or uploaded.",
    ),
    "not well-formed": (
        mspdi_xml(task_xml(1)).replace(b"</Name>", b"</Nme>"),
        "The file is not well-formed XML (mismatched tag, at line 1, column",
    ),
    "deeply nested": (
        f'<Project xmlns="{NS}">'.encode() + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</Project>",
        "The file's XML is nested more than 32 levels deep, which no Project plan is.",
    ),
    "100,000 tasks": (
        _many_tasks(100_000),
        "The plan has more than 20,000 tasks; at most 20,000 are read. Import the plan of this "
        "project alone, or split it into smaller plans.",
    ),
    "a repeated UID": (
        mspdi_xml(task_xml(5, "Phase") + task_xml(5, "Its own child", 2)),
        "Two tasks have the UID 5 (Task 5 ‘Phase’ and Task 5 ‘Its own child’), so the plan's "
        "outline cannot be followed: the file is damaged.",
    ),
    "calendars based on each other": (
        mspdi_xml(
            header="<Calendars>"
            "<Calendar><UID>1</UID><Name>Day</Name><BaseCalendarUID>2</BaseCalendarUID></Calendar>"
            "<Calendar><UID>2</UID><Name>Night</Name><BaseCalendarUID>1</BaseCalendarUID>"
            "</Calendar></Calendars>"
        ),
        "The plan's calendars are based on one another in a circle (‘Day’ → ‘Night’ → ‘Day’)",
    ),
    "a task without UID": (
        mspdi_xml("<Task><ID>1</ID><Name>Lost</Name></Task>"),
        "Task number 1 in the file has no UID, which Project always writes",
    ),
    "zero hours per day": (
        mspdi_xml(header="<MinutesPerDay>0</MinutesPerDay>"),
        "The plan's working day is “0” minutes long; it must be between 1 and 1,440. Correct "
        "“Hours per day” in Project (File › Options › Schedule)",
    ),
    "project start in year 1": (
        mspdi_xml(header="<StartDate>0001-01-01T08:00:00</StartDate>"),
        "The plan's start date “0001-01-01T08:00:00” cannot be used. Dates run from 1 Jan 1990 "
        "to 31 Dec 2100; check the year. Correct it in Project (Project › Project Information)",
    ),
    "project finish in 9999": (
        mspdi_xml(header="<FinishDate>9999-12-31T17:00:00</FinishDate>"),
        "The plan's finish date “9999-12-31T17:00:00” cannot be used. Dates run from",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_file_that_is_not_a_plan_is_refused_with_what_to_do(data, message, project, pm):
    with pytest.raises(DomainError) as refused:
        import_into(project, pm, data)
    assert message in refused.value.message
    assert refused.value.field == "file"
    assert not Milestone.objects.exists()


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(project, pm, monkeypatch):
    def must_not_parse(*args, **kwargs):
        raise AssertionError("a file over the limit was parsed")

    monkeypatch.setattr(reading, "iterparse", must_not_parse)
    huge = PLAN_XML + b" " * (mspdi.MSPDI_MAX_BYTES - len(PLAN_XML) + 1)
    with pytest.raises(DomainError) as refused:
        import_into(project, pm, huge)
    assert refused.value.message == (
        "The file is larger than 20 MB, the most read of a plan. Check that it is the plan of "
        "this project alone, and split a larger plan before importing it."
    )
    assert not Milestone.objects.exists()


def test_the_size_limit_says_how_large_the_file_is(monkeypatch):
    monkeypatch.setattr(reading, "MSPDI_MAX_BYTES", 4 * 1024)
    with pytest.raises(DomainError, match=r"^The file is 32 KB; plans of at most 4 KB are read."):
        parse_mspdi(PLAN_XML)


def test_an_item_with_too_many_elements_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ELEMENTS_PER_ITEM", 1_000)
    padded = task_xml(1).replace("</Task>", "<x/>" * 1_000 + "</Task>")
    with pytest.raises(DomainError, match="One item of the file holds more than 1,000 XML"):
        parse_mspdi(mspdi_xml(padded))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"Finish": "9999-12-31T17:00:00"},
            "Task 1 ‘Cutover’: its finish 9999-12-31 is out of range.",
        ),
        (
            {"Start": "2026-06-01T08:00:00", "Finish": "2026-05-01T17:00:00"},
            "Task 1 ‘Cutover’: finish 2026-05-01 is before its start 2026-06-01.",
        ),
        (
            {"Duration": "-PT8H0M0S"},
            "Task 1 ‘Cutover’: its duration “-PT8H0M0S” is negative. Correct it in Project and "
            "export the plan again. Nothing was imported.",
        ),
    ],
)
def test_a_milestone_with_a_bad_value_stops_the_import(fields, message, project, pm):
    data = mspdi_xml(
        milestone_xml(2, "Kick-off", "2026-03-02T08:00:00") + task_xml(1, Milestone="1", **fields)
    )
    with pytest.raises(DomainError) as refused:
        import_into(project, pm, data)
    assert refused.value.message.startswith(f"Fix the plan first: {message}")
    assert refused.value.message.endswith("Nothing was imported.")
    assert not Milestone.objects.exists()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (mspdi_xml().replace(b"Small plan", "Déploiement".encode()), "Déploiement"),
        (codecs.BOM_UTF8 + mspdi_xml(), "Small plan"),
        (
            mspdi_xml()
            .decode()
            .replace("UTF-8", "UTF-16")
            .replace("Small plan", "Mise à jour")
            .encode("utf-16"),
            "Mise à jour",
        ),
        (mspdi_xml().decode().replace("UTF-8", "UTF-16").encode("utf-16-le"), "Small plan"),
        (mspdi_xml().decode().replace("Small plan", "Größe").encode("utf-32"), "Größe"),
        (
            mspdi_xml()
            .decode()
            .replace("UTF-8", "windows-1252")
            .replace("Small plan", "Budget €")
            .encode("cp1252"),
            "Budget €",
        ),
        (
            mspdi_xml()
            .decode()
            .replace("UTF-8", "Shift_JIS")
            .replace("Small plan", "基幹システム")
            .encode("shift_jis"),
            "基幹システム",
        ),
    ],
    ids=["UTF-8", "UTF-8 with BOM", "UTF-16", "UTF-16 without BOM", "UTF-32", "cp1252", "SJIS"],
)
def test_a_plan_in_any_declared_encoding_is_read(data, name):
    assert parse_mspdi(data).name == name


_FILE_CHANGES = st.one_of(
    st.binary(max_size=300).map(lambda junk: ("random", junk)),
    st.tuples(st.integers(0, len(PLAN_XML)), st.binary(min_size=1, max_size=8)).map(
        lambda change: ("replace", change)
    ),
    st.integers(0, len(PLAN_XML)).map(lambda cut: ("cut", cut)),
)


def _changed(change) -> bytes:
    kind, value = change
    if kind == "random":
        return value
    if kind == "cut":
        return PLAN_XML[:value]
    at, new = value
    return PLAN_XML[:at] + new + PLAN_XML[at + len(new) :]


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(change=_FILE_CHANGES)
def test_no_damaged_file_raises_anything_but_a_domain_error(change, project):
    try:
        preview = plan_milestones(parse_mspdi(_changed(change)), project, today=AFTER_THE_PLAN)
    except DomainError as error:
        assert error.message.strip()
    else:
        assert isinstance(preview, MilestonePreview)


# --- The preview -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_creates_each_milestone_task_of_the_plan(plan, project):
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert preview.ok
    assert [
        (row.action, row.name, row.baseline_date, row.forecast_date, row.actual_date, row.is_key)
        for row in preview.rows
    ] == [
        (
            RowAction.CREATE,
            "Requirements signed off",
            date(2026, 2, 13),
            date(2026, 2, 13),
            date(2026, 2, 13),
            True,
        ),
        (RowAction.CREATE, "Go-live", date(2026, 5, 22), date(2026, 5, 29), None, True),
    ]
    assert preview.unsupported == plan.unsupported


@pytest.mark.django_db
def test_with_phases_each_top_level_summary_ends_in_a_milestone_that_is_not_key(plan, project):
    preview = plan_milestones(plan, project, summaries_as_milestones=True, today=AFTER_THE_PLAN)
    phases = [
        (row.name, row.baseline_date, row.forecast_date, row.actual_date, row.is_key)
        for row in preview.rows
        if row.phase_end
    ]
    # "Configure platform" is a summary too, but not a phase: it sits inside "Build".
    assert phases == [
        ("Discovery", date(2026, 2, 20), date(2026, 2, 20), None, False),
        ("Build", date(2026, 4, 10), date(2026, 4, 17), None, False),
        ("Deploy", date(2026, 5, 22), date(2026, 5, 29), None, False),
    ]
    assert [row.name for row in preview.rows] == [
        "Discovery",
        "Requirements signed off",
        "Build",
        "Deploy",
        "Go-live",
    ]


@pytest.mark.django_db
def test_a_zero_duration_task_is_a_milestone_even_without_the_flag(project):
    plan = parse_mspdi(
        mspdi_xml(task_xml(1, "Contract signed", Duration="PT0H0M0S", Finish="2026-03-02T08:00:00"))
    )
    [row] = plan_milestones(plan, project, today=AFTER_THE_PLAN).rows
    assert (row.name, row.forecast_date) == ("Contract signed", date(2026, 3, 2))


@pytest.mark.django_db
def test_the_preview_matches_milestones_by_name_whatever_their_case_and_spacing(
    plan, project, django_assert_num_queries
):
    signed_off = MilestoneFactory(
        project=project,
        name="  REQUIREMENTS signed OFF ",
        baseline_date=date(2026, 2, 13),
        forecast_date=date(2026, 2, 13),
        actual_date=date(2026, 2, 13),
    )
    go_live = MilestoneFactory(
        project=project,
        name="go-live",
        baseline_date=date(2026, 5, 15),
        forecast_date=date(2026, 5, 22),
    )
    other = MilestoneFactory(project=project, name="Steering committee approval")
    with django_assert_num_queries(1):
        preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    unchanged, update = preview.rows
    assert (unchanged.action, unchanged.milestone_id, unchanged.changes) == (
        RowAction.UNCHANGED,
        signed_off.pk,
        [],
    )
    assert (update.action, update.milestone_id, update.milestone_version) == (
        RowAction.UPDATE,
        go_live.pk,
        1,
    )
    assert update.changes == [
        "baseline 15 May 2026 → 22 May 2026",
        "forecast 22 May 2026 → 29 May 2026",
    ]
    assert other.pk not in {row.milestone_id for row in preview.rows}  # left as it is


@pytest.mark.django_db
def test_the_preview_writes_nothing(plan, project):
    MilestoneFactory(project=project, name="Go-live", baseline_date=date(2026, 5, 1))
    before = (Milestone.objects.count(), MilestoneForecast.objects.count())
    history = len(history_for(*Milestone.objects.all()))
    plan_milestones(plan, project, summaries_as_milestones=True, today=AFTER_THE_PLAN)
    assert (Milestone.objects.count(), MilestoneForecast.objects.count()) == before
    assert len(history_for(*Milestone.objects.all())) == history
    assert not RollupState.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_the_preview_shows_each_rows_problems(project):
    long_name = "Decommission " + "the legacy service desk " * 10
    plan = parse_mspdi(
        mspdi_xml(
            milestone_xml(1, "Kick-off", "2025-11-03T08:00:00")  # before the project starts
            + milestone_xml(2, "Go-live", "2026-11-30T17:00:00", PercentComplete="100")
            + milestone_xml(3, "go-live ", "2026-12-04T17:00:00")
            + milestone_xml(4, long_name, "2026-06-01T17:00:00")
            + milestone_xml(5, "Hypercare ends", "2035-01-05T17:00:00")
            + milestone_xml(6, "Design approved", "2026-03-02T17:00:00")
        )
    )
    MilestoneFactory(project=project, name="Design approved")
    MilestoneFactory(project=project, name="DESIGN APPROVED")
    preview = plan_milestones(plan, project, today=date(2026, 11, 20))
    assert not preview.ok
    errors = [row.errors for row in preview.rows]
    assert errors[0] == [
        "Task 1 ‘Kick-off’: its baseline date 3 Nov 2025 does not fit: The date is before the "
        "project starts (05 Jan 2026).",
        "Task 1 ‘Kick-off’: its finish 3 Nov 2025 does not fit: The date is before the project "
        "starts (05 Jan 2026).",
    ]
    assert errors[1] == [
        "Task 2 ‘Go-live’: it is complete on 30 Nov 2026, which is after today (20 Nov 2026). "
        "Correct its actual finish or % complete in Project."
    ]
    assert errors[2] == [
        "Task 3 ‘go-live’: Task 2 ‘Go-live’ has the same name; milestones are matched by name, "
        "so rename one of them in Project."
    ]
    assert errors[3] == [
        f"Task 4 ‘{long_name[:59]}…’: its name is {len(long_name.strip())} characters long; a "
        "milestone's name has at most 200. Shorten it in Project."
    ]
    assert errors[4][0].startswith(
        "Task 5 ‘Hypercare ends’: its baseline date 5 Jan 2035 does not fit: The date must lie "
        "between Jan 2023 and Dec 2029"
    )
    assert errors[5] == [
        "Task 6 ‘Design approved’: the project has 2 milestones named ‘Design approved’, so it "
        "is not clear which one the task is. Rename them in Conductor first."
    ]


@pytest.mark.django_db
def test_inactive_milestones_and_other_tasks_problems_are_notes(project):
    plan = parse_mspdi(
        mspdi_xml(
            milestone_xml(1, "Old go-live", Active="0")
            + task_xml(2, "Training", Duration="two weeks")
            + milestone_xml(3, "Go-live")
        )
    )
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert preview.ok
    assert [row.name for row in preview.rows] == ["Go-live"]
    assert preview.notes == [
        "Task 1 ‘Old go-live’ is inactive in the plan and is not imported.",
        "Task 2 ‘Training’: its duration “two weeks” cannot be read (a duration looks like "
        "PT16H0M0S). Correct it in Project and export the plan again. (It is not imported, so "
        "this does not hold the import up.)",
    ]


@pytest.mark.django_db
def test_a_plan_without_milestones_says_so(project):
    preview = plan_milestones(parse_mspdi(mspdi_xml(task_xml(1))), project)
    assert (preview.rows, preview.ok) == ([], True)
    assert preview.notes == [
        "The plan has no milestone tasks (marked as milestones, or of zero duration)."
    ]


# --- Applying it -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_apply_creates_the_milestones_through_the_milestone_services(plan, project, pm):
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert apply_milestones(preview, project, by=pm) == 2
    signed_off, go_live = Milestone.objects.filter(project=project).order_by("forecast_date")
    assert (signed_off.name, signed_off.baseline_date, signed_off.actual_date) == (
        "Requirements signed off",
        date(2026, 2, 13),
        date(2026, 2, 13),
    )
    assert (go_live.baseline_date, go_live.forecast_date, go_live.actual_date) == (
        date(2026, 5, 22),
        date(2026, 5, 29),
        None,
    )
    assert go_live.is_key and signed_off.is_key
    forecast = MilestoneForecast.objects.get(milestone=go_live)
    assert (forecast.forecast_date, forecast.recorded_by) == (date(2026, 5, 29), pm)
    assert {entry.user_id for entry in history_for(signed_off, go_live)} == {pm.pk}
    assert RollupState.objects.get(project=project).stale_since is not None


@pytest.mark.django_db
def test_a_second_apply_of_the_same_plan_changes_nothing(plan, project, pm):
    options = {"summaries_as_milestones": True, "today": AFTER_THE_PLAN}
    assert apply_milestones(plan_milestones(plan, project, **options), project, by=pm) == 5
    versions = dict(Milestone.objects.values_list("pk", "version"))
    again = plan_milestones(plan, project, **options)
    assert [row.action for row in again.rows] == [RowAction.UNCHANGED] * 5
    assert (again.count(RowAction.CREATE), again.count(RowAction.UNCHANGED)) == (0, 5)
    assert apply_milestones(again, project, by=pm) == 0
    assert dict(Milestone.objects.values_list("pk", "version")) == versions


@pytest.mark.django_db
def test_apply_updates_a_matched_milestone_with_its_reason_on_record(plan, project, pm):
    go_live = MilestoneFactory(
        project=project,
        name="GO-LIVE",
        baseline_date=date(2026, 5, 15),
        forecast_date=date(2026, 5, 22),
        is_key=False,
    )
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert apply_milestones(preview, project, by=pm) == 2
    go_live.refresh_from_db()
    assert (go_live.name, go_live.is_key) == ("GO-LIVE", True)
    assert (go_live.baseline_date, go_live.forecast_date) == (date(2026, 5, 22), date(2026, 5, 29))
    assert go_live.version == 4  # made key, re-baselined, reforecast: three audited saves
    [forecast] = MilestoneForecast.objects.filter(milestone=go_live)
    assert forecast.reason == "Imported from the Microsoft Project plan “Service Desk Replacement”"
    reasons = [entry.reason for entry in history_for(go_live)]
    assert "Re-baselined: Imported from the Microsoft Project plan “Service Desk Replacement”" in (
        reasons
    )


@pytest.mark.django_db
def test_apply_achieves_a_matched_milestone_completed_in_the_plan(plan, project, pm):
    signed_off = MilestoneFactory(
        project=project,
        name="Requirements signed off",
        baseline_date=date(2026, 2, 13),
        forecast_date=date(2026, 2, 13),
    )
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert preview.rows[0].changes == ["achieved 13 Feb 2026"]
    apply_milestones(preview, project, by=pm)
    signed_off.refresh_from_db()
    assert signed_off.actual_date == date(2026, 2, 13)


@pytest.mark.django_db
def test_an_achieved_milestone_keeps_its_forecast_and_stays_achieved(project, pm):
    achieved = MilestoneFactory(
        project=project,
        name="Go-live",
        baseline_date=date(2026, 6, 5),
        forecast_date=date(2026, 6, 4),
        actual_date=date(2026, 6, 4),
    )
    plan = parse_mspdi(mspdi_xml(milestone_xml(1, "Go-live", "2026-06-05T17:00:00")))
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert preview.rows[0].action == RowAction.UNCHANGED
    assert preview.notes == [
        "‘Go-live’ is already achieved in Conductor: its forecast stays 4 Jun 2026.",
        "‘Go-live’ is achieved in Conductor but not complete in the plan; it stays achieved.",
    ]
    assert apply_milestones(preview, project, by=pm) == 0
    achieved.refresh_from_db()
    assert (achieved.forecast_date, achieved.actual_date) == (date(2026, 6, 4), date(2026, 6, 4))


@pytest.mark.django_db
def test_apply_refuses_a_preview_with_an_error_and_writes_nothing(project, pm):
    plan = parse_mspdi(
        mspdi_xml(
            milestone_xml(1, "Kick-off", "2026-03-02T08:00:00")
            + milestone_xml(2, "Go-live", "2031-06-05T17:00:00")
        )
    )
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert [bool(row.errors) for row in preview.rows] == [False, True]
    with pytest.raises(DomainError) as refused:
        apply_milestones(preview, project, by=pm)
    assert refused.value.message.startswith(
        "Fix the plan first: Task 2 ‘Go-live’: its baseline date 5 Jun 2031 does not fit"
    )
    assert refused.value.message.endswith("(and 1 more). Nothing was imported.")
    assert not Milestone.objects.exists()


@pytest.mark.django_db
def test_apply_writes_nothing_when_a_milestone_changed_since_the_preview(plan, project, pm):
    go_live = MilestoneFactory(project=project, name="Go-live", baseline_date=date(2026, 5, 1))
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert [row.action for row in preview.rows] == [RowAction.CREATE, RowAction.UPDATE]
    Milestone.objects.filter(pk=go_live.pk).update(version=2)  # someone saved it meanwhile
    with pytest.raises(DomainError) as refused:
        apply_milestones(preview, project, by=pm)
    assert refused.value.message == (
        "‘Go-live’ was changed in Conductor after the plan was checked. Check the plan again to "
        "see the change; nothing was imported."
    )
    assert list(Milestone.objects.values_list("name", flat=True)) == ["Go-live"]


@pytest.mark.django_db
def test_apply_writes_nothing_when_a_same_named_milestone_appeared_since(plan, project, pm):
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    MilestoneFactory(project=project, name="go-live")
    with pytest.raises(DomainError, match="‘Go-live’ was changed in Conductor after the plan"):
        apply_milestones(preview, project, by=pm)
    assert list(Milestone.objects.values_list("name", flat=True)) == ["go-live"]


@pytest.mark.django_db
def test_apply_is_all_or_nothing_when_a_service_refuses_a_later_row(plan, project, pm):
    preview = plan_milestones(plan, project, summaries_as_milestones=True, today=AFTER_THE_PLAN)
    # The project's start moves after the check: "Discovery" (20 Feb) still fits and is
    # written first, "Requirements signed off" (13 Feb) no longer does.
    project.baseline_start = date(2026, 2, 16)
    project.save()
    with pytest.raises(DomainError) as refused:
        apply_milestones(preview, project, by=pm)
    assert refused.value.message == (
        "Task 3 ‘Requirements signed off’: The date is before the project starts "
        "(16 Feb 2026). Nothing was imported."
    )
    assert not Milestone.objects.exists()
    assert not MilestoneForecast.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_pm", "executive", "outsider", "other_director"])
def test_apply_refuses_someone_who_may_not_change_the_project(plan, project, persona, request):
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    with pytest.raises(PermissionDenied):
        apply_milestones(preview, project, by=request.getfixturevalue(persona))
    assert not Milestone.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pm", "director", "pmo"])
def test_apply_is_open_to_whoever_may_change_the_project(plan, project, persona, request):
    preview = plan_milestones(plan, project, today=AFTER_THE_PLAN)
    assert apply_milestones(preview, project, by=request.getfixturevalue(persona)) == 2


@pytest.mark.django_db
def test_apply_refuses_a_preview_made_for_another_project(plan, project, other_project, pmo):
    preview = plan_milestones(plan, other_project, today=AFTER_THE_PLAN)
    with pytest.raises(DomainError, match="checked against another project"):
        apply_milestones(preview, project, by=pmo)
    assert not Milestone.objects.exists()
