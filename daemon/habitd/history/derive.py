"""The state every command reads, derived from the merged events (pure: no files, no clock).

Streaks, periods, views and the daemon keep working on ``State`` as before;
only where it comes from changed. The rules, each independent of the order
in which events arrived (only their stamps order them):

- An event named by an ``undo``, ``unskip`` or ``note-delete`` is gone, where its writer could
  have taken it back on the command line: a note (or a version of it) only by its writer (the
  same device, or a device of the same person: the same name; a nameless note is its device's
  alone); a completion, skip or pause of a personal (``each``) habit only by its person (the
  same name, or the same device; a nameless entry is everyone's). Anything else by anyone.
- The day's completions are its ``done`` events; the nth by stamp is the nth.
  Each is also counted as its writer's (``by``) when it names one: who did what.
- A note belongs to the completion ``of`` names; when that completion is
  undone, the note stays as the day's own note (``nth`` 0). It stays while
  any of its versions (the note, its edits) is not taken back, with the text
  of the latest version left (add-wins: a delete only removes the versions
  its writer had seen). An edit by anyone but the note's writer is ignored.
- A pause named by a ``resume`` ends the day before that resume's day (the
  earliest such day, of the resumes that may end it, as above); a pause that
  would then end before it starts is gone.
- A habit's prompt deck is its latest ``prompt`` event's.

Which habits are personal is the config's, handed in (``personal``): this room does not read it.
What is per device and never shared (the daemon's reminders, its daily
count) is not in the events; the caller keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from habitd.habits.state import NO_EXTRA, HabitLog, Note, Pause, PromptDeck, Skip, State
from habitd.history.events import (
    DONE,
    KEEP,
    NOTE,
    NOTE_EDIT,
    PAUSE,
    PROMPT,
    RESUME,
    SKIP,
    TAKE_BACK,
    Event,
    is_private,
    merge,
)
from habitd.history.hlc import Stamp
from habitd.records import Record


def _extra(event: Event) -> Mapping[str, Any]:
    return MappingProxyType(dict(event.extra)) if event.extra else NO_EXTRA


def _skip(e: Event) -> Skip:
    return Skip(e.day, e.text, e.at if e.dated else None, e.after, _extra(e), e.by)


class Ids(Record):
    """Which events each part of a derived state comes from, for changes that name them."""

    done: dict[tuple[str, date], list[Stamp]]  # (habit, day) -> its live completions, the nth at [n-1]
    # keyed by habit and ``key(item)``
    notes: dict[tuple[str, tuple[object, ...]], list[tuple[Stamp, ...]]]  # per equal note: it, its live versions
    skips: dict[tuple[str, tuple[object, ...]], list[Stamp]]  # per equal skip, in order
    pauses: dict[Pause, list[Stamp]]  # per equal pause, in order
    latest: Stamp | None  # the greatest stamp of all


def key(item: Note | Skip) -> tuple[object, ...]:
    """A note or skip without its unknown keys: what ids are filed under (a mapping cannot be)."""
    return tuple(item)[:4]


def derive(events: Iterable[Event], personal: frozenset[str] = frozenset()) -> State:
    """The state of the union of ``events`` (in any order, duplicates allowed); ``personal``: the
    ids of the personal (``each``) habits, whose entries only their person takes back."""
    return derive_with_ids(events, personal)[0]


def derive_with_ids(events: Iterable[Event], personal: frozenset[str] = frozenset()) -> tuple[State, Ids]:
    """The state, and the ids of the events behind each of its parts."""
    ordered = merge(events)
    removed, ended, edits = _taken_back(ordered, personal)
    state = State()
    ids = Ids({}, {}, {}, {}, ordered[-1].stamp if ordered else None)
    nth_of: dict[Stamp, int] = {}  # a live completion -> its place in its day
    for e in ordered:
        if e.kind == DONE:
            if e.stamp not in removed:
                nth_of[e.stamp] = state.log(e.habit).add(e.day, e.by)
                ids.done.setdefault((e.habit, e.day), []).append(e.stamp)
        elif e.kind == NOTE:
            found = _note(e, edits.get(e.stamp, []), removed, nth_of)
            if found is not None:
                state.log(e.habit).notes.append(found[0])
                ids.notes.setdefault((e.habit, key(found[0])), []).append(found[1])
        elif e.kind == SKIP:
            if e.stamp not in removed:
                skip = _skip(e)
                state.log(e.habit).skips.append(skip)
                ids.skips.setdefault((e.habit, key(skip)), []).append(e.stamp)
        elif e.kind == PAUSE:
            pause = _pause(e, removed, ended)
            if pause is not None:
                state.pauses.append(pause)
                ids.pauses.setdefault(pause, []).append(e.stamp)
        elif e.kind == PROMPT and e.stamp not in removed:
            state.prompts[e.habit] = PromptDeck(list(e.order), e.next)
        elif e.kind == KEEP and e.stamp not in removed:
            state.log(e.habit).extra = dict(e.extra)
    return state, ids


def writes_for(e: Event, target: Event) -> bool:
    """Whether ``e`` may replace or remove the note (or note version) ``target``: only its writer
    may, that is the same device, or a device of the same person (the same name). A nameless note
    is its device's alone; a private note is only ever read on this machine. A take-back the
    command line would refuse is ignored here too."""
    same_person = target.by != "" and e.by == target.by
    return same_person or e.stamp.device == target.stamp.device or is_private(dict(target.extra))


def owns(e: Event, target: Event) -> bool:
    """Whether ``e`` may take back ``target``, a completion, skip or pause of a personal habit: only
    its person may (the same name, or the same device); a nameless entry is everyone's."""
    return target.by == "" or e.by == target.by or e.stamp.device == target.stamp.device


