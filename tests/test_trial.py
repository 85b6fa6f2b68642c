"""What a user trial of notes, undo and the listings found: each case as the person met it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Habitd

HABITD = Path(sys.executable).parent / "habitd"


def test_a_note_a_clock_running_ahead_dated_can_be_replaced_and_removed(habitd: Habitd) -> None:
    habitd.at("2027-11-28 20:00")  # the clock ran a year ahead
    assert habitd("done", "thanks", "--note", "for the tea").exit_code == 0
    habitd.at("2026-11-28 20:00")
    undone = habitd("undo", "thanks", "--date", "2027-11-28")
    assert undone.exit_code == 0
    command = undone.stdout.splitlines()[-1].split()
    assert command == ["habitd", "note", "thanks", "--delete", "--date", "2027-11-28"]
    replaced = habitd("note", "thanks", "for the tea, really", "--date", "2027-11-28")
    assert replaced.exit_code == 0, replaced.output
    assert replaced.stdout.startswith("Thanks: note written for 2027-11-28. It replaces:\n    for the tea\n")
    removed = habitd(*command[1:])
    assert removed.exit_code == 0, removed.output
    assert habitd.json("journal")["notes"] == []
    # A new note still waits for its day.
    new = habitd("note", "thanks", "soon", "--date", "2027-11-28")
    assert new.exit_code == 2 and "2027-11-28 is in the future" in new.stderr
    assert habitd.json("journal")["notes"] == []


def test_a_new_note_and_a_replaced_one_are_told_with_the_same_verb(habitd: Habitd) -> None:
    assert habitd("note", "thanks", "soup").stdout == "Thanks: note written for 2026-11-25.\n"
    assert habitd("note", "thanks", "soup!").stdout.startswith("Thanks: note written for 2026-11-25. It replaces:")


def one_habit(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of the installed script on a config of one daily habit, in ``tmp_path``."""
    config = tmp_path / "c.toml"
    config.write_text('[habits.thanks]\nevery = "day"\nat = "20:00"\n')
    return {**os.environ, "HABITD_CONFIG": str(config), "HABITD_STATE_DIR": str(tmp_path / "s"), **extra}


@pytest.mark.parametrize(
    "args", [["status"], ["journal", "--json"], ["--version"], ["today"], ["export", "--notes"], ["report"]]
)
def test_a_full_disk_under_stdout_is_an_io_error_not_a_bug(tmp_path: Path, args: list[str]) -> None:
    env = one_habit(tmp_path)
    with open("/dev/full", "w") as full:
        run = subprocess.run([str(HABITD), *args], env=env, stdout=full, stderr=subprocess.PIPE, text=True)
    assert run.returncode == 1
    assert run.stderr == "habitd: could not write the output: No space left on device\n"
    with open("/dev/full", "w") as full:  # a change saved: a warning, exit 0, as before
        done = subprocess.run([str(HABITD), "done", "thanks"], env=env, stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0 and "the change was saved" in done.stderr


def test_an_output_file_that_is_a_device_or_a_pipe_is_written_to_not_replaced(tmp_path: Path) -> None:
    """`-o` names where the data goes: a link to a device (/dev/stdout, /dev/null) or a named pipe
    gets the data and stays what it is; only a plain file, or none, is replaced whole."""
    env = one_habit(tmp_path)
    device = tmp_path / "to-null.svg"  # a name `report -o` takes too
    device.symlink_to(os.devnull)
    for args in (["export", "-o", str(device)], ["ical", "-o", str(device)], ["report", "-o", str(device)]):
        run = subprocess.run([str(HABITD), *args], env=env, capture_output=True, text=True)
        assert run.returncode == 0, (args, run.stderr)
        assert device.is_symlink() and os.readlink(device) == os.devnull, args
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE) as reader:
        run = subprocess.run([str(HABITD), "export", "-o", str(pipe)], env=env, capture_output=True, text=True)
        got, _ = reader.communicate(timeout=60)
    assert run.returncode == 0, run.stderr
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert json.loads(got)["format"] == "habitd-export"
    target, link = tmp_path / "kept.json", tmp_path / "link.json"  # through a link: the file it leads to
    target.write_text("old")
    link.symlink_to(target)
    assert subprocess.run([str(HABITD), "export", "-o", str(link)], env=env, capture_output=True).returncode == 0
    assert link.is_symlink() and json.loads(target.read_text())["format"] == "habitd-export"


def test_an_output_pipe_of_another_user_is_refused(tmp_path: Path) -> None:
    """Whoever reads a named pipe gets what is written to it: `export --notes -o` into another
    user's pipe (in a shared folder such as /tmp) would hand them the notes."""
    if os.getuid() != 0:
        pytest.skip("making a pipe of another user's needs root")
    env = one_habit(tmp_path)
    pipe = tmp_path / "theirs.json"
    os.mkfifo(pipe, 0o666)
    os.chown(pipe, 65534, 65534)  # nobody's
    export = [str(HABITD), "export", "--notes", "-o", str(pipe)]
    run = subprocess.run(export, env=env, capture_output=True, text=True, timeout=60)  # opened, it waits for a reader
    assert run.returncode == 1
    assert run.stderr == f"habitd: could not write {pipe}: it is not a file, a device or a pipe of yours\n"
    assert stat.S_ISFIFO(pipe.lstat().st_mode)


