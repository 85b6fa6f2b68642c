"""Statistics of a habit, as plain data: completion rates, strength and its trend, the best run.

A completion rate is met periods / periods that counted over a window: skipped,
paused and not-due periods do not count, and neither does today's period
until it is met (it is not over yet). A window holds the periods that begin in
it, today's included; nothing before the habit's first completion or skip counts.
Everything is computed from ``streaks.history_codes``, the same whole-history
codes the streaks and the strength come from. The strength on a past day is
computed from the history as it stood that day (``as_of``), so a completion
made later in the same week does not raise it.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from habitd.habits.clock import WEEKDAYS, month_days
from habitd.habits.config import Config, Habit
from habitd.habits.periods import period_bounds, period_index
from habitd.habits.state import HabitLog, State
from habitd.habits.streaks import MET_CODE, MISSED_CODE, Codes, history_codes, strength, summarize
from habitd.history.people import as_seen
from habitd.records import Record

WINDOWS = ("last_4_weeks", "last_3_months", "last_12_months", "all_time")


class Rate(Record):
    met: int
    counted: int  # met + missed periods

    @property
    def ratio(self) -> float | None:
        return self.met / self.counted if self.counted else None


class Run(Record):
    """A run of met periods (neutral ones inside it do not break it)."""

    length: int  # met periods
    first: date | None  # first day of its first met period
    last: date | None  # last day of its last met period (today at most)


class HabitStats(Record):
    habit: Habit
    rates: tuple[Rate, ...]  # one per WINDOWS
    strength: float
    strength_month_ago: float
    trend: tuple[float | None, ...]  # strength at each of the last 12 month ends, today last; None: not begun
    trend_days: tuple[date, ...]
    streak: int
    best: Run
    weekdays: tuple[int, ...]  # completions per weekday, Monday first
    completions: int


def months_back(day: date, n: int) -> date:
    """The same day ``n`` months earlier (the month's last day when it is shorter)."""
    m = day.year * 12 + day.month - 1 - n
    year, month = divmod(m, 12)
    return date(year, month + 1, min(day.day, month_days(year, month + 1)))


def month_end(day: date) -> date:
    return day.replace(day=month_days(day.year, day.month))


def window_starts(today: date) -> tuple[date | None, ...]:
    """The first day of each window in WINDOWS (None: all time)."""
    return (
        today - timedelta(days=27),
        months_back(today, 3) + timedelta(days=1),
        months_back(today, 12) + timedelta(days=1),
        None,
    )


def rate(habit: Habit, h: Codes | None, since: date | None, week_starts: int) -> Rate:
    if h is None:
        return Rate(0, 0)
    lo = 0
    if since is not None:
        index = period_index(habit, since, week_starts)
        if period_bounds(habit, index, week_starts)[0] < since:  # only periods that begin in the window
            index += 1
        lo = max(0, index - h.first)
    part = h.codes[lo:]
    met = part.count(MET_CODE)
    return Rate(met, met + part.count(MISSED_CODE))


def best_run(habit: Habit, h: Codes | None, today: date, week_starts: int, lo: int = 0, hi: int | None = None) -> Run:
    """The longest run of met periods among codes ``lo:hi`` (the latest of equal ones)."""
    if h is None:
        return Run(0, None, None)
    codes = h.codes[: len(h.codes) if hi is None else hi]
    best = (0, -1, -1)
    j = lo
    for part in codes[lo:].split(MISSED_CODE):
        met = part.count(MET_CODE)
        if met and met >= best[0]:
            best = (met, j + part.index(MET_CODE), j + part.rindex(MET_CODE))
        j += len(part) + 1
    if not best[0]:
        return Run(0, None, None)
    first = period_bounds(habit, h.first + best[1], week_starts)[0]
    last = period_bounds(habit, h.first + best[2], week_starts)[1]
    return Run(best[0], first, min(last, today))


_EVERY_7TH = sum(1 << (7 * k) for k in range(53))  # bits 0, 7, 14, ... over a year's 366 days


def weekday_counts(log: HabitLog | None) -> tuple[int, ...]:
    """Completions on each weekday (Monday first), counted on the bitmasks of the years."""
    counts = [0] * 7
    if log is None:
        return tuple(counts)
    for year, mask in log.done.items():
        jan1 = date(year, 1, 1).weekday()
        for wd in range(7):
            counts[wd] += (mask & (_EVERY_7TH << ((wd - jan1) % 7))).bit_count()
    for day, n in log.counts.items():
        counts[day.weekday()] += n - 1
    return tuple(counts)


def top_weekday(s: HabitStats) -> int | None:
    """The weekday with most completions (the first in the week of equal ones); None without any."""
    top = max(s.weekdays)
    return s.weekdays.index(top) if top else None


def as_of(state: State, habit_id: str, day: date) -> State:
    """The habit's history as it stood at the end of ``day``: what came later left out."""
    past = State()
    past.pauses = state.pauses
    log = state.habits.get(habit_id)
    if log is None:
        return past
    clipped = past.log(habit_id)
    keep = (1 << day.timetuple().tm_yday) - 1
    clipped.done = {y: m if y < day.year else m & keep for y, m in log.done.items() if y <= day.year}
    clipped.done = {y: m for y, m in clipped.done.items() if m}
    clipped.counts = {d: n for d, n in log.counts.items() if d <= day}
    clipped.skips = [s for s in log.skips if s.day <= day]
    return past


def strength_on(habit: Habit, state: State, day: date, week_starts: int, day_starts: time = time(0)) -> float | None:
    """The strength ``status`` showed on ``day``; None before the first entry."""
    past = history_codes(habit, as_of(state, habit.id, day), day, week_starts, day_starts)
    return round(strength(habit, past), 4) if past else None


def habit_stats(config: Config, state: State, habit: Habit, today: date) -> HabitStats:
    ws, ds = config.settings.week_starts, config.settings.day_starts
    state = as_seen(state, habit, config.settings.name)  # a personal habit: my own part
    h = history_codes(habit, state, today, ws, ds)
    summary = summarize(habit, state, today, ws, ds)
    trend_days = tuple([month_end(months_back(today, k)) for k in range(11, 0, -1)] + [today])
    trend = [strength_on(habit, state, day, ws, ds) for day in trend_days]
    weekdays = weekday_counts(state.habits.get(habit.id))
    return HabitStats(
        habit,
        tuple(rate(habit, h, since, ws) for since in window_starts(today)),
        summary.strength,
        strength_on(habit, state, months_back(today, 1), ws, ds) or 0.0,
        tuple(trend),
        trend_days,
        summary.streak,
        best_run(habit, h, today, ws),
        weekdays,
        sum(weekdays),
    )


def stats(config: Config, state: State, today: date) -> list[HabitStats]:
    return [habit_stats(config, state, habit, today) for habit in config.habits]


def stats_json(today: date, rows: list[HabitStats]) -> dict[str, object]:
    def one(s: HabitStats) -> dict[str, object]:
        top = top_weekday(s)
        return {
            "id": s.habit.id,
            "title": s.habit.title,
            "archived": s.habit.archived,
            "period": str(s.habit.every),
            "target": s.habit.times,
            "rates": {
                name: {"met": r.met, "counted": r.counted, "rate": None if r.ratio is None else round(r.ratio, 4)}
                for name, r in zip(WINDOWS, s.rates, strict=True)
            },
            "strength": s.strength,
            "strength_month_ago": s.strength_month_ago,
            "strength_trend": [
                {"date": d.isoformat(), "strength": v} for d, v in zip(s.trend_days, s.trend, strict=True)
            ],
            "streak": s.streak,
            "best_streak": {
                "length": s.best.length,
                "first": s.best.first.isoformat() if s.best.first else None,
                "last": s.best.last.isoformat() if s.best.last else None,
            },
            "completions": s.completions,
            "weekdays": dict(zip(WEEKDAYS, s.weekdays, strict=True)),
            "most_done_on": WEEKDAYS[top] if top is not None else None,
        }

    return {"today": today.isoformat(), "habits": [one(s) for s in rows]}
