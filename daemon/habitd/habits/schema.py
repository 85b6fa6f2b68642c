"""The config's schema: every key of ``[settings]``, of ``[phone]`` and of a ``[habits.ID]`` table.

Each key is a ``Key``: its doc, the parser that validates its value and an
example. A parser returns the value, or None after appending each problem with
its place (``habits.date-night.at: "25:00" is not a time (HH:MM)``), so the
whole file is checked at once. ``SETTINGS_KEYS``, ``PHONE_KEYS`` and ``HABIT_KEYS`` drive
validation and defaults; a test keeps docs/config.md's reference and
``config.example.toml`` in step with them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from habitd.habits.clock import parse_duration, parse_hhmm, weekday_of
from habitd.habits.cron import Cron, CronSyntaxError, parse_cron
from habitd.habits.recurrence import EVERY_MAX, NTH, DaySet, Every, nth_words, period_words
from habitd.records import Record

Problems = list[str]
Parser = Callable[[Any, str, Problems], Any]


class Key(Record):
    doc: str
    parse: Parser
    example: str


def _show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if not isinstance(value, (list, dict)) else type(value).__name__


TEXT_MAX = 2000  # characters of a title, a message, a prompt
_CONTROL = "[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # all of them unprintable: printable text has none


def _string(value: Any, where: str, problems: Problems) -> str | None:
    if not isinstance(value, str):
        problems.append(f"{where}: {_show(value)} is not a string")
        return None
    if not value.strip():
        problems.append(f"{where}: must not be empty")
        return None
    # terminal escapes would act in notifications and on the terminal; text-direction controls
    # would reorder what is shown after them (a title made to read as another)
    if not value.isprintable() and (m := re.search(_CONTROL + "|" + _BIDI, value)):
        char = f"U+{ord(m.group()):04X}"
        if re.match(_BIDI, m.group()):
            problems.append(f"{where}: holds a text-direction control ({char}), which would reorder what follows it")
        else:
            problems.append(f"{where}: holds a control character ({char}); only tabs and newlines may be used in text")
        return None
    if len(value) > TEXT_MAX:
        problems.append(f"{where}: {len(value)} characters, more than the {TEXT_MAX} a text may have")
        return None
    return value


def _timezone(value: Any, where: str, problems: Problems) -> str | None:
    name = _string(value, where, problems)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        problems.append(f'{where}: {_show(name)} is not an IANA time zone (like "Europe/Berlin")')
        return None
    return name


def _hhmm(value: Any, where: str, problems: Problems) -> time | None:
    if isinstance(value, time):  # a TOML local time, 18:00:00
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str) and (t := parse_hhmm(value.strip())) is not None:
        return t
    problems.append(f"{where}: {_show(value)} is not a time (HH:MM)")
    return None


def _weekday(value: Any, where: str, problems: Problems) -> int | None:
    day = weekday_of(value.strip().lower()) if isinstance(value, str) else None
    if day is not None:
        return day
    problems.append(f"{where}: {_show(value)} is not a weekday (mon..sun, monday..sunday)")
    return None


def _quiet(value: Any, where: str, problems: Problems) -> tuple[time, time] | None:
    if isinstance(value, str) and value.count("-") == 1:
        a, b = (parse_hhmm(p.strip()) for p in value.split("-"))
        if a is not None and b is not None and a != b:
            return (a, b)
    problems.append(f'{where}: {_show(value)} is not a window like "22:30-07:30"')
    return None


def _int(lo: int, hi: int) -> Parser:
    def parse(value: Any, where: str, problems: Problems) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where}: {_show(value)} is not a whole number")
            return None
        if not lo <= value <= hi:
            problems.append(f"{where}: {value} is outside {lo}..{hi}")
            return None
        return value

    return parse


def _file_path(value: Any, where: str, problems: Problems) -> str | None:
    text = _string(value, where, problems)
    if text is not None and not (text.startswith("/") or text.startswith("~/")):
        problems.append(f"{where}: {_show(text)} must be an absolute path or start with ~/")
        return None
    return text


_BIDI = "[\u202a-\u202e\u2066-\u2069]"  # embeddings, overrides, isolates: they reorder what follows
_BREAKS = "[\n\t\u0085\u2028\u2029]"  # these and the above unprintable: printable text has none


def _name(value: Any, where: str, problems: Problems) -> str | None:
    text = _string(value, where, problems)
    if text is None:
        return None
    plain = text.isprintable()
    if not plain and (m := re.search(_BIDI, text)):
        char = f"U+{ord(m.group()):04X}"
        problems.append(f"{where}: holds a text-direction control ({char}), which would turn the text around it")
        return None
    if len(text) > 40 or (not plain and re.search(_BREAKS, text)) or text != text.strip():
        shown = re.sub(_BREAKS, lambda m: repr(m.group())[1:-1], _show(text))  # a line break shown as \n, never made
        problems.append(f"{where}: {shown} must be one line of at most 40 characters, no spaces around it")
        return None
    return text


def _bool(value: Any, where: str, problems: Problems) -> bool | None:
    if not isinstance(value, bool):
        problems.append(f"{where}: {_show(value)} is not true or false")
        return None
    return value


def _duration(longest: timedelta, words: str) -> Parser:
    def parse(value: Any, where: str, problems: Problems) -> timedelta | None:
        d = parse_duration(value) if isinstance(value, str) else None
        if d is None:
            problems.append(f'{where}: {_show(value)} is not a duration (like "90m", "2h", "1h30m")')
            return None
        if d > longest:
            problems.append(f"{where}: {_show(value)} is longer than {words}, the most it can be")
            return None
        return d

    return parse


# The earliest and latest `start`.
START_RANGE = (date(1900, 1, 1), date(2199, 12, 31))


def _every(value: Any, where: str, problems: Problems) -> Every | None:
    parsed = period_words(value.strip().lower()) if isinstance(value, str) else None
    if parsed is None or (parsed[0] is not None and int(parsed[0]) < 1):
        problems.append(f'{where}: {_show(value)} is not a period: "day", "week", "month" or "N days/weeks/months"')
        return None
    count, unit = parsed
    n = int(count or 1)
    if n > EVERY_MAX[unit]:
        problems.append(f"{where}: {_show(value)} is too long; at most {EVERY_MAX[unit]} {unit}s (about ten years)")
        return None
    return Every(unit, n)


def _one_or_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _on(value: Any, where: str, problems: Problems) -> DaySet | None:
    weekdays: set[int] = set()
    nth: set[tuple[int, int]] = set()
    month_days: set[int] = set()
    ok = True
    items = _one_or_list(value)
    if not items:
        problems.append(f"{where}: must name at least one day")
        return None
    for item in items:
        word = item.strip().lower() if isinstance(item, str) else None
        day = weekday_of(word) if word else None
        if day is not None:
            weekdays.add(day)
        elif word == "weekdays":
            weekdays.update(range(5))
        elif word == "weekends":
            weekdays.update((5, 6))
        elif word in ("daily", "every day"):
            weekdays.update(range(7))
        elif word and (nth_day := nth_words(word)) and (day := weekday_of(nth_day[1])) is not None:
            nth.add((NTH[nth_day[0]], day))
        elif isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 31:
            month_days.add(item)
        else:
            problems.append(
                f'{where}: {_show(item)} is not a day: "mon".."sun" (or "monday".."sunday"), "weekdays", "weekends",'
                ' "1st sat", "last fri" or a day of the month 1-31'
            )
            ok = False
    return DaySet(frozenset(weekdays), frozenset(nth), frozenset(month_days)) if ok else None


def _at(value: Any, where: str, problems: Problems) -> tuple[time, ...] | None:
    items = _one_or_list(value)
    times = [_hhmm(v, where, problems) for v in items]
    if not items:
        problems.append(f"{where}: must give at least one time")
    if not items or any(t is None for t in times):
        return None
    return tuple(sorted({t for t in times if t is not None}))


def _cron(value: Any, where: str, problems: Problems) -> Cron | None:
    text = _string(value, where, problems)
    if text is None:
        return None
    try:
        return parse_cron(text)
    except CronSyntaxError as e:
        problems.append(f"{where}: {_show(text)} is not a cron expression: {e}")
        return None


def _date(value: Any, where: str, problems: Problems) -> date | None:
    day: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(value)
    if day is None:
        problems.append(f"{where}: {_show(value)} is not a date (YYYY-MM-DD)")
        return None
    lo, hi = START_RANGE
    if not lo <= day <= hi:
        problems.append(f"{where}: {day.isoformat()} is outside {lo.isoformat()}..{hi.isoformat()}")
        return None
    return day


def _prompts(value: Any, where: str, problems: Problems) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        problems.append(f"{where}: must be a list of non-empty strings")
        return None
    ok = [_string(p, f"{where}[{i}]", problems) for i, p in enumerate(value)]
    return tuple(value) if all(p is not None for p in ok) else None


SETTINGS_KEYS: dict[str, Key] = {
    "timezone": Key("IANA time zone the habits live in; default: the system's zone", _timezone, '"Europe/Berlin"'),
    "day_starts": Key("a completion before this time counts for the previous day (for night owls)", _hhmm, '"04:00"'),
    "week_starts": Key("first day of a week period", _weekday, '"mon"'),
    "quiet_hours": Key(
        "no notification inside this window; what fell due shows once at its end", _quiet, '"22:30-07:30"'
    ),
    "max_per_day": Key("at most this many notifications per day; the rest are dropped and logged", _int(1, 1000), "8"),
    "max_late": Key(
        "a reminder missed while asleep or off is shown on return if not older than this; at most 7 days",
        _duration(timedelta(days=7), "7 days"),
        '"6h"',
    ),
    "show_streaks": Key("show streak figures; false hides them everywhere", _bool, "true"),
    "notify_timeout": Key("seconds a notification stays on screen; 0 until dismissed", _int(0, 3600), "30"),
    "snooze": Key(
        "how long the notification's Snooze button puts a reminder off", _duration(timedelta(days=1), "a day"), '"1h"'
    ),
    "ical_path": Key(
        "keep an iCalendar file of the reminders here, rewritten whenever the config changes",
        _file_path,
        '"~/.local/share/habitd/habits.ics"',
    ),
    "shared_dir": Key(
        "a folder a sync engine keeps in step between your devices: the history lives there, each device"
        " writing only its own files; default: none, the history stays in the state folder",
        _file_path,
        '"~/Sync/habitd"',
    ),
    "name": Key('the person using this device, shown as "done by ..." to the other', _name, '"Sam"'),
}

# ``[phone]``: a partner's phone whose task list this machine keeps (docs/phone.md). Only where and
# for whom: the server's address and its password are vdirsyncer's, never habitd's.
PHONE_KEYS: dict[str, Key] = {
    "person": Key("whose phone: their tasks are written, and their ticks count as done by them", _name, '"Alex"'),
    "vdir": Key(
        "the folder of .ics files vdirsyncer keeps in step with the phone's task list; never inside the shared folder",
        _file_path,
        '"~/.local/share/habitd/phone/alex"',
    ),
    "quiet_hours": Key(
        "no alarm on the phone inside this window; default: the settings' quiet_hours", _quiet, '"23:00-08:00"'
    ),
}

HABIT_KEYS: dict[str, Key] = {
    "title": Key("short name shown as the notification's summary; default: the id, humanised", _string, '"Date night"'),
    "message": Key("the notification's body", _string, '"Pick a place neither of you has been."'),
    "every": Key(
        'the period: "day", "week", "month" or "N days" / "N weeks" / "N months", up to about ten years',
        _every,
        '"week"',
    ),
    "times": Key("completions that meet one period", _int(1, 100), "1"),
    "on": Key(
        "days: for a daily habit the days it is due, for longer periods the days its reminder fires;"
        ' "mon".."sun" (or "monday".."sunday"), "weekdays", "weekends", and for month periods "1st sat",'
        ' "last fri" or 1-31',
        _on,
        '["fri"]',
    ),
    "at": Key('reminder time or times, "HH:MM"; no `at` and no `cron` means no reminder', _at, '"18:00"'),
    "cron": Key("instead of on/at: reminder times as a 5-field cron expression", _cron, '"0 19 * * fri"'),
    "start": Key(
        'first day of the first period, for "N days/weeks/months" (tracking begins with the first completion or skip)',
        _date,
        "2026-01-05",
    ),
    "remind_again": Key(
        "follow-up reminders at this interval until the period is met, up to the day's end",
        _duration(timedelta(days=1), "a day"),
        '"2h"',
    ),
    "max_late": Key("this habit's own max_late", _duration(timedelta(days=7), "7 days"), '"6h"'),
    "prompts": Key("conversation prompts; each reminder carries the next one", _prompts, '["..."]'),
    "snooze": Key("this habit's own snooze", _duration(timedelta(days=1), "a day"), '"30m"'),
    "archived": Key(
        "true: no reminders, hidden from status and today (shown with --all); its history is kept", _bool, "true"
    ),
    "each": Key(
        "true: a personal habit, each of you keeps your own periods and streak; default: shared, either"
        " partner's completion counts for both",
        _bool,
        "true",
    ),
}
