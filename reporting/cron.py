"""Crontab expressions for report schedules, evaluated in the organisation's time zone.

Five fields — minute, hour, day of month, month, day of week — each `*`, a number, a range
`a-b`, a list `a,b`, or a step `*/n` / `a-b/n`; months and weekdays also by name (`jan`,
`mon`); Sunday is 0 or 7. As in cron, when both day of month and day of week are restricted,
a day matching either fires. Local times that do not exist (the spring-forward hour) fire at
the instant the clock jumps to; a time that happens twice (the autumn hour) fires once, the
first time.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {name.lower(): (i + 1) % 7 for i, name in enumerate(calendar.day_abbr)}
# (name, lowest, highest, names) of the five fields.
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
# Far enough for "29 February on a Monday" (28 years) to be found, bounded so a schedule
# that can never fire ("31 February") is refused rather than searched for ever.
_HORIZON_DAYS = 366 * 29


# ASCII digits only: str.isdigit() takes "²" and "٣", which int() then refuses or reads.
_DIGITS = re.compile(r"[0-9]{1,9}")


class CronError(ValueError):
    """A crontab the schedule cannot use; the message says which field and why."""


@dataclass(frozen=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool
    text: str

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_date = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return by_weekday
        if self.any_weekday:
            return by_date
        return by_date or by_weekday

    def next_after(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The first firing strictly after `moment` (aware), in UTC."""
        if moment.tzinfo is None:
            raise ValueError("next_after needs an aware datetime")
        local = moment.astimezone(zone)
        day = local.date()
        for _ in range(_HORIZON_DAYS):
            if self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        at = datetime.combine(day, time(hour, minute), tzinfo=zone)
                        # A wall time in the spring-forward gap maps past the jump; one that
                        # does not round-trip is the gap's, fired at the jump.
                        instant = at.astimezone(UTC)
                        if instant > moment:
                            return instant
            day += timedelta(days=1)
        raise CronError("This schedule never fires.")

    def upcoming(self, moment: datetime, zone: ZoneInfo, count: int = 3) -> list[datetime]:
        found: list[datetime] = []
        for _ in range(count):
            moment = self.next_after(moment, zone)
            found.append(moment)
        return found


def _field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"The {name} field has an empty item.")
        step = 1
        if "/" in part:
            part, _, step_text = part.partition("/")
            if not _DIGITS.fullmatch(step_text) or int(step_text) < 1:
                raise CronError(f"The {name} field's step “{step_text}” is not a whole number.")
            step = int(step_text)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, _, b = part.partition("-")
            first, last = _value(a, name, low, high, names), _value(b, name, low, high, names)
            if first > last:
                raise CronError(f"The {name} field's range {part} runs backwards.")
        else:
            first = last = _value(part, name, low, high, names)
            if step != 1:
                last = high
        values.update(range(first, last + 1, step))
    return values


def _value(text: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    word = text.lower()
    if word in names:
        return names[word]
    if not _DIGITS.fullmatch(word) or len(word) > 2:
        raise CronError(
            f"The {name} field has “{text}”, which is not a number from {low} to {high}."
        )
    value = int(word)
    if not low <= value <= high:
        raise CronError(f"The {name} field has {value}; it must be from {low} to {high}.")
    return value


def parse(text: str) -> Cron:
    """The crontab in `text`, or CronError saying what is wrong with it."""
    if "\x00" in text:
        raise CronError("The schedule contains a NUL character.")
    parts = text.split()
    if len(parts) != 5:
        raise CronError(
            "A crontab has five fields — minute, hour, day of month, month, day of week — "
            f"separated by spaces; this has {len(parts)}."
        )
    sets = [_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    cron = Cron(
        minutes=tuple(sorted(sets[0])),
        hours=tuple(sorted(sets[1])),
        days=frozenset(sets[2]),
        months=frozenset(sets[3]),
        weekdays=weekdays,
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
        text=" ".join(parts),
    )
    # A day of month that no chosen month has ("30 2") never fires.
    if cron.any_weekday and not any(
        d <= max(calendar.monthrange(2024, m)[1] for m in cron.months) for d in cron.days
    ):
        raise CronError("No chosen month has that day: this schedule never fires.")
    return cron


def weekly(*, weekday: int, at: time) -> str:
    """The crontab of the weekly preset: `weekday` 0 = Monday … 6 = Sunday, at `at`."""
    return f"{at.minute} {at.hour} * * {(weekday + 1) % 7}"


def monthly(*, day: int, at: time) -> str:
    """The crontab of the monthly preset: day 1–28 of every month, at `at`."""
    return f"{at.minute} {at.hour} {day} * *"
