"""The config file: one schema drives validation, defaults and the docs.

``parse_config`` turns TOML text into immutable records or raises one
``ConfigError`` that lists every problem with its place
(``habits.date-night.at: "25:00" is not a time (HH:MM)``). ``SETTINGS_KEYS``
and ``HABIT_KEYS`` are the schema; a test keeps the README's reference and
``config.example.toml`` in step with them.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from habitd.errors import ConfigError, UsageError, describe_toml_error
from habitd.habits.clock import WEEKDAYS, logical_day, parse_duration, parse_hhmm
from habitd.habits.cron import Cron, CronSyntaxError, parse_cron


def month_days(year: int, month: int) -> int:
    """Days in a month (calendar.monthrange without importing calendar)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


# Patterns are compiled on first use (re keeps them), not at import; the common cases are
# told by plain string checks that give the same answers.
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_EVERY_PATTERN = r"^(?:(\d+)\s+)?(day|week|month)s?$"
_NTH_PATTERN = r"^(1st|2nd|3rd|4th|5th|last)\s+([a-z]{3})$"


def is_id(text: str) -> bool:
    """Whether ``text`` matches ``^[a-z0-9][a-z0-9-]*$`` (whose `$` also matches before a final newline)."""
    text = text.removesuffix("\n")
    return bool(text) and text[0] != "-" and _ID_CHARS.issuperset(text)


_NTH = {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "last": -1}


class Every(NamedTuple):
    """A habit's period: ``n`` days, weeks or months."""

    unit: str  # "day" | "week" | "month"
    n: int = 1

    def __str__(self) -> str:
        return self.unit if self.n == 1 else f"{self.n} {self.unit}s"

    def this(self, current: bool = True) -> str:
        """A period in words: ``today``, ``this week``, ``these 4 months`` (``that day``... when past)."""
        if self.n == 1:
            if self.unit == "day":
                return "today" if current else "that day"
            return f"{'this' if current else 'that'} {self.unit}"
        return f"{'these' if current else 'those'} {self}"


class DaySet(NamedTuple):
    """The days named by ``on``: weekdays, nth weekdays of a month, month days."""

    weekdays: frozenset[int] = frozenset()  # 0 = Monday
    nth: frozenset[tuple[int, int]] = frozenset()  # (1..5 or -1, weekday)
    month_days: frozenset[int] = frozenset()  # 1..31; 31 means the last day in shorter months

    def matches(self, day: date) -> bool:
        if day.weekday() in self.weekdays:
            return True
        last = month_days(day.year, day.month)
        if day.day in self.month_days or (day.day == last and any(d > last for d in self.month_days)):
            return True
        for n, wd in self.nth:
            if day.weekday() != wd:
                continue
            if n == -1 and day.day + 7 > last:
                return True
            if n > 0 and (day.day - 1) // 7 + 1 == n:
                return True
        return False


class Settings(NamedTuple):
    timezone: str
    tz: tzinfo
    day_starts: time = time(0)
    week_starts: int = 0
    quiet_hours: tuple[time, time] | None = None
    max_per_day: int = 8
    max_late: timedelta = timedelta(hours=6)
    show_streaks: bool = True
    notify_timeout: int = 30
    snooze: timedelta = timedelta(hours=1)
    ical_path: str | None = None  # as written: "~/" is expanded by whoever writes the file
    shared_dir: str | None = None  # as written; None: the history stays in the state folder
    name: str = ""  # this device's person, as the events and views name them


class Habit(NamedTuple):
    id: str
    title: str
    message: str
    every: Every = Every("day")
    times: int = 1
    on: DaySet | None = None
    at: tuple[time, ...] = ()
    cron: Cron | None = None
    start: date | None = None
    remind_again: timedelta | None = None
    max_late: timedelta | None = None  # None: the settings' value
    prompts: tuple[str, ...] = ()
    snooze: timedelta | None = None  # None: the settings' value
    archived: bool = False
    each: bool = False  # a personal habit: each person keeps their own periods and streak

    @property
    def reminds(self) -> bool:
        return (bool(self.at) or self.cron is not None) and not self.archived


