"""The export format: your history as a documented, versioned JSON or CSV document.

``export_doc`` turns the state into a plain document; ``parse_export`` reads
one back into a ``State`` that ``merge.merge_state`` adds to the current one.
No file I/O here (see history/files/) and no Click.

JSON, format version 2 (fields are only ever added; a new meaning gets a new version; version 2
changed only CSV's text cells, see below; both versions are read)::

    {"format": "habitd-export", "version": 2, "exported": "2026-11-25T12:00:00+01:00",
     "timezone": "Europe/Berlin", "notes_included": false,
     "habits": {"thanks": {"completions": [{"date": "2026-11-24", "count": 2, "by": ["Sam", "Alex"]}],
                           "skips": [{"date": "2026-11-20", "note": "", "written": "...", "after": 0, "by": "Sam"}],
                           "notes": [{"date": "2026-11-24", "written": "...", "text": "...", "nth": 1,
                                      "by": "Sam"}]}},
     "pauses": [{"habit": "*", "from": "2026-08-01", "until": "2026-08-14", "by": "Alex"}]}

CSV, the same content one event a line, with the header
``kind,habit,date,until,count,written,text,by``; the first line after it is
``version,,,,2,,habitd-export,``, then ``done``, ``skip``, ``note`` and ``pause`` lines.
A text or ``by`` cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a CR or ``'``
starts with one more ``'`` (so a spreadsheet shows it as text, never runs it), taken off
again on import; a version 1 file's cells are read as they are.
A note's ``nth`` is the completion of its day it belongs to (0: the day's own
note); a skip's ``written`` is when it was recorded (null if unknown) and
``after`` how many of its day's completions came before it.

Who did what (``[settings] name``) travels along as ``by``, only where a name was
recorded: a completion's is the names of its day's completions in order (null for
one without a name; in CSV one name a line inside the field), a skip's, note's or
pause's the name of who recorded it. A reader that knows no ``by`` reads the rest.

A private note (kept on its machine only, never in the shared folder) says so with
``"private": true``; in CSV a ninth column, ``private``, holds ``private`` on its line.
Importing it keeps it private: it goes to this machine's private notes.
"""

from __future__ import annotations

import functools
import io
import itertools
from datetime import date, datetime
from typing import Any

from habitd.exchange.exportformat import CSV_BY, CSV_COLUMNS, CSV_PRIVATE, FORMAT, FORMAT_VERSION, guard_cell
from habitd.exchange.reader import parse_export as parse_export  # read back where it is written
from habitd.exchange.reader import read_export as read_export
from habitd.habits.clock import month_days
from habitd.habits.state import HabitLog, State
from habitd.history.events import is_private


def _by(name: str) -> dict[str, str]:
    return {"by": name} if name else {}


@functools.cache
def _day_tails(leap: bool) -> list[str]:
    """"-MM-DD" of each day of a year, in order: what follows the year in an ISO date."""
    first = date(2000 if leap else 2001, 1, 1).toordinal()
    return [date.fromordinal(first + i).isoformat()[4:] for i in range(366 if leap else 365)]


@functools.cache
def _year_days(year: int) -> list[str]:
    """Each day of a year as an ISO date, in order."""
    prefix = f"{year:04d}"
    return [prefix + tail for tail in _day_tails(month_days(year, 2) == 29)]


_BITS = str.maketrans("01", "\0\1")  # a mask's binary digits as the bytes 0 and 1, for itertools.compress


def _iso_days(done: dict[int, int]) -> list[str]:
    """The days of day masks (``HabitLog.done``) as ISO dates, in order: ``HabitLog.days()``'s,
    written from the masks' bits without a date object each (the bulk of a long history)."""
    out: list[str] = []
    for year in sorted(done):
        mask = done[year]
        days = _year_days(year)
        if mask >> len(days):  # a bit past the year's end (or a negative mask): what days() makes of it
            out += [d.isoformat() for d in _days_of(year, mask)]
            continue
        out += itertools.compress(days, bin(mask)[:1:-1].translate(_BITS).encode())
    return out


def _days_of(year: int, mask: int) -> list[date]:
    log = HabitLog()
    log.done = {year: mask}
    return log.days()


