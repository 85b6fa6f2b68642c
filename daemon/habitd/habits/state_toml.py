"""The state's TOML encoding: ``to_doc`` and ``from_doc`` (no file I/O here: the history's store writes it).

Encoding, chosen by measurement (``bench/``): completions are plain local
calendar dates, stored per habit as a bitmask of days, 46 bytes (366 bits)
a year from the year ``since`` on, base64-encoded in one string: about 61
characters a year. 50 habits x 10 years is 32 KiB and loads in about 4 ms
(one key a year doubled that; a TOML array of dates is 2.9 MB and about
400 ms), so the cost of ``habitd done`` hardly grows with history.
A day with more than one completion (``times > 1``) also appears in
``counts``. A note is kept with its day, the moment it was written, and
which of the day's completions it belongs to (``nth``; 0: the day's own
note, kept when its completion was undone or nothing was recorded). A skip
records how many of its day's completions came before it (``after``), so
``undo`` knows which of the day's entries is the latest. Keys this version
does not know inside a habit's, a note's or a skip's table are kept as they
are (``extra``) and written back on the next save.

    version = 1
    [habits.checkin]
    since = 2025                         # the first year of `done`
    done = 'AAAg...AAAA'                 # 46 bytes a year; bit d-1 of a year: a completion on its day d
    counts = { 2026-11-25 = 2 }          # only days with more than one completion
    notes = [ { day = 2026-11-25, at = 2026-11-25T20:01:00+01:00, text = "...", nth = 1 } ]
    skips = [ { day = 2026-11-23, text = "", at = 2026-11-23T09:00:00+01:00, after = 0 } ]
    [reminders.checkin]
    handled = 2026-11-25T18:00:00Z       # the latest reminder shown (or dropped)
    on_screen = "2f0e... :1.12 7"        # its bubble when the daemon stopped: bus, server, id
    on_screen_day = 2026-11-25           # the logical day that bubble reminded about
    [reminders.checkin.snooze]           # its Snooze button, pressed: back at `until`
    until = 2026-11-25T19:00:00Z
    day = 2026-11-25                     # the logical day it reminds about
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from habitd.errors import StateError
from habitd.habits.state import NO_EXTRA, HabitLog, Note, Pause, PromptDeck, Reminder, Skip, Snooze, State

SCHEMA_VERSION = 1
_YEAR_BYTES = 46  # 366 bits
# Moments in the state leave room for date arithmetic (a moment in year 9999 overflowed)
_FIRST_YEAR, _LAST_YEAR = 1970, 9998
RECOVERY = (
    "The file was left as it is: fix it by hand, restore a copy from the backups folder"
    " beside it, or move it away to start afresh."
)


def _encode_years(done: dict[int, int]) -> tuple[int, str]:
    first, last = min(done), max(done)
    raw = b"".join(done.get(y, 0).to_bytes(_YEAR_BYTES, "little") for y in range(first, last + 1))
    import binascii  # not base64, which costs more to import; only the day masks of a file of before use it

    return first, binascii.b2a_base64(raw, newline=False).decode("ascii")


def _skip_doc(s: Skip) -> dict[str, Any]:
    item: dict[str, Any] = {**s.extra, "day": s.day, "text": s.text}
    if s.at is not None:
        item["at"] = s.at
    if s.after:
        item["after"] = s.after
    return item


def _habit_doc(log: HabitLog) -> dict[str, Any]:
    """A habit's table: its completions, counts, notes and skips, and the keys of a newer version."""
    entry: dict[str, Any] = {}
    if log.done:
        entry["since"], entry["done"] = _encode_years(log.done)
    if log.counts:
        entry["counts"] = {d.isoformat(): n for d, n in sorted(log.counts.items())}
    if log.notes:
        entry["notes"] = [{**n.extra, "day": n.day, "at": n.at, "text": n.text, "nth": n.nth} for n in log.notes]
    if log.skips:
        entry["skips"] = [_skip_doc(s) for s in log.skips]
    return {**log.extra, **entry}


def _reminder_doc(r: Reminder) -> dict[str, Any]:
    """A habit's reminder table; empty when there is nothing to keep."""
    item: dict[str, Any] = {}
    if r.handled:
        item["handled"] = r.handled
    if r.pending:
        item["pending"] = r.pending
        item["reason"] = r.reason
    if r.snooze:
        item["snooze"] = {"until": r.snooze.until, "day": r.snooze.day}
    if r.on_screen:
        item["on_screen"] = r.on_screen
        if r.on_screen_day:
            item["on_screen_day"] = r.on_screen_day
    return item


