"""What a trial of two devices on one shared folder found: a missing folder, a file for a folder,
a damaged own file, a device without a name, renames across partners.

Two state folders (each with its own config) on one shared folder stand for two machines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Habitd, shared_settings
from tests.desktop import Daemon, Desktop, backend_env, wait_for
from tests.test_devices import device

# --- S5: a shared folder that is not there ----------------------------------------------


def test_reads_refuse_while_the_shared_folder_is_not_there_and_export_writes_nothing(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks").exit_code == 0
    away = tmp_path / "unmounted"
    shared.rename(away)  # the disk is not mounted
    backup = tmp_path / "backup.json"
    for args in (["status"], ["today", "--format", "line"], ["journal"], ["export", "-o", str(backup)], ["export"]):
        r = sam(*args)
        assert r.exit_code == 1, (args, r.output)
        assert r.stdout == ""
        assert r.stderr.startswith(f"habitd: the shared folder {shared} is not there (not mounted or not synced yet?)")
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not backup.exists()
    r = sam("done", "listen")
    assert r.exit_code == 1 and "(not mounted or not synced yet?); nothing can be shown or recorded" in r.stderr
    r = sam("check")
    assert r.exit_code == 1 and "problem: the shared folder" in r.stderr and "Traceback" not in r.output
    away.rename(shared)  # back: the history is all there
    assert next(h for h in sam.json("status")["habits"] if h["id"] == "thanks")["done"] == 1


def test_a_shared_folder_never_made_is_not_an_empty_history(habitd: Habitd, tmp_path: Path) -> None:
    folder = tmp_path / "Sync" / "habitd"
    habitd.write_config(shared_settings(folder, "Sam"))
    r = habitd("status")
    assert r.exit_code == 1
    assert "not mounted or not synced yet?" in r.stderr and "--new" not in r.stderr  # maybe only unmounted
    assert not folder.exists()
    r = habitd("init", "--join", str(folder))
    assert r.exit_code == 2 and "to start a new shared folder there, add --new" in r.stderr
    r = habitd("init", "--join", str(folder), "--new")  # the way it says
    assert r.exit_code == 0, r.output
    assert habitd("status").exit_code == 0


DUE = """
[settings]
timezone = "Europe/Berlin"
shared_dir = "{shared}"
name = "Sam"

[habits.thanks]
every = "day"
at = "19:00"

