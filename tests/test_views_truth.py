"""The views show only what happened: before habitd knew a habit is not tracked, a day no
reminder is about is not due, and future, not tracked and not due each look their own way."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from habitd.exchange import report, tasks
from habitd.habits.config import parse_config
from habitd.habits.periods import period_index
from habitd.habits.state import State
from habitd.history.store import Store
from habitd.service import buttons
from habitd.service.notify import Pressed
from habitd.service.reminders import plan
from habitd.views import render
from habitd.views import rows as views
from tests.conftest import Habitd

BERLIN = 'timezone = "Europe/Berlin"'


def test_a_start_in_january_paints_nothing_red_for_a_fresh_user(habitd: Habitd) -> None:
    habitd.write_config(f'[settings]\n{BERLIN}\n[habits.walk]\nstart = 2026-01-05\nat = "18:00"\n')
    habitd.at("2026-12-02T12:00")
    grid = habitd.json("grid", "--days", "30")["habits"][0]["marks"]
    assert set(grid[:-1]) == {"not tracked"} and grid[-1] == "quiet"
    history = habitd.json("history", "walk", "--weeks", "52")["periods"]
    assert {p["state"] for p in history[:-1]} == {"not tracked"} and history[-1]["state"] == "open"
    assert habitd.json("report")["habits"][0]["days"] == {"2026-12-02": "quiet"}
    stats = habitd.json("stats", "walk")["habits"][0]
    assert stats["rates"]["all_time"] == {"met": 0, "counted": 0, "rate": None}
    # The first entry starts the tracking: the day before it is still not tracked, the days after
    # it that were not kept are missed, in every view alike.
    habitd("done", "walk", "--date", "2026-11-28")
    grid = habitd.json("grid", "--days", "6")["habits"][0]["marks"]
    assert grid == ["not tracked", "done", "missed", "missed", "missed", "quiet"]
    history = habitd.json("history", "walk", "--weeks", "1")["periods"]
    assert [p["state"] for p in history] == ["not tracked", "not tracked", "met", "missed", "missed", "missed", "open"]
    days = habitd.json("report")["habits"][0]["days"]
    assert days == {"2026-11-28": "done", "2026-11-29": "missed", "2026-11-30": "missed", "2026-12-02": "quiet"} | {
        "2026-12-01": "missed"
    }
    assert habitd.json("stats", "walk")["habits"][0]["rates"]["all_time"]["counted"] == 4
    # A skip is an entry too.
    habitd("skip", "walk", "--date", "2026-11-26")
    grid = habitd.json("grid", "--days", "8")["habits"][0]["marks"]
    assert grid[:4] == ["not tracked", "skipped", "missed", "done"]


WEEKDAYS_CRON = f'[settings]\n{BERLIN}\n[habits.stretch]\ncron = "15 7 * * mon-fri"\n'


def test_a_weekday_cron_leaves_the_weekend_not_due(habitd: Habitd) -> None:
    habitd.write_config(WEEKDAYS_CRON)
    habitd.at("2026-11-28T12:00")  # Saturday
    for day in ("2026-11-26", "2026-11-27"):  # Thursday, Friday
        habitd("done", "stretch", "--date", day)
    today = habitd.json("today")
    assert today["due"] == [] and "stretch" not in str(today)
    assert habitd.json("status")["habits"][0]["streak"] == 2
    assert "not due" in habitd("status").stdout
    habitd.at("2026-11-30T12:00")  # Monday
    habitd("done", "stretch")
    grid = habitd.json("grid", "--days", "5")["habits"][0]["marks"]
    assert grid == ["done", "done", "not due", "not due", "done"]
    assert habitd.json("status")["habits"][0]["streak"] == 3
    history = habitd.json("history", "stretch", "--weeks", "1")["periods"]
    assert [p["state"] for p in history][-5:] == ["met", "met", "not due", "not due", "met"]
    rates = habitd.json("stats", "stretch")["habits"][0]["rates"]["all_time"]
    assert rates == {"met": 3, "counted": 3, "rate": 1.0}
    assert "not due" in habitd.json("report")["habits"][0]["days"].values()
    assert [r["at"][:10] for r in habitd.json("next", "--limit", "6")["reminders"]] == [
        "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08",
    ]  # fmt: skip


def test_a_cron_before_the_day_starts_is_about_the_day_before(habitd: Habitd) -> None:
    # 01:30 on Tuesday to Saturday, days starting at 04:00: Monday to Friday are due.
    habitd.write_config(f'[settings]\n{BERLIN}\nday_starts = "04:00"\n[habits.late]\ncron = "30 1 * * tue-sat"\n')
    habitd.at("2026-12-01T12:00")  # Tuesday
    habitd("done", "late", "--date", "2026-11-27")  # Friday
    marks = habitd.json("grid", "--days", "5")["habits"][0]["marks"]
    assert marks == ["done", "not due", "not due", "missed", "quiet"]


def test_done_in_the_small_hours_counts_for_the_day_a_cron_before_the_day_starts_is_about(
    habitd: Habitd, tmp_path: Path
) -> None:
    """01:30 on Tuesday with days starting at 04:00 is Monday night: the habit is due on Monday, and
    `done`, the Done button and the phone's task list all take that Monday as one of its due days."""
    text = f'[settings]\n{BERLIN}\nday_starts = "04:00"\n[habits.late]\ncron = "30 1 * * tue"\n'
    habitd.write_config(text)
    habitd.at("2026-12-01T01:30")  # Tuesday on the wall clock, Monday's logical day
    said = habitd("done", "late")
    assert said.exit_code == 0 and said.stdout.startswith("Late: done for 2026-11-30.")
    assert "not one of its due days" not in said.stdout
    monday_night = datetime(2026, 12, 1, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    config = parse_config(text + f'[phone]\nperson = "Alex"\nvdir = "{tmp_path / "phone"}"\n', "c")
    assert config.phone is not None
    monday = date(2026, 11, 30)
    task = tasks.period_task(
        config, State(), config.phone, config.habits[0], period_index(config.habits[0], monday, 0), monday
    )
    assert task is not None  # Monday is due: its task is on the phone's list
    (due,) = plan(config, State(), monday_night)
    note = buttons.note_for(config, due, "body")
    store = Store(tmp_path / "pressed")
    answer = buttons.answer(store, config, Pressed(note, "done"), monday_night)
    assert answer.changed and answer.message == "done for 2026-11-30 (from the notification)"
    assert store.read().habits["late"].days() == [monday]


def test_an_on_day_with_a_time_before_the_day_starts_reminds_about_that_day(habitd: Habitd) -> None:
    habitd.write_config(f'[settings]\n{BERLIN}\nday_starts = "04:00"\n[habits.night]\non = ["tue"]\nat = "01:00"\n')
    habitd.at("2026-12-01T12:00")  # Tuesday
    assert [r["at"] for r in habitd.json("next", "--limit", "2")["reminders"]] == [
        "2026-12-02T01:00:00+01:00", "2026-12-09T01:00:00+01:00",
    ]  # fmt: skip
    assert "next: tomorrow 01:00" in habitd("check").stdout


def test_future_not_tracked_and_not_due_each_look_their_own_way_with_a_legend(habitd: Habitd) -> None:
    marks = {views.FUTURE, views.NOT_TRACKED_DAY, views.NOT_DUE_DAY}
    assert len({render.HEAT[m][0] for m in marks}) == 3
    legend = " ".join(render.legend_lines(80))
    for char, word in ((render.HEAT[views.NOT_TRACKED_DAY][0], "not tracked"), ("-", "not due"), ("blank", "to come")):
        assert f"{char} {word}" in legend or f"{char}: {word}" in legend
    assert all(len(line) <= 80 for line in render.legend_lines(80))
    assert len({report.COLORS[m] for m in marks}) == 3
    habitd.write_config(f'[settings]\n{BERLIN}\n[habits.talk]\non = ["mon", "wed"]\n')
    habitd("done", "talk", "--date", "2026-11-23")
    page = habitd("report", "-o", str(habitd.config.parent / "r.html"))
    assert page.exit_code == 0
    html = (habitd.config.parent / "r.html").read_text()
    for state, label in report.LEGEND:
        assert f'fill="{report.COLORS[state]}"' in html and f">{label}</text>" in html
    assert {label for _, label in report.LEGEND} >= {"not due", "not tracked", "to come"}


def test_the_month_header_names_december_on_the_second(habitd: Habitd) -> None:
    habitd.at("2026-12-02T12:00")
    lines = habitd("history", "thanks", "--weeks", "8").stdout.splitlines()
    assert lines[1].split() == ["Oct", "Nov", "Dec"]


QUIET = f"""[settings]
{BERLIN}
quiet_hours = "22:30-07:30"

[habits.early]
at = "07:15"

[habits.tea]
at = "09:00"
"""


def test_a_reminder_quiet_hours_move_says_why_in_check_next_and_status(habitd: Habitd) -> None:
    habitd.write_config(QUIET)
    habitd.at("2026-12-02T12:00")
    first, second = habitd.json("next", "--limit", "2")["reminders"]
    assert first | {"title": None} == {
        "habit": "early", "title": None, "at": "2026-12-03T07:30:00+01:00", "followup": False,
        "planned": "2026-12-03T07:15:00+01:00", "reason": "quiet hours until 07:30",
    }  # fmt: skip
    assert (second["habit"], second["planned"], second["reason"]) == ("tea", second["at"], None)
    lines = habitd("next", "--limit", "2").stdout.splitlines()
    assert lines[0].startswith("tomorrow 07:30") and lines[0].endswith("(quiet hours until 07:30)")
    assert "quiet" not in lines[1]
    check = habitd("check").stdout
    assert "next: tomorrow 07:30 (quiet hours until 07:30)" in check and "next: tomorrow 09:00\n" in check
    status = {line.split()[0]: line for line in habitd("status").stdout.splitlines()[1:]}
    assert status["early"].endswith("tomorrow 07:30 (quiet hours)") and status["tea"].endswith("tomorrow 09:00")
    assert all(len(line) <= 80 for line in habitd("status").stdout.splitlines())
