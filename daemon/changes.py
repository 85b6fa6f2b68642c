"""A change to the state, as the events that make it: what a write appends to the log.

The recording API (``record.py``) and the daemon change a ``State`` under the
store's lock, as they always did; the store hands the state before and after
to ``write_change``, which appends the events whose derivation (``derive.py``)
turns the one into the other. Something taken away is named by the ids of the
events it came from (``Ids``), so it can only remove what this device had
seen: a partner's completion made meanwhile survives an undo (add-wins).

Pure: the caller supplies ``add``, which stamps and appends one event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from daemon.derive import Ids
from daemon.events import DONE, NOTE, NOTE_DELETE, NOTE_EDIT, PAUSE, PROMPT, RESUME, SKIP, UNDO, UNSKIP, Event
from daemon.hlc import Stamp
from daemon.state import HabitLog, State

_UNSTAMPED = Stamp(0, 0, "unstamped")
T = TypeVar("T")


def _diff(before: Sequence[T], after: Sequence[T]) -> tuple[list[int], list[int]]:
    """Indexes of ``before``'s items gone in ``after``, and of ``after``'s items that are new."""
    left = list(after)
    taken = [False] * len(after)
    gone = []
    for i, item in enumerate(before):
        j = next((j for j, other in enumerate(left) if not taken[j] and other == item), None)
        if j is None:
            gone.append(i)
        else:
            taken[j] = True
    return gone, [j for j, t in enumerate(taken) if not t]


def _days(log: HabitLog) -> set[date]:
    return set(log.days()) | set(log.counts)


def needs_ids(before: State, after: State) -> bool:
    """Whether the change takes something away or refers to an earlier event (then ``Ids`` are needed)."""
    for hid in before.habits.keys() | after.habits.keys():
        b, a = before.habits.get(hid) or HabitLog(), after.habits.get(hid) or HabitLog()
        if any(a.count(d) < b.count(d) for d in _days(b)):
            return True
        gone, new = _diff(b.notes, a.notes)
        if gone or any(0 < a.notes[j].nth <= b.count(a.notes[j].day) for j in new):
            return True
        if _diff(b.skips, a.skips)[0]:
            return True
    return bool(_diff(before.pauses, after.pauses)[0])


def write_change(
    before: State, after: State, ids: Ids | None, add: Callable[[Event], Event], today: date, moment: datetime,
    by: str = "",
) -> None:  # fmt: skip
    """Append (through ``add``) the events that turn ``before`` into ``after``.

    ``ids`` (of ``before``'s derivation) may be None only when ``needs_ids`` is False.
    """

    def new(kind: str, habit: str, day: date, **fields: Any) -> Event:
        return add(Event(_UNSTAMPED, kind, habit, day, moment, by)._replace(**fields))

    def named(table: dict[str, list[T]], key: str) -> list[T]:
        if ids is None:
            raise ValueError("this change takes something away: it needs the ids of what it removes")
        return table.get(key, [])

    done_ids = {k: list(v) for k, v in ids.done.items()} if ids else {}  # (habit, day) -> the nth at [n-1]
    made: dict[tuple[str, date, int], Stamp] = {}  # completions this change adds, by habit, day and nth
    for hid in sorted(before.habits.keys() | after.habits.keys()):
        b, a = before.habits.get(hid) or HabitLog(), after.habits.get(hid) or HabitLog()
        for day in sorted(_days(b) | _days(a)):
            was, now = b.count(day), a.count(day)
            if now < was:
                if ids is None:
                    raise ValueError("an undo needs the ids of the completions it removes")
                held = done_ids.get((hid, day), [])
                new(UNDO, hid, day, undoes=tuple(held[now:was]))
                del held[now:]
            for nth in range(was + 1, now + 1):
                made[hid, day, nth] = new(DONE, hid, day).stamp
        gone, added = _diff(b.notes, a.notes)
        edited: dict[int, int] = {}  # a note of before -> its new text in after: same day and completion
        for j in added:
            same = (a.notes[j].day, a.notes[j].nth)
            match = next((i for i in gone if i not in edited and (b.notes[i].day, b.notes[i].nth) == same), None)
            if match is not None:
                edited[match] = j
        for i in gone:
            versions = named(ids.notes if ids else {}, hid)[i]
            if i in edited:
                note = a.notes[edited[i]]
                new(NOTE_EDIT, hid, note.day, at=note.at, text=note.text, of=versions[0])
            else:
                new(NOTE_DELETE, hid, b.notes[i].day, undoes=versions)
        for j in added:
            if j in edited.values():
                continue
            note = a.notes[j]
            held = done_ids.get((hid, note.day), [])
            of = made.get((hid, note.day, note.nth)) or (held[note.nth - 1] if 0 < note.nth <= len(held) else None)
            new(NOTE, hid, note.day, at=note.at, text=note.text, of=of)
        gone, added = _diff(b.skips, a.skips)
        for i in gone:
            new(UNSKIP, hid, b.skips[i].day, undoes=(named(ids.skips if ids else {}, hid)[i],))
        for j in added:
            new(SKIP, hid, a.skips[j].day, text=a.skips[j].text)
    gone, added = _diff(before.pauses, after.pauses)
    for i in gone:
        if ids is None:
            raise ValueError("ending a pause needs the id of the pause")
        p = before.pauses[i]
        shorter = next((j for j in added if after.pauses[j][:2] == p[:2] and after.pauses[j].until < p.until), None)
        if shorter is not None:
            added.remove(shorter)
        ends = after.pauses[shorter].until + timedelta(days=1) if shorter is not None else p.start
        new(RESUME, p.habit, ends, undoes=(ids.pauses[i],))
    for j in added:
        p = after.pauses[j]
        new(PAUSE, p.habit, p.start, until=p.until)
    for hid, deck in sorted(after.prompts.items()):
        if before.prompts.get(hid) != deck:
            new(PROMPT, hid, today, order=tuple(deck.order), next=deck.next)
