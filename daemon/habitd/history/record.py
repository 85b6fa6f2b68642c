"""Every change a person makes to their history, one function each: the one recording API.

The command line (``habitd done``), the notification's buttons (the daemon),
``habitd import`` and ``habitd rename`` all record through these functions, so
a completion is the same thing whichever way it arrives. Each takes the store, the config,
the habit, the logical day and the moment it is written (time is a
parameter), does its read-modify-write under the store's lock, and returns
what happened as plain data for the caller to word. Nothing here prints.

A note is never lost on the way: a note given to a command that changes
nothing (``done`` on a met period, ``skip`` on a skipped or met one), and
the note of an entry ``undo`` removes, stay as the day's own note (``nth``
0). Only ``delete_note`` removes a note, and it returns the text.

A ``private`` note is kept on this machine only (the store files it outside
the shared folder), while the completion it is given with is shared; an edit
or delete of a private note stays private too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from habitd.errors import UsageError
from habitd.habits.config import Config, Habit
from habitd.habits.periods import period_index, period_of
from habitd.habits.state import ALL, NO_EXTRA, HabitLog, Note, Pause, Skip, State
from habitd.habits.streaks import MET, SKIPPED, Period, period_state
from habitd.history import people
from habitd.history.derive import key
from habitd.history.events import PRIVATE, is_private
from habitd.history.store import Store
from habitd.records import Record

COMPLETION, SKIP = "completion", "skip"

if TYPE_CHECKING:
    from habitd.history.merge import Merged


class Done(Record):
    recorded: bool  # False: the period was met already, nothing changed
    day: date
    before: Period  # the period as it was before this completion
    nth: int  # which completion of the day this is (0 when nothing was recorded)
    state: State  # the state after it (a personal habit: as this person sees it)
    note_kept: bool = False  # not recorded, but the note was kept as the day's note
    by: tuple[str, ...] = ()  # who had completed the period before (names, sorted)


class Skipped(Record):
    recorded: bool  # False: the period was skipped or met already, nothing changed
    first: date
    last: date
    why: str = ""  # when not recorded: SKIPPED or MET
    note_kept: bool = False  # not recorded, but the note was kept as the day's note


class Undone(Record):
    kind: str  # COMPLETION, SKIP, or "" when the day had nothing to undo
    note: str  # the note the entry carried, kept as the day's note ("" if none)
    by: str = ""  # whose entry it was ("": no name was set)
    note_by: str = ""  # who wrote that note


class NoteChange(Record):
    day: date
    old: str | None  # the text replaced or removed; None: the day had no note of this person's
    new: str | None  # the text written; None: deleted
    private: bool = False  # the note is (or was) kept on this machine only
    others: tuple[str, ...] = ()  # nothing deleted: the partners whose notes the day holds (sorted)


def _local(config: Config, moment: datetime) -> datetime:
    return moment.astimezone(config.settings.tz)


_PRIVATE_NOTE: Mapping[str, Any] = MappingProxyType({PRIVATE: True})


def _marks(private: bool) -> Mapping[str, Any]:
    return _PRIVATE_NOTE if private else NO_EXTRA


def _keep_day_note(log: HabitLog, day: date, at: datetime, text: str, by: str = "", private: bool = False) -> None:
    log.notes.append(Note(day, at, text, 0, _marks(private), by=by))


def _latest_note(
    log: HabitLog,
    day: date,
    mine: frozenset[str] | None = None,
    private: bool = False,
    theirs: frozenset[int] = frozenset(),
) -> int | None:
    """The index in ``log.notes`` of the day's note written last (of a name in ``mine``, if given; with
    ``private``, of its private notes; never one of the indexes ``theirs``), if any."""
    found = [
        (n.at, i)
        for i, n in enumerate(log.notes)
        if n.day == day and (mine is None or n.by in mine) and (not private or is_private(n.extra)) and i not in theirs
    ]
    return max(found)[1] if found else None


def _notes_of_others(store: Store, log: HabitLog, habit_id: str, day: date) -> frozenset[int]:
    """The indexes in ``log.notes`` of the day's nameless notes written on another device: a nameless
    device's notes are its own, as the history derives them (``derive.writes_for``)."""
    find = getattr(store, "nameless_notes_elsewhere", None)  # a plain state file (no devices): none
    if find is None or not any(n.day == day and not n.by and not is_private(n.extra) for n in log.notes):
        return frozenset()
    elsewhere = find(habit_id, day)
    out, seen = set(), dict[tuple[object, ...], int]()
    for i, n in enumerate(log.notes):
        if n.day == day:
            k = key(n)
            seen[k] = seen.get(k, -1) + 1
            flags = elsewhere.get(k, [])
            if seen[k] < len(flags) and flags[seen[k]]:
                out.add(i)
    return frozenset(out)