def _may(e: Event, target: Event | None) -> bool:
    if target is None:
        return True
    return writes_for(e, target) if target.kind in (NOTE, NOTE_EDIT) else owns(e, target)


def _taken_back(
    ordered: list[Event], personal: frozenset[str] = frozenset()
) -> tuple[set[Stamp], dict[Stamp, Event], dict[Stamp, list[Event]]]:
    """What the events take back: the stamps undone, each pause's earliest resume, each note's edits.

    Only what the taker could have taken back (``writes_for``, ``owns``): the rest is ignored."""
    removed: set[Stamp] = set()
    ended: dict[Stamp, Event] = {}  # pause -> the earliest resume naming it
    edits: dict[Stamp, list[Event]] = {}  # note -> its edits, in stamp order
    guarded = {e.stamp: e for e in ordered if e.kind in (NOTE, NOTE_EDIT) or (personal and e.habit in personal)}
    for e in ordered:
        if e.kind in TAKE_BACK:
            removed.update(s for s in e.undoes if _may(e, guarded.get(s)))
        elif e.kind == RESUME:
            for s in e.undoes:
                if _may(e, guarded.get(s)) and (s not in ended or e.day < ended[s].day):
                    ended[s] = e
        elif e.kind == NOTE_EDIT and e.of is not None and _may(e, guarded.get(e.of)):
            edits.setdefault(e.of, []).append(e)
    return removed, ended, edits


def _pause(e: Event, removed: set[Stamp], ended: dict[Stamp, Event]) -> Pause | None:
    """A pause event as what is left of it once resumed (None: taken back, or resumed before it began)."""
    if e.stamp in removed or e.until is None:
        return None
    until = e.until
    if e.stamp in ended:
        until = min(until, ended[e.stamp].day - timedelta(days=1))
    return Pause(e.habit, e.day, until, e.by) if until >= e.day else None


def _note(
    add: Event, edits: list[Event], removed: set[Stamp], nth_of: dict[Stamp, int]
) -> tuple[Note, tuple[Stamp, ...]] | None:
    nth = nth_of.get(add.of, 0) if add.of is not None else 0  # 0: the day's own note
    alive = [v for v in (add, *edits) if v.stamp not in removed]
    if not alive:
        return None
    last = max(alive, key=lambda v: v.stamp)
    note = Note(add.day, last.at, last.text, nth, _extra(last), last.by)
    return note, tuple(dict.fromkeys([add.stamp, *(v.stamp for v in alive)]))


_APPENDABLE = frozenset({DONE, SKIP, PAUSE, PROMPT, NOTE, KEEP})


def extend(state: State, events: list[Event]) -> bool:
    """Add ``events`` (in stamp order, all after everything ``state`` was derived from) to it.

    The state is then what ``derive`` makes of all the events together. Only events that
    add something can be added this way (a partner's completion, note, skip, pause or
    prompt deal); with any other, or a note of an earlier completion, nothing is changed
    and the answer is False: derive the whole log instead.
    """
    new_done = {e.stamp for e in events if e.kind == DONE}
    if any(e.kind not in _APPENDABLE or (e.kind == NOTE and e.of is not None and e.of not in new_done) for e in events):
        return False
    if any(e.kind == PAUSE and e.until is None for e in events):
        return False
    nth_of: dict[Stamp, int] = {}
    for e in events:
        if e.kind == DONE:
            nth_of[e.stamp] = state.log(e.habit).add(e.day, e.by)
        elif e.kind == NOTE:
            nth = nth_of[e.of] if e.of is not None else 0
            state.log(e.habit).notes.append(Note(e.day, e.at, e.text, nth, _extra(e), e.by))
        elif e.kind == SKIP:
            state.log(e.habit).skips.append(_skip(e))
        elif e.kind == KEEP:
            state.log(e.habit).extra = dict(e.extra)
        elif e.kind == PAUSE and e.until is not None:
            state.pauses.append(Pause(e.habit, e.day, e.until, e.by))
        elif e.kind == PROMPT:
            state.prompts[e.habit] = PromptDeck(list(e.order), e.next)
    return True


_WINDOWED = frozenset({DONE, NOTE, NOTE_EDIT, SKIP, *TAKE_BACK})


def _month(day: date) -> tuple[int, int]:
    return day.year, day.month