def _completions(log: HabitLog) -> list[dict[str, Any]]:
    counts = {d.isoformat(): n for d, n in log.counts.items()}
    if not log.people:  # no names: the bulk of a long history, kept lean
        if not counts:  # once a day each
            return [{"date": d, "count": 1} for d in _iso_days(log.done)]
        return [{"date": d, "count": counts.get(d, 1)} for d in _iso_days(log.done)]
    whose = {d: name for name, person in log.people.items() for d in _iso_days(person.done)}  # done by one person
    mixed = {d.isoformat(): names for d, names in log.mixed.items()}
    out: list[dict[str, Any]] = []
    for d in _iso_days(log.done):
        n = counts.get(d, 1)
        item: dict[str, Any] = {"date": d, "count": n}
        if d in mixed:
            item["by"] = [name or None for name in mixed[d]]
        elif d in whose:
            item["by"] = [whose[d]] * n
        out.append(item)
    return out


def export_doc(state: State, timezone: str, moment: datetime, notes: bool) -> dict[str, Any]:
    """Every habit's history as a plain document (notes and skip reasons only if ``notes``).

    All of it, whoever recorded it: a shared history is the couple's, and each item says
    who (``by``), so that importing it gives each person their own part back.
    """
    habits: dict[str, Any] = {}
    for hid, log in sorted(state.habits.items()):
        entry: dict[str, Any] = {
            "completions": _completions(log),
            "skips": [
                {
                    "date": s.day.isoformat(),
                    "note": s.text if notes else "",
                    "written": s.at.isoformat() if s.at else None,
                    "after": s.after,
                    **_by(s.by),
                }
                for s in log.skips
            ],
        }
        if notes:
            entry["notes"] = [
                {
                    "date": n.day.isoformat(),
                    "written": n.at.isoformat(),
                    "text": n.text,
                    "nth": n.nth,
                    **_by(n.by),
                    **({"private": True} if is_private(n.extra) else {}),
                }
                for n in log.notes
            ]
        if entry["completions"] or entry["skips"] or entry.get("notes"):
            habits[hid] = entry
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported": moment.isoformat(timespec="seconds"),
        "timezone": timezone,
        "notes_included": notes,
        "habits": habits,
        "pauses": [
            {"habit": p.habit, "from": p.start.isoformat(), "until": p.until.isoformat(), **_by(p.by)}
            for p in state.pauses
        ],
    }


def to_json(doc: dict[str, Any]) -> str:
    """Indented JSON with one completion (any table of plain values) a line.

    json.dumps(indent=...) runs the pure-Python encoder; this keeps the C one
    for the small tables, about twice as fast on ten years of history.
    """
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode

    def completions(items: list[dict[str, Any]], depth: int) -> str:
        # The bulk of a long history: ISO dates and numbers need no escaping, so no encoder call.
        pad, end = " " * (depth + 1), "\n" + " " * depth
        lines = [
            f'{pad}{{"date": "{c["date"]}", "count": {c["count"]:d}}}' if "by" not in c else pad + encode(c)
            for c in items
        ]
        return "[\n" + ",\n".join(lines) + end + "]"

    def pretty(value: Any, depth: int) -> str:
        pad, end = " " * (depth + 1), "\n" + " " * depth
        if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
            items = [
                f"{pad}{encode(k)}: {completions(v, depth + 1) if k == 'completions' and v else pretty(v, depth + 1)}"
                for k, v in value.items()
            ]
            return "{\n" + ",\n".join(items) + end + "}"
        if isinstance(value, list) and value:
            return "[\n" + ",\n".join(pad + pretty(v, depth + 1) for v in value) + end + "]"
        return encode(value)

    return pretty(doc, 0) + "\n"


def to_csv(doc: dict[str, Any]) -> str:
    import csv

    out = io.StringIO()
    w = csv.writer(out)  # RFC 4180: CRLF line ends, so a CR inside a note is quoted
    w.writerow([*CSV_COLUMNS, CSV_BY, CSV_PRIVATE])
    w.writerow(["version", "", "", "", doc["version"], "", doc["format"], "", ""])
    for hid, entry in doc["habits"].items():
        for c in entry["completions"]:
            by = "\n".join(n or "" for n in c["by"]) if "by" in c else ""
            w.writerow(["done", hid, c["date"], "", c["count"], "", "", guard_cell(by), ""])
        for s in entry["skips"]:
            by = guard_cell(s.get("by", ""))
            w.writerow(["skip", hid, s["date"], "", s["after"], s["written"] or "", guard_cell(s["note"]), by, ""])
        for n in entry.get("notes", []):
            private = CSV_PRIVATE if n.get("private") else ""
            by = guard_cell(n.get("by", ""))
            w.writerow(["note", hid, n["date"], "", n["nth"], n["written"], guard_cell(n["text"]), by, private])
    for p in doc["pauses"]:
        w.writerow(["pause", p["habit"], p["from"], p["until"], "", "", "", guard_cell(p.get("by", "")), ""])
    return out.getvalue()


