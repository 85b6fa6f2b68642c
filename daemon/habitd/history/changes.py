"""A change to the state, as the events that make it: what a write appends to the log.

The recording API (``record.py``) and the daemon change a ``State`` under the
store's lock, as they always did; the store hands the state before and after
to ``write_change``, which appends the events whose derivation (``derive.py``)
turns the one into the other. Something taken away is named by the ids of the
events it came from (``Ids``), so it can only remove what this device had
seen: a partner's completion made meanwhile survives an undo (add-wins).

A completion, note, skip or pause is written with the name of who did it
(``HabitLog.bys``, ``Note.by``, ...: the recording API sets it, a history
moved from a state file has none); the other events with the writer's.

Pure: the caller supplies ``add``, which stamps and appends one event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from habitd.habits.state import HabitLog, Note, PromptDeck, State
from habitd.history.derive import Ids, key
from habitd.history.events import (
    DONE,
    KEEP,
    NOTE,
    NOTE_DELETE,
    NOTE_EDIT,
    PAUSE,
    PROMPT,
    RESUME,
    SKIP,
    UNDO,
    UNSKIP,
    Event,
)
from habitd.history.hlc import Stamp

_UNSTAMPED = Stamp(0, 0, "unstamped")
T = TypeVar("T")


def _diff(before: Sequence[T], after: Sequence[T]) -> tuple[list[int], list[int]]:
    """Indexes of ``before``'s items gone in ``after``, and of ``after``'s items that are new."""
    if before == after:  # two copies of a habit's notes not looked at compare so without decoding them
        return [], []
    lo, b_hi, a_hi = 0, len(before), len(after)
    while lo < b_hi and lo < a_hi and before[lo] == after[lo]:  # a change is mostly at the end: skip the rest
        lo += 1
    while b_hi > lo and a_hi > lo and before[b_hi - 1] == after[a_hi - 1]:
        b_hi, a_hi = b_hi - 1, a_hi - 1
    taken = [False] * (a_hi - lo)
    gone = []
    for i in range(lo, b_hi):
        j = next((j for j in range(lo, a_hi) if not taken[j - lo] and after[j] == before[i]), None)
        if j is None:
            gone.append(i)
        else:
            taken[j - lo] = True
    return gone, [lo + k for k, t in enumerate(taken) if not t]


def _changed_days(b: HabitLog, a: HabitLog) -> list[date]:
    """The days whose count differs between two logs, from their masks and counts."""
    days = {d for d in b.counts.keys() | a.counts.keys() if b.counts.get(d) != a.counts.get(d)}
    for year in b.done.keys() | a.done.keys():
        mask = b.done.get(year, 0) ^ a.done.get(year, 0)
        while mask:
            low = mask & -mask
            days.add(date(year, 1, 1) + timedelta(days=low.bit_length() - 1))
            mask ^= low
    return sorted(days)


def _taken(before: list[str], after: list[str]) -> list[int]:
    """Which of a day's completions (from 1) a change took away: each name's latest ones it has fewer of."""
    gone: list[int] = []
    for name in set(before):
        fewer = before.count(name) - after.count(name)
        if fewer > 0:
            gone += [i for i, b in enumerate(before, 1) if b == name][-fewer:]
    return sorted(gone)


def _renumber(note: Note, gone: list[int]) -> Note:
    """A note of the day once the completions ``gone`` are taken away: theirs become the day's own."""
    if note.nth in gone:
        return note._replace(nth=0)
    return note._replace(nth=note.nth - sum(1 for i in gone if i < note.nth)) if note.nth else note


def _pairs(before: State, after: State) -> list[tuple[str, HabitLog, HabitLog]]:
    """The habits whose logs differ, with their logs before and after."""
    out = []
    for hid in sorted(before.habits.keys() | after.habits.keys()):
        b, a = before.habits.get(hid) or HabitLog(), after.habits.get(hid) or HabitLog()
        if b != a:
            out.append((hid, b, a))
    return out


