"""The plan's working calendars: which weekdays each works and for how long, a calendar
inheriting from its base calendar what it does not say itself."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from projects.imports.mspdi.reading import EXPORT, child, fields
from projects.imports.mspdi.values import clock_time, flag, integer, reference
from projects.services import DomainError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element


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


def build_calendars(
    raw_calendars: list[tuple[dict[str, str], list[Element]]],
    *,
    minutes_per_day: int,
    warnings: list[str],
) -> list[Calendar]:
    """The calendars of the file, each week resolved through its base calendars. What can be
    read only in part is said in `warnings`; calendars based on one another in a circle are a
    DomainError (the file is damaged)."""
    return _Calendars(minutes_per_day, warnings).build(raw_calendars)


class _Calendars:
    def __init__(self, minutes_per_day: int, warnings: list[str]) -> None:
        self.minutes_per_day = minutes_per_day
        self.warnings = warnings

    def build(self, raw: list[tuple[dict[str, str], list[Element]]]) -> list[Calendar]:
        own: dict[int, tuple[str, int | None, dict[int, int]]] = {}
        for values, weekdays in raw:
            uid = integer(values.get("UID", ""))
            if uid is not None:
                base = reference(values.get("BaseCalendarUID", ""))
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
            day_values = fields(day)
            day_type = integer(day_values.get("DayType", ""))
            if day_type is None or not 1 <= day_type <= 7:
                continue  # 0 is an exception (a holiday), reported as not imported
            iso = 7 if day_type == 1 else day_type - 1
            if not flag(day_values.get("DayWorking")):
                week[iso] = 0
                continue
            times = child(day, "WorkingTimes")
            spans = [fields(span) for span in times] if times is not None else []
            minutes = [self._span(values, span) for span in spans]
            week[iso] = sum(minutes) if spans else self.minutes_per_day
        return week

    def _span(self, calendar: dict[str, str], span: dict[str, str]) -> int:
        try:
            start = clock_time(span.get("FromTime", ""))
            finish = clock_time(span.get("ToTime", ""))
        except ValueError:
            self.warnings.append(
                f"Calendar ‘{calendar.get('Name', '')}’ has working hours that cannot be read "
                f"(“{span.get('FromTime', '')}” to “{span.get('ToTime', '')}”); they count "
                "as none."
            )
            return 0
        minutes = (finish.hour * 60 + finish.minute) - (start.hour * 60 + start.minute)
        return minutes if minutes > 0 else minutes + 1440  # to 00:00 is to midnight