def to_doc(state: State) -> dict[str, Any]:
    """The state as a TOML document (dates and moments as TOML's own)."""
    doc: dict[str, Any] = {"version": SCHEMA_VERSION}
    doc["habits"] = {hid: _habit_doc(log) for hid, log in sorted(state.habits.items()) if not log.empty()}
    if state.pauses:
        doc["pauses"] = [{"habit": p.habit, "from": p.start, "until": p.until} for p in state.pauses]
    reminders = {hid: item for hid, r in sorted(state.reminders.items()) if (item := _reminder_doc(r))}
    if reminders:
        doc["reminders"] = reminders
    if state.prompts:
        doc["prompts"] = {hid: {"order": d.order, "next": d.next} for hid, d in sorted(state.prompts.items())}
    if state.sent_day:
        doc["sent"] = {"day": state.sent_day, "count": state.sent_count}
    return doc


class _Reader:
    """Typed access into a parsed document; every failure names its place."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> StateError:
        return StateError(f"{self.source}: {where}: {what}. {RECOVERY}")

    def get(
        self, table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None
    ) -> Any:
        if key not in table:
            if default is None:
                raise self.fail(f"{where}{key}", "missing")
            return default
        value = table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(f"{where}{key}", f"{value!r} has the wrong type")
        return value


def _plain_date(r: _Reader, value: Any, where: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise r.fail(where, f"{value!r} is not a date")
    return value


def _aware(r: _Reader, value: Any, where: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise r.fail(where, f"{value!r} is not a date-time with a UTC offset")
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise r.fail(where, f"{value.isoformat()} is not a moment from {_FIRST_YEAR} to {_LAST_YEAR}")
    return value


def _snooze(r: _Reader, value: Any, where: str) -> Snooze:
    if not isinstance(value, dict):
        raise r.fail(where, "is not a table")
    return Snooze(_aware(r, value.get("until"), where + ".until"), _plain_date(r, value.get("day"), where + ".day"))


def _count(r: _Reader, table: dict[str, Any], key: str, where: str, least: int, default: int) -> int:
    n: int = r.get(table, key, int, where, default)
    if n < least:
        raise r.fail(where + key, f"{n} is less than {least}")
    return n


def _extra(table: dict[str, Any], known: tuple[str, ...]) -> Mapping[str, Any]:
    extra = {k: v for k, v in table.items() if k not in known}
    return MappingProxyType(extra) if extra else NO_EXTRA


def _masks(r: _Reader, entry: dict[str, Any], where: str) -> dict[int, int]:
    """The ``since`` and ``done`` keys of a habit: year -> bitmask of days."""
    since = r.get(entry, "since", int, where)
    import binascii

    try:
        raw = binascii.a2b_base64(r.get(entry, "done", str, where), strict_mode=True)
        if not raw or len(raw) % _YEAR_BYTES:
            raise ValueError
    except ValueError:  # binascii.Error too
        raise r.fail(f"{where}done", "is not a mask of days (46 bytes a year, base64)") from None
    last = since + len(raw) // _YEAR_BYTES - 1
    if since < 1 or last > 9999:
        raise r.fail(f"{where}since", f"{since} puts the days of `done` outside the years 1 to 9999")
    done = {}
    for i in range(0, len(raw), _YEAR_BYTES):
        mask = int.from_bytes(raw[i : i + _YEAR_BYTES], "little")
        if mask:
            year = since + i // _YEAR_BYTES
            if mask >> (date(year, 12, 31).timetuple().tm_yday):
                raise r.fail(f"{where}done", f"marks day 366 of {year}, which has 365 days")
            done[year] = mask
    return done


def _table(r: _Reader, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise r.fail(where, "is not a table")
    return value


def _counts(r: _Reader, entry: dict[str, Any], where: str) -> dict[date, int]:
    """A habit's ``counts``: the days with two or more completions."""
    counts = {}
    for day_text, n in r.get(entry, "counts", dict, where, {}).items():
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise r.fail(f"{where}counts.{day_text}", "is not a date") from None
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise r.fail(f"{where}counts.{day_text}", f"{n!r} is not a count of 2 or more")
        counts[day] = n
    return counts


