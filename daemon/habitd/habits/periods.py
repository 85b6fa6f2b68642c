"""Periods: which day, week, month or N of them a date falls in.

A period is named by an integer index counted from the habit's anchor
(``start``, or a fixed Monday in 2000), so consecutive periods have
consecutive indexes and streaks are simple arithmetic.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from habitd.habits.clock import month_days
from habitd.habits.config import DEFAULT_ANCHOR, Habit


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def _week_anchor(anchor: date, week_starts: int) -> date:
    return anchor - timedelta(days=(anchor.weekday() - week_starts) % 7)


def period_index(habit: Habit, day: date, week_starts: int = 0) -> int:
    anchor = habit.start or DEFAULT_ANCHOR
    n = habit.every.n
    if habit.every.unit == "day":
        return (day - anchor).days // n
    if habit.every.unit == "week":
        return (day - _week_anchor(anchor, week_starts)).days // (7 * n)
    return (_month_number(day) - _month_number(anchor)) // n


def period_bounds(habit: Habit, index: int, week_starts: int = 0) -> tuple[date, date]:
    """First and last day (inclusive) of the period with this index."""
    anchor = habit.start or DEFAULT_ANCHOR
    n = habit.every.n
    if habit.every.unit == "day":
        first = anchor + timedelta(days=index * n)
        return first, first + timedelta(days=n - 1)
    if habit.every.unit == "week":
        first = _week_anchor(anchor, week_starts) + timedelta(days=index * 7 * n)
        return first, first + timedelta(days=7 * n - 1)
    m0 = _month_number(anchor) + index * n
    m1 = m0 + n - 1
    last_year, last_month = divmod(m1, 12)
    first = date(m0 // 12, m0 % 12 + 1, 1)
    last = date(last_year, last_month + 1, month_days(last_year, last_month + 1))
    return first, last


def period_of(habit: Habit, day: date, week_starts: int = 0) -> tuple[date, date]:
    return period_bounds(habit, period_index(habit, day, week_starts), week_starts)


def is_due_day(habit: Habit, day: date, day_starts: time = time(0)) -> bool:
    """Whether a daily habit asks anything of logical day ``day``; every other period is due.

    A daily habit with ``on`` is due on the days it names. One with ``cron`` is due on the days
    a reminder of it is about: a time from ``day_starts`` on reminds about its calendar day, an
    earlier one about the day before (``15 7 * * mon-fri`` leaves the weekend free). Any other
    daily habit is due every day.
    """
    if habit.every.unit != "day" or habit.every.n != 1:
        return True
    if habit.on is not None:
        return habit.on.matches(day)
    cron = habit.cron
    if cron is None:
        return True
    # Its times are every hour with every minute: the latest and the earliest tell.
    late = time(max(cron.hours), max(cron.minutes)) >= day_starts
    early = time(min(cron.hours), min(cron.minutes)) < day_starts
    return (late and cron.matches_day(day)) or (early and cron.matches_day(day + timedelta(days=1)))
