"""The logical day and the wall-clock moment, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from habitd.errors import UsageError
from habitd.habits.clock import logical_day, parse_day, parse_duration, wall_moment

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_before_day_starts_counts_for_yesterday() -> None:
    assert logical_day(utc("2026-11-26T00:30"), BERLIN, time(4)) == date(2026, 11, 25)  # 01:30 local
    assert logical_day(utc("2026-11-26T03:00"), BERLIN, time(4)) == date(2026, 11, 26)  # 04:00 local
    assert logical_day(utc("2026-11-26T00:30"), BERLIN) == date(2026, 11, 26)


def test_logical_day_uses_the_configured_zone_not_utc() -> None:
    # 23:30 UTC on the 25th is already the 26th in Berlin and still the 25th in New York.
    assert logical_day(utc("2026-11-25T23:30"), BERLIN) == date(2026, 11, 26)
    assert logical_day(utc("2026-11-25T23:30"), NEW_YORK) == date(2026, 11, 25)


def test_wall_moment_plain_and_fall_back() -> None:
    assert wall_moment(date(2026, 11, 25), time(18), BERLIN) == utc("2026-11-25T17:00")
    # 2026-10-25 02:30 happens twice in Berlin: the first one (CEST, +02:00).
    assert wall_moment(date(2026, 10, 25), time(2, 30), BERLIN) == utc("2026-10-25T00:30")


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        (BERLIN, date(2026, 3, 29), time(2, 30), "2026-03-29T01:00"),  # skipped: fires at 03:00 CEST
        (NEW_YORK, date(2026, 3, 8), time(2, 15), "2026-03-08T07:00"),  # skipped: fires at 03:00 EDT
    ],
)
def test_wall_moment_in_the_spring_gap_is_the_first_valid_time(
    zone: ZoneInfo, day: date, at: time, expected: str
) -> None:
    moment = wall_moment(day, at, zone)
    assert moment == utc(expected)
    assert moment.astimezone(zone).strftime("%H:%M") == "03:00"


def test_parse_day() -> None:
    wed = date(2026, 11, 25)
    assert parse_day("today", wed) == wed
    assert parse_day("yesterday", wed) == date(2026, 11, 24)
    assert parse_day("wed", wed) == wed  # today included
    assert parse_day("Monday", wed) == date(2026, 11, 23)
    assert parse_day("thu", wed) == date(2026, 11, 19)
    assert parse_day("2024-02-29", wed) == date(2024, 2, 29)
    with pytest.raises(UsageError, match="in the future"):
        parse_day("2026-11-26", wed)
    with pytest.raises(UsageError, match="is not a date"):
        parse_day("2026-02-30", wed)


def test_parse_duration() -> None:
    assert parse_duration("2h").total_seconds() == 7200  # type: ignore[union-attr]
    assert parse_duration("1h30m").total_seconds() == 5400  # type: ignore[union-attr]
    assert parse_duration("90m").total_seconds() == 5400  # type: ignore[union-attr]
    assert parse_duration("0m") is None
    assert parse_duration("soon") is None
