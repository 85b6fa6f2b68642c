"""The command line end to end: a tmp config and state, a fixed clock, exact exit codes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from habitd.history.files import example_config
from tests.conftest import ROOT, Habitd


def test_init_writes_the_shipped_example_privately_and_refuses_to_overwrite(habitd: Habitd, tmp_path: Path) -> None:
    habitd.config = tmp_path / "new" / "habitd" / "config.toml"
    result = habitd("init")
    assert result.exit_code == 0
    assert habitd.config.read_text() == (ROOT / "config.example.toml").read_text() == example_config()
    assert stat.S_IMODE(habitd.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(habitd.config.parent.stat().st_mode) == 0o700
    habitd.config.write_text("# mine\n")
    again = habitd("init")
    assert again.exit_code == 2 and "--force" in again.stderr
    assert habitd.config.read_text() == "# mine\n"
    assert habitd("init", "--force").exit_code == 0
    assert habitd("check").exit_code == 0


def test_check_lists_habits_with_their_next_reminder(habitd: Habitd) -> None:
    result = habitd("check")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["date-night", "every", "week", "next:", "Fri", "18:00"]
    assert lines[1].split() == ["thanks", "every", "day", "next:", "today", "20:30"]
    assert "config is valid: 3 habits, timezone Europe/Berlin" in result.stdout


def test_check_reports_every_problem_on_stderr_with_exit_2(habitd: Habitd) -> None:
    habitd.write_config('[habits.date-night]\nat = "25:00"\nevry = "week"\n')
    result = habitd("check")
    assert result.exit_code == 2
    assert 'habits.date-night.at: "25:00" is not a time (HH:MM)' in result.stderr
    assert 'habits.date-night.evry: unknown key (did you mean "every"?)' in result.stderr
    assert str(habitd.config) in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_missing_config_says_how_to_start(habitd: Habitd, tmp_path: Path) -> None:
    habitd.config = tmp_path / "nope.toml"
    result = habitd("status")
    assert result.exit_code == 2 and "habitd init" in result.stderr


def test_done_is_idempotent_for_times_1(habitd: Habitd) -> None:
    assert habitd("done", "date-night").exit_code == 0
    result = habitd("done", "date")
    assert result.exit_code == 0 and "already done" in result.stdout
    status = habitd.json("status")
    row = next(h for h in status["habits"] if h["id"] == "date-night")
    assert (row["done"], row["met"]) == (1, True)


def test_done_counts_each_call_for_times_above_1(habitd: Habitd) -> None:
    for _ in range(2):
        assert habitd("done", "listen").exit_code == 0
    result = habitd("done", "listen", "--date", "mon")
    assert "(3/3 this week)" in result.stdout
    row = next(h for h in habitd.json("status")["habits"] if h["id"] == "listen")
    assert (row["done"], row["met"], row["streak"]) == (3, True, 1)


def test_undo_removes_the_latest_on_that_date(habitd: Habitd) -> None:
    habitd("done", "listen")
    habitd("done", "listen", "--note", "second")
    assert habitd("undo", "listen").exit_code == 0
    data = habitd.json("history", "listen", "--weeks", "1")
    assert data["periods"][-1]["completions"] == [{"date": "2026-11-25", "note": None, "by": None}]
    assert habitd("undo", "listen").exit_code == 0
    result = habitd("undo", "listen")
    assert result.exit_code == 2 and "no completion or skip on 2026-11-25" in result.stderr


def test_skip_keeps_the_streak(habitd: Habitd) -> None:
    for day in ("2026-11-21", "2026-11-22", "2026-11-24"):
        habitd("done", "thanks", "--date", day)
    assert habitd.json("status")["habits"][1]["streak"] == 1
    assert habitd("skip", "thanks", "--date", "2026-11-23", "--note", "ill").exit_code == 0
    row = habitd.json("status")["habits"][1]
    assert (row["streak"], row["best_streak"]) == (3, 3)


def test_day_starts_counts_a_late_night_done_for_the_evening_before(habitd: Habitd) -> None:
    habitd.at("2026-11-26T01:30")
    assert "done for 2026-11-25" in habitd("done", "thanks").stdout
    habitd.at("2026-11-26T04:30")
    assert "done for 2026-11-26" in habitd("done", "thanks").stdout


def test_status_json_has_the_promised_shape(habitd: Habitd) -> None:
    data = habitd.json("status")
    assert data["today"] == "2026-11-25"
    row = data["habits"][0]
    assert set(row) >= {
        "id",
        "title",
        "period",
        "target",
        "done",
        "met",
        "streak",
        "best_streak",
        "strength",
        "next_reminder",
    }
    assert row["id"] == "date-night" and row["period"] == "week" and row["target"] == 1
    assert row["next_reminder"] == "2026-11-27T18:00:00+01:00"
    assert isinstance(row["strength"], float) and 0 <= row["strength"] <= 1


def test_met_habits_have_no_reminder_until_their_next_period(habitd: Habitd) -> None:
    habitd("done", "thanks")
    row = habitd.json("status")["habits"][1]
    assert row["next_reminder"] == "2026-11-26T20:30:00+01:00"


def test_history_json_gives_periods_with_completions_and_notes(habitd: Habitd) -> None:
    habitd("done", "date-night", "--date", "2026-11-13", "--note", "ramen, then the river")
    habitd("skip", "date-night", "--date", "2026-11-20")
    data = habitd.json("history", "date-night", "--weeks", "3")
    assert [(p["first"], p["last"], p["state"]) for p in data["periods"]] == [
        ("2026-11-09", "2026-11-15", "met"),
        ("2026-11-16", "2026-11-22", "skipped"),
        ("2026-11-23", "2026-11-29", "open"),
    ]
    assert data["periods"][0]["completions"] == [{"date": "2026-11-13", "note": "ramen, then the river", "by": None}]


def test_next_lists_reminders_in_time_order(habitd: Habitd) -> None:
    data = habitd.json("next", "--limit", "4")
    assert [(r["habit"], r["at"]) for r in data["reminders"]] == [
        ("listen", "2026-11-25T19:00:00+01:00"),
        ("thanks", "2026-11-25T20:30:00+01:00"),
        ("thanks", "2026-11-26T20:30:00+01:00"),
        ("date-night", "2026-11-27T18:00:00+01:00"),
    ]


def test_habit_names_prefixes_and_candidates(habitd: Habitd) -> None:
    assert habitd("done", "THA").exit_code == 0
    unknown = habitd("done", "hug")
    assert unknown.exit_code == 2 and "date-night, thanks, listen" in unknown.stderr
    habitd.write_config("[habits.walk]\n[habits.wash-up]\n")
    ambiguous = habitd("done", "wa")
    assert ambiguous.exit_code == 2 and "walk, wash-up" in ambiguous.stderr


def test_bad_dates_are_usage_errors(habitd: Habitd) -> None:
    future = habitd("done", "thanks", "--date", "2026-11-26")
    assert future.exit_code == 2 and "in the future" in future.stderr
    nonsense = habitd("done", "thanks", "--date", "someday")
    assert nonsense.exit_code == 2 and "is not a date" in nonsense.stderr
    assert habitd("done", "thanks", "--frobnicate").exit_code == 2


def test_a_corrupt_state_exits_3_and_is_left_alone(habitd: Habitd) -> None:
    habitd.state_dir.mkdir()
    state = habitd.state_dir / "state.toml"
    state.write_bytes(b"version = 1\n[habits\n")
    for args in (["done", "thanks"], ["status"], ["history", "thanks"]):
        result = habitd(*args)
        assert result.exit_code == 3, args
        assert str(state) in result.stderr and "line 2" in result.stderr
        assert "Traceback" not in result.output
    assert state.read_bytes() == b"version = 1\n[habits\n"


def test_show_streaks_false_hides_them(habitd: Habitd) -> None:
    habitd.write_config(
        habitd.config.read_text().replace('day_starts = "04:00"', 'day_starts = "04:00"\nshow_streaks = false')
    )
    habitd("done", "thanks", "--date", "yesterday")
    assert "streak" not in habitd("status").stdout
    assert "Streak" not in habitd("done", "thanks").stdout


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "habitd", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_python_m_daemon_and_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("habitd, version ")
    assert "done" in run_cli("--help").stdout


def test_every_command_has_help() -> None:
    """Every command and subcommand, those loaded lazily too, has help and shows it."""
    import click

    from habitd.cli.app import cli

    def commands(group: click.Group, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], click.Command]]:
        ctx = click.Context(group)
        found = []
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            found.append(((*path, name), command))
            if isinstance(command, click.Group):
                found += commands(command, (*path, name))
        return found

    every = commands(cli, ())
    assert len(every) > len(cli.commands)  # the lazily loaded ones are in it
    for path, command in every:
        assert command.help, path
        assert run_cli(*path, "--help").returncode == 0


def test_env_vars_choose_the_files_and_no_colour_without_a_terminal(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[habits.thanks]\nat = "20:30"\n')
    env = {**os.environ, "HABITD_CONFIG": str(config), "HABITD_STATE_DIR": str(tmp_path / "st"), "NO_COLOR": "1"}
    assert run_cli("done", "thanks", env=env).returncode == 0
    assert len(list((tmp_path / "st").glob("devices/*/*.toml"))) == 1  # the history: this device's log
    out = run_cli("status", env=env).stdout
    assert "\x1b[" not in out and "done" in out


def test_xdg_paths_are_the_default(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HABITD_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_STATE_HOME=str(tmp_path / "st"))
    assert run_cli("init", env=env).returncode == 0
    assert (tmp_path / "cfg" / "habitd" / "config.toml").exists()
    assert run_cli("done", "thanks", env=env).returncode == 0
    assert len(list((tmp_path / "st" / "habitd").glob("devices/*/*.toml"))) == 1


def test_a_completion_dated_in_the_future_is_pointed_out_and_can_be_undone(habitd: Habitd) -> None:
    habitd.at("2027-11-25T12:00")  # the clock ran a year ahead
    assert habitd("done", "thanks").exit_code == 0
    habitd.at("2026-11-25T12:00")  # and was set right
    for command in ("status", "check"):
        result = habitd(command)
        assert "thanks: a completion is dated 2027-11-25, after today (2026-11-25)." in result.stderr
        assert "habitd undo thanks --date 2027-11-25" in result.stderr
    result = habitd("undo", "thanks", "--date", "2027-11-25")
    assert result.exit_code == 0, result.output
    assert "2027-11-25" not in habitd("status").stderr
    assert habitd("done", "thanks", "--date", "2027-11-25").exit_code == 2  # done still refuses the future


@pytest.mark.parametrize(
    ("command", "option", "words"),
    [(["done", "thanks"], "--date", ("today", "yesterday", "fri", "2026-11-20")),
     (["pause", "thanks"], "--until", ("today", "tomorrow", "fri", "2026-12-20"))],
)  # fmt: skip
def test_each_day_options_help_lists_only_what_it_accepts(
    habitd: Habitd, command: list[str], option: str, words: tuple[str, ...]
) -> None:
    shown = " ".join(habitd(command[0], "--help").stdout.split())
    wrong = "tomorrow" if option == "--date" else "yesterday"
    assert wrong not in shown and all(w in shown for w in words[:2])
    for word in words:
        result = habitd(*command, option, word)
        assert result.exit_code == 0, (word, result.output)
        if command[0] == "pause":
            assert habitd("resume").exit_code == 0
    assert habitd(*command, option, wrong).exit_code == 2


def test_habitd_alone_says_what_is_due_and_where_to_start_with_exit_0(habitd: Habitd, tmp_path: Path) -> None:
    result = habitd()
    assert result.exit_code == 0, result.output
    first, start = result.stdout.splitlines()
    assert first == "habitd: " + habitd("today", "--format", "line").stdout.strip()
    assert "`habitd --help` lists every command" in start and result.stderr == ""
    habitd.config.write_text("x =\n")
    broken = habitd()
    assert broken.exit_code == 0 and "problem in the config; `habitd check` says which." in broken.stdout
    habitd.config.unlink()
    missing = habitd()
    assert missing.exit_code == 0 and "`habitd init` writes one" in missing.stdout


def test_commands_say_what_they_did_by_title(habitd: Habitd) -> None:
    assert habitd("done", "thanks", "--note", "the soup").stdout == "Thanks: done for 2026-11-25. Note kept.\n"
    assert habitd("pause", "thanks", "--until", "fri").stdout.startswith("Thanks paused until 2026-11-27 (included).")
    assert habitd("pause", "listen", "--until", "2026-11-30").exit_code == 0
    resumed = habitd("resume").stdout.strip()
    assert resumed == "Resumed Listen (paused until 2026-11-30), Thanks (paused until 2026-11-27). Welcome back."
