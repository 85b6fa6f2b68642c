"""The state in memory: each habit's log of completions, notes and skips, the pauses, the daemon's bookkeeping.

A habit's completions are plain local calendar dates, kept as a bitmask of days
a year (``HabitLog.done``); a day with more than one completion (``times > 1``)
also appears in ``counts``. A note is kept with its day, the moment it was
written, and which of the day's completions it belongs to (``nth``; 0: the
day's own note, kept when its completion was undone or nothing was recorded).
A skip records how many of its day's completions came before it (``after``), so
``undo`` knows which of the day's entries is the latest. Keys of a newer
version are kept as they are (``extra``). Records are named tuples
(``habitd.records.Record``), or small mutable classes (``_Record``) where a
change is made in place; the TOML encoding is ``state_toml``, the files are
the history's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from habitd.records import Record

ALL = "*"  # a pause for every habit
NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


class Note(Record):
    day: date
    at: datetime  # when it was written
    text: str
    nth: int = 1  # the note of the day's nth completion; 0: the day's own note
    extra: Mapping[str, Any] = NO_EXTRA  # keys of a newer version, kept as they are
    by: str = ""  # who wrote it (its latest text); "": no name was set


class Skip(Record):
    day: date
    text: str = ""
    at: datetime | None = None  # when it was recorded (None: before habitd kept it)
    after: int = 0  # completions of its day recorded before it
    extra: Mapping[str, Any] = NO_EXTRA
    by: str = ""  # who skipped: a personal (``each``) habit's skip is that person's alone


class Pause(Record):
    habit: str  # a habit id, or ALL
    start: date
    until: date  # inclusive
    by: str = ""  # who paused: a personal (``each``) habit's pause is that person's alone

    def covers(self, habit_id: str, day: date) -> bool:
        return self.habit in (ALL, habit_id) and self.start <= day <= self.until


class _Record:
    """Equality and repr from ``__slots__``: mutable records without dataclasses' import cost."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Record) and type(other) is type(self) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={v!r}" for n, v in zip(self.__slots__, self._values(), strict=True))
        return f"{type(self).__name__}({fields})"


