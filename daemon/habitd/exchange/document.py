"""The export format: your history as a documented, versioned JSON or CSV document.

``export_doc`` turns the state into a plain document; ``parse_export`` reads
one back into a ``State`` that ``merge.merge_state`` adds to the current one.
No file I/O here (see history/files.py) and no Click.

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
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from habitd.errors import UsageError
from habitd.habits.clock import month_days
from habitd.habits.config import is_id
from habitd.habits.state import ALL, NO_EXTRA, HabitLog, Note, Pause, Skip, State
from habitd.history.events import PRIVATE, is_private

FORMAT = "habitd-export"
FORMAT_VERSION = 2  # 2: a CSV text cell that a spreadsheet would run as a formula starts with '
CSV_COLUMNS = ("kind", "habit", "date", "until", "count", "written", "text")  # what every version reads
CSV_BY = "by"  # the column after them: who (added to version 1; older readers ignore it)
CSV_PRIVATE = "private"  # the next one: "private" on a private note's line (added to version 1 too)
_PRIVATE_NOTE = MappingProxyType({PRIVATE: True})
MAX_COUNT = 1000


def _by(name: str) -> dict[str, str]:
    return {"by": name} if name else {}


@functools.cache
def _day_tails(leap: bool) -> list[str]:
    """"-MM-DD" of each day of a year, in order: what follows the year in an ISO date."""
    first = date(2000 if leap else 2001, 1, 1).toordinal()
    return [date.fromordinal(first + i).isoformat()[4:] for i in range(366 if leap else 365)]


def _iso_days(done: dict[int, int]) -> list[str]:
    """The days of day masks (``HabitLog.done``) as ISO dates, in order: ``HabitLog.days()``'s,
    written from the masks' bits without a date object each (the bulk of a long history)."""
    out: list[str] = []
    for year in sorted(done):
        mask = done[year]
        tails = _day_tails(month_days(year, 2) == 29)
        if mask >> len(tails):  # a bit past the year's end: what days() makes of it
            out += [d.isoformat() for d in _days_of(year, mask)]
            continue
        prefix = f"{year:04d}"
        out += [prefix + tails[i] for i, bit in enumerate(bin(mask)[:1:-1]) if bit == "1"]
    return out


def _days_of(year: int, mask: int) -> list[date]:
    log = HabitLog()
    log.done = {year: mask}
    return log.days()


def _completions(log: HabitLog) -> list[dict[str, Any]]:
    counts = {d.isoformat(): n for d, n in log.counts.items()}
    if not log.people:  # no names: the bulk of a long history, kept lean
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


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula (or with the quote itself)
    gets a leading ``'``, the usual guard, which reading the file back takes off again."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def to_csv(doc: dict[str, Any]) -> str:
    import csv

    out = io.StringIO()
    w = csv.writer(out)  # RFC 4180: CRLF line ends, so a CR inside a note is quoted
    w.writerow([*CSV_COLUMNS, CSV_BY, CSV_PRIVATE])
    w.writerow(["version", "", "", "", doc["version"], "", doc["format"], "", ""])
    for hid, entry in doc["habits"].items():
        for c in entry["completions"]:
            by = "\n".join(n or "" for n in c["by"]) if "by" in c else ""
            w.writerow(["done", hid, c["date"], "", c["count"], "", "", _cell(by), ""])
        for s in entry["skips"]:
            by = _cell(s.get("by", ""))
            w.writerow(["skip", hid, s["date"], "", s["after"], s["written"] or "", _cell(s["note"]), by, ""])
        for n in entry.get("notes", []):
            private = CSV_PRIVATE if n.get("private") else ""
            by = _cell(n.get("by", ""))
            w.writerow(["note", hid, n["date"], "", n["nth"], n["written"], _cell(n["text"]), by, private])
    for p in doc["pauses"]:
        w.writerow(["pause", p["habit"], p["from"], p["until"], "", "", "", _cell(p.get("by", "")), ""])
    return out.getvalue()


# --- reading an export back ------------------------------------------------------


