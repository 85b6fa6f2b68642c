"""The state file: keys of newer versions kept, saves it could not read back refused, hand-edited
values checked, and folders private to their user."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from habitd.cli.context import App
from habitd.habits.state import Note
from habitd.habits.state_toml import to_doc
from habitd.history.files import STATE_MAX_BYTES
from habitd.history.store import Store
from tests.clock import wall_clock_env
from tests.conftest import ROOT, Habitd
from tests.desktop import wait_for

ENV = wall_clock_env({**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})


def command(habitd: Habitd, *args: str) -> list[str]:
    return [sys.executable, "-m", "habitd", "--config", str(habitd.config), "--state-dir", str(habitd.state_dir), *args]


NEWER = """\
version = 1

[habits.thanks]
since = 2026
done = '{mask}'
colour = "gold"
notes = [ {{ day = 2026-11-24, at = 2026-11-24T20:00:00+01:00, text = "soup", nth = 1, mood = "warm" }} ]
skips = [ {{ day = 2026-11-20, text = "ill", reason = {{ kind = "health", by = ["her"] }} }} ]

[habits.thanks.shared]
with = "partner"
since = 2026-01-01

[habits.date-night]
planned = ["ramen", "cinema"]
"""


def _history(habitd: Habitd) -> dict[str, Any]:
    """The history as habitd derives it from its event log, in the state file's form."""
    return to_doc(App(habitd.config, habitd.state_dir, now=lambda: habitd.now).store.read())


def _mask(*days: int) -> str:
    import binascii

    bits = sum(1 << (d - 1) for d in days)
    return binascii.b2a_base64(bits.to_bytes(46, "little"), newline=False).decode()


def test_unknown_keys_in_habit_note_and_skip_tables_survive_a_save(habitd: Habitd) -> None:
    habitd.state_dir.mkdir(mode=0o700)
    state_file = habitd.state_dir / "state.toml"
    state_file.write_text(NEWER.format(mask=_mask(328)))  # day 328 of 2026: 2026-11-24
    assert habitd("done", "thanks").exit_code == 0
    assert habitd("undo", "thanks", "--date", "2026-11-24").exit_code == 0  # its note changes table
    doc = _history(habitd)  # moved into the event log, the keys with it
    thanks = doc["habits"]["thanks"]
    assert thanks["colour"] == "gold"
    assert thanks["shared"] == {"with": "partner", "since": date(2026, 1, 1)}
    assert thanks["notes"][0]["mood"] == "warm" and thanks["notes"][0]["nth"] == 0  # now the day's note
    assert thanks["skips"][0]["reason"] == {"kind": "health", "by": ["her"]}
    assert doc["habits"]["date-night"] == {"planned": ["ramen", "cinema"]}  # a habit with nothing else
    assert habitd("note", "thanks", "soup, and a hug", "--date", "2026-11-24").exit_code == 0
    note = _history(habitd)["habits"]["thanks"]["notes"][0]
    assert (note["text"], note["mood"]) == ("soup, and a hug", "warm")


def test_a_save_that_habitd_could_not_read_back_is_refused_before_anything_is_written(
    habitd: Habitd, tmp_path: Path
) -> None:
    store = App(habitd.config, habitd.state_dir, now=lambda: habitd.now).store
    with store.update() as state:  # a long journal, this month: just under the limit of a month's file
        text = "x" * (STATE_MAX_BYTES - 4096)
        state.log("thanks").notes.append(Note(date(2026, 11, 1), datetime(2026, 11, 1, tzinfo=UTC), text))
    (month_file,) = habitd.state_dir.glob("devices/*/2026-11.toml")
    before = month_file.read_bytes()
    stamp = month_file.stat().st_mtime_ns
    result = habitd("done", "thanks", "--note", "y" * 5000)
    assert result.exit_code == 1
    assert result.stderr.startswith("habitd: this change would make ")
    assert f"more than the {STATE_MAX_BYTES} habitd can read back; nothing was changed" in result.stderr
    assert month_file.read_bytes() == before and month_file.stat().st_mtime_ns == stamp
    assert habitd("done", "thanks").exit_code == 0  # a change that fits is saved
    assert habitd.json("status")["habits"][1]["done"] == 1


HAND_EDITS = {
    "since 0": ("[habits.thanks]\nsince = 0\ndone = '{mask}'\n", "habits.thanks.since: 0 puts the days"),
    "since -3": ("[habits.thanks]\nsince = -3\ndone = '{mask}'\n", "habits.thanks.since: -3 puts"),
    "since 99999": ("[habits.thanks]\nsince = 99999\ndone = '{mask}'\n", "habits.thanks.since: 99999 puts"),
    "since huge": (
        "[habits.thanks]\nsince = 9223372036854775807\ndone = '{mask}'\n",
        "habits.thanks.since: 9223372036854775807 puts",
    ),
    "day 366 of 2025": (
        "[habits.thanks]\nsince = 2025\ndone = '{day366}'\n",
        "habits.thanks.done: marks day 366 of 2025",
    ),
    "handled at the end of time": (
        "[reminders.thanks]\nhandled = 9999-12-31T23:59:59.999999Z\n",
        "reminders.thanks.handled: 9999-12-31T23:59:59.999999+00:00 is not a moment from 1970 to 9998",
    ),
    "note written in year 1": (
        "[habits.thanks]\nnotes = [{{day = 2026-11-24, at = 0001-01-01T00:00:00Z, text = 'x'}}]\n",
        "habits.thanks.notes[0].at:",
    ),
    "negative nth": (
        "[habits.thanks]\nnotes = [{{day = 2026-11-24, at = 2026-11-24T10:00:00Z, text = 'x', nth = -1}}]\n",
        "habits.thanks.notes[0].nth: -1 is less than 0",
    ),
}


