"""The config file: what users can express, and how every mistake is reported."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from habitd.errors import ConfigError
from habitd.habits.config import parse_config
from habitd.habits.recurrence import Every
from habitd.habits.schedule import next_slot, slots_between
from habitd.habits.schema import HABIT_KEYS, SETTINGS_KEYS
from tests.conftest import ROOT

BERLIN = ZoneInfo("Europe/Berlin")


def habit_config(body: str, settings: str = 'timezone = "Europe/Berlin"') -> str:
    return f"[settings]\n{settings}\n\n[habits.h]\n{body}\n"


def local_slots(body: str, start: str, days: int) -> list[str]:
    config = parse_config(habit_config(body), "c.toml")
    begin = datetime.fromisoformat(start).replace(tzinfo=BERLIN)
    slots = slots_between(config.habits[0], config.settings, begin, begin + timedelta(days=days))
    return [s.due.astimezone(BERLIN).strftime("%a %Y-%m-%d %H:%M") for s in slots]


# 2026-11-23 is a Monday.
def test_every_day_at_2030() -> None:
    assert local_slots('every = "day"\nat = "20:30"', "2026-11-23", 3) == [
        "Mon 2026-11-23 20:30",
        "Tue 2026-11-24 20:30",
        "Wed 2026-11-25 20:30",
    ]


def test_weekdays_at_0745() -> None:
    slots = local_slots('on = "weekdays"\nat = "07:45"', "2026-11-23", 7)
    assert slots == [
        f"{d} 2026-11-{n} 07:45" for d, n in zip(["Mon", "Tue", "Wed", "Thu", "Fri"], range(23, 28), strict=False)
    ]


def test_weekly_date_night_friday_1800() -> None:
    slots = local_slots('every = "week"\non = ["fri"]\nat = "18:00"', "2026-11-23", 14)
    assert slots == ["Fri 2026-11-27 18:00", "Fri 2026-12-04 18:00"]


def test_three_times_a_week_mon_wed_fri() -> None:
    config = parse_config(habit_config('every = "week"\ntimes = 3\non = ["mon","wed","fri"]\nat = "19:00"'), "c")
    assert config.habits[0].times == 3
    assert local_slots('every = "week"\ntimes = 3\non = ["mon","wed","fri"]\nat = "19:00"', "2026-11-23", 7) == [
        "Mon 2026-11-23 19:00",
        "Wed 2026-11-25 19:00",
        "Fri 2026-11-27 19:00",
    ]


def test_every_two_weeks_on_saturday() -> None:
    body = 'every = "2 weeks"\non = "sat"\nat = "10:00"\nstart = 2026-11-23'
    config = parse_config(habit_config(body), "c")
    assert config.habits[0].every == Every("week", 2)
    from habitd.habits.periods import period_of

    assert period_of(config.habits[0], date(2026, 12, 5)) == (date(2026, 11, 23), date(2026, 12, 6))
    assert period_of(config.habits[0], date(2026, 12, 7)) == (date(2026, 12, 7), date(2026, 12, 20))
    # Both Saturdays of a period remind, the second only while the period is still open.
    assert local_slots(body, "2026-11-23", 14) == ["Sat 2026-11-28 10:00", "Sat 2026-12-05 10:00"]


def test_first_saturday_of_each_month() -> None:
    body = 'every = "month"\non = "1st sat"\nat = "10:00"'
    assert local_slots(body, "2026-11-01", 100) == [
        "Sat 2026-11-07 10:00",
        "Sat 2026-12-05 10:00",
        "Sat 2027-01-02 10:00",
        "Sat 2027-02-06 10:00",
    ]


def test_last_friday_and_month_day_31_in_short_months() -> None:
    assert local_slots('every = "month"\non = "last fri"\nat = "09:00"', "2027-02-01", 28) == ["Fri 2027-02-26 09:00"]
    assert local_slots('every = "month"\non = [31]\nat = "09:00"', "2027-02-01", 59) == [
        "Sun 2027-02-28 09:00",
        "Wed 2027-03-31 09:00",
    ]


def test_every_four_months_reminds_on_each_period_first_day() -> None:
    body = 'every = "4 months"\nat = "11:00"\nstart = 2026-01-01'
    assert local_slots(body, "2026-01-01", 365) == [
        "Thu 2026-01-01 11:00",
        "Fri 2026-05-01 11:00",
        "Tue 2026-09-01 11:00",
    ]


def test_raw_cron_expression() -> None:
    assert local_slots('every = "week"\ncron = "0 19 * * fri"', "2026-11-23", 14) == [
        "Fri 2026-11-27 19:00",
        "Fri 2026-12-04 19:00",
    ]
    # Vixie semantics: both day fields restricted means either matches.
    assert local_slots('cron = "30 8 1 * mon"', "2026-11-28", 10) == [
        "Mon 2026-11-30 08:30",
        "Tue 2026-12-01 08:30",
        "Mon 2026-12-07 08:30",
    ]


def test_cron_on_leap_day_is_found_years_ahead() -> None:
    config = parse_config(habit_config('cron = "0 9 29 2 *"'), "c")
    slot = next_slot(config.habits[0], config.settings, datetime(2026, 11, 25, tzinfo=BERLIN))
    assert slot is not None and slot.due.astimezone(BERLIN).date() == date(2028, 2, 29)


def test_defaults() -> None:
    config = parse_config("[habits.say-thanks]\n", "c", system_tz="America/New_York")
    s = config.settings
    assert s.timezone == "America/New_York"
    assert s.day_starts == time(0) and s.week_starts == 0 and s.max_per_day == 8
    h = config.habits[0]
    assert h.title == "Say thanks" and h.every == Every("day") and h.times == 1 and not h.reminds


def test_every_problem_is_reported_at_once_with_its_place() -> None:
    text = """