[habits.walk]
title = "Walk"
every = "day"
at = "19:00"
"""


def test_the_daemon_says_once_that_the_history_is_unknown_reminds_of_nothing_and_recovers(
    screen: Desktop, tmp_path: Path, daemons: Callable[..., Daemon], shared: Path
) -> None:
    daemon = daemons(screen.env, DUE.format(shared=shared), "2026-11-27 18:59:57")
    assert daemon.cli("done", "thanks").returncode == 0
    away = tmp_path / "unmounted"
    shared.rename(away)
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("is not there (not mounted or not synced yet?)")
        daemon.set_clock("2026-11-27 19:05:00")  # both are due: neither is shown, the history is unknown
        wait_for(lambda: daemon.log.count("could not check reminders") >= 3, 10)  # a few periodic checks
        assert screen.notifications() == []
        errors = [line for line in daemon.log.splitlines() if "ERROR" in line]
        assert len(errors) == 1, daemon.log
        assert "no reminders until it can be read" in errors[0]
        away.rename(shared)  # mounted again
        daemon.wait_log("the history can be read again")
        daemon.wait_log("walk: reminder of 2026-11-27 19:00 shown")
        daemon.settled()
        assert [n["summary"] for n in screen.notifications()] == ["Walk"]  # thanks was done
    finally:
        assert daemon.stop() == 0


# --- S12: a shared_dir that is a file ---------------------------------------------------


def test_a_shared_dir_that_is_a_file_is_a_mistake_in_the_config(habitd: Habitd, tmp_path: Path) -> None:
    path = tmp_path / "habitd-sync"
    path.write_text("not a folder\n")
    habitd.write_config(shared_settings(path, "Sam"))
    for args in (["status"], ["done", "thanks"], ["devices"], ["check"]):
        r = habitd(*args)
        assert r.exit_code == 2, (args, r.output)
        assert f"settings.shared_dir: {path} is not a folder" in r.stderr, args
        assert "Traceback" not in r.output
    assert path.read_text() == "not a folder\n"


# --- S10: this device's own file damaged --------------------------------------------------


def test_a_damaged_own_file_is_refused_with_what_moving_it_away_loses(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks").exit_code == 0
    (path,) = shared.glob("devices/*/2026-11.toml")
    path.write_bytes(path.read_bytes()[:60])  # cut short
    r = sam("done", "thanks")
    assert r.exit_code == 3
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"habitd: {path}: ")
    assert "backups" not in r.stderr
    assert "nothing was recorded" in r.stderr and ".stversions" in r.stderr
    assert "what this device recorded for the days of 2026-11 (completions, notes, skips, pauses)" in r.stderr
    assert "the rest of the history is used" not in r.stderr  # no warning that says the opposite
    assert len(path.read_bytes()) == 60


# --- S6: a partner's device without a name ------------------------------------------------


def test_check_and_devices_name_a_device_that_writes_without_a_name(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam, alex = device(habitd, tmp_path, shared, "Sam"), device(habitd, tmp_path, shared, "Alex", name="")
    assert alex("done", "thanks").exit_code == 0
    assert sam("done", "listen").exit_code == 0
    (alex_id,) = [p.name for p in (shared / "devices").iterdir() if p.name != sam_id(sam)]
    for args in (["check"], ["devices"]):
        r = sam(*args)
        assert r.exit_code == 0, r.output
        said = " ".join(r.output.split())
        assert f"device {alex_id} writes without a name" in said, args
        assert "its completions of personal habits (`each = true`) count for everyone" in said
    said = " ".join(alex("check").output.split())
    assert f"device {alex_id} (this machine) writes without a name ([settings] name on this machine)" in said
    assert f"device {sam_id(sam)}" not in sam("check").output  # Sam's device has a name
    alex.write_config(alex.config.read_text().replace("[settings]\n", '[settings]\nname = "Alex"\n', 1))
    assert "(this machine) writes without a name" not in alex("check").output  # named now: its next entry says so
    solo = device(habitd, tmp_path, tmp_path / "solo-folder", "solo", name="")
    (tmp_path / "solo-folder").mkdir()
    assert solo("done", "thanks").exit_code == 0
    assert "without a name" not in solo("check").output  # alone on a folder: nobody to count for


def sam_id(h: Habitd) -> str:
    return (h.state_dir / "device.toml").read_text().split('id = "')[1].split('"')[0]


# --- S1/S2: renames across partners ---------------------------------------------------------


def test_a_rename_of_a_shared_habit_is_both_partners_at_once(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam, alex = device(habitd, tmp_path, shared, "Sam"), device(habitd, tmp_path, shared, "Alex")
    habitd.at("2026-11-24 12:00")
    sam.now = alex.now = habitd.now
    assert sam("done", "thanks").exit_code == 0
    r = sam("rename", "thanks", "gratitude")
    assert r.exit_code == 0, r.output
    assert "your partner's habitd follows" in r.stdout and "rename" not in r.stderr
    habitd.at("2026-11-25 12:00")
    sam.now = alex.now = habitd.now
    assert alex("done", "thanks").exit_code == 2  # the shared habit has its new id for Alex too
    assert alex("done", "gratitude").exit_code == 0
    for side in (sam, alex):
        row = next(h for h in side.json("status")["habits"] if h["id"] == "gratitude")
        assert row["streak"] == 2, side.config
        r = side("check")
        assert r.exit_code == 0, r.output
        assert "note:" not in r.stdout and "rename" not in r.stdout  # nobody is told to rename again
        assert "renamed" not in side("status").stderr


def test_habits_in_a_sharing_config_are_said_not_to_be_read(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam, alex = device(habitd, tmp_path, shared, "Sam"), device(habitd, tmp_path, shared, "Alex")
    text = alex.config.read_text() + '\n[habits.gym]\nevery = "day"\neach = true\n'
    alex.write_config(text)
    assert alex("done", "gym").exit_code == 0  # moved into the shared folder first: a habit of both now
    r = alex("check")
    assert "gym" in r.stdout  # moved: a shared habit now, for both
    assert "gym" in sam("check").stdout
    assert alex.config.with_name("config.toml.before-sharing").read_text() == text


def test_a_shared_config_in_the_shared_folder_needs_no_word_about_the_partner(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    common = shared / "config.toml"
    common.write_text(shared_settings(shared))
    sam, alex = device(habitd, tmp_path, shared, "Sam"), device(habitd, tmp_path, shared, "Alex")
    assert alex("done", "thanks").exit_code == 0
    sam.config = common
    r = sam("rename", "thanks", "gratitude")
    assert r.exit_code == 0, r.output
    assert "the config there must say" not in r.stderr


def test_the_daemon_does_not_start_on_a_shared_dir_that_is_a_file(
    tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    path = tmp_path / "habitd-sync"
    path.write_text("")
    daemon = daemons(dict(os.environ), DUE.format(shared=path), "2026-11-27 18:59:57")
    daemon.start(ready=False)
    assert daemon.stop(terminate=False, timeout=20) == 2
    assert f"settings.shared_dir: {path} is not a folder" in daemon.log and "Traceback" not in daemon.log


@pytest.mark.slow  # ten seconds of a real daemon's clock: make test-quick leaves it out
def test_the_shared_folder_vanishing_under_a_running_daemon_is_one_error(
    screen: Desktop, tmp_path: Path, daemons: Callable[..., Daemon], shared: Path
) -> None:
    daemon = daemons(screen.env, "", "2026-11-27 18:59:50")
    (shared / "config.toml").write_text(DUE.format(shared=shared))
    daemon.config.unlink()
    daemon.config.symlink_to(shared / "config.toml")  # one config for both, as `init --join` links it
    daemon.start(env=backend_env())
    try:
        # Settled first: it moved the linked config at start and reloads it; an unmount during that
        # reload could be taken as the config it follows, and no change of it ever seen.
        daemon.settled()
        away = tmp_path / "unmounted"
        shared.rename(away)  # unmounted while it runs
        daemon.wait_log("could not check reminders", 15)  # 19:00: the history cannot be read
        daemon.wait_log("the config was not reloaded", 30)  # the link dangles: the old config stays
        errors = [line for line in daemon.log.splitlines() if "ERROR" in line]
        assert len(errors) == 1, daemon.log
        assert "not mounted or not synced yet?" in daemon.log and "--new" not in daemon.log
        away.rename(shared)
        daemon.wait_log("the history can be read again", 80)
    finally:
        assert daemon.stop() == 0
