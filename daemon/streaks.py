"""Streaks and strength, computed from the history and a given ``today``.

A period's state is one of ``met`` (completions reached ``times``),
``skipped``, ``paused``, ``not due`` (a day off a daily habit's ``on``),
``open`` (today's period, not met yet) or ``missed``. Skipped, paused and
not-due periods are neutral: they neither break nor extend a streak.

Strength is Loop Habit Tracker's exponential score. With f = times / days of
the period, one day multiplies the score by m = 0.5 ** (sqrt(f) / 13); one
period of ``days`` days by m ** days. After each finished, non-neutral period
``S = S * m**days + c * (1 - m**days)`` with c = min(1, completions / times);
the current period counts once it is met. A daily habit that is kept every
day climbs from 0 to 0.5 in 13 days and to 0.8 in about 30.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from daemon.config import Habit
from daemon.periods import is_due_day, period_bounds, period_index
from daemon.state import State

MET, MISSED, SKIPPED, PAUSED, NOT_DUE, OPEN = "met", "missed", "skipped", "paused", "not due", "open"
NEUTRAL = frozenset({SKIPPED, PAUSED, NOT_DUE})


@dataclass(frozen=True)
class Period:
    index: int
    first: date
    last: date
    count: int
    state: str


@dataclass(frozen=True)
class Summary:
    current: Period
    streak: int
    best_streak: int
    strength: float


def period_state(habit: Habit, state: State, index: int, today: date, week_starts: int) -> Period:
    first, last = period_bounds(habit, index, week_starts)
    log = state.habits.get(habit.id)
    count = log.count_between(first, last) if log else 0
    if count >= habit.times:
        kind = MET
    elif log and any(first <= s.day <= last for s in log.skips):
        kind = SKIPPED
    elif any(state.paused(habit.id, d) for d in _pause_probe(state, habit.id, first, last)):
        kind = PAUSED
    elif not is_due_day(habit, first):
        kind = NOT_DUE
    elif last >= today:
        kind = OPEN
    else:
        kind = MISSED
    return Period(index, first, last, count, kind)


def _pause_probe(state: State, habit_id: str, first: date, last: date) -> list[date]:
    """Days of first..last that some pause covers (its first covered day suffices)."""
    return [max(first, p.start) for p in state.pauses if p.start <= last and p.until >= first]


def periods(habit: Habit, state: State, today: date, week_starts: int, first_index: int | None = None) -> list[Period]:
    """Every period from the first completion (or ``first_index``) to today's."""
    now = period_index(habit, today, week_starts)
    if first_index is None:
        log = state.habits.get(habit.id)
        first_day = log.first_day() if log else None
        if first_day is None or first_day > today:
            return [period_state(habit, state, now, today, week_starts)]
        first_index = period_index(habit, first_day, week_starts)
    return [period_state(habit, state, i, today, week_starts) for i in range(first_index, now + 1)]


def _decay(habit: Habit, period: Period) -> float:
    days = (period.last - period.first).days + 1
    f = habit.times / days
    return float(0.5 ** (math.sqrt(f) * days / 13))


def summarize(habit: Habit, state: State, today: date, week_starts: int = 0) -> Summary:
    history = periods(habit, state, today, week_starts)
    current = history[-1]
    streak = best = 0
    run = 0
    score = 0.0
    for p in history:
        if p.state == MET:
            run += 1
            best = max(best, run)
        elif p.state == MISSED:
            run = 0
        if p.state in (MET, MISSED):
            m = _decay(habit, p)
            c = min(1.0, p.count / habit.times)
            score = score * m + c * (1 - m)
    streak = run
    return Summary(current=current, streak=streak, best_streak=best, strength=round(score, 4))