def copy_history(state: State) -> State:
    """A copy of the history part of ``state`` that can be changed without touching it."""
    out = State()
    for hid, log in state.habits.items():
        if not log.empty():
            out.habits[hid] = log.copy()
    out.pauses = list(state.pauses)
    out.prompts = {hid: PromptDeck(list(d.order), d.next) for hid, d in state.prompts.items()}
    return out


def same_history(a: State, b: State) -> bool:
    return a.pauses == b.pauses and a.prompts == b.prompts and not _pairs(a, b)


def needs_ids(before: State, after: State) -> bool:
    """Whether the change takes something away or refers to an earlier event (then ``Ids`` are needed)."""
    for _hid, b, a in _pairs(before, after):
        if any(a.count(d) < b.count(d) for d in _changed_days(b, a)):
            return True
        gone, new = _diff(b.notes, a.notes)
        if gone or any(0 < a.notes[j].nth <= b.count(a.notes[j].day) for j in new):
            return True
        if _diff(b.skips, a.skips)[0]:
            return True
    return bool(_diff(before.pauses, after.pauses)[0])


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def touched_months(before: State, after: State) -> set[str] | None:
    """The months (YYYY-MM) of every day the change touches; None when it changes pauses (any month)."""
    if before.pauses != after.pauses:
        return None
    months: set[str] = set()
    for _hid, b, a in _pairs(before, after):
        months.update(_month(d) for d in _changed_days(b, a))
        for old, new in ((b.notes, a.notes), (b.skips, a.skips)):
            gone, added = _diff(old, new)
            months.update(_month(old[i].day) for i in gone)
            months.update(_month(new[j].day) for j in added)
    return months


def window(state: State, habits: Iterable[str], months: set[str]) -> list[object]:
    """What ``state`` holds of ``habits`` in ``months``: equal windows, equal history there."""
    out: list[object] = []
    for hid in sorted(habits):
        log = state.habits.get(hid) or HabitLog()
        out.append([(d, log.count(d)) for d in sorted(set(log.days()) | set(log.counts)) if _month(d) in months])
        out.append([n for n in log.notes if _month(n.day) in months])
        out.append([k for k in log.skips if _month(k.day) in months])
    return out


def changed_habits(before: State, after: State) -> list[str]:
    return [hid for hid, _b, _a in _pairs(before, after)]


def write_change(
    before: State, after: State, ids: Ids | None, add: Callable[[Event], Event], today: date, moment: datetime,
    by: str = "",
) -> None:  # fmt: skip
    """Append (through ``add``) the events that turn ``before`` into ``after``.

    ``ids`` (of ``before``'s derivation) may be None only when ``needs_ids`` is False.
    """
    change = _Change(ids, add, moment, by)
    for hid, b, a in _pairs(before, after):
        b_notes = change.days(hid, b, a)
        change.notes(hid, b, a, b_notes)
        change.skips(hid, b, a)
        if a.extra != b.extra:
            change.new(KEEP, hid, today, extra=tuple(a.extra.items()))
    change.pauses(before, after)
    for hid, deck in sorted(after.prompts.items()):
        if before.prompts.get(hid) != deck:
            change.new(PROMPT, hid, today, order=tuple(deck.order), next=deck.next)