@pytest.mark.parametrize("case", HAND_EDITS)
def test_hand_edited_values_out_of_range_are_a_corrupt_state_with_the_place(habitd: Habitd, case: str) -> None:
    body, place = HAND_EDITS[case]
    habitd.state_dir.mkdir(mode=0o700)
    state_file = habitd.state_dir / "state.toml"
    text = "version = 1\n" + body.format(mask=_mask(1), day366=_mask(366))
    state_file.write_text(text)
    for args in (["done", "thanks"], ["status"], ["today"], ["history", "thanks"]):
        result = subprocess.run(
            command(habitd, *args),
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,  # a huge year once made `done` run for ever
        )
        assert result.returncode == 3, (args, result.stderr)
        assert place in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert state_file.read_text() == text


def test_the_daemon_keeps_running_on_a_reminder_at_the_end_of_time(habitd: Habitd, tmp_path: Path) -> None:
    habitd.state_dir.mkdir(mode=0o700)
    (habitd.state_dir / "state.toml").write_text("version = 1\n[reminders.thanks]\nhandled = 9999-12-31T23:59:59Z\n")
    log = tmp_path / "daemon.log"
    with open(log, "w") as err:
        daemon = subprocess.Popen(
            command(habitd, "run", "--tick", "0.2"),
            env={**ENV, "HABITD_NOTIFIER": "dbus"},
            stderr=err,
            stdout=subprocess.DEVNULL,
        )
    try:
        assert wait_for(lambda: log.read_text().count("reminders.thanks.handled") >= 2, 30), log.read_text()
        assert daemon.poll() is None, log.read_text()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
    assert "internal error" not in log.read_text() and "Traceback" not in log.read_text()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_folder_habitd_makes_is_private_even_under_umask_000(tmp_path: Path) -> None:
    home = tmp_path / "home"  # nothing of it exists yet: habitd makes it all
    env = {k: v for k, v in ENV.items() if not k.startswith(("HABITD_", "XDG_"))}
    env["HOME"] = str(home)
    run = [sys.executable, "-c", "import os; os.umask(0); from habitd.cli.app import main; main()"]
    for args in (["init"], ["done", "thanks"], ["service", "install"]):
        result = subprocess.run([*run, *args], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    made = [home, home / ".config", home / ".config" / "habitd", home / ".local", home / ".local" / "state"]
    made += [home / ".local" / "state" / "habitd", home / ".config" / "systemd", home / ".config" / "systemd" / "user"]
    assert {str(p.relative_to(tmp_path)): oct(_mode(p)) for p in made} == {
        str(p.relative_to(tmp_path)): "0o700" for p in made
    }


SPARE_UID = 54321  # a user id no one on this machine has


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_state_folder_of_another_user_is_refused_with_what_to_fix(habitd: Habitd) -> None:
    assert habitd("done", "thanks", "--date", "yesterday").exit_code == 0
    with Store(habitd.state_dir).update() as state:  # this machine's own bookkeeping
        state.sent_day, state.sent_count = date(2026, 11, 25), 1
    state_file = habitd.state_dir / "state.toml"
    before = state_file.read_bytes()
    os.chown(habitd.state_dir, SPARE_UID, -1)
    for args in (["done", "thanks"], ["status"]):
        result = habitd(*args)
        assert result.exit_code == 1, result.output
        assert f"the state folder {habitd.state_dir} belongs to user id {SPARE_UID}, not to you (0)" in result.stderr
        assert f"chown -R 0 {habitd.state_dir}" in result.stderr
    os.chown(habitd.state_dir, 0, -1)
    os.chown(state_file, SPARE_UID, -1)  # another user replaced the file itself
    result = habitd("done", "thanks")
    assert result.exit_code == 1 and f"{state_file} belongs to user id {SPARE_UID}" in result.stderr
    assert state_file.read_bytes() == before
    os.chown(state_file, 0, -1)
    assert habitd("done", "thanks").exit_code == 0


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_a_state_folder_others_can_write_is_refused_with_what_to_fix(habitd: Habitd, mode: int) -> None:
    assert habitd("done", "thanks", "--date", "yesterday").exit_code == 0
    habitd.state_dir.chmod(mode)
    result = habitd("done", "thanks")
    assert result.exit_code == 1
    assert f"can be written by other users (mode {mode:o}); another user could change your history" in result.stderr
    assert f"Fix: `chmod 700 {habitd.state_dir}`" in result.stderr
    habitd.state_dir.chmod(0o750)  # readable by the group is the user's choice
    assert habitd("done", "thanks").exit_code == 0