def test_a_reader_gone_from_a_pipe_ends_export_as_it_ends_status(tmp_path: Path) -> None:
    env = one_habit(tmp_path)
    ends = {}
    for args in (["status"], ["export"], ["ical"]):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before a byte is written
        ran = subprocess.run([str(HABITD), *args], env=env, stdout=write, stderr=subprocess.PIPE, text=True)
        os.close(write)
        ends[args[0]] = (ran.returncode, ran.stderr)
    assert ends["status"] == (1, "")
    assert ends["export"] == ends["ical"] == ends["status"]


def test_bytes_that_are_not_utf8_in_a_note_are_kept_as_replacement_and_said(tmp_path: Path) -> None:
    env = one_habit(tmp_path, LC_ALL="C.UTF-8")
    config = env["HABITD_CONFIG"]
    run = subprocess.run([str(HABITD), "note", "thanks", b"bad \xff byte"], env=env, capture_output=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr.decode().splitlines() == [
        "habitd: warning: the note held bytes that are not UTF-8; each is kept as \ufffd (U+FFFD)"
    ]
    from habitd.cli.context import App

    notes = App(config, tmp_path / "s").store.read().habits["thanks"].notes  # the history, as commands read it
    assert notes[0].text == "bad \ufffd byte"
    fine = subprocess.run([str(HABITD), "note", "thanks", "café ❤"], env=env, capture_output=True)
    assert fine.returncode == 0 and fine.stderr == b""


def test_a_control_character_in_a_title_is_told_in_a_whole_sentence(habitd: Habitd) -> None:
    habitd.write_config('[habits.h]\ntitle = "a\\u001bb"\n')
    result = habitd("check")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].endswith(
        "habits.h.title: holds a control character (U+001B); only tabs and newlines may be used in text"
    )


def test_usage_errors_read_as_one_sentence_with_the_dash_hint_for_notes(habitd: Habitd) -> None:
    typo = habitd("donee", "thanks")
    said = typo.stderr.replace("`cli", "`habitd")
    assert said == "habitd: no such command 'donee' (did you mean 'done'?); try `habitd --help`\n"
    for typed, meant in [("statu", "status"), ("exprot", "export")]:  # any command, loaded or not yet
        said = habitd(typed).stderr.replace("`cli", "`habitd")
        assert said == f"habitd: no such command '{typed}' (did you mean '{meant}'?); try `habitd --help`\n"
    assert habitd("zzz").stderr.replace("`cli", "`habitd") == "habitd: no such command 'zzz'; try `habitd --help`\n"
    dash = habitd("note", "thanks", "-1 sugar")
    assert dash.exit_code == 2
    assert dash.stderr.replace("`cli", "`habitd") == (
        "habitd: no such option '-1'; text that starts with a dash goes after `--`:"
        ' `habitd note HABIT -- "-1 ..."`; try `habitd note --help`\n'
    )
    assert habitd("note", "thanks", "--", "-1 sugar").exit_code == 0
    assert habitd.json("journal")["notes"][0]["text"] == "-1 sugar"


def test_days_more_than_ten_years_ahead_are_refused_as_the_readme_says(habitd: Habitd) -> None:
    habitd.at("2026-11-28 12:00")
    assert habitd("pause", "--until", "2036-11-28").exit_code == 0  # ten years on, to the day
    late = habitd("pause", "--until", "2036-11-29")
    assert late.exit_code == 2 and "too far from today" in late.stderr and "2036-11-28" in late.stderr
    habitd.at("2028-02-29 12:00")
    assert habitd("pause", "thanks", "--until", "2038-02-28").exit_code == 0
    assert habitd("pause", "thanks", "--until", "2038-03-01").exit_code == 2


def _widest(habitd: Habitd) -> int:
    result = habitd("status")
    assert result.exit_code == 0, result.output
    return max(len(line) for line in result.stdout.splitlines())


