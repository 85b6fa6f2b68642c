"""The five-field cron parser on its own: fields, names, steps, ranges, both day fields, and its refusals."""

from __future__ import annotations

from datetime import date, time

import pytest

from habitd.habits.cron import CronSyntaxError, parse_cron


def test_every_field_takes_stars_lists_ranges_and_steps() -> None:
    cron = parse_cron("*/15 8-10,20 1,15 */3 *")
    assert cron.text == "*/15 8-10,20 1,15 */3 *"
    assert cron.minutes == {0, 15, 30, 45}
    assert cron.hours == {8, 9, 10, 20}
    assert cron.doms == {1, 15}
    assert cron.months == {1, 4, 7, 10}
    assert cron.dows == set(range(7))
    assert (cron.dom_any, cron.dow_any) == (False, True)


def test_a_start_with_a_step_runs_to_the_end_of_the_field() -> None:
    assert parse_cron("5/20 * * * *").minutes == {5, 25, 45}
    assert parse_cron("0 10-16/3 * * *").hours == {10, 13, 16}


def test_month_and_weekday_names_in_any_case_and_sunday_as_0_or_7() -> None:
    cron = parse_cron("0 9 * Jan-MAR sun,Sat")
    assert cron.months == {1, 2, 3}
    assert cron.dows == {0, 6}
    assert parse_cron("0 9 * * 7").dows == {0}
    assert parse_cron("0 9 * * 5-7").dows == {5, 6, 0}


def test_times_on_a_matching_day_in_order_and_none_on_others() -> None:
    cron = parse_cron("30,0 19,7 * * fri")
    assert cron.times_on(date(2026, 11, 27)) == [time(7, 0), time(7, 30), time(19, 0), time(19, 30)]  # a Friday
    assert cron.times_on(date(2026, 11, 26)) == []


def test_a_day_matches_if_either_restricted_day_field_does() -> None:
    cron = parse_cron("0 9 1 * mon")  # the 1st of the month, or any Monday (Vixie cron)
    assert cron.matches_day(date(2026, 12, 1))  # a Tuesday, the 1st
    assert cron.matches_day(date(2026, 11, 30))  # a Monday
    assert not cron.matches_day(date(2026, 12, 2))


def test_with_one_day_field_a_star_both_must_match() -> None:
    assert parse_cron("0 9 * * mon").matches_day(date(2026, 11, 30))
    assert not parse_cron("0 9 * * mon").matches_day(date(2026, 12, 1))
    assert parse_cron("0 9 1 * *").matches_day(date(2026, 12, 1))
    assert not parse_cron("0 9 1 * *").matches_day(date(2026, 12, 2))
    assert not parse_cron("0 9 * 6 *").matches_day(date(2026, 12, 1))  # a month outside the field


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 9 * *", "needs 5 fields (minute hour day month weekday), got 4"),
        ("0 9 * * * *", "needs 5 fields (minute hour day month weekday), got 6"),
        ("60 9 * * *", "60 is outside 0-59"),
        ("0 24 * * *", "24 is outside 0-23"),
        ("0 9 0 * *", "0 is outside 1-31"),
        ("0 9 * 13 *", "13 is outside 1-12"),
        ("0 9 * * 8", "8 is outside 0-7"),
        ("0 9 * * funday", "'funday' is not a number or a name"),
        ("0 9 * * -1", "'' is not a number or a name"),
        ("*/0 9 * * *", "step '0' is not a positive number"),
        ("*/x 9 * * *", "step 'x' is not a positive number"),
        ("0 20-8 * * *", "range '20-8' runs backwards"),
    ],
)
def test_what_is_not_cron_is_refused_with_why(text: str, message: str) -> None:
    with pytest.raises(CronSyntaxError) as err:
        parse_cron(text)
    assert str(err.value) == message
