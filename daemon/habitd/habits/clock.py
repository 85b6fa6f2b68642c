"""Time: the logical day and the wall-clock moment, kept apart on purpose.

``logical_day`` answers "which day does this moment count for" (the timezone
shifted by ``day_starts``); ``wall_moment`` answers "when, as an instant, is
HH:MM on this calendar date". Reminders use the second, streaks the first.
Every function takes the time it works on as a parameter.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from habitd.errors import UsageError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday_of(word: str) -> int | None:
    """Monday 0 .. Sunday 6 for a weekday's name, short ("sat") or full ("saturday"); else None."""
    if word in WEEKDAYS or word in _FULL_WEEKDAYS:
        return WEEKDAYS.index(word[:3])
    return None
# Patterns are compiled on first use (re keeps them), not at import: most commands never need them.
_TIME_PATTERN = r"^([01]?\d|2[0-3]):([0-5]\d)$"


def parse_hhmm(text: str) -> time | None:
    """``"07:45"`` -> ``time(7, 45)``; None when it is not a 24-hour HH:MM."""
    if text.isascii():  # _TIME_PATTERN without compiling it (its `$` also matches before a final newline)
        hh, colon, mm = text.removesuffix("\n").partition(":")
        ok = colon and 1 <= len(hh) <= 2 and len(mm) == 2 and hh.isdigit() and mm.isdigit()
        return time(int(hh), int(mm)) if ok and int(hh) < 24 and int(mm) < 60 else None
    m = re.match(_TIME_PATTERN, text)  # digits of other scripts, as \d takes them
    return time(int(m.group(1)), int(m.group(2))) if m else None


def logical_day(now: datetime, tz: tzinfo, day_starts: time = time(0)) -> date:
    """The day ``now`` counts for: before ``day_starts`` it is still yesterday."""
    local = now.astimezone(tz)
    shift = timedelta(hours=day_starts.hour, minutes=day_starts.minute)
    return (local.replace(tzinfo=None) - shift).date()


def day_bounds(day: date, tz: tzinfo, day_starts: time = time(0)) -> tuple[datetime, datetime]:
    """The instants a logical day begins and ends (end exclusive)."""
    return wall_moment(day, day_starts, tz), wall_moment(day + timedelta(days=1), day_starts, tz)


_MOMENTS: dict[tuple[date, time, tzinfo], datetime] = {}  # many habits share their days and times
_MOMENTS_KEPT = 4096


def wall_moment(day: date, at: time, tz: tzinfo) -> datetime:
    """The instant the clock on the wall shows ``at`` on ``day``, as UTC.

    A time that happens twice (the repeated hour at fall-back) is its first
    occurrence. A time that never happens (the hour skipped at spring-forward)
    is the first valid instant after it: the moment the clock jumps.
    """
    key = (day, at, tz)
    moment = _MOMENTS.get(key)
    if moment is None:
        if len(_MOMENTS) >= _MOMENTS_KEPT:
            _MOMENTS.clear()
        moment = _MOMENTS[key] = _wall_moment(day, at, tz)
    return moment


def _wall_moment(day: date, at: time, tz: tzinfo) -> datetime:
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a gap: fold=1 reads it with the offset after the change, which lands
    # before the change; the transition lies between the two readings.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = first
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def month_days(year: int, month: int) -> int:
    """Days in a month (calendar.monthrange without importing calendar)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


DAY_GRAMMAR = "today, yesterday, tomorrow, YYYY-MM-DD or a weekday name (mon..sun, monday..sunday)"
_ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
EARLIEST = date(1900, 1, 1)
YEARS_AHEAD = 10  # days later than this many years from today are refused (docs/commands.md says so)


def latest_day(today: date) -> date:
    """The last day a date may name: ``YEARS_AHEAD`` years after ``today`` (29 February: the 28th)."""
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February, in a year without one
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def parse_day(text: str, today: date, ahead: bool = False) -> date:
    """A day the user typed, in the one grammar of every ``--date``, ``--since`` and ``--until``.

    ``today``, ``yesterday``, ``tomorrow``, ``YYYY-MM-DD`` or a weekday name.
    Looking back (the default: ``--date``, ``--since``) a weekday is the most
    recent such day, today included, and a day after today is refused. With
    ``ahead`` (``--until``) it is the next such day, today included, and a day
    before today is refused. Days before 1900 or more than ten years ahead are
    refused too, so every date computed from one stays in range.
    """
    word = text.strip().lower()
    shift = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if word in shift:
        day = today + timedelta(days=shift[word])
    elif word in WEEKDAYS or word in _FULL_WEEKDAYS:
        wd = WEEKDAYS.index(word[:3])
        if ahead:
            day = today + timedelta(days=(wd - today.weekday()) % 7)
        else:
            day = today - timedelta(days=(today.weekday() - wd) % 7)
    else:
        try:
            if not re.match(_ISO_DAY, word):
                raise ValueError(word)
            day = date.fromisoformat(word)
        except ValueError:
            raise UsageError(f"{text!r} is not a date: use {DAY_GRAMMAR}") from None
    if not ahead and day > today:
        raise UsageError(f"{day.isoformat()} is in the future (today is {today.isoformat()})")
    if ahead and day < today:
        raise UsageError(f"{day.isoformat()} is in the past (today is {today.isoformat()})")
    if day < EARLIEST or day > latest_day(today):
        raise UsageError(
            f"{day.isoformat()} is too far from today: habitd keeps days from 1900 to"
            f" {latest_day(today).isoformat()} ({YEARS_AHEAD} years ahead)"
        )
    return day


_DURATION_PATTERN = r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*"


def _duration_parts(text: str) -> tuple[str | None, ...] | None:
    """What re.fullmatch(_DURATION_PATTERN, text).groups() gives for ASCII text (None: no match), without
    compiling it: each of days, hours, minutes is digits, optional spaces and its unit, or absent."""
    i, n = 0, len(text)
    groups: list[str | None] = []
    for unit in ("d", "h", "m"):
        while i < n and text[i].isspace():
            i += 1
        j = i
        while j < n and text[j].isdigit():
            j += 1
        k = j
        while k < n and text[k].isspace():
            k += 1
        if j > i and k < n and text[k] == unit:
            groups.append(text[i:j])
            i = k + 1
            if unit == "m" and text.startswith("in", i):
                i += 2
        else:
            groups.append(None)
    while i < n and text[i].isspace():
        i += 1
    return tuple(groups) if i == n else None


def parse_duration(text: str) -> timedelta | None:
    """``"90m"``, ``"2h"``, ``"1h30m"``, ``"1d"`` -> timedelta; None when invalid or zero."""
    if text.isascii():
        groups = _duration_parts(text)
    else:  # digits and spaces of other scripts, as \d and \s take them
        m = re.fullmatch(_DURATION_PATTERN, text)
        groups = m.groups() if m else None
    if not groups or not any(groups):
        return None
    d, h, mins = (int(g) if g else 0 for g in groups)
    try:
        value = timedelta(days=d, hours=h, minutes=mins)
    except OverflowError:
        return None
    return value if value > timedelta(0) else None
