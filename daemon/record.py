"""Every change a person makes to their history, one function each: the one recording API.

The command line (``habitd done``), the notification's buttons (the daemon)
and, later, imports all record through these functions, so a completion is
the same thing whichever way it arrives. Each takes the store, the config,
the habit, the logical day and the moment it is written (time is a
parameter), does its read-modify-write under the store's lock, and returns
what happened as plain data for the caller to word. Nothing here prints.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from daemon.config import Config, Habit
from daemon.errors import UsageError
from daemon.periods import period_index, period_of
from daemon.state import ALL, Note, Pause, Skip, State
from daemon.store import Store
from daemon.streaks import MET, Period, period_state

if TYPE_CHECKING:
    from daemon.merge import Merged


class Done(NamedTuple):
    recorded: bool  # False: the period was met already, nothing changed
    day: date
    before: Period  # the period as it was before this completion
    nth: int  # which completion of the day this is (0 when nothing was recorded)
    state: State  # the state after it


class Skipped(NamedTuple):
    recorded: bool  # False: the period was skipped already
    first: date
    last: date


def done(store: Store, config: Config, habit: Habit, day: date, moment: datetime, note: str | None = None) -> Done:
    """Record a completion of ``habit`` on ``day`` (with an optional note), unless its period is met."""
    ws = config.settings.week_starts
    index = period_index(habit, day, ws)
    with store.update() as state:
        before = period_state(habit, state, index, day, ws)
        if habit.times == 1 and before.state == MET:
            return Done(False, day, before, 0, state)
        nth = state.log(habit.id).add(day)
        if note:
            state.log(habit.id).notes.append(Note(day, moment.astimezone(config.settings.tz), note, nth))
    return Done(True, day, before, nth, state)


def undo(store: Store, habit: Habit, day: date) -> bool:
    """Remove the latest completion of ``habit`` on ``day``; False when there was none."""
    with store.update() as state:
        return habit.id in state.habits and state.habits[habit.id].remove(day)


def skip(store: Store, config: Config, habit: Habit, day: date, note: str = "") -> Skipped:
    """Skip the period of ``habit`` that holds ``day``: neutral for the streak."""
    first, last = period_of(habit, day, config.settings.week_starts)
    with store.update() as state:
        log = state.log(habit.id)
        if any(first <= s.day <= last for s in log.skips):
            return Skipped(False, first, last)
        log.skips.append(Skip(day, note))
    return Skipped(True, first, last)


def pause(store: Store, habit_id: str, start: date, until: date) -> None:
    """Pause one habit (or ``ALL``) from ``start`` to ``until``, both included."""
    with store.update() as state:
        state.pauses.append(Pause(habit_id, start, until))


def resume(store: Store, habit_id: str | None, day: date) -> int:
    """End the pauses of ``habit_id`` (None: every pause) that cover ``day``; how many ended."""
    ended = 0
    with store.update() as state:
        if habit_id and any(p.habit == ALL and p.covers(habit_id, day) for p in state.pauses):
            raise UsageError(
                f"all habits are paused; `habitd resume` ends that pause for every habit, {habit_id} included"
            )
        kept = []
        for p in state.pauses:
            if p.covers(habit_id or p.habit, day) and (habit_id is None or p.habit == habit_id):
                ended += 1
                if p.start < day:
                    kept.append(Pause(p.habit, p.start, day - timedelta(days=1)))
            else:
                kept.append(p)
        state.pauses = kept
    return ended


# --- bulk changes: imports and renames (issue 13) ---------------------------------


def merge_history(store: Store, incoming: State) -> Merged:
    """Add an imported history to the state, never duplicating what is there already."""
    from daemon.merge import merge_state

    with store.update() as state:
        return merge_state(state, incoming)


def rename(store: Store, old: str, new: str) -> Merged:
    """Move every trace of habit ``old`` in the state to ``new`` (merged with what ``new`` has)."""
    from daemon.rename import move_history

    with store.update() as state:
        return move_history(state, old, new)
