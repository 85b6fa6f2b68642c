"""The overview commands: `grid` (every habit, the last days) and `stats` (rates, strength, best streak)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given, settings

from habitd.habits.clock import WEEKDAYS
from habitd.habits.config import parse_config
from habitd.habits.streaks import MET, MISSED, Period, periods, summarize
from habitd.views.stats import habit_stats, window_starts
from tests.conftest import BASIC, ROOT, Habitd
from tests.strategies import HISTORY, history_state


def days(habitd: Habitd, habit: str, *dates: str) -> None:
    for d in dates:
        assert habitd("done", habit, "--date", d).exit_code == 0


# --- grid ---------------------------------------------------------------------------


def test_grid_marks_each_day_like_history_with_today_last_and_the_streak(habitd: Habitd) -> None:
    # Today is Wed 2026-11-25. thanks: done on 19, 20, 21, missed 22, done 23 and 24.
    days(habitd, "thanks", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-23", "2026-11-24")
    days(habitd, "date-night", "2026-11-20")
    days(habitd, "listen", "2026-11-16")
    habitd("skip", "listen", "--date", "2026-11-19")
    data = habitd.json("grid", "--days", "7")
    assert data["days"] == [f"2026-11-{d}" for d in range(19, 26)]
    rows = {r["id"]: r for r in data["habits"]}
    assert rows["thanks"]["marks"] == ["done", "done", "done", "missed", "done", "done", "quiet"]
    assert rows["thanks"]["streak"] == 2
    assert rows["date-night"]["marks"] == ["quiet", "done", "quiet", "quiet", "quiet", "quiet", "quiet"]
    assert rows["date-night"]["streak"] == 1
    assert rows["listen"]["marks"][:4] == ["skipped"] * 4  # its week of 16..22 is skipped
    text = habitd("grid", "--days", "7").stdout.splitlines()
    assert text[0] == "Thu 19 Nov .. Wed 25 Nov"
    assert text[1].split() == ["T", "F", "S", "S", "M", "T", "W"]
    by_id = {line.split()[0]: line for line in text[3:6]}
    assert by_id["thanks"].endswith("# # # x # #[.]      2")
    assert by_id["date-night"].endswith(". # . . . .[.]      1")
    assert by_id["listen"].split()[1:5] == ["s", "s", "s", "s"]
    assert text[-1] == "[ ] today"
    assert "\x1b[" not in habitd("grid").stdout  # no colour when not on a terminal


def test_grid_shows_14_days_or_what_fits_the_terminal(habitd: Habitd, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = habitd("grid").stdout.splitlines()
    assert lines[0] == "Thu 12 Nov .. Wed 25 Nov"  # 14 days
    assert all(len(line) <= 80 for line in lines)
    monkeypatch.setenv("COLUMNS", "44")
    lines = habitd("grid").stdout.splitlines()
    # 44 columns: 10 for the ids, 2 around the days and 8 for the streak leave 24, two a day.
    assert lines[0] == "Sat 14 Nov .. Wed 25 Nov"
    assert all(len(line) <= 44 for line in lines)


def test_grid_never_passes_the_terminal_width_and_says_when_it_cut(
    habitd: Habitd, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = habitd("grid", "--days", "60")
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    # 80 columns: 10 for the id, 2 around the days, 8 for the streak leave 60, two a day.
    assert lines[0] == "Tue 27 Oct .. Wed 25 Nov"
    assert "the last 30 of 60 days" in result.stdout
    assert len(habitd.json("grid", "--days", "60")["days"]) == 60  # --json is not cut


def test_grid_stats_and_report_hide_streaks_when_show_streaks_is_off(habitd: Habitd) -> None:
    habitd.write_config(BASIC.replace('day_starts = "04:00"', 'day_starts = "04:00"\nshow_streaks = false'))
    days(habitd, "thanks", "2026-11-23", "2026-11-24")
    text = habitd("grid", "--days", "3").stdout
    assert "streak" not in text
    assert next(line for line in text.splitlines() if line.startswith("thanks")).endswith("# #[.]")
    for args in (["stats"], ["stats", "thanks"], ["report"]):
        text = habitd(*args).stdout
        assert "streak" not in text and "strength" not in text, args
    assert "done" in habitd("stats", "thanks").stdout  # the completion rates stay


def test_grid_hides_archived_habits_unless_asked_for_all(habitd: Habitd) -> None:
    habitd.write_config(BASIC.replace('[habits.thanks]\n', '[habits.thanks]\narchived = true\n'))
    days(habitd, "thanks", "2026-11-24")
    assert [h["id"] for h in habitd.json("grid")["habits"]] == ["date-night", "listen"]
    assert "thanks" not in habitd("grid").stdout
    everything = habitd.json("grid", "--all")["habits"]
    assert [h["id"] for h in everything] == ["date-night", "thanks", "listen"]
    assert everything[1]["marks"][-2:] == ["done", "quiet"]  # its history is kept
    assert "thanks" in habitd("grid", "--all").stdout


# --- stats --------------------------------------------------------------------------


def thanks_history(habitd: Habitd) -> None:
    """Done 2026-03-01..10, then nothing until 10-29; daily from 10-29 to 11-24 except missed 11-09 and
    11-10 and skipped 11-11. Today is 2026-11-25, not done yet."""
    days(habitd, "thanks", *(f"2026-03-{d:02}" for d in range(1, 11)))
    days(habitd, "thanks", "2026-10-29", "2026-10-30", "2026-10-31")
    days(habitd, "thanks", *(f"2026-11-{d:02}" for d in range(1, 25) if d not in (9, 10, 11)))
    assert habitd("skip", "thanks", "--date", "2026-11-11").exit_code == 0


def test_stats_rates_count_met_periods_of_those_that_counted(habitd: Habitd) -> None:
    thanks_history(habitd)
    s = habitd.json("stats", "thanks")["habits"][0]
    # 4 weeks (10-29..11-25): 27 finished days, 11-11 skipped, 11-09 and 11-10 missed; today does not count yet.
    assert s["rates"]["last_4_weeks"] == {"met": 24, "counted": 26, "rate": round(24 / 26, 4)}
    # 3 months (08-26..): also the 64 missed days from 08-26 to 10-28.
    assert s["rates"]["last_3_months"] == {"met": 24, "counted": 90, "rate": round(24 / 90, 4)}
    # 12 months and all time begin with the first completion: 34 met, 232 missed from 03-11 to 10-28, and 2.
    assert s["rates"]["last_12_months"]["counted"] == s["rates"]["all_time"]["counted"] == 34 + 232 + 2
    assert s["rates"]["all_time"]["met"] == 34
    assert s["best_streak"] == {"length": 13, "first": "2026-11-12", "last": "2026-11-24"}
    assert s["streak"] == 13 and s["completions"] == 34
    habitd("done", "thanks")  # today's period counts once it is met
    assert habitd.json("stats", "thanks")["habits"][0]["rates"]["last_4_weeks"]["met"] == 25


def test_stats_strength_today_a_month_ago_and_at_each_month_end_match_status_then(habitd: Habitd) -> None:
    thanks_history(habitd)
    s = habitd.json("stats", "thanks")["habits"][0]

    def status_strength(moment: str) -> float:
        habitd.at(moment)
        return next(h["strength"] for h in habitd.json("status")["habits"] if h["id"] == "thanks")

    assert [t["date"] for t in s["strength_trend"]] == [
        "2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31",
        "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-25",
    ]  # fmt: skip
    assert [t["strength"] for t in s["strength_trend"][:3]] == [None, None, None]  # before the first completion
    assert s["strength_trend"][3]["strength"] == status_strength("2026-03-31T12:00") > 0
    assert s["strength_trend"][10]["strength"] == status_strength("2026-10-31T12:00")
    assert s["strength_month_ago"] == status_strength("2026-10-25T12:00")
    assert s["strength"] == s["strength_trend"][-1]["strength"] == status_strength("2026-11-25T12:00")
    text = habitd("stats", "thanks").stdout
    spark = next(line for line in text.splitlines() if "at each month's end" in line)
    assert spark[10:13] == "   " and spark[13] in "▁▂▃▄▅▆▇█"  # three months before it began, then a bar


def test_strength_in_the_past_leaves_out_what_was_done_after_that_day(habitd: Habitd) -> None:
    # Weekly, weeks from Monday: done in the weeks of 10-05, 10-12, 10-19, then on Sun 11-01, which closes
    # the week of 10-26. On Sat 10-31 that week was still open: the strength then did not include it.
    days(habitd, "date-night", "2026-10-09", "2026-10-16", "2026-10-23")
    habitd.at("2026-10-31T12:00")
    then = next(h["strength"] for h in habitd.json("status")["habits"] if h["id"] == "date-night")
    habitd.at("2026-11-01T12:00")
    days(habitd, "date-night", "2026-11-01")
    habitd.at("2026-10-31T12:00")  # status, asked about 10-31 now, counts the whole week
    counted_whole_week = next(h["strength"] for h in habitd.json("status")["habits"] if h["id"] == "date-night")
    habitd.at("2026-11-25T12:00")
    trend = habitd.json("stats", "date-night")["habits"][0]["strength_trend"]
    assert trend[10] == {"date": "2026-10-31", "strength": then}
    assert then < counted_whole_week


def test_stats_of_a_weekly_habit_name_its_weeks_and_the_weekday_it_is_done_most(habitd: Habitd) -> None:
    # Weeks start Monday. Done Fri 10-30, Sat 11-07, (week of 11-09 missed), Fri 11-20.
    days(habitd, "date-night", "2026-10-30", "2026-11-07", "2026-11-20")
    s = habitd.json("stats", "date-night")["habits"][0]
    # 4 weeks (from 10-29): the weeks beginning 11-02, 11-09, 11-16; the current one is not over.
    assert s["rates"]["last_4_weeks"] == {"met": 2, "counted": 3, "rate": 0.6667}
    assert s["rates"]["all_time"] == {"met": 3, "counted": 4, "rate": 0.75}
    assert s["best_streak"] == {"length": 2, "first": "2026-10-26", "last": "2026-11-08"}
    assert s["most_done_on"] == "fri"
    assert s["weekdays"] == {"mon": 0, "tue": 0, "wed": 0, "thu": 0, "fri": 2, "sat": 1, "sun": 0}
    text = habitd("stats", "date").stdout
    assert "2 of 3 weeks" in text and "67%" in text
    assert "best 2 weeks, 2026-10-26 .. 2026-11-08" in text
    assert "most on   Friday (2 of 3 completions)" in text


def test_stats_without_habit_is_a_table_of_all_within_80_columns(habitd: Habitd) -> None:
    thanks_history(habitd)
    days(habitd, "date-night", "2026-10-30", "2026-11-07", "2026-11-20")
    lines = habitd("stats").stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    rows = {line.split()[0]: line.split() for line in lines[1:4]}
    assert rows["thanks"][1:5] == ["92%", "27%", "13%", "13%"]
    assert rows["date-night"][1:5] == ["67%", "75%", "75%", "75%"]
    assert rows["listen"][1:5] == ["–", "–", "–", "–"]  # nothing counted yet
    assert rows["thanks"][-1] == "13"  # the best streak
    assert [h["id"] for h in habitd.json("stats")["habits"]] == ["date-night", "thanks", "listen"]


def test_stats_of_an_unknown_habit_is_a_usage_error(habitd: Habitd) -> None:
    result = habitd("stats", "nope")
    assert result.exit_code == 2 and "no habit 'nope'" in result.stderr and result.stdout == ""


def test_the_console_script_runs_the_overview_commands(habitd: Habitd) -> None:
    """A real process: the lazily loaded commands are found by the installed entry point."""
    base = [sys.executable, "-m", "habitd", "--config", str(habitd.config), "--state-dir", str(habitd.state_dir)]
    for cmd in (["grid"], ["stats"], ["stats", "thanks", "--json"], ["report", "--json"]):
        r = subprocess.run([*base, *cmd], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout


# --- the fast statistics equal their definition ---------------------------------------------


@settings(max_examples=200, deadline=None)
@given(*HISTORY)
def test_stats_equal_the_period_by_period_definition(days_, skips, pauses, body, ws) -> None:  # type: ignore[no-untyped-def]
    config = parse_config(f"[settings]\nweek_starts = {WEEKDAYS[ws]!r}\n[habits.h]\n{body}\n", "c", "UTC")
    habit = config.habits[0]
    state = history_state(days_, skips, pauses)
    today = date(2026, 7, 1)
    s = habit_stats(config, state, habit, today)
    history = periods(habit, state, today, ws) if days_ or skips else []  # from the first entry on
    for since, r in zip(window_starts(today), s.rates, strict=True):
        inside = [p for p in history if since is None or p.first >= since]
        assert (r.met, r.counted) == (
            sum(p.state == MET for p in inside),
            sum(p.state in (MET, MISSED) for p in inside),
        )
    runs: list[list[Period]] = [[]]  # met periods between misses
    for p in history:
        if p.state == MISSED:
            runs.append([])
        elif p.state == MET:
            runs[-1].append(p)
    longest = max(runs, key=len)
    latest = [run for run in runs if len(run) == len(longest)][-1]
    assert s.best.length == len(longest) == summarize(habit, state, today, ws).best_streak
    if latest:
        assert (s.best.first, s.best.last) == (latest[0].first, min(latest[-1].last, today))
    counts = [0] * 7
    for d in set(days_):
        counts[d.weekday()] += state.log("h").count(d)
    assert list(s.weekdays) == counts