def _own(store: Store) -> frozenset[str] | None:
    """This person's entries: their own and the nameless ones; None: everyone's (no name set)."""
    return frozenset((store.by, "")) if store.by else None


def _mine(store: Store, habit: Habit) -> frozenset[str] | None:
    """Whose entries count for this person on a personal habit (theirs and the nameless); None: everyone's."""
    return _own(store) if habit.each else None


def _takes(store: Store, habit: Habit) -> frozenset[str] | None:
    """Whose entries this person may take back: on a personal habit their own and the nameless ones
    (a device without a name: the nameless ones only); None: anyone's. As the history derives it."""
    return (_own(store) or _NAMELESS) if habit.each else None


_NAMELESS = frozenset({""})


def _as_seen(state: State, habit: Habit, by: str) -> State:
    """The state as the person recording sees this habit (a personal habit: their own part)."""
    return people.as_seen(state, habit, by)


def done(
    store: Store, config: Config, habit: Habit, day: date, moment: datetime, note: str | None = None,
    private: bool = False,
) -> Done:  # fmt: skip
    """Record a completion of ``habit`` on ``day`` (with an optional note), unless its period is met.

    The completion is this device's person's (``store.by``); a personal habit's period
    is met by their own completions only.
    """
    ws, ds = config.settings.week_starts, config.settings.day_starts
    index = period_index(habit, day, ws)
    by = store.by
    with store.update() as state:
        seen = _as_seen(state, habit, by)
        before = period_state(habit, seen, index, day, ws, ds)
        who = tuple(people.who(seen.habits.get(habit.id), before.first, before.last))
        log = state.log(habit.id)
        if habit.times == 1 and before.state == MET:
            if note:
                _keep_day_note(log, day, _local(config, moment), note, by, private)
            return Done(False, day, before, 0, _as_seen(state, habit, by), bool(note), who)
        nth = log.add(day, by)
        if note:
            log.notes.append(Note(day, _local(config, moment), note, nth, _marks(private), by=by))
    return Done(True, day, before, nth, _as_seen(state, habit, by), by=who)


def undo(store: Store, config: Config, habit: Habit, day: date, moment: datetime) -> Undone:
    """Remove the latest entry of ``habit`` on ``day``, a completion or a skip; its note stays.

    This person's own latest entry first; on a shared habit, when they have none that
    day, a partner's (``Undone.by`` names whose). On a personal habit, never a partner's.
    """
    own = _own(store)
    with store.update() as state:
        log = state.habits.get(habit.id)
        if log is None:
            return Undone("", "")
        for whose in [_takes(store, habit)] if habit.each or own is None else [own, None]:
            if whose is None:
                _refuse_ahead(log, config, day, moment)
            undone = _undo_latest(log, config, day, moment, whose)
            if undone.kind:
                return undone
        if own is not None:
            _refuse_ahead(log, config, day, moment)  # not mine: say whose, not "nothing to undo"
    return Undone("", "")


def _refuse_ahead(log: HabitLog, config: Config, day: date, moment: datetime) -> None:
    """A partner's entry dated after today came from their device's clock running ahead: theirs to undo."""
    if day <= config.today(moment):
        return
    names = [n for n in log.bys(day) if n] + [s.by for s in log.skips if s.day == day and s.by]
    if names:
        raise UsageError(
            f"{day.isoformat()} is after today: its entry is {names[-1]}'s (their device's clock running"
            f" ahead?), theirs to undo; nothing changed"
        )


def _undo_latest(log: HabitLog, config: Config, day: date, moment: datetime, mine: frozenset[str] | None) -> Undone:
    """Take away the day's latest completion or skip of a name in ``mine`` (None: anyone's)."""
    names = log.bys(day)
    n = next((i + 1 for i in range(len(names) - 1, -1, -1) if mine is None or names[i] in mine), 0)
    skips = [i for i, s in enumerate(log.skips) if s.day == day and (mine is None or s.by in mine)]
    if skips and log.skips[skips[-1]].after >= n:  # recorded after the day's completions
        gone = log.skips.pop(skips[-1])
        if gone.text:
            _keep_day_note(log, day, gone.at or _local(config, moment), gone.text, gone.by)
        return Undone(SKIP, gone.text, gone.by, gone.by)
    if not n:
        return Undone("", "")
    by = names[n - 1]
    nth = log.take(day, mine)
    note = log.note_of(day, nth)
    log.notes = [x._replace(nth=x.nth - 1) if x.day == day and x.nth > nth else x for x in log.notes]
    if note is None:
        return Undone(COMPLETION, "", by)
    log.notes[log.notes.index(note)] = note._replace(nth=0)
    return Undone(COMPLETION, note.text, by, note.by)