class _Reader:
    """Builds a State from the document's items; every failure names the file and the place."""

    def __init__(self, source: str, today: date) -> None:
        self.source, self.today = source, today
        self.state = State()
        self._jan1: dict[int, int] = {}
        self._named: dict[tuple[str, date], list[str]] = {}  # days with names: who did each completion

    def fail(self, where: str, what: str) -> UsageError:
        return UsageError(f"{self.source}: {where}: {what}; nothing was imported")

    def habit_id(self, value: Any, where: str, pause: bool = False) -> str:
        if isinstance(value, str) and (is_id(value) or (pause and value == ALL)):
            return value
        raise self.fail(where, f"{value!r} is not a habit id")

    def day(self, value: Any, where: str, past: bool = True) -> date:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise self.fail(where, f"{value!r} is not a date (YYYY-MM-DD)")
        if past and day > self.today:
            raise self.fail(where, f"{day} is in the future")
        return day

    def count(self, value: Any, where: str, lo: int = 1) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= MAX_COUNT:
            raise self.fail(where, f"{value!r} is not a count ({lo}..{MAX_COUNT})")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"{value!r} is not text")
        return value

    def name(self, value: Any, where: str) -> str:
        """Who recorded something (``by``): a one-line name, or none (null or empty)."""
        if value is None:
            return ""
        if not isinstance(value, str) or "\n" in value or "\r" in value:
            raise self.fail(where, f"{value!r} is not a name")
        return value

    def names(self, value: Any, n: int, where: str) -> list[str] | None:
        """The names of a day's ``n`` completions, in order (None: no names given)."""
        if value is None or value == "":
            return None
        if isinstance(value, str):  # CSV: one name a line
            value = value.split("\n")
        if not isinstance(value, list) or len(value) != n:
            raise self.fail(where, f"{value!r} is not a list of the {n} completion(s)' names")
        found = [self.name(v, where) for v in value]
        return found if any(found) else None

    def maybe_moment(self, value: Any, where: str) -> datetime | None:
        return None if value in (None, "") else self.moment(value, where)

    def moment(self, value: Any, where: str) -> datetime:
        try:
            m = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            m = None
        if m is None or m.tzinfo is None:
            raise self.fail(where, f"{value!r} is not a date-time with a UTC offset")
        return m

    def done(self, hid: str, day: date, n: int, by: list[str] | None = None) -> None:
        """``n`` completions on ``day``, by whom if ``by`` (a day given twice keeps the larger count)."""
        if by is not None and len(by) > len(self._named.get((hid, day), [])):
            self._named[hid, day] = by
        log = self.state.log(hid)
        year = day.year
        if year not in self._jan1:
            self._jan1[year] = date(year, 1, 1).toordinal()
        log.done[year] = log.done.get(year, 0) | 1 << (day.toordinal() - self._jan1[year])
        if n > 1 and n > log.counts.get(day, 0):
            log.counts[day] = n

    def skip(self, hid: str, day: date, text: str, at: datetime | None = None, after: int = 0, by: str = "") -> None:
        log = self.state.log(hid)
        if all(s.day != day or s.by != by for s in log.skips):
            log.skips.append(Skip(day, text, at, after, by=by))

    def note(self, hid: str, day: date, at: datetime, text: str, nth: int, by: str = "", private: bool = False) -> None:
        """A note; ``private``: kept on this machine only, as it was where it was exported."""
        self.state.log(hid).notes.append(Note(day, at, text, nth, _PRIVATE_NOTE if private else NO_EXTRA, by=by))

    def private(self, value: Any, where: str) -> bool:
        if value is None or isinstance(value, bool):
            return bool(value)
        raise self.fail(where, f"{value!r} is not true or false")

    def pause(self, hid: str, start: date, until: date, where: str, by: str = "") -> None:
        if until < start:
            raise self.fail(where, f"ends ({until}) before it starts ({start})")
        self.state.pauses.append(Pause(hid, start, until, by))

    def finish(self) -> State:
        """The state read, with who did each completion of the days that name them."""
        for (hid, day), by in self._named.items():
            log = self.state.habits[hid]
            n = log.counts.get(day, 1)
            names = by + [""] * (n - len(by)) if n > len(by) else by  # a larger count given without names
            bit = 1 << (day.toordinal() - self._jan1[day.year])
            distinct = set(names)
            for name in distinct:
                if name:  # that person's own completions, in the log's encoding
                    person = log.people.get(name)
                    if person is None:
                        person = log.people[name] = HabitLog()
                    person.done[day.year] = person.done.get(day.year, 0) | bit
                    k = names.count(name)
                    if k > 1:
                        person.counts[day] = k
            if len(distinct) > 1:
                log.mixed[day] = tuple(names)
        return self.state


def _check_version(r: _Reader, fmt: Any, version: Any) -> int:
    if fmt != FORMAT:
        raise r.fail("format", "this is not a habitd export (no habitd-export format marker)")
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise r.fail("version", f"{version!r} is not a format version")
    if version > FORMAT_VERSION:
        raise UsageError(
            f"{r.source} was written by a newer habitd (export format {version}); this one reads"
            f" format {FORMAT_VERSION}. Update habitd, then import it again. Nothing was imported."
        )
    return version


