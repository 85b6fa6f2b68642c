"""Streaks and strength, computed from the history and a given ``today``.

A period's state is one of ``met`` (completions reached ``times``),
``skipped``, ``paused``, ``not due`` (a day a daily habit's ``on`` or ``cron`` leaves free),
``open`` (today's period, not met yet) or ``missed``. Skipped, paused and
not-due periods are neutral: they neither break nor extend a streak. A period
is paused only when its days outside a pause are fewer than its target: a
week paused until Thursday can still be met on Saturday.

Strength is Loop Habit Tracker's exponential score. With f = times / days of
the period, one day multiplies the score by m = 0.5 ** (sqrt(f) / 13); one
period of ``days`` days by m ** days. After each finished, non-neutral period
``S = S * m**days + c * (1 - m**days)`` with c = min(1, completions / times);
the current period counts once it is met. A daily habit that is kept every
day climbs from 0 to 0.5 in 13 days and to 0.8 in about 30.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import date, time, timedelta

from habitd.habits.config import Habit
from habitd.habits.periods import is_due_day, period_bounds, period_index
from habitd.habits.state import ALL, HabitLog, State
from habitd.records import Record

MET, MISSED, SKIPPED, PAUSED, NOT_DUE, OPEN = "met", "missed", "skipped", "paused", "not due", "open"


class Period(Record):
    number: int  # the period's index, counted from the habit's anchor
    first: date
    last: date
    done: int  # completions in it
    state: str


class Summary(Record):
    current: Period
    streak: int
    best_streak: int
    strength: float


def period_state(
    habit: Habit, state: State, index: int, today: date, week_starts: int, day_starts: time = time(0)
) -> Period:
    first, last = period_bounds(habit, index, week_starts)
    log = state.habits.get(habit.id)
    count = log.count_between(first, last) if log else 0
    if count >= habit.times:
        kind = MET
    elif log and any(first <= s.day <= last for s in log.skips):
        kind = SKIPPED
    elif _too_paused(habit, state, first, last):
        kind = PAUSED
    elif not is_due_day(habit, first, day_starts):
        kind = NOT_DUE
    elif last >= today:
        kind = OPEN
    else:
        kind = MISSED
    return Period(index, first, last, count, kind)


def _pauses(state: State, habit_id: str) -> list[tuple[date, date]]:
    return [(p.start, p.until) for p in state.pauses if p.habit in (ALL, habit_id)]


def _too_paused(habit: Habit, state: State, first: date, last: date) -> bool:
    """Whether pauses leave first..last fewer free days than the habit's target."""
    length = (last - first).days + 1
    paused = f"{_bits(_pauses(state, habit.id), first, length):b}".count("1")
    return paused > 0 and length - paused < habit.times


def periods(
    habit: Habit,
    state: State,
    today: date,
    week_starts: int,
    first_index: int | None = None,
    day_starts: time = time(0),
) -> list[Period]:
    """Every period from the first entry (``first_entry``; or from ``first_index``) to today's."""
    now = period_index(habit, today, week_starts)
    if first_index is None:
        first_day = first_entry(state.habits.get(habit.id))
        if first_day is None or first_day > today:
            return [period_state(habit, state, now, today, week_starts, day_starts)]
        first_index = period_index(habit, first_day, week_starts)
    return [period_state(habit, state, i, today, week_starts, day_starts) for i in range(first_index, now + 1)]


def first_entry(log: HabitLog | None) -> date | None:
    """The day habitd first knew of a habit: its earliest completion or skip (None: neither yet).

    Nothing before it is missed: the views show it as not tracked, and streaks, strength and
    rates begin with its period.
    """
    if log is None:
        return None
    days = [d for d in (log.first_day(), *(s.day for s in log.skips)) if d is not None]
    return min(days, default=None)


def _decay(habit: Habit, days: int) -> float:
    f = habit.times / days
    return float(0.5 ** (math.sqrt(f) * days / 13))


# Strength forgets: after this many periods an old period weighs less than 1e-4.
def _memory(habit: Habit, days: int) -> int:
    return math.ceil(math.log(1e-4) / math.log(_decay(habit, days))) + 1


MET_CODE, NEUTRAL_CODE, MISSED_CODE, OPEN_CODE = "1", "2", "4", "0"


def _mask(log: HabitLog, origin: date, length: int) -> int:
    """Days with a completion from ``origin`` on, as bits: bit i is origin + i days."""
    mask = 0
    for year, bits in log.done.items():
        offset = (date(year, 1, 1) - origin).days
        mask |= bits << offset if offset >= 0 else bits >> -offset
    return mask & ((1 << length) - 1)


