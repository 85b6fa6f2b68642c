"""Reminders that quiet hours hold past the end of their period: known at once, never searched for.

A reminder due inside quiet hours is shown when they end; if its period is over by then it is
never shown. Whether that is so for every reminder of a habit follows from its times, the quiet
hours and its period alone: the schedule must know it without scanning years of days (a daemon
with many such habits once took half a minute to start and to stop).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habitd.habits import schedule
from habitd.habits.config import Config, parse_config
from habitd.habits.periods import is_due_day
from habitd.habits.schedule import expires, never_shown, shown_at, slots_between
from habitd.habits.state import State
from habitd.views.rows import next_reminder

BERLIN = ZoneInfo("Europe/Berlin")
QUIET = 'quiet_hours = "22:30-07:30"\nday_starts = "04:00"'


def cfg(habit: str, extra: str = QUIET) -> Config:
    return parse_config(f'[settings]\ntimezone = "Europe/Berlin"\n{extra}\n\n[habits.h]\n{habit}\n', "c")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def test_a_daily_reminder_held_past_its_day_is_never_due_and_needs_no_search(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = cfg('at = "23:00"')
    assert never_shown(config.habits[0], config.settings)
    calls = []
    real = schedule.slots_on
    monkeypatch.setattr(schedule, "slots_on", lambda *a: calls.append(a) or real(*a))
    assert next_reminder(config, State(), config.habits[0], at("2026-12-03T12:00")) is None
    assert calls == []  # known from the habit's times, not from ten years of days


def test_a_reminder_held_but_shown_within_its_period_still_comes() -> None:
    # Sunday 23:00 of a week starting on Monday is held to Monday 07:30: the next week. Saturday's is not.
    config = cfg('every = "week"\non = ["sat", "sun"]\nat = "23:00"')
    assert not never_shown(config.habits[0], config.settings)
    assert next_reminder(config, State(), config.habits[0], at("2026-12-03T12:00")) == at("2026-12-06T07:30")
    sunday_only = cfg('every = "week"\non = ["sun"]\nat = "23:00"')
    assert never_shown(sunday_only.habits[0], sunday_only.settings)
    # `on` names logical days: 01:00, before the day starts at 04:00, is the end of Monday, so it
    # rings early on Tuesday; held to 07:30 it is still in Monday's week.
    monday_night = cfg('every = "week"\non = ["mon"]\nat = "01:00"')
    assert not never_shown(monday_night.habits[0], monday_night.settings)
    assert next_reminder(config, State(), monday_night.habits[0], at("2026-12-03T12:00")) == at("2026-12-08T07:30")
    # Without quiet hours: Tuesday's and Thursday's 01:00 ring on Wednesday and Friday, about the
    # days named (before, they rang about Monday and Wednesday, not due, and so never).
    night_owl = cfg('on = ["tue", "thu"]\nat = "01:00"', 'day_starts = "04:00"')
    assert not never_shown(night_owl.habits[0], night_owl.settings)
    assert next_reminder(night_owl, State(), night_owl.habits[0], at("2026-12-03T12:00")) == at("2026-12-04T01:00")
    # A time outside the window, and quiet hours the day does not end in, are shown.
    assert not never_shown(cfg('at = "21:00"').habits[0], cfg("").settings)
    late_start = cfg('at = "23:00"', 'quiet_hours = "22:30-07:30"\nday_starts = "08:00"')
    assert not never_shown(late_start.habits[0], late_start.settings)


HABITS = st.sampled_from(
    [
        'at = "{t}"',
        'at = ["{t}", "{u}"]',
        'on = ["weekdays"]\nat = "{t}"',
        'on = ["tue", "thu"]\nat = "{t}"',
        'every = "week"\nat = "{t}"',
        'every = "week"\non = ["sun"]\nat = "{t}"',
        'every = "week"\non = ["mon", "sun"]\nat = "{t}"',
        'every = "month"\non = ["last sun"]\nat = "{t}"',
        'every = "2 weeks"\non = ["sun"]\nat = "{t}"',
        'every = "month"\non = [31]\nat = "{t}"',
        'every = "3 days"\nat = "{t}"',
        'every = "4 months"\nat = "{t}"',
        'every = "month"\nat = "{t}"',
        'cron = "{m} {h} * * *"',
        'every = "week"\ncron = "{m} {h} * * sun"',
        'every = "week"\ncron = "{m} {h} 1-7 * sun"',
        'at = "{t}"\nremind_again = "30m"',
    ]
)
TIMES = st.sampled_from(["21:00", "22:30", "23:00", "23:59", "00:00", "01:30", "03:59", "04:00", "07:00", "12:00"])
SETTINGS = st.sampled_from(
    [
        'quiet_hours = "22:30-07:30"\nday_starts = "04:00"',
        'quiet_hours = "22:30-07:30"\nday_starts = "04:00"\nweek_starts = "sun"',
        'quiet_hours = "22:00-04:00"\nday_starts = "04:00"',
        'quiet_hours = "01:00-06:00"\nday_starts = "03:00"',
        'quiet_hours = "23:00-07:00"',
        'quiet_hours = "22:30-07:30"\nday_starts = "08:00"',
        'quiet_hours = "22:30-07:30"',
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HABITS, TIMES, TIMES, SETTINGS, st.integers(0, 400))
def test_never_shown_agrees_with_every_slot_of_a_year(habit: str, t: str, u: str, extra: str, offset: int) -> None:
    """Never shown means: not one slot of a year (across both DST changes) is shown in its period
    and reminds about a day that is due."""
    h, m = t.split(":")
    config = cfg(habit.format(t=t, u=u, h=int(h), m=int(m)), extra)
    hb, s = config.habits[0], config.settings
    start = at("2026-01-01T12:00") + timedelta(days=offset)
    shown = [
        x
        for x in slots_between(hb, s, start, start + timedelta(days=400))
        if shown_at(x, s) < expires(hb, s, x) and is_due_day(hb, x.day)
    ]
    if never_shown(hb, s):
        assert shown == []
    elif habit.startswith(('at = "', "on = ", "cron")) and "remind_again" not in habit:
        assert shown  # a daily habit not known as never shown has a reminder that is