class Config(NamedTuple):
    settings: Settings
    habits: tuple[Habit, ...] = ()

    def named(self, name: str) -> Config:
        """This config as this machine's person ``name`` sees it (a shared config names no one); "": as is."""
        return self._replace(settings=self.settings._replace(name=name)) if name else self

    def habit(self, habit_id: str) -> Habit | None:
        return next((h for h in self.habits if h.id == habit_id), None)

    def find(self, name: str) -> Habit:
        """A habit by its id or a unique case-insensitive prefix of it."""
        ids = [h.id for h in self.habits]
        low = name.lower()
        if low in ids:
            return self.habits[ids.index(low)]
        matches = [i for i in ids if i.startswith(low)]
        if len(matches) == 1:
            return self.habits[ids.index(matches[0])]
        if matches:
            raise UsageError(f"{name!r} could be any of: {', '.join(matches)}")
        import difflib  # only on this error path: it is slow to import

        close = difflib.get_close_matches(low, ids, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        known = ", ".join(ids) if ids else "none (add some to the config)"
        raise UsageError(f"no habit {name!r}; {hint}the habits are: {known}")

    def today(self, now: datetime) -> date:
        """The logical day ``now`` counts for: in the config's zone, after ``day_starts``."""
        return logical_day(now, self.settings.tz, self.settings.day_starts)


# --- the schema ---------------------------------------------------------

Problems = list[str]
Parser = Callable[[Any, str, Problems], Any]


class Key(NamedTuple):
    doc: str
    parse: Parser
    example: str


def _show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if not isinstance(value, (list, dict)) else type(value).__name__


_CONTROL = "[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # all of them unprintable: printable text has none


def _string(value: Any, where: str, problems: Problems) -> str | None:
    if not isinstance(value, str):
        problems.append(f"{where}: {_show(value)} is not a string")
        return None
    if not value.strip():
        problems.append(f"{where}: must not be empty")
        return None
    # terminal escapes would act in notifications and on the terminal
    if not value.isprintable() and (m := re.search(_CONTROL, value)):
        char = f"U+{ord(m.group()):04X}"
        problems.append(f"{where}: holds a control character ({char}); only tabs and newlines may be used in text")
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
    if isinstance(value, str) and value.lower()[:3] in WEEKDAYS:
        return WEEKDAYS.index(value.lower()[:3])
    problems.append(f"{where}: {_show(value)} is not a weekday (mon..sun)")
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


# The longest period of each unit: about ten years, so every date computed stays in range.
EVERY_MAX = {"day": 3660, "week": 520, "month": 120}
# The earliest and latest `start`.
START_RANGE = (date(1900, 1, 1), date(2199, 12, 31))


_PLAIN_UNITS = {f"{unit}{s}": unit for unit in EVERY_MAX for s in ("", "s")}  # "week", "weeks": n = 1


def period_words(word: str) -> tuple[str | None, str] | None:
    """The two groups of _EVERY_PATTERN (the count or None, the unit), or None: told without
    compiling it for ASCII ("week", "2 weeks")."""
    if word.isascii() and word == word.strip():  # (as `word` always is: the pattern's `^`, `$` need no care)
        words = word.split()
        if 1 <= len(words) <= 2 and words[-1] in _PLAIN_UNITS and (len(words) == 1 or words[0].isdigit()):
            return (words[0] if len(words) == 2 else None), _PLAIN_UNITS[words[-1]]
        return None
    m = re.match(_EVERY_PATTERN, word)
    return (m.group(1), m.group(2)) if m else None


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
        if word in WEEKDAYS:
            weekdays.add(WEEKDAYS.index(word))
        elif word == "weekdays":
            weekdays.update(range(5))
        elif word == "weekends":
            weekdays.update((5, 6))
        elif word in ("daily", "every day"):
            weekdays.update(range(7))
        elif word and (nth_day := nth_words(word)) and nth_day[1] in WEEKDAYS:
            nth.add((_NTH[nth_day[0]], WEEKDAYS.index(nth_day[1])))
        elif isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 31:
            month_days.add(item)
        else:
            problems.append(
                f'{where}: {_show(item)} is not a day: "mon".."sun", "weekdays", "weekends",'
                ' "1st sat", "last fri" or a day of the month 1-31'
            )
            ok = False
    return DaySet(frozenset(weekdays), frozenset(nth), frozenset(month_days)) if ok else None


def nth_words(word: str) -> tuple[str, str] | None:
    """The two groups of _NTH_PATTERN ("1st", "sat"), or None: told without compiling it for ASCII."""
    if word.isascii() and word == word.strip():  # (as `word` always is: the pattern's `^`, `$` need no care)
        parts = word.split()
        ok = len(parts) == 2 and parts[0] in _NTH and len(parts[1]) == 3 and parts[1].isalpha() and parts[1].islower()
        return (parts[0], parts[1]) if ok else None
    m = re.match(_NTH_PATTERN, word)
    return (m.group(1), m.group(2)) if m else None


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
    "name": Key("the person using this device, shown as \"done by ...\" to the other", _name, '"Sam"'),
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
        ' "mon".."sun", "weekdays", "weekends", and for month periods "1st sat", "last fri" or 1-31',
        _on,
        '["fri"]',
    ),
    "at": Key('reminder time or times, "HH:MM"; no `at` and no `cron` means no reminder', _at, '"18:00"'),
    "cron": Key("instead of on/at: reminder times as a 5-field cron expression", _cron, '"0 19 * * fri"'),
    "start": Key(
        'first day of the first period, for "N days/weeks/months"; days before it are not tracked', _date, "2026-01-05"
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

DEFAULT_ANCHOR = date(2000, 1, 3)  # a Monday; periods of N days/weeks/months count from here


def _check_keys(table: dict[str, Any], known: Iterable[str], where: str, problems: Problems) -> None:
    known = list(known)
    for key in table:
        if key not in known:
            import difflib  # only on this error path: it is slow to import

            hint = difflib.get_close_matches(key, known, n=1)
            tip = f' (did you mean "{hint[0]}"?)' if hint else f" (known keys: {', '.join(known)})"
            problems.append(f"{where}{key}: unknown key{tip}")


def humanise(habit_id: str) -> str:
    return habit_id.replace("-", " ").capitalize()


def parse_config(text: str, source: str, system_tz: str = "UTC") -> Config:
    """Validate a whole config document; raise ConfigError listing every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, [f"not valid TOML: {describe_toml_error(e, text)}"]) from None
    problems: Problems = []
    _check_keys(doc, ("settings", "habits"), "", problems)

    raw_settings = doc.get("settings", {})
    values: dict[str, Any] = {}
    if not isinstance(raw_settings, dict):
        problems.append("settings: must be a table ([settings])")
        raw_settings = {}
    _check_keys(raw_settings, SETTINGS_KEYS, "settings.", problems)
    for key, spec in SETTINGS_KEYS.items():
        if key in raw_settings:
            parsed = spec.parse(raw_settings[key], f"settings.{key}", problems)
            if parsed is not None:
                values[key] = parsed
    tz_name = values.pop("timezone", system_tz)
    try:
        tz = ZoneInfo(tz_name)
    except (ValueError, OSError, KeyError):
        tz_name, tz = "UTC", ZoneInfo("UTC")
    settings = Settings(timezone=tz_name, tz=tz, **values)

    raw_habits = doc.get("habits", {})
    if not isinstance(raw_habits, dict):
        problems.append("habits: must be a table of habits ([habits.ID])")
        raw_habits = {}
    habits = []
    for habit_id, raw in raw_habits.items():
        habit = _parse_habit(habit_id, raw, problems)
        if habit is not None:
            habits.append(habit)
    if not raw_habits and not problems:
        problems.append("habits: no habits yet; add a [habits.ID] table (`habitd init` writes an example)")
    if problems:
        raise ConfigError(source, problems)
    return Config(settings=settings, habits=tuple(habits))


def _parse_habit(habit_id: str, raw: Any, problems: Problems) -> Habit | None:
    where = f"habits.{habit_id}"
    before = len(problems)
    if not is_id(habit_id):
        problems.append(f"{where}: the id may only hold lowercase letters, digits and '-'")
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table ([{where}])")
        return None
    _check_keys(raw, HABIT_KEYS, f"{where}.", problems)
    values: dict[str, Any] = {}
    for key, spec in HABIT_KEYS.items():
        if key in raw:
            parsed = spec.parse(raw[key], f"{where}.{key}", problems)
            if parsed is not None:
                values[key] = parsed
    every: Every = values.get("every", Every("day"))
    if "cron" in raw and ("on" in raw or "at" in raw):
        problems.append(f"{where}.cron: give either cron or on/at, not both")
    on: DaySet | None = values.get("on")
    if on is not None and (on.nth or on.month_days) and every.unit != "month":
        problems.append(f'{where}.on: "1st sat", "last fri" and day numbers need a month period (every = "month")')
    if "remind_again" in raw and "at" not in raw and "cron" not in raw:
        problems.append(f"{where}.remind_again: needs reminder times (at or cron) to follow up on")
    if "on" in raw and "at" not in raw and "cron" not in raw and every.unit != "day":
        problems.append(f"{where}.on: names reminder days, so it needs an `at` time")
    if len(problems) > before:
        return None
    title = values.pop("title", humanise(habit_id))
    message = values.pop("message", f"A small moment for: {title.lower()}.")
    return Habit(id=habit_id, title=title, message=message, **values)
