"""Adding one history to another without duplicating anything (imports, renames).

Pure functions on ``State`` objects: the caller (record.py) holds the lock.
A day's completions become the larger of the two counts, so merging the same
history twice changes nothing; a skip, a note or a pause already there is not
added again. Who did what comes along: a day keeps, for each person, the larger
of their two counts (completions without a name make up the day's larger count),
and a note stays with its person's completion.
"""

from __future__ import annotations

from datetime import date

from habitd.habits.state import HabitLog, State
from habitd.records import Record


class Merged(Record):
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


def _same_person(a: str, b: str) -> bool:
    """Whether two entries may be one person's: the same name, or one without a name."""
    return a == b or not a or not b


def _merge_named(into: HabitLog, incoming: HabitLog) -> tuple[int, dict[tuple[date, int], int]]:
    """Add ``incoming``'s completions day by day, each person's apart; how many, and where its notes go.

    The second answer maps an incoming (day, nth) to the place of that completion in ``into``.
    """
    added = 0
    places: dict[tuple[date, int], int] = {}
    for day in incoming.days():
        theirs, mine = incoming.bys(day), into.bys(day)
        missing = {n: theirs.count(n) - mine.count(n) for n in set(theirs) if n}
        named = sum(max(0, k) for k in missing.values())
        missing[""] = len(theirs) - len(mine) - named  # those without a name: up to the larger count
        for name in theirs:  # in their order
            if missing[name] > 0:
                into.add(day, name)
                missing[name] -= 1
                added += 1
        now = into.bys(day)
        for nth, name in enumerate(theirs, 1):  # the kth of a name there is the kth of it here
            k = theirs[:nth].count(name)
            found = [i for i, n in enumerate(now, 1) if n == name]
            places[day, nth] = found[k - 1] if k <= len(found) else 0
    return added, places


def merge_log(into: HabitLog, incoming: HabitLog) -> Merged:
    """Add ``incoming``'s completions, skips and notes to ``into``; what was added."""
    added, places = _merge_days(into, incoming)
    skips = _merge_skips(into, incoming)
    notes = _merge_notes(into, incoming, places)
    for key, value in incoming.extra.items():  # keys of a newer habitd, kept as they are
        into.extra.setdefault(key, value)
    return Merged(added, skips, notes, 0)


def _merge_days(into: HabitLog, incoming: HabitLog) -> tuple[int, dict[tuple[date, int], int] | None]:
    """Add the completions: how many, and where each of ``incoming``'s is now (None: where it was)."""
    added = 0
    if not into.done and incoming.people:  # nothing here yet (a restore): all of it, as it is
        into.done, into.counts = dict(incoming.done), dict(incoming.counts)
        into.people = {name: log.copy() for name, log in incoming.people.items()}
        into.mixed = dict(incoming.mixed)
        added = sum(mask.bit_count() for mask in into.done.values()) + sum(n - 1 for n in into.counts.values())
        return added, None
    if into.people or incoming.people:  # who did what: day by day
        return _merge_named(into, incoming)
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
    return added, None


def _merge_skips(into: HabitLog, incoming: HabitLog) -> int:
    skips = 0
    skipped: dict[date, list[str]] = {}
    for old_skip in into.skips:
        skipped.setdefault(old_skip.day, []).append(old_skip.by)
    for s in incoming.skips:
        if not any(_same_person(by, s.by) for by in skipped.get(s.day, [])):
            into.skips.append(s)
            skipped.setdefault(s.day, []).append(s.by)
            skips += 1
    if skips:
        into.skips.sort(key=lambda s: s.day)
    return skips


def _merge_notes(into: HabitLog, incoming: HabitLog, places: dict[tuple[date, int], int] | None) -> int:
    notes = 0
    written: dict[tuple[date, str], list[str]] = {}
    for k in into.notes:
        written.setdefault((k.day, k.text), []).append(k.by)
    for n in incoming.notes:
        if any(_same_person(by, n.by) for by in written.get((n.day, n.text), [])):
            continue
        if places is not None and n.nth:
            n = n._replace(nth=places.get((n.day, n.nth), 0))
        into.notes.append(n)
        written.setdefault((n.day, n.text), []).append(n.by)
        notes += 1
    if notes:
        into.notes.sort(key=lambda n: (n.day, n.nth, n.at))
    return notes


def merge_state(into: State, incoming: State) -> Merged:
    """Add every habit's history and every pause of ``incoming`` to ``into``."""
    total = NOTHING
    for hid, log in incoming.habits.items():
        total += merge_log(into.log(hid), log)
        if into.habits[hid].empty():
            del into.habits[hid]
    pauses = 0
    for p in incoming.pauses:
        if not any(q[:3] == p[:3] and _same_person(q.by, p.by) for q in into.pauses):  # the same pause
            into.pauses.append(p)
            pauses += 1
    return total + Merged(0, 0, 0, pauses)