class _Change:
    """The events of one change, appended through ``add`` as they are found."""

    def __init__(self, ids: Ids | None, add: Callable[[Event], Event], moment: datetime, by: str) -> None:
        self.ids, self.add, self.moment, self.by = ids, add, moment, by
        self.done_ids = {k: list(v) for k, v in ids.done.items()} if ids else {}  # (habit, day) -> the nth at [n-1]
        self.made: dict[tuple[str, date, int], Stamp] = {}  # completions this change adds, by habit, day and nth

    def new(self, kind: str, habit: str, day: date, **fields: Any) -> Event:
        return self.add(Event(_UNSTAMPED, kind, habit, day, self.moment, self.by)._replace(**fields))

    def named(self, table: dict[Any, list[T]], where: Any, items: Sequence[Any], i: int) -> T:
        """The ids of ``items[i]``: of the nth equal item, n counted in ``items``."""
        if self.ids is None:
            raise ValueError("this change takes something away: it needs the ids of what it removes")
        return table[where][sum(1 for x in items[:i] if x == items[i])]

    def days(self, hid: str, b: HabitLog, a: HabitLog) -> list[Note]:
        """The completions undone and added; ``b``'s notes as they will derive once the undos are in."""
        b_notes = b.notes.copy()  # (not decoded yet)
        for day in _changed_days(b, a):
            was, now = b.count(day), a.count(day)
            if now < was:
                if self.ids is None:
                    raise ValueError("an undo needs the ids of the completions it removes")
                gone_at = _taken(b.bys(day), a.bys(day))  # which of the day's completions go (from 1)
                b_notes = [_renumber(n, gone_at) if n.day == day else n for n in b_notes]
                held = self.done_ids.get((hid, day), [])
                self.new(UNDO, hid, day, undoes=tuple(held[i - 1] for i in gone_at if i <= len(held)))
                held[:] = [s for i, s in enumerate(held, 1) if i not in gone_at]
            names = a.bys(day) if now > was else []
            for nth in range(was + 1, now + 1):
                self.made[hid, day, nth] = self.new(DONE, hid, day, by=names[nth - 1]).stamp
        return b_notes

    def notes(self, hid: str, b: HabitLog, a: HabitLog, b_notes: list[Note]) -> None:
        """The notes deleted, edited (the same day and completion) and added."""
        gone, added = _diff(b_notes, a.notes)
        edited: dict[int, int] = {}  # a note of before -> its new text in after: same day and completion
        for j in added:
            same = (a.notes[j].day, a.notes[j].nth)
            match = next((i for i in gone if i not in edited and (b_notes[i].day, b_notes[i].nth) == same), None)
            if match is not None:
                edited[match] = j
        for i in gone:
            versions = self.named(self.ids.notes if self.ids else {}, (hid, key(b.notes[i])), b.notes, i)
            if i in edited:
                note = a.notes[edited[i]]
                extra = tuple(note.extra.items())
                self.new(NOTE_EDIT, hid, note.day, at=note.at, text=note.text, of=versions[0], extra=extra, by=note.by)
            else:
                self.new(NOTE_DELETE, hid, b.notes[i].day, undoes=versions)
        for j in added:
            if j not in edited.values():
                self._note(hid, a.notes[j])

    def _note(self, hid: str, note: Note) -> None:
        held = self.done_ids.get((hid, note.day), [])
        of = self.made.get((hid, note.day, note.nth)) or (held[note.nth - 1] if 0 < note.nth <= len(held) else None)
        self.new(NOTE, hid, note.day, at=note.at, text=note.text, of=of, extra=tuple(note.extra.items()), by=note.by)

    def skips(self, hid: str, b: HabitLog, a: HabitLog) -> None:
        gone, added = _diff(b.skips, a.skips)
        for i in gone:
            stamp = self.named(self.ids.skips if self.ids else {}, (hid, key(b.skips[i])), b.skips, i)
            self.new(UNSKIP, hid, b.skips[i].day, undoes=(stamp,))
        for j in added:
            k = a.skips[j]
            at = {"at": k.at} if k.at is not None else {"dated": False}
            self.new(SKIP, hid, k.day, text=k.text, after=k.after, extra=tuple(k.extra.items()), by=k.by, **at)

    def pauses(self, before: State, after: State) -> None:
        """The pauses ended (or made shorter) and started."""
        gone, added = _diff(before.pauses, after.pauses)
        for i in gone:
            if self.ids is None:
                raise ValueError("ending a pause needs the id of the pause")
            p = before.pauses[i]
            shorter = next((j for j in added if after.pauses[j][:2] == p[:2] and after.pauses[j].until < p.until), None)
            if shorter is not None:
                added.remove(shorter)
            ends = after.pauses[shorter].until + timedelta(days=1) if shorter is not None else p.start
            self.new(RESUME, p.habit, ends, undoes=(self.named(self.ids.pauses, p, before.pauses, i),))
        for j in added:
            p = after.pauses[j]
            self.new(PAUSE, p.habit, p.start, until=p.until, by=p.by)
