"""Streaks and strength: hand-computed cases across month ends, leap days, week 53 and DST."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from habitd.habits.config import Config, parse_config
from habitd.habits.periods import period_of
from habitd.habits.state import Pause, Skip, State
from habitd.habits.streaks import MET, MISSED, NOT_DUE, OPEN, PAUSED, SKIPPED, periods, summarize


def habit(body: str, settings: str = "") -> tuple[Config, object]:
    config = parse_config(f"[settings]\n{settings}\n[habits.h]\n{body}\n", "c", "Europe/Berlin")
    return config, config.habits[0]


def with_days(*days: date) -> State:
    state = State()
    for d in days:
        state.log("h").add(d)
    return state


D = date


def test_daily_streak_counts_consecutive_days_and_today_does_not_break_it() -> None:
    _, h = habit('every = "day"')
    state = with_days(D(2026, 11, 22), D(2026, 11, 23), D(2026, 11, 24))
    s = summarize(h, state, D(2026, 11, 25))  # today not done yet: still 3
    assert (s.streak, s.best_streak, s.current.state) == (3, 3, OPEN)
    state.log("h").add(D(2026, 11, 25))
    assert summarize(h, state, D(2026, 11, 25)).streak == 4


def test_a_missed_day_breaks_the_streak_but_not_the_best() -> None:
    _, h = habit('every = "day"')
    state = with_days(*(D(2026, 11, d) for d in (1, 2, 3, 4, 6, 7)))
    s = summarize(h, state, D(2026, 11, 7))
    assert (s.streak, s.best_streak) == (2, 4)


def test_skipped_and_not_due_days_are_neutral() -> None:
    _, h = habit('on = "weekdays"')
    # Fri 2026-11-20, (weekend not due), Mon 23, Tue 24 skipped, Wed 25.
    state = with_days(D(2026, 11, 20), D(2026, 11, 23), D(2026, 11, 25))
    state.log("h").skips.append(Skip(D(2026, 11, 24)))
    rows = periods(h, state, D(2026, 11, 25), 0)
    assert [p.state for p in rows] == [MET, NOT_DUE, NOT_DUE, MET, SKIPPED, MET]
    assert summarize(h, state, D(2026, 11, 25)).streak == 3


def test_paused_periods_are_neutral() -> None:
    _, h = habit('every = "week"')
    state = with_days(D(2026, 11, 2), D(2026, 11, 23))
    state.pauses.append(Pause("*", D(2026, 11, 9), D(2026, 11, 22)))  # two whole weeks
    rows = periods(h, state, D(2026, 11, 25), 0)
    assert [p.state for p in rows] == [MET, PAUSED, PAUSED, MET]
    assert summarize(h, state, D(2026, 11, 25)).streak == 2
    # Paused from a Tuesday to a Friday: each week kept a free day, so both were there to keep.
    state.pauses[:] = [Pause("*", D(2026, 11, 10), D(2026, 11, 20))]
    assert [p.state for p in periods(h, state, D(2026, 11, 25), 0)] == [MET, MISSED, MISSED, MET]


def test_weekly_times_three_needs_three_completions() -> None:
    _, h = habit('every = "week"\ntimes = 3')
    state = with_days(D(2026, 11, 16), D(2026, 11, 18), D(2026, 11, 20), D(2026, 11, 23))
    rows = periods(h, state, D(2026, 11, 25), 0)
    assert [(p.done, p.state) for p in rows] == [(3, MET), (1, OPEN)]
    state.log("h").add(D(2026, 11, 23))
    state.log("h").add(D(2026, 11, 24))  # two on the 23rd count twice
    assert summarize(h, state, D(2026, 11, 25)).current.state == MET


def test_week_starts_on_sunday() -> None:
    config, h = habit('every = "week"', 'week_starts = "sun"')
    assert period_of(h, D(2026, 11, 25), config.settings.week_starts) == (D(2026, 11, 22), D(2026, 11, 28))


def test_iso_week_53_is_one_week() -> None:
    # 2026 has an ISO week 53: Mon 2026-12-28 .. Sun 2027-01-03.
    _, h = habit('every = "week"')
    assert period_of(h, D(2027, 1, 1)) == (D(2026, 12, 28), D(2027, 1, 3))
    state = with_days(D(2026, 12, 23), D(2026, 12, 31), D(2027, 1, 4))
    assert summarize(h, state, D(2027, 1, 4)).streak == 3


def test_month_ends_and_leap_day() -> None:
    _, h = habit('every = "month"')
    assert period_of(h, D(2028, 2, 29)) == (D(2028, 2, 1), D(2028, 2, 29))
    assert period_of(h, D(2027, 2, 15)) == (D(2027, 2, 1), D(2027, 2, 28))
    state = with_days(D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 1))
    assert summarize(h, state, D(2028, 3, 2)).streak == 3
    _, daily = habit('every = "day"')
    leap = with_days(D(2028, 2, 28), D(2028, 2, 29), D(2028, 3, 1))
    assert summarize(daily, leap, D(2028, 3, 1)).streak == 3


def test_year_end_daily_streak_crosses_years() -> None:
    _, h = habit('every = "day"')
    state = with_days(D(2026, 12, 30), D(2026, 12, 31), D(2027, 1, 1))
    assert summarize(h, state, D(2027, 1, 1)).streak == 3


def test_every_four_months_from_default_anchor_is_thirds_of_the_year() -> None:
    _, h = habit('every = "4 months"')
    assert period_of(h, D(2026, 6, 15)) == (D(2026, 5, 1), D(2026, 8, 31))
    state = with_days(D(2026, 2, 1), D(2026, 6, 1), D(2026, 9, 30))
    assert summarize(h, state, D(2026, 10, 1)).streak == 3


def test_n_days_counted_from_start() -> None:
    _, h = habit('every = "3 days"\nstart = 2026-11-01')
    assert period_of(h, D(2026, 11, 25)) == (D(2026, 11, 25), D(2026, 11, 27))
    assert period_of(h, D(2026, 11, 24)) == (D(2026, 11, 22), D(2026, 11, 24))


def test_strength_follows_loops_formula() -> None:
    _, h = habit('every = "day"')
    m = 0.5 ** (1 / 13)
    state = with_days(*(D(2026, 1, 1) + timedelta(days=i) for i in range(13)))
    s = summarize(h, state, D(2026, 1, 13))  # 13 met days from 0
    assert math.isclose(s.strength, 1 - m**13, abs_tol=1e-4)
    assert math.isclose(s.strength, 0.5, abs_tol=1e-4)
    # A miss then lowers it by the factor m; it does not reset it.
    after = summarize(h, state, D(2026, 1, 15))  # 14th missed, 15th open
    assert math.isclose(after.strength, 0.5 * m, abs_tol=1e-4)


def test_strength_ignores_skipped_days() -> None:
    _, h = habit('every = "day"')
    state = with_days(D(2026, 1, 1), D(2026, 1, 3))
    plain = summarize(h, state, D(2026, 1, 3)).strength
    state.log("h").skips.append(Skip(D(2026, 1, 2)))
    skipped = summarize(h, state, D(2026, 1, 3)).strength
    m = 0.5 ** (1 / 13)
    assert math.isclose(skipped, 1 - m**2, abs_tol=1e-4)
    assert skipped > plain


def test_dst_days_are_single_days() -> None:
    _, h = habit('every = "day"')
    state = with_days(D(2026, 3, 28), D(2026, 3, 29), D(2026, 3, 30), D(2026, 10, 25))
    assert summarize(h, state, D(2026, 3, 30)).streak == 3
    rows = periods(h, state, D(2026, 10, 25), 0)
    assert rows[-1].state == MET and rows[-2].state == MISSED


def test_streaks_do_not_depend_on_recording_order() -> None:
    _, h = habit('every = "week"\ntimes = 2')
    days = [D(2026, 1, 1) + timedelta(days=random.Random(i).randrange(300)) for i in range(120)]
    a, b = State(), State()
    for d in days:
        a.log("h").add(d)
    for d in sorted(days, reverse=True):
        b.log("h").add(d)
    assert summarize(h, a, D(2026, 11, 1)) == summarize(h, b, D(2026, 11, 1))


def test_a_week_paused_only_until_thursday_still_counts_and_still_reminds() -> None:
    """Weekly on Saturday, paused Monday to Thursday: Saturday is free, so the week is not neutral."""
    from habitd.views.rows import next_reminder

    config, h = habit('every = "week"\non = ["sat"]\nat = "10:00"')
    state = with_days(D(2026, 11, 14))  # met the week before
    state.pauses.append(Pause("*", D(2026, 11, 16), D(2026, 11, 19)))  # Mon..Thu
    monday = datetime_at(2026, 11, 16, 9)
    assert next_reminder(config, state, h, monday) == datetime_at(2026, 11, 21, 10)  # not a week later
    week = periods(h, state, D(2026, 11, 20), 0)[-1]
    assert (week.first, week.state) == (D(2026, 11, 16), OPEN)
    after = summarize(h, state, D(2026, 11, 23))  # not done that Saturday: missed, the streak ends
    assert [p.state for p in periods(h, state, D(2026, 11, 23), 0)][-2] == MISSED
    assert after.streak == 0
    state.log("h").add(D(2026, 11, 21))
    assert summarize(h, state, D(2026, 11, 23)).streak == 2
    # Three times a week with only Saturday and Sunday free: the target cannot fit, the week is neutral.
    _, h3 = habit('every = "week"\ntimes = 3')
    state.pauses[:] = [Pause("*", D(2026, 11, 16), D(2026, 11, 20))]
    assert periods(h3, state, D(2026, 11, 23), 0)[-2].state == PAUSED


def datetime_at(y: int, m: int, d: int, hour: int) -> object:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(y, m, d, hour, tzinfo=ZoneInfo("Europe/Berlin"))