class HabitLog(_Record):
    """A habit's completions (a bitmask of days a year), notes and skips, and who did them.

    ``people`` holds, for each name that completed the habit, that person's own
    completions in the same encoding; completions recorded without a name are in
    no one's (the rest of ``done``). ``mixed`` gives, for the rare day completed by
    more than one of them, the name of each of its completions in order. A history
    with no names has neither, and costs nothing more.
    """

    __slots__ = ("counts", "done", "extra", "mixed", "notes", "people", "skips")

    def __init__(self) -> None:
        self.done: dict[int, int] = {}  # year -> bitmask of days
        self.counts: dict[date, int] = {}  # days with 2 or more
        self.notes: list[Note] = []
        self.skips: list[Skip] = []
        self.extra: dict[str, Any] = {}  # keys of a newer version, kept as they are
        self.people: dict[str, HabitLog] = {}  # name -> their completions
        self.mixed: dict[date, tuple[str, ...]] = {}  # a day done by several: each completion's name

    def copy(self) -> HabitLog:
        new = HabitLog()
        new.done, new.counts, new.notes = self.done.copy(), self.counts.copy(), self.notes.copy()
        new.skips, new.extra, new.mixed = self.skips.copy(), self.extra.copy(), self.mixed.copy()
        new.people = {name: log.copy() for name, log in self.people.items()}
        return new

    def bys(self, day: date) -> list[str]:
        """The name behind each of the day's completions, in order ("" where none was set)."""
        if day in self.mixed:
            return list(self.mixed[day])
        n = self.count(day)
        if not n or not self.people:
            return [""] * n
        name = next((p for p, log in self.people.items() if log.count(day)), "")
        return [name] * n

    def _set_bys(self, day: date, bys: list[str]) -> None:
        if len(set(bys)) > 1:
            self.mixed[day] = tuple(bys)
        else:
            self.mixed.pop(day, None)

    def add(self, day: date, by: str = "") -> int:
        """Add a completion on ``day`` (by ``by``, if named); which of the day's it is."""
        if self.people or by:
            bys = [*self.bys(day), by]
            if by:
                self.people.setdefault(by, HabitLog()).add(day)
            self._set_bys(day, bys)
        n = self.count(day) + 1
        self.done[day.year] = self.done.get(day.year, 0) | 1 << (day.timetuple().tm_yday - 1)
        if n > 1:
            self.counts[day] = n
        return n

    def take(self, day: date, mine: frozenset[str] | None = None) -> int:
        """Take away the day's latest completion (of a name in ``mine``, if given); which it was, or 0.

        The day's later completions move up one place; their notes are the caller's to renumber.
        """
        bys = self.bys(day)
        nth = next((i + 1 for i in range(len(bys) - 1, -1, -1) if mine is None or bys[i] in mine), 0)
        if not nth:
            return 0
        by = bys.pop(nth - 1)
        if by:
            person = self.people[by]
            person.remove(day)
            if not person.done:
                del self.people[by]
        if self.people or day in self.mixed:
            self._set_bys(day, bys)
        self.remove(day)
        return nth

    def count(self, day: date) -> int:
        if day in self.counts:
            return self.counts[day]
        return (self.done.get(day.year, 0) >> (day.timetuple().tm_yday - 1)) & 1

    def count_between(self, first: date, last: date) -> int:
        """Completions on the days first..last, inclusive."""
        total = 0
        for year in range(first.year, last.year + 1):
            mask = self.done.get(year, 0)
            if not mask:
                continue
            lo = first.timetuple().tm_yday - 1 if year == first.year else 0
            hi = last.timetuple().tm_yday if year == last.year else 366
            total += (mask >> lo & ((1 << (hi - lo)) - 1)).bit_count()
        for day, n in self.counts.items():
            if first <= day <= last:
                total += n - 1
        return total

    def remove(self, day: date) -> bool:
        """Take away one completion's mark on ``day`` (``take`` keeps who did it; notes are the caller's)."""
        n = self.count(day)
        if n == 0:
            return False
        if n > 2:
            self.counts[day] = n - 1
        else:
            self.counts.pop(day, None)
        if n == 1:
            self.done[day.year] &= ~(1 << (day.timetuple().tm_yday - 1))
            if not self.done[day.year]:
                del self.done[day.year]
        return True

    def note_of(self, day: date, nth: int) -> Note | None:
        return next((note for note in self.notes if note.day == day and note.nth == nth), None)

    def days(self, after: date | None = None) -> list[date]:
        """Every day with a completion (or only those after ``after``), in order."""
        out = []
        for year in sorted(y for y in self.done if after is None or y >= after.year):
            mask = self.done[year]
            if after is not None and year == after.year:  # the bits of the days up to it, off
                mask &= ~((1 << after.timetuple().tm_yday) - 1)
            jan1 = date(year, 1, 1)
            while mask:
                low = mask & -mask
                out.append(jan1 + timedelta(days=low.bit_length() - 1))
                mask ^= low
        return out

    def first_day(self) -> date | None:
        if not self.done:
            return None
        year = min(self.done)
        mask = self.done[year]
        return date(year, 1, 1) + timedelta(days=(mask & -mask).bit_length() - 1)

    def empty(self) -> bool:
        return not (self.done or self.notes or self.skips or self.extra)


class Snooze(Record):
    until: datetime  # when the reminder comes back
    day: date  # the logical day it reminds about


class Reminder(_Record):
    """What the daemon did about a habit's reminders."""

    __slots__ = ("handled", "on_screen", "on_screen_day", "pending", "reason", "snooze")

    def __init__(
        self,
        handled: datetime | None = None,
        pending: datetime | None = None,
        reason: str = "",
        snooze: Snooze | None = None,
        on_screen: str = "",
        on_screen_day: date | None = None,
    ) -> None:
        self.handled = handled  # the latest reminder slot shown or given up on
        self.pending = pending  # a slot due but not delivered yet
        self.reason = reason
        self.snooze = snooze  # Snooze pressed: over once a slot at or after ``until`` is handled
        self.on_screen = on_screen  # its bubble when the daemon stopped (bus id, server, id): shown again at start
        self.on_screen_day = on_screen_day  # the logical day that bubble was for


class PromptDeck(_Record):
    __slots__ = ("next", "order")

    def __init__(self, order: list[int] | None = None, next: int = 0) -> None:
        self.order = order or []  # a shuffled round of prompt indexes
        self.next = next


class State(_Record):
    __slots__ = ("habits", "pauses", "prompts", "reminders", "sent_count", "sent_day")

    def __init__(self) -> None:
        self.habits: dict[str, HabitLog] = {}
        self.pauses: list[Pause] = []
        self.reminders: dict[str, Reminder] = {}
        self.prompts: dict[str, PromptDeck] = {}
        self.sent_day: date | None = None
        self.sent_count = 0

    def log(self, habit_id: str) -> HabitLog:
        return self.habits.setdefault(habit_id, HabitLog())

    def reminder(self, habit_id: str) -> Reminder:
        return self.reminders.setdefault(habit_id, Reminder())

    def paused(self, habit_id: str, day: date) -> bool:
        return any(p.covers(habit_id, day) for p in self.pauses)
