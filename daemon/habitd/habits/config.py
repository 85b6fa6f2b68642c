"""The config file: its records (``Config``, ``Settings``, ``Habit``) and ``parse_config``.

``parse_config`` turns TOML text into these immutable records or raises one
``ConfigError`` that lists every problem with its place
(``habits.date-night.at: "25:00" is not a time (HH:MM)``). What each key
means and takes is the schema (``schema.SETTINGS_KEYS``, ``schema.HABIT_KEYS``);
a habit's period and days are ``recurrence.Every`` and ``recurrence.DaySet``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from habitd.errors import ConfigError, UsageError, describe_toml_error
from habitd.habits.clock import logical_day
from habitd.habits.cron import Cron
from habitd.habits.recurrence import DaySet, Every
from habitd.habits.schema import HABIT_KEYS, PHONE_KEYS, SETTINGS_KEYS, Key, Problems
from habitd.limits import TomlError, toml_loads
from habitd.records import Record

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def is_id(text: str) -> bool:
    """Whether ``text`` matches ``^[a-z0-9][a-z0-9-]*$`` (whose `$` also matches before a final newline)."""
    text = text.removesuffix("\n")
    return bool(text) and text[0] != "-" and _ID_CHARS.issuperset(text)


class Settings(Record):
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


class Phone(Record):
    """``[phone]``: this machine keeps ``person``'s phone task list in the vdir ``vdir`` (as written)."""

    person: str
    vdir: str
    quiet_hours: tuple[time, time] | None = None  # None: the settings' quiet hours


class Habit(Record):
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


class Config(Record):
    settings: Settings
    habits: tuple[Habit, ...] = ()
    habit_files: str | None = None  # shared: the folder of the habit files (one per habit); None: this file
    notices: tuple[str, ...] = ()  # what was left out of the shared habits, and why (``habitd check`` says)
    conflicts: tuple[tuple[str, str], ...] = ()  # (habit id, a sync engine's conflict copy of its file)
    phone: Phone | None = None  # a partner's phone whose tasks this machine writes and reads

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


DEFAULT_ANCHOR = date(2000, 1, 3)  # a Monday; periods of N days/weeks/months count from here


def check_keys(table: dict[str, Any], known: Iterable[str], where: str, problems: Problems) -> None:
    known = list(known)
    for key in table:
        if key not in known:
            import difflib  # only on this error path: it is slow to import

            hint = difflib.get_close_matches(key, known, n=1)
            tip = f' (did you mean "{hint[0]}"?)' if hint else f" (known keys: {', '.join(known)})"
            problems.append(f"{where}{key}: unknown key{tip}")


def humanise(habit_id: str) -> str:
    """A title from an id: ``date-night`` -> ``Date night``."""
    return habit_id.replace("-", " ").capitalize()


def parse_config(text: str, source: str, system_tz: str = "UTC", doc: dict[str, Any] | None = None) -> Config:
    """Validate a whole config document; raise ConfigError listing every problem.

    ``doc``: the text already parsed as TOML (whoever read it has), not parsed again.
    """
    if doc is None:
        try:
            doc = toml_loads(text)
        except TomlError as e:
            raise ConfigError(source, [f"not valid TOML: {describe_toml_error(e, text)}"]) from None
    problems: Problems = []
    check_keys(doc, ("settings", "habits", "phone"), "", problems)
    settings = parse_settings(doc.get("settings", {}), system_tz, problems)
    phone = parse_phone(doc["phone"], problems) if "phone" in doc else None
    raw_habits = doc.get("habits", {})
    if not isinstance(raw_habits, dict):
        problems.append("habits: must be a table of habits ([habits.ID])")
        raw_habits = {}
    habits = []
    for habit_id, raw in raw_habits.items():
        habit = parse_habit(habit_id, raw, problems)
        if habit is not None:
            habits.append(habit)
    if not raw_habits and not problems:
        problems.append("habits: no habits yet; add a [habits.ID] table (`habitd init` writes an example)")
    if problems:
        raise ConfigError(source, problems)
    return Config(settings=settings, habits=tuple(habits), phone=phone)


def _values(table: dict[str, Any], keys: dict[str, Key], where: str, problems: Problems) -> dict[str, Any]:
    """The valid values of a table's known keys; a problem for each unknown key or invalid value."""
    check_keys(table, keys, where, problems)
    values: dict[str, Any] = {}
    for key, spec in keys.items():
        if key in table:
            parsed = spec.parse(table[key], f"{where}{key}", problems)
            if parsed is not None:
                values[key] = parsed
    return values


def parse_settings(raw: Any, system_tz: str, problems: Problems) -> Settings:
    """The [settings] table (defaults where a value is missing or invalid: its problem is said)."""
    if not isinstance(raw, dict):
        problems.append("settings: must be a table ([settings])")
        raw = {}
    values = _values(raw, SETTINGS_KEYS, "settings.", problems)
    tz_name = values.pop("timezone", system_tz)
    try:
        tz = ZoneInfo(tz_name)
    except (ValueError, OSError, KeyError):
        tz_name, tz = "UTC", ZoneInfo("UTC")
    return Settings(timezone=tz_name, tz=tz, **values)


def parse_phone(raw: Any, problems: Problems) -> Phone | None:
    """The [phone] table: both keys needed."""
    if not isinstance(raw, dict):
        problems.append("phone: must be a table ([phone])")
        return None
    values = _values(raw, PHONE_KEYS, "phone.", problems)
    missing = [k for k in ("person", "vdir") if k not in raw]
    for key in missing:
        problems.append(f"phone.{key}: missing; [phone] needs both person and vdir")
    if missing or len(values) < len(raw):
        return None
    return Phone(**values)


def parse_habit(habit_id: str, raw: Any, problems: Problems) -> Habit | None:
    where = f"habits.{habit_id}"
    before = len(problems)
    if not is_id(habit_id):
        problems.append(f"{where}: the id may only hold lowercase letters, digits and '-'")
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table ([{where}])")
        return None
    values = _values(raw, HABIT_KEYS, f"{where}.", problems)
    _check_together(where, raw, values, problems)
    if len(problems) > before:
        return None
    title = values.pop("title", humanise(habit_id))
    message = values.pop("message", f"A small moment for: {title.lower()}.")
    return Habit(id=habit_id, title=title, message=message, **values)


def _check_together(where: str, raw: dict[str, Any], values: dict[str, Any], problems: Problems) -> None:
    """The problems of a habit's keys that only show together (cron with at, nth days in a week period...)."""
    every: Every = values.get("every", Every("day"))
    times = "at" in raw or "cron" in raw
    if "cron" in raw and ("on" in raw or "at" in raw):
        problems.append(f"{where}.cron: give either cron or on/at, not both")
    on: DaySet | None = values.get("on")
    if on is not None and (on.nth or on.month_days) and every.unit != "month":
        problems.append(f'{where}.on: "1st sat", "last fri" and day numbers need a month period (every = "month")')
    if "remind_again" in raw and not times:
        problems.append(f"{where}.remind_again: needs reminder times (at or cron) to follow up on")
    if "on" in raw and not times and every.unit != "day":
        problems.append(f"{where}.on: names reminder days, so it needs an `at` time")
