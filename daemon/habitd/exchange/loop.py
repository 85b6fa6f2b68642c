"""Loop Habit Tracker's backup (an SQLite file) as habitd history.

Loop keeps its habits in the table ``Habits`` (``id``, ``name``, ``archived``,
``type``: 0 yes/no, 1 measurable, ``target_type``: 0 at least, 1 at most,
``target_value``) and what happened each day in ``Repetitions`` (``habit``,
``timestamp``: milliseconds at 00:00 UTC of the day, ``value``). For a
yes/no habit ``value`` is 2 when done by hand, 1 when Loop filled it in
because nothing was needed (not a completion here), 0 not done, -1 unknown,
and -3 (3 in older versions) skipped; very old backups have no ``value``
column, a row meaning done. Newer ones keep a note per day in ``notes``: it
becomes the note of that day's completion (or the reason of its skip). A measurable habit stores thousandths of its unit
and counts as done on the days it reached its target.

A Loop habit becomes the habitd habit given by ``--map "Name=habit-id"``, or
else the one whose title (or id) is its name. The file is read only; this
module builds a ``State`` to merge and never touches files.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from habitd.errors import UsageError
from habitd.habits.config import Config
from habitd.habits.state import Note, Skip, State
from habitd.records import Record

# the tables and columns read (any case: older versions spell them Id, Name...)
TABLES = {
    "Habits": ("id", "name", "type", "target_type", "target_value"),
    "Repetitions": ("habit", "timestamp", "value", "notes"),
}
YES_MANUAL = 2
SKIPS = (-3, 3)


class Plan(Record):
    state: State  # the history to merge
    mapped: dict[str, str]  # Loop name -> habit id
    unmapped: list[str]  # what to tell about the Loop habits left out


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


def _mappings(config: Config, names: list[str], given: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in given:
        name, sep, hid = item.rpartition("=")
        if not sep or not name.strip() or not hid.strip():
            raise UsageError(f'--map {item!r}: write it as "Loop name=habit-id"; nothing was imported')
        match = [n for n in names if n == name.strip()] or [n for n in names if n.casefold() == name.strip().casefold()]
        if not match:
            raise UsageError(
                f"--map {item!r}: the backup has no habit called {name.strip()!r}; its habits are:"
                f" {', '.join(repr(n) for n in names) or 'none'}; nothing was imported"
            )
        try:
            out[match[0]] = config.find(hid.strip()).id
        except UsageError as e:
            raise UsageError(f"--map {item!r}: {e}; nothing was imported") from None
    for name in names:
        if name in out:
            continue
        same = [h.id for h in config.habits if h.title.casefold() == name.casefold() or h.id == _slug(name)]
        if len(same) == 1:
            out[name] = same[0]
    return out


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _done(habit: dict[str, object], value: object) -> bool:
    if habit.get("type") == 1:  # measurable: thousandths of the unit against the target
        amount, target = _number(value) / 1000, _number(habit.get("target_value"))
        return amount <= target if habit.get("target_type") == 1 else amount >= target and amount > 0
    return value == YES_MANUAL


def _lower(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows with their column names in lower case: older Loop versions spell them ``Id``, ``Name``..."""
    return [{str(key).lower(): value for key, value in row.items()} for row in rows]


def _moment(rep: dict[str, object], i: int, source: str) -> datetime:
    """The repetition's ``timestamp``: 00:00 UTC of its day."""
    stamp = rep.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int):
        raise UsageError(f"{source}: Repetitions row {i + 1}: {stamp!r} is not a timestamp; nothing was imported")
    try:
        return datetime.fromtimestamp(stamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise UsageError(f"{source}: Repetitions row {i + 1}: {stamp} is not a day; nothing was imported") from None


def _add(state: State, hid: str, habit: dict[str, object], rep: dict[str, object], moment: datetime) -> None:
    """One repetition: a completion (with its note) on a day done, a skip (with its reason) on one skipped."""
    value = rep.get("value", YES_MANUAL)
    note = rep.get("notes")
    note = note.strip() if isinstance(note, str) else ""
    log, day = state.log(hid), moment.date()
    if _done(habit, value):
        if log.count(day) == 0:
            log.add(day)
        if note and all((n.day, n.text) != (day, note) for n in log.notes):
            log.notes.append(Note(day, moment, note, 1))
    elif value in SKIPS and all(s.day != day for s in log.skips):
        log.skips.append(Skip(day, note))


def plan_import(
    tables: dict[str, list[dict[str, object]]], source: str, config: Config, given: tuple[str, ...], today: date
) -> Plan:
    """What the backup adds to habitd's history; UsageError (nothing written) on a bad file or --map."""
    habits = {row.get("id"): row for row in _lower(tables["Habits"])}
    names = [str(row.get("name") or f"habit {row.get('id')}") for row in habits.values()]
    mapped = _mappings(config, names, given)
    by_id = {key: mapped.get(name) for key, name in zip(habits, names, strict=True)}
    state = State()
    for i, rep in enumerate(_lower(tables["Repetitions"])):
        hid = by_id.get(rep.get("habit"))
        if hid is None:
            continue
        moment = _moment(rep, i, source)
        if moment.date() <= today:
            _add(state, hid, habits[rep["habit"]], rep, moment)
    state.habits = {hid: log for hid, log in state.habits.items() if not log.empty()}
    unmapped = [
        f'{name!r} from the Loop backup was not imported: no habit has that title; add --map "{name}=HABIT"'
        for name in names
        if name not in mapped
    ]
    return Plan(state, mapped, unmapped)
