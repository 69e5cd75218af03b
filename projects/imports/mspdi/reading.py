"""An uploaded file on its way to a plan: its bytes sniffed (a .mpp, a zip, an empty file),
decoded (byte order marks, declared encodings), parsed as a stream by defusedxml (no DTD, no
entities) within the limits, and each item of the plan kept as raw text fields.

What is wrong with the whole file is a DomainError saying what to do. Turning the raw fields
into tasks and calendars is projects.imports.mspdi.plan's business.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from django.conf import settings

from projects.imports.mspdi.values import integer
from projects.services import DomainError
from projects.services.cost_files import file_size_text

if TYPE_CHECKING:  # a type only: every parse goes through defusedxml
    from xml.etree.ElementTree import Element

NS = "http://schemas.microsoft.com/project"
MSPDI_MAX_BYTES: int = settings.MSPDI_IMPORT_MAX_BYTES
MSPDI_MAX_TASKS: int = settings.MSPDI_IMPORT_MAX_TASKS
# Project nests its XML six levels deep, and its largest element (an assignment with daily
# timephased data over years) holds tens of thousands of elements. Held in memory one at a
# time, an element of this many is refused: it is built to exhaust a worker, not a plan.
MAX_DEPTH = 32
MAX_ELEMENTS_PER_ITEM = 200_000

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


def too_large(size: int, limit: int) -> DomainError:
    """The refusal of a file of `size` bytes over `limit` (the upload form says it too)."""
    size_text, limit_text = file_size_text(size), file_size_text(limit)
    too_big = (
        f"The file is larger than {limit_text}, the most read of a plan"
        if size_text == limit_text
        else f"The file is {size_text}; plans of at most {limit_text} are read"
    )
    return DomainError(
        f"{too_big}. Check that it is the plan of this project alone, and split a larger "
        "plan before importing it.",
        field="file",
    )


def read(data: bytes) -> Reader:
    """The file's items as raw fields, or a DomainError saying why the file cannot be read."""
    if len(data) > MSPDI_MAX_BYTES:
        raise too_large(len(data), MSPDI_MAX_BYTES)
    reader = Reader()
    for event, element in _events(_decode(_sniffed(data))):
        reader.take(event, element)
    return reader


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


def local(tag: str) -> str:
    """A tag's name without its namespace."""
    return tag.rpartition("}")[2]


def fields(element: Element, keep: dict[str, str] | None = None) -> dict[str, str]:
    """An element's simple children by name (MSPDI keeps most values one level down); with
    `keep`, only those it names, under its own copy of the name (one string for all tasks)."""
    values = {}
    for child in element:
        name = local(child.tag)
        if not len(child) and (keep is None or name in keep):
            values[keep[name] if keep else name] = (child.text or "").strip()
    return values


def child(element: Element, name: str) -> Element | None:
    return element.find(f"{{{NS}}}{name}")


@dataclass
class RawTask:
    """A task as the file writes it: its position in the file and its text fields."""

    position: int
    fields: dict[str, str]
    baselines: list[dict[str, str]]

    @property
    def is_project(self) -> bool:
        """The project summary task (UID 0 / outline level 0), which stands for the plan."""
        return self.fields.get("UID") == "0" or self.fields.get("OutlineLevel") == "0"


class Reader:
    """Takes the parser's events and keeps what a Plan needs, one item at a time: each
    element below the root's sections is dropped once read, so memory stays flat."""

    def __init__(self) -> None:
        self.stack: list[Element] = []
        self.item_elements = 0
        self.header: dict[str, str] = {}
        self.raw_tasks: list[RawTask] = []
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
            self._item(local(self.stack[1].tag), local(element.tag), element)
            self.stack[1].remove(element)
        elif len(self.stack) == 1:
            if not len(element):
                self.header[local(element.tag)] = (element.text or "").strip()
            self.stack[0].remove(element)

    def _item(self, section: str, tag: str, element: Element) -> None:
        if section == "Tasks" and tag == "Task":
            self._task(element)
        elif section == "Calendars" and tag == "Calendar":
            self._calendar(element)
        elif section == "Resources" and tag == "Resource":
            if fields(element).get("UID", "0") != "0":  # resource 0 is Project's blank one
                self.resources += 1
        elif section == "Assignments" and tag == "Assignment":
            if fields(element).get("ResourceUID", _NO_RESOURCE) != _NO_RESOURCE:
                self.assignments += 1
            if child(element, "TimephasedData") is not None:
                self.found.add("timephased")

    def _task(self, element: Element) -> None:
        values = fields(element, _TASK_FIELDS)
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
            number = integer((baseline.findtext(f"{{{NS}}}Number") or "").strip())
            if number == 0:
                baselines.append(fields(baseline, _BASELINE_FIELDS))
            elif number is not None:
                self.baseline_numbers.add(number)
        for name, part in (
            ("PredecessorLink", "links"),
            ("ExtendedAttribute", "custom"),
            ("TimephasedData", "timephased"),
            ("Deadline", "deadlines"),
        ):
            if child(element, name) is not None:
                self.found.add(part)
        self.raw_tasks.append(RawTask(len(self.raw_tasks) + 1, values, baselines))

    def _calendar(self, element: Element) -> None:
        days = child(element, "WeekDays")
        weekdays = list(days) if days is not None else []
        if child(element, "Exceptions") is not None or any(
            fields(day).get("DayType") == "0" for day in weekdays
        ):
            self.found.add("exceptions")
        if child(element, "WorkWeeks") is not None:
            self.found.add("work weeks")
        self.raw_calendars.append((fields(element), weekdays))


def _check_root(tag: str) -> None:
    if tag == f"{{{NS}}}Project":
        return
    if local(tag) == "Project":
        raise DomainError(
            "This XML file has a <Project> root element but not Microsoft Project's "
            f"namespace ({NS}), so it is not a Project XML plan. {EXPORT}.",
            field="file",
        )
    raise DomainError(
        f"This XML file is not a Microsoft Project plan: its root element is "
        f"<{local(tag)[:40]}>, not <Project>. {EXPORT}.",
        field="file",
    )
