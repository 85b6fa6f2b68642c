"""What a trial of two devices on one shared folder found: a missing folder, a file for a folder,
a damaged own file, a device without a name, renames across partners.

Two state folders (each with its own config) on one shared folder stand for two machines.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import BASIC, Habitd
from tests.desktop import Daemon, Desktop, backend_env, wait_for


def settings(shared: Path, name: str = "", text: str = BASIC) -> str:
    named = f'name = "{name}"\n' if name else ""
    return text.replace("[settings]\n", f'[settings]\nshared_dir = "{shared}"\n{named}', 1)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "Sync" / "habitd"
    (folder / "devices").mkdir(parents=True)
    return folder


def device(habitd: Habitd, tmp_path: Path, shared: Path, who: str, name: str | None = None) -> Habitd:
    config = tmp_path / who / "config.toml"
    config.parent.mkdir()
    config.write_text(settings(shared, who if name is None else name))
    return Habitd(config, tmp_path / who / "state", habitd.now)


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
    assert r.exit_code == 1 and "is not there (not mounted or not synced yet?); nothing was recorded" in r.stderr
    r = sam("check")
    assert r.exit_code == 1 and "problem: the shared folder" in r.stderr and "Traceback" not in r.output
    away.rename(shared)  # back: the history is all there
    assert next(h for h in sam.json("status")["habits"] if h["id"] == "thanks")["done"] == 1


def test_a_shared_folder_never_made_is_not_an_empty_history(habitd: Habitd, tmp_path: Path) -> None:
    folder = tmp_path / "Sync" / "habitd"
    habitd.write_config(settings(folder, "Sam"))
    r = habitd("status")
    assert r.exit_code == 1
    assert f"`habitd init --join {folder} --new`" in r.stderr
    assert not folder.exists()
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
    screen: Desktop, tmp_path: Path, shared: Path
) -> None:
    daemon = Daemon(tmp_path, screen.env, DUE.format(shared=shared), "2026-11-27 18:59:57")
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
        time.sleep(1)
        assert [n["summary"] for n in screen.notifications()] == ["Walk"]  # thanks was done
    finally:
        assert daemon.stop() == 0
