"""The crontab reader of report schedules: the organisation's zone, DST, presets, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from reporting import cron

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_weekly_preset_fires_on_its_weekday_at_local_time():
    text = cron.weekly(weekday=0, at=time(7, 0))  # Mondays 07:00
    assert text == "0 7 * * 1"
    fires = cron.parse(text).upcoming(at(2026, 12, 3, 10), BERLIN)
    # 07:00 in Berlin in winter is 06:00 UTC; the next three Mondays.
    assert fires == [at(2026, 12, 7, 6), at(2026, 12, 14, 6), at(2026, 12, 21, 6)]


def test_a_monthly_preset_fires_on_its_day():
    text = cron.monthly(day=1, at=time(8, 30))
    assert cron.parse(text).next_after(at(2026, 12, 3), BERLIN) == at(2027, 1, 1, 7, 30)


def test_local_time_keeps_across_a_daylight_saving_change():
    monday_seven = cron.parse("0 7 * * mon")
    # Before and after the spring change on 29 March 2026: 06:00 UTC, then 05:00 UTC.
    assert monday_seven.upcoming(at(2026, 3, 20), BERLIN, 2) == [
        at(2026, 3, 23, 6),
        at(2026, 3, 30, 5),
    ]


def test_a_time_skipped_by_the_spring_change_fires_at_the_jump_and_the_repeated_hour_once():
    nightly = cron.parse("30 2 * * *")
    assert nightly.next_after(at(2026, 3, 28, 12), BERLIN) == at(2026, 3, 29, 1, 30)
    # 02:30 happens twice on 25 October 2026: it fires once, the first time.
    fires = nightly.upcoming(at(2026, 10, 24, 12), BERLIN, 2)
    assert fires == [at(2026, 10, 25, 0, 30), at(2026, 10, 26, 1, 30)]


def test_day_of_month_and_weekday_together_fire_on_either_as_cron_does():
    both = cron.parse("0 9 13 * fri")
    fires = both.upcoming(at(2026, 11, 1), ZoneInfo("UTC"), 3)
    assert [f.day for f in fires] == [6, 13, 20]


def test_steps_ranges_lists_and_names():
    c = cron.parse("*/15 9-17/4 * jan,jul 1-5")
    assert c.minutes == (0, 15, 30, 45)
    assert c.hours == (9, 13, 17)
    assert c.months == frozenset({1, 7})
    assert c.weekdays == frozenset({1, 2, 3, 4, 5})
    assert cron.parse("0 0 * * 7").weekdays == frozenset({0})  # Sunday as 7


def test_the_29th_of_february_is_found_years_ahead():
    assert cron.parse("0 0 29 2 *").next_after(at(2026, 12, 3), ZoneInfo("UTC")) == at(2028, 2, 29)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "five fields"),
        ("* * *", "this has 3"),
        ("61 * * * *", "minute field has 61"),
        ("0 24 * * *", "hour field has 24"),
        ("0 0 0 * *", "day of month field has 0"),
        ("0 0 30 2 *", "never fires"),
        ("*/0 * * * *", "step"),
        ("0 0 * * 8", "day of week field has 8"),
        ("a b c d e", "not a number"),
        ("5-1 * * * *", "runs backwards"),
        ("1,,2 * * * *", "empty item"),
        ("０ 0 * * *", "not a number"),  # a full-width digit
        ("0 0 * * *\x00", "NUL"),
        ("99999999999999999999 * * * *", "not a number"),
    ],
)
def test_a_bad_crontab_is_refused_with_a_message_that_names_the_field(text, says):
    with pytest.raises(cron.CronError, match=says):
        cron.parse(text)