[settings]
timezone = "Mars/Olympus"
day_starts = "4am"
quiet_hours = "22:30"

[habits.date-night]
at = "25:00"
every = "fortnight"
times = 0
on = ["fry"]
remind = "2h"

[habits.Bad_Id]
"""
    with pytest.raises(ConfigError) as err:
        parse_config(text, "/home/a/config.toml")
    problems = err.value.problems
    assert 'habits.date-night.at: "25:00" is not a time (HH:MM)' in problems
    assert 'settings.timezone: "Mars/Olympus" is not an IANA time zone (like "Europe/Berlin")' in problems
    assert any(p.startswith('settings.day_starts: "4am"') for p in problems)
    assert any(p.startswith('settings.quiet_hours: "22:30"') for p in problems)
    assert any(p.startswith('habits.date-night.every: "fortnight"') for p in problems)
    assert "habits.date-night.times: 0 is outside 1..100" in problems
    assert any(p.startswith('habits.date-night.on: "fry" is not a day') for p in problems)
    assert 'habits.date-night.remind: unknown key (did you mean "remind_again"?)' in problems
    assert any(p.startswith("habits.Bad_Id: the id may only hold") for p in problems)
    assert len(problems) == 9
    assert str(err.value).startswith("/home/a/config.toml: 9 problems")


def test_unknown_settings_key_suggests() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config('[settings]\nquiet_hour = "22:00-07:00"\n', "c")
    assert err.value.problems == ['settings.quiet_hour: unknown key (did you mean "quiet_hours"?)']


def test_toml_syntax_error_gives_line_and_column() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config('[habits.a]\nat = "18:00\n', "c.toml")
    assert "line 2" in err.value.problems[0] and "column" in err.value.problems[0]


def test_wrong_types_are_named() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config('[habits.a]\ntimes = "3"\ntitle = 5\nat = [1800]\nprompts = "x"\n', "c")
    assert err.value.problems == [
        "habits.a.title: 5 is not a string",
        'habits.a.times: "3" is not a whole number',
        "habits.a.at: 1800 is not a time (HH:MM)",
        "habits.a.prompts: must be a list of non-empty strings",
    ]


def test_conflicting_keys() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config('[habits.a]\nevery = "week"\non = "1st sat"\ncron = "0 9 * * *"\nat = "09:00"\n', "c")
    assert "habits.a.cron: give either cron or on/at, not both" in err.value.problems
    assert any("need a month period" in p for p in err.value.problems)


def test_toml_time_values_are_accepted() -> None:
    config = parse_config("[habits.a]\nat = 18:00:00\n", "c")
    assert config.habits[0].at == (time(18, 0),)


def test_every_key_is_documented_in_the_readme_and_the_example() -> None:
    readme = (ROOT / "docs" / "config.md").read_text()
    example = (ROOT / "config.example.toml").read_text()
    for key, spec in {**SETTINGS_KEYS, **HABIT_KEYS}.items():
        assert f"| `{key}` |" in readme, f"docs/config.md lacks a row for {key}"
        assert spec.doc in readme, f"docs/config.md's row for {key} is not the schema's description"
    for key in SETTINGS_KEYS:
        assert f"{key} =" in example, f"config.example.toml does not show settings.{key}"


def test_the_example_config_is_valid() -> None:
    config = parse_config((ROOT / "config.example.toml").read_text(), "config.example.toml")
    assert 10 <= len(config.habits) <= 14


def test_the_configs_day_names_are_the_command_lines() -> None:
    """`on = ["sunday"]` reads as `--date sunday` does: short and full weekday names alike."""

    def days(on: str, week_starts: str = "mon") -> tuple[object, object]:
        text = f'[settings]\nweek_starts = "{week_starts}"\n[habits.walk]\nevery = "month"\non = {on}\nat = "19:00"\n'
        config = parse_config(text, "c.toml")
        return config.habits[0].on, config.settings.week_starts

    assert days('["sunday", "1st saturday"]', "monday") == days('["sun", "1st sat"]', "mon")
    with pytest.raises(ConfigError, match="is not a weekday"):
        days('["sun"]', "monkey")
