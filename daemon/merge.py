"""Adding one history to another without duplicating anything (imports, renames).

Pure functions on ``State`` objects: the caller (record.py) holds the lock.
A day's completions become the larger of the two counts, so merging the same
history twice changes nothing; a skip, a note or a pause already there is not
added again.
"""

from __future__ import annotations

from typing import NamedTuple

from daemon.state import HabitLog, State


class Merged(NamedTuple):
    completions: int  # completions added
    skips: int
    notes: int
    pauses: int

    def __add__(self, other: object) -> Merged:
        assert isinstance(other, Merged)
        return Merged(*(a + b for a, b in zip(self, other, strict=True)))

    @property
    def total(self) -> int:
        return self.completions + self.skips + self.notes + self.pauses


NOTHING = Merged(0, 0, 0, 0)


def merge_log(into: HabitLog, incoming: HabitLog) -> Merged:
    """Add ``incoming``'s completions, skips and notes to ``into``; what was added."""
    added = 0
    for year, mask in incoming.done.items():  # whole years of days at once: bit operations
        old = into.done.get(year, 0)
        if mask & ~old:
            into.done[year] = old | mask
            added += (mask & ~old).bit_count()
    for day, count in incoming.counts.items():  # days with more than one completion
        have = into.count(day)
        if count > have:
            into.counts[day] = count
            added += count - have
    skips = 0
    skipped = {k.day for k in into.skips}
    for s in incoming.skips:
        if s.day not in skipped:
            into.skips.append(s)
            skipped.add(s.day)
            skips += 1
    notes = 0
    written = {(k.day, k.text) for k in into.notes}
    for n in incoming.notes:
        if (n.day, n.text) not in written:
            into.notes.append(n)
            written.add((n.day, n.text))
            notes += 1
    for key, value in incoming.extra.items():  # keys of a newer habitd, kept as they are
        into.extra.setdefault(key, value)
    if notes:
        into.notes.sort(key=lambda n: (n.day, n.nth, n.at))
    if skips:
        into.skips.sort(key=lambda s: s.day)
    return Merged(added, skips, notes, 0)


def merge_state(into: State, incoming: State) -> Merged:
    """Add every habit's history and every pause of ``incoming`` to ``into``."""
    total = NOTHING
    for hid, log in incoming.habits.items():
        total += merge_log(into.log(hid), log)
        if into.habits[hid].empty():
            del into.habits[hid]
    pauses = 0
    for p in incoming.pauses:
        if not any(q[:3] == p[:3] for q in into.pauses):  # the same pause, whoever recorded it
            into.pauses.append(p)
            pauses += 1
    return total + Merged(0, 0, 0, pauses)