def _items(r: _Reader, table: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise r.fail(f"{where}{key}", "is not a list of objects")
    return value


def _from_json(r: _Reader, text: str) -> State:
    import json

    from habitd.limits import LimitError, json_loads

    try:
        doc = json_loads(text)
    except json.JSONDecodeError as e:
        raise r.fail(f"line {e.lineno}", f"not valid JSON ({e.msg})") from None
    except LimitError as e:
        raise r.fail("the document", str(e)) from None
    if not isinstance(doc, dict):
        raise r.fail("top", "this is not a habitd export (not a JSON object)")
    _check_version(r, doc.get("format"), doc.get("version"))
    habits = doc.get("habits", {})
    if not isinstance(habits, dict):
        raise r.fail("habits", "is not an object")
    for hid, entry in habits.items():
        w = f"habits.{hid}."
        hid = r.habit_id(hid, f"habits.{hid}")
        if not isinstance(entry, dict):
            raise r.fail(w[:-1], "is not an object")
        for i, c in enumerate(_items(r, entry, "completions", w)):
            at = f"{w}completions[{i}]"
            count = r.count(c.get("count", 1), at + ".count")
            r.done(hid, r.day(c.get("date"), at + ".date"), count, r.names(c.get("by"), count, at + ".by"))
        for i, s in enumerate(_items(r, entry, "skips", w)):
            at = f"{w}skips[{i}]"
            r.skip(
                hid,
                r.day(s.get("date"), at + ".date"),
                r.text(s.get("note", ""), at + ".note"),
                r.maybe_moment(s.get("written"), at + ".written"),
                r.count(s.get("after", 0), at + ".after", lo=0),
                r.name(s.get("by"), at + ".by"),
            )
        for i, n in enumerate(_items(r, entry, "notes", w)):
            at = f"{w}notes[{i}]"
            r.note(
                hid,
                r.day(n.get("date"), at + ".date"),
                r.moment(n.get("written"), at + ".written"),
                r.text(n.get("text"), at + ".text"),
                r.count(n.get("nth", 1), at + ".nth", lo=0),
                r.name(n.get("by"), at + ".by"),
                r.private(n.get("private"), at + ".private"),
            )
    for i, p in enumerate(_items(r, doc, "pauses", "")):
        at = f"pauses[{i}]"
        r.pause(
            r.habit_id(p.get("habit"), at + ".habit", pause=True),
            r.day(p.get("from"), at + ".from", past=False),
            r.day(p.get("until"), at + ".until", past=False),
            at,
            r.name(p.get("by"), at + ".by"),
        )
    return r.finish()


def _from_csv(r: _Reader, text: str) -> State:
    import csv

    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows, None)
        if header is None or tuple(header[: len(CSV_COLUMNS)]) != CSV_COLUMNS:
            raise r.fail("line 1", f"this is not a habitd export (the header is not {','.join(CSV_COLUMNS)})")
        first = next(rows, None)
        if not first or first[0] != "version" or len(first) < len(CSV_COLUMNS):
            raise r.fail("line 2", "this is not a habitd export (no version line)")
        guarded = _check_version(r, first[6], first[4]) >= 2  # text cells that start with ' are guarded
        for row in rows:
            line = f"line {rows.line_num}"
            if not any(row):
                continue
            if len(row) < len(CSV_COLUMNS):
                raise r.fail(line, f"has {len(row)} fields, not {len(CSV_COLUMNS)}")
            kind, hid, day, until, count, written, note = row[: len(CSV_COLUMNS)]
            by = row[len(CSV_COLUMNS)] if len(row) > len(CSV_COLUMNS) else ""
            if guarded:
                note, by = _uncell(note), _uncell(by)
            private = row[len(CSV_COLUMNS) + 1] if len(row) > len(CSV_COLUMNS) + 1 else ""
            if private not in ("", CSV_PRIVATE):
                raise r.fail(line, f"{CSV_PRIVATE}: {private!r} is not {CSV_PRIVATE!r} nor empty")
            if kind == "done":
                n = r.count(count, line)
                r.done(r.habit_id(hid, line), r.day(day, line), n, r.names(by, n, line))
            elif kind == "skip":
                r.skip(
                    r.habit_id(hid, line),
                    r.day(day, line),
                    note,
                    r.maybe_moment(written, line),
                    r.count(count or 0, line, lo=0),
                    r.name(by, line),
                )
            elif kind == "note":
                nth = r.count(count, line, lo=0)
                r.note(
                    r.habit_id(hid, line), r.day(day, line), r.moment(written, line), note, nth, r.name(by, line),
                    private == CSV_PRIVATE,
                )  # fmt: skip
            elif kind == "pause":
                start, end = r.day(day, line, False), r.day(until, line, False)
                r.pause(r.habit_id(hid, line, pause=True), start, end, line, r.name(by, line))
            else:
                raise r.fail(line, f"{kind!r} is not a kind of line (done, skip, note, pause)")
    except csv.Error as e:
        raise r.fail(f"line {rows.line_num}", f"not valid CSV ({e})") from None
    return r.finish()


def parse_export(text: str, source: str, today: date) -> State:
    """An export (JSON or CSV, told apart by its first character) as a State to merge."""
    r = _Reader(source, today)
    if text.lstrip().startswith("{"):
        return _from_json(r, text)
    return _from_csv(r, text)
