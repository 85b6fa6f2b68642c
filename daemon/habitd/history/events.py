"""Events: every change to the history as one record, its TOML table, and the merge of logs.

Each device appends its events to files of its own, so no file ever has two
writers; the history is the union of every device's events, ordered by their
stamps (see ``hlc.py``). An event that takes something back names the ids it
removes (``undoes``), so it can only remove what its writer had seen: a
partner's completion made meanwhile survives it (add-wins).

    [[event]]
    id = "1764270060000-0-3f9a2c1e5b"    # stamp: wall ms, counter, device
    kind = "done"
    habit = "date-night"
    day = 2026-11-27                     # the local day it is for
    at = 2026-11-27T20:01:00+01:00       # when it was written
    by = "Sam"                           # optional: who, as that device names its person

Kinds and their own fields:

    done                                 a completion
    undo, unskip, note-delete  undoes    take the named events back
    skip                       text?, after?, dated?   the period holding ``day`` is skipped
                                         (after: completions of its day before it; dated = false:
                                         a skip from before habitd kept the moment, ``at`` aside)
    note                       text, of? a note (``of``: the completion it belongs to)
    note-edit                  text, of  new text for the note ``of``
    pause                      until     ``habit`` ("*": every habit) paused day..until
    resume                     undoes    the named pauses end the day before ``day``
    prompt                     order, next   the habit's deck of prompts after a deal
    keep                       (any)     keys a newer habitd kept in a habit's own table

Any event may carry ``moved``: the name of the state file it was moved from.
A note (and its edits) with ``private = true`` is kept in this machine's own
files, outside the shared folder; so is a ``note-delete`` of such a note.

Keys this version does not know are kept as they are (``extra``) and an event
of an unknown kind is kept and ignored: a newer habitd's events survive here.
No file I/O here: the log's files are ``eventlog.py``'s and ``logformat.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from habitd.history.hlc import AHEAD_MS, Stamp, parse_id
from habitd.limits import name_problem
from habitd.records import Record

DONE, UNDO, SKIP, UNSKIP = "done", "undo", "skip", "unskip"
NOTE, NOTE_EDIT, NOTE_DELETE = "note", "note-edit", "note-delete"
PAUSE, RESUME, PROMPT, KEEP = "pause", "resume", "prompt", "keep"
PRIVATE = "private"  # a note's key: kept on this machine only
TAKE_BACK = frozenset({UNDO, UNSKIP, NOTE_DELETE})  # kinds that remove the events they name
KINDS = (DONE, UNDO, SKIP, UNSKIP, NOTE, NOTE_EDIT, NOTE_DELETE, PAUSE, RESUME, PROMPT, KEEP)
_KNOWN_KEYS = (
    "id", "kind", "habit", "day", "at", "by", "text", "of", "undoes", "until", "order", "next", "after", "dated",
    "moved",
)  # fmt: skip


class Event(Record):
    stamp: Stamp  # its id
    kind: str
    habit: str  # a habit id; "*" for a pause of every habit
    day: date  # the local day it is for
    at: datetime  # when it was written, with its UTC offset
    by: str = ""
    text: str = ""
    of: Stamp | None = None
    undoes: tuple[Stamp, ...] = ()
    until: date | None = None
    order: tuple[int, ...] = ()
    next: int = 0
    extra: tuple[tuple[str, Any], ...] = ()  # keys of a newer habitd (or of the note, skip, habit), as read
    after: int = 0
    dated: bool = True
    moved: str = ""

    @property
    def id(self) -> str:
        return str(self.stamp)


def is_private(extra: Mapping[str, Any]) -> bool:
    """Whether a note with these keys (``Note.extra``, an event's extra) is kept on this machine only."""
    return extra.get(PRIVATE) is True


def merge(*sources: Iterable[Event]) -> list[Event]:
    """The union of the sources by event id, in stamp order.

    One id means one event; should two copies of an id differ (a hand edit),
    the same one is kept whatever order the sources came in.
    """
    by_id: dict[Stamp, Event] = {}
    for source in sources:
        for event in source:
            held = by_id.get(event.stamp)
            if held is None or (held != event and repr(event) < repr(held)):
                by_id[event.stamp] = event
    return [by_id[s] for s in sorted(by_id)]


def latest(events: Iterable[Event], now_ms: int | None = None) -> Stamp | None:
    """The greatest stamp among the events; with ``now_ms``, among those the next stamp follows
    (not more than a day ahead of it: see ``hlc.AHEAD_MS``)."""
    if now_ms is None:
        return max((e.stamp for e in events), default=None)
    return max((e.stamp for e in events if e.stamp.ms <= now_ms + AHEAD_MS), default=None)  # own: see LogWriter


# --- the TOML table of an event -------------------------------------------


def to_table(event: Event) -> dict[str, Any]:
    """The event as a TOML table, its keys in a reading order."""
    table: dict[str, Any] = {
        "id": event.id,
        "kind": event.kind,
        "habit": event.habit,
        "day": event.day,
        "at": event.at,
    }
    if event.by:
        table["by"] = event.by
    if event.text or event.kind in (NOTE, NOTE_EDIT):
        table["text"] = event.text
    if event.of is not None:
        table["of"] = str(event.of)
    if event.undoes:
        table["undoes"] = [str(s) for s in event.undoes]
    if event.until is not None:
        table["until"] = event.until
    if event.kind == PROMPT:
        table["order"] = list(event.order)
        table["next"] = event.next
    if event.after:
        table["after"] = event.after
    if not event.dated:
        table["dated"] = False
    if event.moved:
        table["moved"] = event.moved
    for key, value in event.extra:
        table.setdefault(key, value)
    return table


class BadEvent(ValueError):
    """An event table that is not a valid event; the message says which key and why."""


def _plain_date(table: dict[str, Any], key: str) -> date:
    value = table.get(key)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise BadEvent(f"{key}: {value!r} is not a date" if key in table else f"{key}: missing")
    return value


def _stamp(value: Any, key: str) -> Stamp:
    stamp = parse_id(value) if isinstance(value, str) else None
    if stamp is None:
        raise BadEvent(f"{key}: {value!r} is not an event id")
    return stamp


def _by(table: dict[str, Any]) -> str:
    """Who (a person's name, or "": nobody in particular): a name habitd itself would write."""
    by = _text(table, "by")
    problem = name_problem(by) if by else None
    if problem is not None:
        raise BadEvent(f"by: {by[:60]!r} {problem}")
    return by


def _text(table: dict[str, Any], key: str, required: bool = False) -> str:
    if key not in table:
        if required:
            raise BadEvent(f"{key}: missing")
        return ""
    value = table[key]
    if not isinstance(value, str):
        raise BadEvent(f"{key}: {value!r} is not text")
    return value


def _is_int(value: object) -> bool:
    """An integer, and not a bool (which TOML keeps apart, and Python does not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def from_table(table: Any, device: str) -> Event:
    """The event of a TOML table read from ``device``'s files; BadEvent says what is wrong."""
    if not isinstance(table, dict):
        raise BadEvent("is not a table")
    stamp = _stamp(table.get("id"), "id")
    if stamp.device != device:
        raise BadEvent(f"id: {stamp} belongs to device {stamp.device}, not to {device} whose file this is")
    kind = _text(table, "kind", required=True)
    habit = _text(table, "habit", required=True)
    if not habit:
        raise BadEvent("habit: empty")
    day = _plain_date(table, "day")
    at = table.get("at")
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise BadEvent(f"at: {at!r} is not a date-time with a UTC offset" if "at" in table else "at: missing")
    undoes_raw = table.get("undoes", [])
    if not isinstance(undoes_raw, list):
        raise BadEvent(f"undoes: {undoes_raw!r} is not a list of event ids")
    undoes = tuple(_stamp(v, "undoes") for v in undoes_raw)
    of = _stamp(table["of"], "of") if "of" in table else None
    until = _plain_date(table, "until") if "until" in table else None
    order_raw = table.get("order", [])  # a deck that does not fit the habit's prompts is dealt anew
    if not isinstance(order_raw, list) or not all(_is_int(i) for i in order_raw):
        raise BadEvent(f"order: {order_raw!r} is not a list of prompt numbers")
    nxt = table.get("next", 0)
    if not _is_int(nxt):
        raise BadEvent(f"next: {nxt!r} is not a number")
    after = table.get("after", 0)
    if not _is_int(after) or after < 0:
        raise BadEvent(f"after: {after!r} is not a count")
    dated = table.get("dated", True)
    if not isinstance(dated, bool):
        raise BadEvent(f"dated: {dated!r} is not true or false")
    event = Event(
        stamp, kind, habit, day, at, _by(table), _text(table, "text"), of, undoes, until,
        tuple(order_raw), nxt,
        tuple(sorted((k, v) for k, v in table.items() if k not in _KNOWN_KEYS)),
        after, dated, _text(table, "moved"),
    )  # fmt: skip
    _check_kind(event, table)
    return event


def _check_kind(event: Event, table: dict[str, Any]) -> None:
    kind = event.kind
    if kind in (NOTE, NOTE_EDIT) and "text" not in table:
        raise BadEvent("text: missing")
    if kind == NOTE_EDIT and event.of is None:
        raise BadEvent("of: missing (the note it edits)")
    if (kind in TAKE_BACK or kind == RESUME) and not event.undoes:
        raise BadEvent("undoes: missing (the events it takes back)")
    if kind == PAUSE:
        if event.until is None:
            raise BadEvent("until: missing")
        if event.until < event.day:
            raise BadEvent(f"until: {event.until} is before its day {event.day}")