def _note(r: _Reader, value: Any, w: str) -> Note:
    item = _table(r, value, w)
    return Note(
        _plain_date(r, item.get("day"), w + ".day"),
        _aware(r, item.get("at"), w + ".at"),
        r.get(item, "text", str, w + "."),
        _count(r, item, "nth", w + ".", 0, 1),
        _extra(item, ("day", "at", "text", "nth")),
    )


def _skip(r: _Reader, value: Any, w: str) -> Skip:
    item = _table(r, value, w)
    return Skip(
        _plain_date(r, item.get("day"), w + ".day"),
        r.get(item, "text", str, w + ".", ""),
        _aware(r, item["at"], w + ".at") if "at" in item else None,
        _count(r, item, "after", w + ".", 0, 0),
        _extra(item, ("day", "text", "at", "after")),
    )


def _habit_log(r: _Reader, value: Any, where: str) -> HabitLog:
    """A habit's table; ``where``: ``habits.ID.``."""
    entry = _table(r, value, where[:-1])
    log = HabitLog()
    if "done" in entry:
        log.done = _masks(r, entry, where)
    log.extra = dict(_extra(entry, ("since", "done", "counts", "notes", "skips")))
    log.counts = _counts(r, entry, where)
    log.notes = [_note(r, item, f"{where}notes[{i}]") for i, item in enumerate(r.get(entry, "notes", list, where, []))]
    log.skips = [_skip(r, item, f"{where}skips[{i}]") for i, item in enumerate(r.get(entry, "skips", list, where, []))]
    return log


def _pause(r: _Reader, value: Any, w: str) -> Pause:
    item = _table(r, value, w)
    return Pause(
        r.get(item, "habit", str, w + "."),
        _plain_date(r, item.get("from"), w + ".from"),
        _plain_date(r, item.get("until"), w + ".until"),
    )


def _reminder(r: _Reader, value: Any, w: str) -> Reminder:
    item = _table(r, value, w)
    return Reminder(
        _aware(r, item["handled"], w + ".handled") if "handled" in item else None,
        _aware(r, item["pending"], w + ".pending") if "pending" in item else None,
        r.get(item, "reason", str, w + ".", ""),
        _snooze(r, item["snooze"], w + ".snooze") if "snooze" in item else None,
        r.get(item, "on_screen", str, w + ".", ""),
        _plain_date(r, item["on_screen_day"], w + ".on_screen_day") if "on_screen_day" in item else None,
    )


def _deck(r: _Reader, value: Any, w: str) -> PromptDeck:
    item = _table(r, value, w)
    order = r.get(item, "order", list, w + ".")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in order):
        raise r.fail(w + ".order", "is not a list of numbers")
    return PromptDeck(order, r.get(item, "next", int, w + "."))


def from_doc(doc: dict[str, Any], source: str) -> State:
    """The state a TOML document holds; a StateError naming the place of the first thing wrong in it."""
    r = _Reader(source)
    if not doc:
        return State()
    version = r.get(doc, "version", int, "")
    if version != SCHEMA_VERSION:
        raise r.fail("version", f"schema version {version} is not the {SCHEMA_VERSION} this habitd reads")
    known = {"version", "habits", "pauses", "reminders", "prompts", "sent"}
    for key in doc:
        if key not in known:
            raise r.fail(key, "unknown key")
    state = State()
    for hid, entry in r.get(doc, "habits", dict, "", {}).items():
        state.habits[hid] = _habit_log(r, entry, f"habits.{hid}.")
    state.pauses = [_pause(r, item, f"pauses[{i}]") for i, item in enumerate(r.get(doc, "pauses", list, "", []))]
    for hid, item in r.get(doc, "reminders", dict, "", {}).items():
        state.reminders[hid] = _reminder(r, item, f"reminders.{hid}")
    for hid, item in r.get(doc, "prompts", dict, "", {}).items():
        state.prompts[hid] = _deck(r, item, f"prompts.{hid}")
    sent = r.get(doc, "sent", dict, "", {})
    if sent:
        state.sent_day = _plain_date(r, sent.get("day"), "sent.day")
        state.sent_count = r.get(sent, "count", int, "sent.")
    return state