def test_status_of_the_trial_fits_80_columns(habitd: Habitd) -> None:
    habitd.write_config(
        '[habits.abcdefghijklmnopqrs]\nevery = "120 months"\ntimes = 100\n'
        '[habits.weird-wide]\nevery = "3 months"\nat = "10:00"\n'
    )
    for n in range(12):
        assert habitd("done", "abcdefghijklmnopqrs", "--date", f"2026-11-{n + 1:02d}").exit_code == 0
    assert _widest(habitd) <= 80
    assert "\nabcdefghijklmnopq…  12/100  120 months" in habitd("status").stdout  # the id gave way


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,59}", fullmatch=True), min_size=1, max_size=3, unique=True),
    every=st.sampled_from(["day", "3660 days", "520 weeks", "120 months", "7 days", "3 months"]),
    times=st.integers(1, 100),
    done=st.integers(0, 3),
    reminder=st.booleans(),
    streaks=st.booleans(),
)
def test_status_fits_80_columns_for_any_ids_periods_and_targets(
    habitd: Habitd, ids: list[str], every: str, times: int, done: int, reminder: bool, streaks: bool
) -> None:
    at = '\nat = "10:00"' if reminder else ""
    habits = "".join(f'[habits.{i}]\nevery = "{every}"\ntimes = {times}{at}\n' for i in ids)
    habitd.write_config(f"[settings]\nshow_streaks = {str(streaks).lower()}\n{habits}")
    for n in range(done):
        habitd("done", ids[0], "--date", f"2026-11-{n + 1:02d}")
    assert _widest(habitd) <= 80


QUIET = """
[settings]
timezone = "Europe/Berlin"
quiet_hours = "22:00-07:00"

[habits.qw]
every = "week"
at = "21:30"
remind_again = "30m"
"""


def test_next_lists_the_reminders_quiet_hours_hold_once_as_the_daemon_shows_them(habitd: Habitd) -> None:
    habitd.write_config(QUIET)
    habitd.at("2026-11-30 12:00")  # a Monday: the week's first day
    lines = habitd("next", "--limit", "4").stdout.splitlines()
    assert [" ".join(line.split()) for line in lines] == [
        "today 21:30 qw Qw",
        "tomorrow 07:00 qw Qw (again) (quiet hours until 07:00)",  # the follow-ups of 22:00..23:30: one
        "2026-12-07 21:30 qw Qw",
        "2026-12-08 07:00 qw Qw (again) (quiet hours until 07:00)",
    ]


def test_check_warns_of_a_reminder_quiet_hours_would_hold_past_its_day(habitd: Habitd) -> None:
    habitd.write_config(QUIET + '\n[habits.late]\nevery = "day"\nat = "23:00"\n')
    result = habitd("check")
    assert result.exit_code == 0
    assert "late  every day         next: no reminder" in result.stdout
    said = " ".join(result.stdout.split("config is valid")[1].split("\n", 1)[1].split())
    assert said == (
        "warning: late: its 23:00 reminder falls in the quiet hours (22:00-07:00) and its day is over before"
        " they end, so it can never be shown; move it out of 22:00-07:00 (`at`), or end quiet_hours earlier"
    )
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    habitd.write_config(QUIET)  # a follow-up held to the next morning is fine: no warning
    assert "warning" not in habitd("check").stdout


def test_the_next_reminder_of_the_longest_period_is_found(habitd: Habitd) -> None:
    habitd.write_config('[habits.decade]\nevery = "120 months"\nat = "10:00"\nstart = 2026-01-05\n')
    assert "next: 2036-01-01 10:00" in habitd("check").stdout
    assert habitd.json("status")["habits"][0]["next_reminder"].startswith("2036-01-01T10:00")


def test_daemon_log_stamps_are_in_the_configs_time_zone_with_its_offset() -> None:
    import io
    import logging
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from habitd.service.logs import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(0, journal=False, tz=ZoneInfo("Europe/Berlin"))
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(io.StringIO())
        record = logging.LogRecord("habitd", logging.INFO, __file__, 1, "thanks: reminder of %s shown", ("x",), None)
        record.created = datetime(2026, 11, 25, 20, 30, 5, tzinfo=ZoneInfo("UTC")).timestamp()
        assert handler.format(record) == "2026-11-25 21:30:05+0100 INFO thanks: reminder of x shown"
    finally:
        root.handlers[:], root.level = saved[0], saved[1]


def test_a_notes_keys_of_a_newer_version_survive_its_text_being_replaced(habitd: Habitd) -> None:
    habitd.state_dir.mkdir(mode=0o700)
    state_file = habitd.state_dir / "state.toml"
    state_file.write_text(
        "version = 1\n\n[habits.thanks]\nnotes = [\n"
        '  { day = 2026-11-24, at = 2026-11-24T20:00:00+01:00, text = "soup", nth = 0, mood = "warm" },\n'
        '  { day = 2027-11-28, at = 2027-11-28T20:00:00+01:00, text = "tea", nth = 0, tags = ["a"] },\n]\n'
    )
    assert habitd("note", "thanks", "soup, and a hug", "--date", "2026-11-24").exit_code == 0
    assert habitd("note", "thanks", "tea, mended", "--date", "2027-11-28").exit_code == 0  # dated by a clock ahead
    from habitd.cli.context import App

    read = App(habitd.config, habitd.state_dir, now=lambda: habitd.now).store.read().habits["thanks"].notes
    notes = [{"text": n.text, **n.extra} for n in read]  # moved into the event log, the keys with it
    assert [(n["text"], n.get("mood"), n.get("tags")) for n in notes] == [
        ("soup, and a hug", "warm", None),
        ("tea, mended", None, ["a"]),
    ]
