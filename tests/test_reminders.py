"""The daemon's decisions as a pure function of time: what to show, when, and only once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from habitd.habits.config import Config, parse_config
from habitd.habits.state import Pause, State
from habitd.service.reminders import plan
from habitd.views.rows import next_reminder

BERLIN = ZoneInfo("Europe/Berlin")


def cfg(habits: str, settings: str = "") -> Config:
    return parse_config(f'[settings]\ntimezone = "Europe/Berlin"\n{settings}\n{habits}', "c")


def at(text: str, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def shown(config: Config, state: State, now: datetime) -> list[tuple[str, str]]:
    """Plan at ``now`` and record what was shown, as the daemon does."""
    out = []
    for due in plan(config, state, now):
        state.reminder(due.habit.id).handled = due.slot.due
        out.append((due.habit.id, due.slot.due.astimezone(config.settings.tz).strftime("%m-%d %H:%M")))
    return out


DAILY = '[habits.thanks]\nat = "19:00"\n'


def test_a_reminder_shows_at_its_time_and_only_once() -> None:
    config, state = cfg(DAILY), State()
    assert shown(config, state, at("2026-11-25T18:59:59")) == []
    assert shown(config, state, at("2026-11-25T19:00:00")) == [("thanks", "11-25 19:00")]
    assert shown(config, state, at("2026-11-25T19:00:30")) == []  # a restart: handled already
    assert next_reminder(config, state, config.habits[0], at("2026-11-25T19:00:30")) == at("2026-11-26T19:00")


def test_no_reminder_once_the_period_is_met() -> None:
    config, state = cfg('[habits.date]\nevery = "week"\non = ["wed", "fri"]\nat = "18:00"\n'), State()
    state.log("date").add(date(2026, 11, 24))
    assert shown(config, state, at("2026-11-25T18:00")) == []
    assert shown(config, state, at("2026-11-27T18:00")) == []
    # Next week it reminds again.
    assert next_reminder(config, state, config.habits[0], at("2026-11-25T18:00")) == at("2026-12-02T18:00")


def test_follow_ups_until_met_and_until_the_day_ends() -> None:
    config, state = cfg('[habits.thanks]\nat = "19:00"\nremind_again = "2h"\n', 'day_starts = "00:00"'), State()
    assert shown(config, state, at("2026-11-25T19:00")) == [("thanks", "11-25 19:00")]
    assert shown(config, state, at("2026-11-25T21:00")) == [("thanks", "11-25 21:00")]
    assert shown(config, state, at("2026-11-25T23:00")) == [("thanks", "11-25 23:00")]
    # 01:00 belongs to the next day: the 25th's chain ended at midnight.
    assert next_reminder(config, state, config.habits[0], at("2026-11-25T23:00")) == at("2026-11-26T19:00")
    state.log("thanks").add(date(2026, 11, 26))
    assert next_reminder(config, state, config.habits[0], at("2026-11-26T12:00")) == at("2026-11-27T19:00")


def test_catch_up_shows_one_reminder_per_habit_never_a_burst() -> None:
    config = cfg(
        DAILY + '[habits.talk]\nat = "20:30"\nremind_again = "30m"\n'
        '[habits.weekly]\nevery = "week"\nat = "09:00"\non = "mon"\n'
    )
    state = State()
    # The machine slept from Monday morning until Thursday 21:40.
    assert shown(config, state, at("2026-11-26T21:40")) == [("thanks", "11-26 19:00"), ("talk", "11-26 21:30")]
    assert shown(config, state, at("2026-11-26T21:41")) == []


def test_catch_up_respects_max_late() -> None:
    config, state = cfg(DAILY, 'max_late = "2h"'), State()
    assert shown(config, state, at("2026-11-25T21:01")) == []
    assert shown(config, state, at("2026-11-25T20:59")) == [("thanks", "11-25 19:00")]
    habit_late = cfg('[habits.thanks]\nat = "19:00"\nmax_late = "3h"\n', 'max_late = "2h"')
    assert shown(habit_late, State(), at("2026-11-25T21:30")) == [("thanks", "11-25 19:00")]


def test_quiet_hours_hold_reminders_until_they_end() -> None:
    config = cfg(
        '[habits.soft]\nevery = "week"\non = "wed"\nat = "23:00"\nremind_again = "1h"\n[habits.thanks]\nat = "23:15"\n',
        'quiet_hours = "22:30-07:30"\nday_starts = "04:00"\nmax_late = "2h"',
    )
    state = State()
    for t in ("2026-11-25T23:00", "2026-11-26T00:00", "2026-11-26T03:00", "2026-11-26T07:29"):
        assert shown(config, state, at(t)) == [], t
    # One for the weekly habit (its latest slot); the daily one's day ended at 04:00.
    assert shown(config, state, at("2026-11-26T07:30")) == [("soft", "11-26 03:00")]
    assert shown(config, state, at("2026-11-26T07:31")) == []
    fresh = State()
    assert next_reminder(config, fresh, config.habits[0], at("2026-11-25T22:00")) == at("2026-11-26T07:30")


def test_fall_back_repeated_hour_fires_once() -> None:
    config, state = cfg('[habits.night]\nat = "02:30"\n'), State()
    first = at("2026-10-25T02:30")  # CEST, 00:30 UTC
    second = (first.astimezone(UTC) + timedelta(hours=1)).astimezone(BERLIN)  # 02:30 again, now CET
    assert second.astimezone(BERLIN).strftime("%H:%M") == "02:30"
    assert shown(config, state, first) == [("night", "10-25 02:30")]
    assert shown(config, state, second) == []


def test_spring_forward_fires_at_the_first_valid_time() -> None:
    config, state = cfg('[habits.night]\nat = "02:30"\n'), State()
    assert next_reminder(config, state, config.habits[0], at("2026-03-29T01:00")) == at("2026-03-29T03:00")
    assert shown(config, state, at("2026-03-29T03:00")) == [("night", "03-29 03:00")]


def test_a_backward_clock_jump_does_not_repeat_a_reminder() -> None:
    config, state = cfg(DAILY), State()
    assert shown(config, state, at("2026-11-25T19:00")) == [("thanks", "11-25 19:00")]
    assert shown(config, state, at("2026-11-25T18:30")) == []
    assert shown(config, state, at("2026-11-25T19:00:05")) == []


def test_paused_habits_are_not_reminded() -> None:
    config, state = cfg(DAILY), State()
    state.pauses.append(Pause("thanks", date(2026, 11, 20), date(2026, 11, 26)))
    assert shown(config, state, at("2026-11-25T19:00")) == []
    assert next_reminder(config, state, config.habits[0], at("2026-11-25T19:00")) == at("2026-11-27T19:00")


def test_each_zone_keeps_its_wall_clock_across_dst() -> None:
    ny = ZoneInfo("America/New_York")
    config = parse_config('[settings]\ntimezone = "America/New_York"\n[habits.thanks]\nat = "19:00"\n', "c")
    state = State()
    for day in ("2026-03-07", "2026-03-08", "2026-03-09", "2026-10-31", "2026-11-01", "2026-11-02"):
        assert shown(config, state, at(f"{day}T19:00", ny)) == [("thanks", f"{day[5:]} 19:00")]


def test_nothing_is_shown_inside_quiet_hours_not_even_a_catch_up_of_a_slot_due_before() -> None:
    """Due at 21:30, the machine wakes at 22:40 inside 22:00-07:00: shown at 07:00, once."""
    config = cfg(
        '[habits.checkin]\nevery = "week"\non = "wed"\nat = "21:30"\n[habits.thanks]\nat = "21:30"\n',
        'quiet_hours = "22:00-07:00"',
    )
    state = State()
    for t in ("2026-11-25T22:00", "2026-11-25T22:40", "2026-11-26T03:00", "2026-11-26T06:59"):
        assert shown(config, state, at(t)) == [], t
    # The weekly period is still open at 07:00; the daily one ended at midnight.
    assert shown(config, state, at("2026-11-26T07:00")) == [("checkin", "11-25 21:30")]
    assert shown(config, state, at("2026-11-26T07:01")) == []
    # A slot that was already too old when the quiet hours began is not brought back by them.
    stale = cfg('[habits.checkin]\nevery = "week"\non = "wed"\nat = "12:00"\n', 'quiet_hours = "22:00-07:00"')
    assert shown(stale, State(), at("2026-11-26T07:00")) == []


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        ("Europe/Berlin", "2026-03-26"),  # 02:00 -> 03:00 on the 29th
        ("America/New_York", "2026-03-05"),  # 02:00 -> 03:00 on the 8th
        ("Pacific/Apia", "2011-12-27"),  # the 30th of December 2011 never happened there
    ],
)
def test_a_day_starting_after_its_reminder_gets_exactly_one_across_a_dst_gap(zone: str, first: str) -> None:
    """day_starts = 03:00 and at = 02:30: the reminder belongs to the day before the wall date."""
    tz = ZoneInfo(zone)
    config = parse_config(f'[settings]\ntimezone = "{zone}"\nday_starts = "03:00"\n[habits.night]\nat = "02:30"\n', "c")
    state = State()
    start = at(f"{first}T12:00", tz)
    days: list[date] = []
    now = start
    while now < start + timedelta(days=7):
        for due in plan(config, state, now):
            state.reminder("night").handled = due.slot.due
            days.append(config.today(due.slot.due))
        now += timedelta(minutes=1)
    assert len(days) == len(set(days)), days  # never two on one logical day
    expected = {config.today(start) + timedelta(days=k) for k in range(1, 7)}
    assert expected <= set(days), sorted(expected - set(days))  # and none without one


def test_a_clock_set_right_after_running_a_year_ahead_does_not_silence_the_habit() -> None:
    config, state = cfg(DAILY), State()
    assert shown(config, state, at("2027-11-25T19:00")) == [("thanks", "11-25 19:00")]  # a year ahead
    # Set right: today's reminder is shown, and the next one is tomorrow, not in a year.
    assert shown(config, state, at("2026-11-25T19:00")) == [("thanks", "11-25 19:00")]
    assert next_reminder(config, state, config.habits[0], at("2026-11-25T19:01")) == at("2026-11-26T19:00")
    # A clock set back by an hour still repeats nothing.
    assert shown(config, state, at("2026-11-25T19:00")) == []