def _in_order(state: State, ids: Ids, habit: str, months: set[tuple[int, int]]) -> tuple[list[Any], list[Any]]:
    """The notes and the skips of ``habit`` in ``months``, each with the stamp it is filed under
    (a note's first event, a skip's own), in the state's order."""
    log = state.habits.get(habit)
    out: tuple[list[Any], list[Any]] = [], []
    if log is None:
        return out
    for items, table, which, first in ((log.notes, ids.notes, out[0], True), (log.skips, ids.skips, out[1], False)):
        seen: dict[tuple[object, ...], int] = {}
        for item in items:
            if _month(item.day) in months:
                k = key(item)
                n = seen[k] = seen.get(k, -1) + 1
                stamp = table[habit, k][n]
                which.append((stamp[0] if first else stamp, item))
    return out


def rederive_months(
    state: State, before: list[Event], added: list[Event], personal: frozenset[str] = frozenset()
) -> bool:
    """Add ``added`` to ``state`` by deriving again only the months their days are in.

    ``added`` (in stamp order, all after everything ``state`` was derived from) may take
    things back (a partner's undo, unskip, note deleted), which ``extend`` cannot;
    ``before`` holds every event of those months that ``state`` was derived from. Only
    completions, notes and skips, each filed under its day's month with what it takes back
    (pauses span months, a prompt deck is the latest of all): with anything else, or a
    state that is not what ``before`` derives in those months, nothing is changed and the
    answer is False (derive the whole log instead).
    """
    if not added or any(e.kind not in _WINDOWED for e in added):
        return False
    months = {_month(e.day) for e in added}
    if not _in_window(before, added, months):
        return False
    old, old_ids = derive_with_ids(before, personal)
    new, new_ids = derive_with_ids([*before, *added], personal)
    habits = {e.habit for e in added}
    for habit in habits:
        log, was = state.habits.get(habit), old.habits.get(habit)
        if _window_of(log, months) != _window_of(was, months):
            return False  # the state is not what those events derive there: never guess
    old_stamps = {e.stamp for e in before} - {e.stamp for e in added}
    for habit in habits:
        old_notes, old_skips = _in_order(old, old_ids, habit, months)
        new_notes, new_skips = _in_order(new, new_ids, habit, months)
        if any(s in old_stamps and s not in dict(old_notes) for s, _ in new_notes):
            return False  # a note back from the deleted (an edit of it came): its place is in the past
        if any(s in old_stamps and s not in dict(old_skips) for s, _ in new_skips):
            return False
        log = state.log(habit)
        log.notes = _splice(log.notes, months, old_notes, new_notes)
        log.skips = _splice(log.skips, months, old_skips, new_skips)
        _days_again(log, new.habits.get(habit), months)
        if log.empty():
            del state.habits[habit]  # as deriving leaves it: no log at all
    return True


def _in_window(before: list[Event], added: list[Event], months: set[tuple[int, int]]) -> bool:
    """Whether what ``added`` takes back (or edits) is a completion, note or skip of its own habit in
    ``months``, and ``before`` holds events of those months only."""
    by_stamp = {e.stamp: e for e in (*before, *added)}
    for e in added:
        for s in (*e.undoes, *((e.of,) if e.kind == NOTE_EDIT and e.of else ())):
            target = by_stamp.get(s)
            if target is None or target.habit != e.habit or _month(target.day) not in months:
                return False
            if target.kind not in (DONE, NOTE, NOTE_EDIT, SKIP):
                return False
    return all(_month(e.day) in months for e in before)


def _days_again(log: HabitLog, fresh: HabitLog | None, months: set[tuple[int, int]]) -> None:
    """The completions of ``log`` in ``months`` as deriving them gives (``fresh``), with who did each."""
    for day in sorted({*_days_in(log, months), *_days_in(fresh, months)}):
        while log.take(day):
            pass
        for by in fresh.bys(day) if fresh else ():
            log.add(day, by)


def _window_of(log: Any, months: set[tuple[int, int]]) -> list[object]:
    if log is None:
        return [[], [], []]
    return [
        [(d, log.bys(d)) for d in _days_in(log, months)],
        [n for n in log.notes if _month(n.day) in months],
        [k for k in log.skips if _month(k.day) in months],
    ]


def _days_in(log: Any, months: set[tuple[int, int]]) -> list[date]:
    """The days of ``months`` with a completion in ``log`` (a HabitLog or None), in order."""
    out: list[date] = []
    for year, month in sorted(months) if log is not None else ():
        day = date(year, month, 1)
        while day.month == month:
            if log.count(day):
                out.append(day)
            day += timedelta(days=1)
    return out


def _splice(items: list[Any], months: set[tuple[int, int]], old: list[Any], new: list[Any]) -> list[Any]:
    """``items`` with its part in ``months`` (``old``, by stamp) replaced by ``new``: each one kept
    in its place, those gone left out, the new ones (later than everything) at the end."""
    fresh = dict(new)
    stamps = iter(s for s, _ in old)
    out = []
    for item in items:
        if _month(item.day) not in months:
            out.append(item)
            continue
        s = next(stamps)
        if s in fresh:
            out.append(fresh.pop(s))
    out.extend(fresh.values())  # in stamp order, as ``new`` is
    return out
