"""What the command line prints: odd input never crashes it, user text stays inert, 80 columns."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clock import wall_clock_env
from tests.conftest import ROOT, Habitd

HABITD = Path(sys.executable).parent / "habitd"  # the console script of this installation
MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}


def console(tmp_path: Path, *args: str | bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    """The installed ``habitd`` in a real process, with the example config and the given locale."""
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text((ROOT / "config.example.toml").read_text())
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHON", "NO_COLOR"))}
    base.update(HABITD_CONFIG=str(config), HABITD_STATE_DIR=str(tmp_path / "state"), **env)
    return subprocess.run([HABITD, *args], capture_output=True, env=wall_clock_env(base), timeout=60)


# --- odd characters in and out -------------------------------------------------


def test_a_note_with_a_byte_that_is_not_utf8_is_kept_readable(tmp_path: Path) -> None:
    done = console(tmp_path, "done", "thanks", "--note", b"bad \xff byte", LC_ALL="C.UTF-8")
    assert done.returncode == 0, done.stderr
    journal = console(tmp_path, "journal", LC_ALL="C.UTF-8")
    assert journal.returncode == 0, journal.stderr
    assert "bad \ufffd byte" in journal.stdout.decode("utf-8")


def test_a_lone_surrogate_in_a_note_is_stored_as_a_replacement_character(habitd: Habitd) -> None:
    assert habitd("done", "thanks", "--note", "bad \udcff byte").exit_code == 0
    assert habitd.json("journal")["notes"][0]["text"] == "bad \ufffd byte"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_marks_degrade_on_a_terminal_that_cannot_show_them(tmp_path: Path, encoding: str) -> None:
    assert console(tmp_path, "done", "thanks", PYTHONIOENCODING=encoding).returncode == 0
    today = console(tmp_path, "today", PYTHONIOENCODING=encoding)
    assert today.returncode == 0, today.stderr
    assert re.search(rb"^  \+  thanks ", today.stdout, re.MULTILINE)  # the tick, in ASCII
    history = console(tmp_path, "history", "thanks", PYTHONIOENCODING=encoding)
    assert history.returncode == 0 and b"done, streak 1, best 1, strength" in history.stdout


def test_text_the_terminal_cannot_encode_becomes_a_question_mark(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[habits.thanks]\ntitle = "Danke \u2764"\nat = "20:30"\n')
    done = console(tmp_path, "today", PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    assert b"Danke ?" in done.stdout
    data = console(tmp_path, "status", "--json", PYTHONIOENCODING="ascii")
    assert data.returncode == 0 and b'"title": "Danke \\u2764"' in data.stdout  # JSON loses nothing


# --- user text is shown, never obeyed -------------------------------------------

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m"


def test_a_note_with_terminal_escapes_is_printed_inert(habitd: Habitd) -> None:
    habitd("done", "thanks", "--note", f"hello{ESCAPES}\nsecond line")
    out = habitd("journal").stdout
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "    hello^[]0;pwned^G^[[2J<U+009B>31m\n    second line" in out
    assert habitd.json("journal")["notes"][0]["text"] == f"hello{ESCAPES}\nsecond line"  # kept as written


def test_a_note_shown_back_is_inert_too(habitd: Habitd) -> None:
    assert habitd("note", "thanks", f"hi{ESCAPES}").exit_code == 0
    out = habitd("note", "thanks", "--delete").stdout
    assert "\x1b" not in out and "    hi^[]0;pwned^G" in out


def test_control_characters_in_config_text_are_refused_with_their_place(habitd: Habitd) -> None:
    habitd.write_config('[habits.h]\ntitle = "Hi\\u001b[2J"\nprompts = ["ok", "no\\u0007"]\nmessage = "a\\tb\\nc"\n')
    result = habitd("check")
    assert result.exit_code == 2
    assert "habits.h.title: holds a control character (U+001B)" in result.stderr
    assert "habits.h.prompts[1]: holds a control character (U+0007)" in result.stderr
    assert "message" not in result.stderr  # tabs and newlines are fine in a message
    assert "\x1b" not in result.stderr


def test_error_messages_show_control_characters_inert(habitd: Habitd) -> None:
    habitd.write_config('[habits.h]\nat = "\\u001b[2J"\n')
    result = habitd("check")
    assert result.exit_code == 2 and "^[[2J" in result.stderr and "\x1b" not in result.stderr


# --- bounds at validation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('every = "100000 months"', 'habits.h.every: "100000 months" is too long; at most 120 months'),
        ('every = "5000000 days"', 'habits.h.every: "5000000 days" is too long; at most 3660 days'),
        ('every = "99999999999999999999 weeks"', "habits.h.every: "),
        ("start = 0001-01-01", "habits.h.start: 0001-01-01 is outside 1900-01-01..2199-12-31"),
        ('at = "10:00"\nremind_again = "99999999999d"', 'habits.h.remind_again: "99999999999d" is not a duration'),
        ('at = "10:00"\nremind_again = "2d"', 'habits.h.remind_again: "2d" is longer than a day'),
        ('max_late = "30d"', 'habits.h.max_late: "30d" is longer than 7 days'),
    ],
)
def test_values_that_would_overflow_a_date_are_refused_at_check(habitd: Habitd, line: str, problem: str) -> None:
    habitd.write_config(f"[habits.h]\n{line}\n")
    for args in (["check"], ["done", "h"]):
        result = habitd(*args)
        assert result.exit_code == 2, result.output
        assert problem in result.stderr


def test_far_days_are_refused_and_the_longest_periods_work(habitd: Habitd) -> None:
    for args in (["done", "thanks", "--date", "0001-01-01"], ["pause", "--until", "9999-12-31"]):
        result = habitd(*args)
        assert result.exit_code == 2 and "too far from today" in result.stderr
    habitd.write_config('[habits.a]\nevery = "120 months"\nat = "10:00"\n[habits.b]\nevery = "3660 days"\n')
    assert habitd("check").exit_code == 0
    assert habitd("done", "a").exit_code == 0 and habitd("done", "b").exit_code == 0
    assert habitd("history", "a", "--json").exit_code == 0


# --- 12, 13: layout ---------------------------------------------------------------------


def test_history_month_labels_never_run_together(habitd: Habitd) -> None:
    habitd("done", "thanks", "--date", "2025-06-02")
    for weeks in range(1, 40):
        header = habitd("history", "thanks", "--weeks", str(weeks)).stdout.splitlines()[1]
        assert set(header.split()) <= MONTHS, (weeks, header)


def test_status_and_today_fit_80_columns_and_hide_no_habit(habitd: Habitd) -> None:
    habitd.write_config((ROOT / "config.example.toml").read_text())
    habitd("done", "date-night")
    habitd("done", "thanks", "--date", "2026-11-20")
    status = habitd("status").stdout.splitlines()
    assert max(map(len, status)) <= 80
    assert status[0].split() == ["habit", "now", "every", "streak", "best", "strength", "next"]
    assert status[1].split()[:7] == ["date-night", "done", "week", "1", "1", "13%", "2026-12-04"]
    strength = [line.index("%") for line in status[1:]]
    assert len(set(strength)) == 1  # the strength column is padded
    today = habitd("today").stdout
    assert max(map(len, today.splitlines())) <= 80
    view = habitd.json("today")
    listed = [h["id"] for kind in ("due", "open", "done") for h in view[kind]]
    assert len(listed) == 12 and all(re.search(rf"\b{i}\b", today) for i in listed)  # the open list is whole


# --- wording ------------------------------------------------------------------------


def test_counts_and_periods_read_as_english(habitd: Habitd) -> None:
    habitd.write_config('[habits.review]\nevery = "4 months"\ntimes = 2\n')
    assert "config is valid: 1 habit," in habitd("check").stdout
    assert "(1/2 these 4 months)" in habitd("done", "review").stdout
    assert habitd("history", "review").stdout.splitlines()[-1].startswith("these 4 months: 1/2")
    habitd.write_config('[habits.thanks]\nat = "20:30"\n')
    habitd("done", "thanks")
    assert habitd("done", "thanks").stdout == "Thanks: already done for 2026-11-25. Nothing changed.\n"
    habitd.write_config('[habits.thanks]\nat = "25:00"\n')
    assert ": 1 problem in the config:" in habitd("check").stderr


def test_a_missing_config_says_where_and_how_to_start(habitd: Habitd, tmp_path: Path) -> None:
    habitd.config = tmp_path / "nope.toml"
    result = habitd("status")
    assert result.exit_code == 2
    assert result.stderr == f"habitd: no config at {habitd.config}; `habitd init` writes one\n"


def test_usage_errors_are_one_line_with_the_hint(habitd: Habitd) -> None:
    for args, what in (
        (["done"], "missing argument 'HABIT'"),
        (["history", "thanks", "--weeks", "0"], "invalid value for '--weeks'"),
        (["frobnicate"], "no such command 'frobnicate'"),
    ):
        result = habitd(*args)
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith(f"habitd: {what}") and "--help`" in result.stderr


# --- exit codes ---------------------------------------------------------------------


def test_an_unreadable_config_is_an_io_failure(habitd: Habitd, tmp_path: Path) -> None:
    habitd.config = tmp_path / "loop.toml"
    habitd.config.symlink_to(habitd.config)  # reading it fails with ELOOP, even for root
    result = habitd("status")
    assert result.exit_code == 1 and "cannot read" in result.stderr


def test_an_unknown_notifier_is_a_usage_error(habitd: Habitd, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HABITD_NOTIFIER", "bogus")
    result = habitd("run")
    assert result.exit_code == 2 and "HABITD_NOTIFIER='bogus'" in result.stderr


# --- NO_COLOR -----------------------------------------------------------------------


def on_a_terminal(tmp_path: Path, no_color: str | None) -> bytes:
    config = tmp_path / "config.toml"
    config.write_text('[habits.thanks]\nat = "20:30"\n')
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(HABITD_CONFIG=str(config), HABITD_STATE_DIR=str(tmp_path / "state"))
    if no_color is not None:
        env["NO_COLOR"] = no_color
    env = wall_clock_env(env)
    subprocess.run([HABITD, "done", "thanks"], env=env, capture_output=True, check=True)
    main, side = pty.openpty()
    try:
        subprocess.run([HABITD, "status"], env=env, stdout=side, stderr=subprocess.PIPE, check=True, timeout=60)
        os.close(side)
        out = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        os.close(main)


def test_an_empty_no_color_keeps_colour_and_a_set_one_removes_it(tmp_path: Path) -> None:
    assert b"\x1b[32m" in on_a_terminal(tmp_path, None)
    assert b"\x1b[32m" in on_a_terminal(tmp_path, "")
    assert b"\x1b[" not in on_a_terminal(tmp_path, "1")


# --- everything paused ----------------------------------------------------------------


def test_today_line_says_when_everything_is_paused(habitd: Habitd) -> None:
    habitd("pause", "--until", "2026-11-30")
    assert habitd("today", "--format", "line").stdout == "all paused\n"
    assert [h["id"] for h in habitd.json("today")["paused"]] == ["date-night", "thanks", "listen"]
    assert "Paused: date-night, thanks, listen" in habitd("today").stdout
    habitd("resume")
    habitd("pause", "thanks", "--until", "2026-11-30")
    habitd("done", "date-night")
    habitd("done", "listen", "--date", "mon")
    habitd("done", "listen", "--date", "tue")
    habitd("done", "listen")
    assert habitd("today", "--format", "line").stdout == "all done, 1 paused\n"


# --- one date grammar ---------------------------------------------------------------


def test_done_on_a_day_off_is_recorded_and_says_so(habitd: Habitd) -> None:
    habitd.write_config('[habits.talk]\non = "weekdays"\nat = "19:00"\n')
    habitd.at("2026-11-28T12:00")  # a Saturday
    result = habitd("done", "talk")
    assert result.exit_code == 0
    assert result.stdout == "Talk: done for 2026-11-28 (not one of its due days; it counts all the same).\n"
    assert habitd.json("history", "talk", "--weeks", "1")["periods"][-1]["completions"] == [
        {"date": "2026-11-28", "note": None, "by": None}
    ]


def test_every_day_option_shares_one_grammar_and_one_error(habitd: Habitd) -> None:
    errors = {
        habitd(*args, "someday").stderr
        for args in (["done", "thanks", "--date"], ["journal", "--since"], ["pause", "--until"])
    }
    assert errors == {
        "habitd: 'someday' is not a date: use today, yesterday, tomorrow, YYYY-MM-DD"
        " or a weekday name (mon..sun, monday..sunday)\n"
    }
    assert habitd("pause", "--until", "tomorrow").exit_code == 0
    assert "is in the future" in habitd("done", "thanks", "--date", "tomorrow").stderr
    assert "is not a date" in habitd("done", "thanks", "--date", "20261125").stderr  # only YYYY-MM-DD
    help_text = habitd("pause", "--help").stdout + habitd("done", "--help").stdout
    assert help_text.count("tomorrow") == 1  # --until offers it; --date, which refuses it, does not


# --- before the habit was tracked --------------------------------------------------------


def test_weeks_before_the_first_completion_are_not_tracked(habitd: Habitd) -> None:
    habitd("done", "thanks", "--date", "2026-11-23")
    habitd("done", "thanks", "--date", "2026-11-24")
    periods = habitd.json("history", "thanks", "--weeks", "8")["periods"]
    states = [p["state"] for p in periods]
    assert "missed" not in states
    assert states[-3:] == ["met", "met", "open"] and set(states[:-3]) == {"not tracked"}
    calendar = habitd("history", "thanks", "--weeks", "2").stdout
    assert "~ not tracked" in calendar and "not tracked: before habitd knew the habit" in calendar
    rows = {line[:3]: line[5:] for line in calendar.splitlines()[2:9]}
    assert rows["Mon"].split() == ["~", "#"] and rows["Wed"].split() == ["~", "."]
    assert rows["Thu"].split() == ["~", "~"]  # not tracked; Thursday the 26th, still to come, is blank
    assert calendar.splitlines()[5][5:] == "~ ~"
