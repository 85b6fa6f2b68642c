"""Reading an export back (JSON or CSV) into a ``State`` to merge; every failure names the file and the place."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from habitd.errors import UsageError
from habitd.exchange.exportformat import (
    CSV_COLUMNS,
    CSV_PRIVATE,
    FORMAT,
    FORMAT_VERSION,
    MAX_COUNT,
    PRIVATE_NOTE,
    unguard_cell,
)
from habitd.habits.config import is_id
from habitd.habits.state import ALL, NO_EXTRA, HabitLog, Note, Pause, Skip, State
from habitd.limits import MAX_NAME, name_problem


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
        if not isinstance(value, str) or name_problem(value) is not None:
            raise self.fail(where, f"{value!r} is not a name (one line, at most {MAX_NAME} characters)")
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
        self.state.log(hid).notes.append(Note(day, at, text, nth, PRIVATE_NOTE if private else NO_EXTRA, by=by))

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


def _from_csv(r: _Reader, lines: Iterable[str]) -> State:
    """Row by row, as the lines come: a large file is never held whole."""
    import csv

    rows = csv.reader(lines)
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
                note, by = unguard_cell(note), unguard_cell(by)
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
    return _from_csv(r, io.StringIO(text, newline=""))


def read_export(lines: Iterator[bytes], source: str, today: date) -> State:
    """An export as its file's lines come (bytes, each with its line end), as a State to merge.

    A CSV is decoded and read row by row, so a bad row ends the import before anything after it
    is read; a JSON document (told by its first character that is not white space) is read whole,
    its size bounded before the file was opened."""
    r = _Reader(source, today)
    start: list[bytes] = []
    for raw in lines:
        start.append(raw)
        if raw.strip():
            break
    if b"".join(start).lstrip().startswith(b"{"):
        data = b"".join(itertools.chain(start, lines))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise r.fail(f"line {line}", "not UTF-8 text") from None
        return _from_json(r, text)
    return _from_csv(r, _decoded(r, itertools.chain(start, lines)))


def _decoded(r: _Reader, lines: Iterable[bytes]) -> Iterator[str]:
    for n, raw in enumerate(lines, 1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise r.fail(f"line {n}", "not UTF-8 text") from None