def _bits(days: list[tuple[date, date]], origin: date, length: int) -> int:
    """Bits for the days of these inclusive ranges, clipped to [origin, origin + length)."""
    mask = 0
    for first, last in days:
        lo, hi = max((first - origin).days, 0), min((last - origin).days + 1, length)
        if hi > lo:
            mask |= ((1 << (hi - lo)) - 1) << lo
    return mask


def _not_due(habit: Habit, origin: date, length: int, day_starts: time) -> int:
    """Bits for the days a daily habit's ``on`` or ``cron`` leaves free (``periods.is_due_day``)."""
    cron = habit.cron
    if cron is None or (len(cron.doms) == 31 and len(cron.months) == 12):  # a matter of the weekday
        week = sum(1 << i for i in range(7) if not is_due_day(habit, origin + timedelta(days=i), day_starts))
        weeks = length // 7 + 1
        return (week * (((1 << (7 * weeks)) - 1) // 127)) & ((1 << length) - 1)
    return sum(1 << i for i in range(length) if not is_due_day(habit, origin + timedelta(days=i), day_starts))


def _daily_codes(habit: Habit, state: State, log: HabitLog, origin: date, today: date, day_starts: time) -> str:
    """One code a day, computed with whole-history bit operations (daily habits dominate the cost)."""
    length = (today - origin).days + 1
    done = _mask(log, origin, length)
    if habit.times == 1:
        met = done
    else:
        met = _bits([(d, d) for d, n in log.counts.items() if n >= habit.times], origin, length)
    neutral = _bits([(s.day, s.day) for s in log.skips], origin, length)
    neutral |= _bits([(p.start, p.until) for p in state.pauses if p.habit in (ALL, habit.id)], origin, length)
    if habit.on is not None or habit.cron is not None:
        neutral |= _not_due(habit, origin, length, day_starts)
    neutral &= ~met
    missed = ((1 << (length - 1)) - 1) & ~(met | neutral)  # today is open, never missed
    # Spread the bits into hex digits (the binary text read as base 16) and add: one digit a day.
    digits = int(f"{met:b}", 16) + 2 * int(f"{neutral:b}", 16) + 4 * int(f"{missed:b}", 16)
    return f"{digits:x}".zfill(length)[::-1]


def _period_starts(habit: Habit, origin: date, end: date) -> list[int]:
    """Day offsets from ``origin`` at which each period begins, and one past the last day."""
    length = (end - origin).days + 1
    if habit.every.unit != "month":
        step = habit.every.n * (7 if habit.every.unit == "week" else 1)
        return list(range(0, length + 1, step))
    offsets = []
    month = origin.year * 12 + origin.month - 1
    while True:
        offset = (date(month // 12, month % 12 + 1, 1) - origin).days
        offsets.append(offset)
        if offset >= length:
            return offsets
        month += habit.every.n


class _Periods(Record):
    """Codes of a habit's periods, and how to count and measure one of them."""

    codes: str
    count: Callable[[int], int]  # completions in period j
    days: Callable[[int], int]  # its length in days


def _period_codes(habit: Habit, state: State, log: HabitLog, first: int, now: int, ws: int) -> _Periods:
    """One code a period, for weeks, months and N days, from the history's bits."""
    origin = period_bounds(habit, first, ws)[0]
    end = period_bounds(habit, now, ws)[1]
    length = (end - origin).days + 1
    mask = _mask(log, origin, length)
    bits = f"{mask:b}".zfill(length)[::-1]  # day by day, oldest first
    starts = _period_starts(habit, origin, end)
    extra: dict[int, int] = {}
    for d, n in log.counts.items():
        if origin <= d <= end:
            j = period_index(habit, d, ws) - first
            extra[j] = extra.get(j, 0) + n - 1
    n_periods = len(starts) - 1
    if habit.times > 1 or habit.every.unit == "month":  # codes and strength count every period
        counts = [bits.count("1", starts[j], starts[j + 1]) + extra.get(j, 0) for j in range(n_periods)]
        count: Callable[[int], int] = counts.__getitem__
        codes = [MET_CODE if c >= habit.times else MISSED_CODE for c in counts]
    else:

        def count(j: int) -> int:
            return bits.count("1", starts[j], starts[j + 1]) + extra.get(j, 0)

        # Met when any day of the block of `size` days is: fold each block onto its first bit.
        size, span = starts[1], 1
        while span < size:
            step = min(span, size - span)
            mask |= mask >> step
            span += step
        met = f"{mask:b}".zfill(length)[::-1][::size]
        codes = list(met.replace("0", MISSED_CODE))

    def days(j: int) -> int:
        return starts[j + 1] - starts[j]

    neutral = {period_index(habit, s.day, ws) - first for s in log.skips}
    paused = f"{_bits(_pauses(state, habit.id), origin, length):b}".zfill(length)[::-1]
    for j in range(n_periods if "1" in paused else 0):
        off = paused.count("1", starts[j], starts[j + 1])
        if off and days(j) - off < habit.times:  # its free days cannot hold its target
            neutral.add(j)
    for j in neutral:
        if 0 <= j < n_periods and codes[j] != MET_CODE:
            codes[j] = NEUTRAL_CODE
    if codes[-1] == MISSED_CODE:
        codes[-1] = OPEN_CODE  # the current period is never missed
    return _Periods("".join(codes), count, days)


class Codes(Record):
    """One code a period (MET_CODE, MISSED_CODE, NEUTRAL_CODE, OPEN_CODE) from the period of the
    habit's first entry (``first_entry``) to today's; code j is the period with index ``first + j``."""

    first: int
    codes: str
    count: Callable[[int], int]  # completions in period j
    days: Callable[[int], int]  # its length in days
    daily: bool


def history_codes(
    habit: Habit, state: State, today: date, week_starts: int = 0, day_starts: time = time(0)
) -> Codes | None:
    """The whole history as codes, computed with bit operations; None before the first entry."""
    log = state.habits.get(habit.id)
    first_day = first_entry(log)
    if log is None or first_day is None or first_day > today:
        return None
    first = period_index(habit, first_day, week_starts)
    daily = habit.every.unit == "day" and habit.every.n == 1
    if daily:
        codes = _daily_codes(habit, state, log, first_day, today, day_starts)
        count: Callable[[int], int] = lambda j: log.count(first_day + timedelta(days=j))  # noqa: E731
        days: Callable[[int], int] = lambda j: 1  # noqa: E731
        return Codes(first, codes, count, days, daily)
    now = period_index(habit, today, week_starts)
    return Codes(first, *_period_codes(habit, state, log, first, now, week_starts), daily)


def summarize(habit: Habit, state: State, today: date, week_starts: int = 0, day_starts: time = time(0)) -> Summary:
    """Today's period, the streak, the best streak and the strength: cost independent of how long
    the history is, give or take a few bit operations on it."""
    now = period_index(habit, today, week_starts)
    current = period_state(habit, state, now, today, week_starts, day_starts)
    h = history_codes(habit, state, today, week_starts, day_starts)
    if h is None:
        return Summary(current, 0, 0, 0.0)
    codes = h.codes
    best = max(map(str.count, codes.split(MISSED_CODE), itertools.repeat(MET_CODE)))
    streak = codes.rsplit(MISSED_CODE, 1)[-1].count(MET_CODE)
    return Summary(current, streak, best, round(strength(habit, h), 4))


def strength(habit: Habit, h: Codes) -> float:
    """The strength at the end of the coded history (see the module's docstring)."""
    return _strength(habit, h.codes, h.count, h.days, h.daily)


def _strength(habit: Habit, codes: str, count: Callable[[int], int], days: Callable[[int], int], daily: bool) -> float:
    """Loop's score over the periods it still remembers; older ones weigh less than 1e-4.

    Neutral periods leave it alone, so the window grows until it holds enough scored periods.
    """
    memory = _memory(habit, days(len(codes) - 1))
    window = min(memory, len(codes))
    while window < len(codes) and codes[-window:].count(MET_CODE) + codes[-window:].count(MISSED_CODE) < memory:
        window = min(len(codes), window * 2)
    start = len(codes) - window
    score = 0.0
    if habit.times == 1 and (daily or habit.every.unit != "month"):  # one decay, met or not: the common case
        m = _decay(habit, days(0))
        for code in codes[start:]:
            if code == MET_CODE:
                score = score * m + (1 - m)
            elif code == MISSED_CODE:
                score *= m
        return score
    decay: dict[int, float] = {}
    for j in range(start, len(codes)):
        if codes[j] not in (MET_CODE, MISSED_CODE):
            continue
        length = days(j)
        if length not in decay:
            decay[length] = _decay(habit, length)
        m = decay[length]
        score = score * m + min(1.0, count(j) / habit.times) * (1 - m)
    return score
