"""A config in two parts: this machine's own file, and the habits both partners share.

With a shared folder, the habits live in it, one file per habit
(``habits/date-night.toml``), beside ``settings.toml`` for what shapes every
habit's periods (``week_starts``). Everything about a machine or its person
(the time zone, ``day_starts``, quiet hours, the notifier's settings, every
path, the name) stays in this machine's config and is never read from the
shared folder: a partner's file names no path or command for this machine.

The shared files are foreign input: what does not belong in them is reported
with its place and ignored, and a habit file with a problem is left out (said
in ``Config.notices``), so one partner's typo never stops the other's daemon.
"""

from __future__ import annotations

from typing import Any

from habitd.errors import ConfigError, describe_toml_error
from habitd.habits.config import Config, Habit, check_keys, parse_habit, parse_phone, parse_settings
from habitd.habits.schema import HABIT_KEYS, SETTINGS_KEYS, Problems
from habitd.limits import TomlError, toml_loads
from habitd.records import Record

SHARED_SETTINGS = ("week_starts",)  # settings that shape the periods: one value for both partners


class SharedFile(Record):
    source: str  # as problems name it: "habits/date-night.toml"
    text: str


class SharedHabits(Record):
    """What the shared folder holds of the config, as read (``history.habitfiles``)."""

    folder: str  # the folder of the habit files
    settings: SharedFile | None = None
    habits: tuple[tuple[str, SharedFile], ...] = ()  # (id, its file), in id order
    notices: tuple[str, ...] = ()  # files left out by the reader, and why
    conflicts: tuple[tuple[str, str], ...] = ()  # (habit id, the conflict copy's file name)


def parse_shared(
    local_text: str, local_source: str, shared: SharedHabits, system_tz: str = "UTC", doc: dict[str, Any] | None = None
) -> Config:
    """This machine's config with the shared habits; ConfigError only for this machine's own file.
    ``doc``: the text's TOML when the caller parsed it already."""
    doc = _load(local_text, local_source) if doc is None else doc
    problems: Problems = []
    check_keys(doc, ("settings", "habits", "phone"), "", problems)
    raw_settings = doc.get("settings", {})
    settings = parse_settings(raw_settings, system_tz, problems)
    phone = parse_phone(doc["phone"], problems) if "phone" in doc else None  # this machine's, never shared
    if problems:
        raise ConfigError(local_source, problems)
    notices = list(shared.notices)
    if doc.get("habits"):
        notices.append(
            f"{local_source}: its [habits] are not read while the habits are shared (the files in {shared.folder})"
        )
    values = _shared_settings(shared.settings, notices)
    mine = raw_settings.get("week_starts") if isinstance(raw_settings, dict) else None
    week_starts = values.get("week_starts", 0)
    if mine is not None and settings.week_starts != week_starts:
        notices.append(
            f"{local_source}: settings.week_starts is shared: the shared folder's settings.toml says which"
            " day starts a week for both of you, so this one is not used"
        )
    habits = []
    for habit_id, file in shared.habits:
        habit = _shared_habit(habit_id, file, notices)
        if habit is not None:
            habits.append(habit)
    return Config(
        settings=settings._replace(week_starts=week_starts),
        habits=tuple(habits),
        habit_files=shared.folder,
        notices=tuple(notices),
        conflicts=shared.conflicts,
        phone=phone,
    )


def _load(text: str, source: str) -> dict[str, Any]:
    try:
        return toml_loads(text)
    except TomlError as e:
        raise ConfigError(source, [f"not valid TOML: {describe_toml_error(e, text)}"]) from None


def _foreign_keys(table: dict[str, Any], allowed: tuple[str, ...], source: str, notices: list[str]) -> dict[str, Any]:
    """The keys of a shared file that belong there; a notice for each other one (ignored)."""
    kept = {}
    for key, value in table.items():
        if key in allowed:
            kept[key] = value
        elif key in SETTINGS_KEYS or key in ("settings", "phone"):
            notices.append(
                f"{source}: {key}: a setting of each machine, never read from the shared folder"
                " (set it in your own config); ignored"
            )
        else:
            wrong: Problems = []
            check_keys({key: value}, allowed, "", wrong)
            notices.append(f"{source}: {wrong[0]}; ignored")
    return kept


def _shared_settings(file: SharedFile | None, notices: list[str]) -> dict[str, Any]:
    if file is None:
        return {}
    try:
        doc = _load(file.text, file.source)
    except ConfigError as e:
        notices.append(f"{file.source}: {'; '.join(e.problems)}; its settings are not used")
        return {}
    kept = _foreign_keys(doc, SHARED_SETTINGS, file.source, notices)
    problems: Problems = []
    values = {}
    for key, value in kept.items():
        parsed = SETTINGS_KEYS[key].parse(value, key, problems)
        if parsed is not None:
            values[key] = parsed
    notices.extend(f"{file.source}: {p}; not used" for p in problems)
    return values


def habit_problems(habit_id: str, file: SharedFile) -> list[str]:
    """What would leave out (or be ignored in) a habit's file; [] when it is clean."""
    notices: list[str] = []
    _shared_habit(habit_id, file, notices)
    return notices


def _shared_habit(habit_id: str, file: SharedFile, notices: list[str]) -> Habit | None:
    try:
        doc = _load(file.text, file.source)
    except ConfigError as e:
        notices.append(f"{file.source}: {'; '.join(e.problems)}; the habit {habit_id} is left out until it is fixed")
        return None
    kept = _foreign_keys(doc, tuple(HABIT_KEYS), file.source, notices)
    problems: Problems = []
    habit = parse_habit(habit_id, kept, problems)
    if problems:
        where = f"habits.{habit_id}."
        said = "; ".join(p.removeprefix(where) for p in problems)
        notices.append(f"{file.source}: {said}; the habit {habit_id} is left out until it is fixed")
        return None
    return habit