def skip(store: Store, config: Config, habit: Habit, day: date, moment: datetime, note: str = "") -> Skipped:
    """Skip the period of ``habit`` that holds ``day``: neutral for the streak (a personal habit's: for this person)."""
    first, last = period_of(habit, day, config.settings.week_starts)
    by = store.by
    mine = _mine(store, habit)
    with store.update() as state:
        log = state.log(habit.id)
        why = ""
        if any(first <= s.day <= last and (mine is None or s.by in mine) for s in log.skips):
            why = SKIPPED
        elif _as_seen(state, habit, by).log(habit.id).count_between(first, last) >= habit.times:
            why = MET
        if why:
            if note:
                _keep_day_note(log, day, _local(config, moment), note, by)
            return Skipped(False, first, last, why, bool(note))
        log.skips.append(Skip(day, note, _local(config, moment), log.count(day), by=by))
    return Skipped(True, first, last)


def write_note(
    store: Store, config: Config, habit: Habit, day: date, moment: datetime, text: str, private: bool = False
) -> NoteChange:
    """Write this person's note of the day: replace their note written last that day, or add one.

    A partner's notes are theirs: never replaced. A new note goes with this person's latest
    completion of the day (when it has no note yet), else it is the day's own. With ``private``,
    the day's private note written last is replaced, or a private note added: a shared note is
    never made private (its partner has it already).
    """
    at = _local(config, moment)
    by = store.by
    mine = _own(store) or _NAMELESS
    with store.update() as state:
        log = state.log(habit.id)
        i = _latest_note(log, day, mine, private, _notes_of_others(store, log, habit.id, day))
        if i is None:
            names = log.bys(day)
            nth = next((k + 1 for k in range(len(names) - 1, -1, -1) if mine is None or names[k] in mine), 0)
            if nth and log.note_of(day, nth) is not None:
                nth = 0
            log.notes.append(Note(day, at, text, nth, _marks(private), by=by))
            return NoteChange(day, None, text, private)
        old = log.notes[i]
        log.notes[i] = old._replace(text=text, at=at, by=by)  # a private note's edit stays private
    return NoteChange(day, old.text, text, is_private(old.extra))


def delete_note(store: Store, habit: Habit, day: date, private: bool = False) -> NoteChange:
    """Remove this person's note of the day written last (with ``private``: their private one);
    its text is returned.

    A partner's note is theirs to delete: with only theirs that day, nothing changes and
    ``others`` names them.
    """
    mine = _own(store) or _NAMELESS
    with store.update() as state:
        log = state.habits.get(habit.id)
        i = _latest_note(log, day, mine, private, _notes_of_others(store, log, habit.id, day)) if log else None
        if log is None or i is None:
            others = {n.by for n in log.notes if n.day == day and n.by} if log else set()
            return NoteChange(day, None, None, private, tuple(sorted(others)))
        old = log.notes.pop(i)
    return NoteChange(day, old.text, None, is_private(old.extra))


def pause(store: Store, habit_id: str, start: date, until: date) -> None:
    """Pause one habit (or ``ALL``) from ``start`` to ``until``, both included (as this device's person)."""
    with store.update() as state:
        state.pauses.append(Pause(habit_id, start, until, store.by))


def resume(store: Store, habit_id: str | None, day: date, personal: frozenset[str] = frozenset()) -> list[Pause]:
    """End the pauses of ``habit_id`` (None: every pause) that cover ``day``; the pauses ended.

    A partner's pause of a personal habit (one of ``personal``) is theirs: it stays.
    """
    ended: list[Pause] = []
    me = store.by
    with store.update() as state:
        if habit_id and any(p.habit == ALL and p.covers(habit_id, day) for p in state.pauses):
            raise UsageError(
                f"all habits are paused; `habitd resume` ends that pause for every habit, {habit_id} included"
            )
        kept = []
        for p in state.pauses:
            theirs = p.habit in personal and p.by not in (me, "")  # a nameless device: the nameless only
            if p.covers(habit_id or p.habit, day) and (habit_id is None or p.habit == habit_id) and not theirs:
                ended.append(p)
                if p.start < day:
                    kept.append(p._replace(until=day - timedelta(days=1)))
            else:
                kept.append(p)
        state.pauses = kept
    return ended


# --- bulk changes: imports and renames -------------------------------------------


def merge_history(store: Store, incoming: State) -> Merged:
    """Add an imported history to the state, never duplicating what is there already."""
    from habitd.history.merge import merge_state

    with store.update() as state:
        return merge_state(state, incoming)


def rename(store: Store, old: str, new: str) -> Merged:
    """Move every trace of habit ``old`` in the state to ``new`` (merged with what ``new`` has)."""
    from habitd.history.rename import move_history

    with store.update() as state:
        return move_history(state, old, new)
