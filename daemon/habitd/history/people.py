"""Who did what: each person's part of a shared history, and personal (``each``) habits.

Pure functions on ``State``: no files, no clock. A completion recorded with a
name (``[settings] name``) is that person's; one recorded without a name
belongs to everyone (it predates the names, or a device has none set). A
shared habit counts everyone's completions; a personal one (``each = true``)
counts, for a person, their own and the nameless ones, and only their own
skips and pauses and the nameless ones (a pause of every habit is
everyone's). ``view`` gives the state as one person sees it, so that
streaks, periods and reminders work on it unchanged.
"""

from __future__ import annotations

from datetime import date

from habitd.habits.config import Config, Habit
from habitd.habits.state import HabitLog, Pause, State


def _exact_days(log: HabitLog) -> set[date]:
    """Days whose owners a mask cannot tell: several completions, or several people."""
    days = set(log.counts) | set(log.mixed)
    for person in log.people.values():
        days.update(person.counts)
    return days


def own_log(log: HabitLog, person: str) -> HabitLog:
    """The habit's log as ``person`` keeps it alone: their completions and skips, and the nameless ones."""
    others = [p for name, p in log.people.items() if name != person]
    if not person or (not others and all(s.by in ("", person) for s in log.skips)):
        return log
    out = HabitLog()
    out.notes, out.extra = log.notes, log.extra
    out.skips = [s for s in log.skips if s.by in ("", person)]
    mine = log.people.get(person)
    out.done = _own_masks(log, others, mine)
    _own_counts(out, log, others)
    if mine is not None:
        out.people = {person: mine}
    return out


def _own_masks(log: HabitLog, others: list[HabitLog], mine: HabitLog | None) -> dict[int, int]:
    """The days (a bit a day, a mask a year) with a completion of ``mine`` or of nobody in particular."""
    theirs: dict[int, int] = {}
    for p in others:
        for year, mask in p.done.items():
            theirs[year] = theirs.get(year, 0) | mask
    done: dict[int, int] = {}
    for year, mask in log.done.items():
        kept = mask & ~theirs.get(year, 0)
        if mine is not None:
            kept |= mine.done.get(year, 0)
        if kept:
            done[year] = kept
    return done


def _own_counts(out: HabitLog, log: HabitLog, others: list[HabitLog]) -> None:
    """Days with more than one completion: what is left of them once the others' are taken away."""
    for day in _exact_days(log):
        n = log.count(day) - sum(p.count(day) for p in others)
        bit = 1 << (day.timetuple().tm_yday - 1)
        if n > 0:
            out.done[day.year] = out.done.get(day.year, 0) | bit
        elif day.year in out.done:
            out.done[day.year] &= ~bit
            if not out.done[day.year]:
                del out.done[day.year]
        if n > 1:
            out.counts[day] = n


def view(state: State, config: Config, person: str | None = None) -> State:
    """The state as ``person`` (default: this device's, ``[settings] name``) sees it.

    Personal habits hold only that person's part; everything else is the state's own.
    Without a name, or without personal habits, it is ``state`` itself.
    """
    person = config.settings.name if person is None else person
    if not person:
        return state
    changed = {}
    for habit in config.habits:
        log = state.habits.get(habit.id)
        if habit.each and log is not None:
            own = own_log(log, person)
            if own is not log:
                changed[habit.id] = own
    pauses = _own_pauses(state.pauses, {h.id for h in config.habits if h.each}, person)
    if not changed and pauses is state.pauses:
        return state
    out = State()
    out.habits = {**state.habits, **changed}
    out.pauses, out.prompts, out.reminders = pauses, state.prompts, state.reminders
    out.sent_day, out.sent_count = state.sent_day, state.sent_count
    return out


def _own_pauses(pauses: list[Pause], personal: set[str], person: str) -> list[Pause]:
    """The pauses that hold for ``person``: all but the others' pauses of personal habits."""
    if not any(p.habit in personal and p.by not in ("", person) for p in pauses):
        return pauses
    return [p for p in pauses if not (p.habit in personal and p.by not in ("", person))]


def as_seen(state: State, habit: Habit, person: str) -> State:
    """``state`` with ``habit`` as ``person`` sees it (a personal habit: their part; else as it is)."""
    if not (habit.each and person):
        return state
    log = state.habits.get(habit.id)
    own = own_log(log, person) if log is not None else None
    pauses = _own_pauses(state.pauses, {habit.id}, person)
    if own is log and pauses is state.pauses:
        return state
    seen = State()
    seen.habits = {**state.habits, habit.id: own} if own is not None else state.habits
    seen.pauses, seen.prompts, seen.reminders = pauses, state.prompts, state.reminders
    seen.sent_day, seen.sent_count = state.sent_day, state.sent_count
    return seen


def everyone(state: State) -> set[str]:
    """Every name seen in the history: who completed, skipped, wrote a note or paused anything."""
    seen = {p.by for p in state.pauses if p.by}
    for log in state.habits.values():
        seen.update(log.people)
        seen.update(s.by for s in log.skips if s.by)
        authors = getattr(log.notes, "authors", None)  # notes from the cache: their names, not decoded
        seen.update(authors() if authors is not None else (n.by for n in log.notes if n.by))
    return seen


def people(config: Config, state: State, habit: Habit) -> list[str]:
    """The names that keep a personal habit: this device's person first, then everyone else seen.

    A partner seen anywhere in the history has a row of their own, done or not.
    """
    me = config.settings.name
    return ([me] if me else []) + [name for name in sorted(everyone(state)) if name != me]


def who(log: HabitLog | None, first: date, last: date) -> list[str]:
    """The names of those who completed the habit on the days first..last, sorted."""
    if log is None or not log.people:
        return []
    return sorted(name for name, person in log.people.items() if person.count_between(first, last))
