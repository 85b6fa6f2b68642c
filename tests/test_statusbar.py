"""The daemon keeps today.json / today.txt and the calendar feed current for other programs."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import icalendar
import pytest

from tests.desktop import Daemon, Desktop, wait_for

pytestmark = pytest.mark.e2e

CONFIG = """
[settings]
timezone = "Europe/Berlin"
{settings}

[habits.thanks]
title = "Say thank you"
at = "20:30"

[habits.date-night]
title = "Date night"
every = "week"
on = ["fri"]
at = "18:00"
"""

WALK = '\n[habits.walk]\nevery = "day"\nat = "17:00"\n'


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def test_status_bar_files_follow_the_state_and_the_config(
    screen: Desktop, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    run = tmp_path / "run"
    feed = tmp_path / "cal" / "habits.ics"
    config = CONFIG.format(settings=f'ical_path = "{feed}"')
    daemon = daemons(screen.env, config, "2026-11-27 10:00:00")
    env = {"XDG_RUNTIME_DIR": str(run)}
    daemon.env.update(env)
    txt, js = run / "habitd" / "today.txt", run / "habitd" / "today.json"
    daemon.start(tick=60)  # a minute check that never comes: only inotify and SIGHUP move things here
    try:
        assert wait_for(lambda: _read(txt), 10), daemon.log
        assert _read(txt) == daemon.cli("today", "--format", "line").stdout == "2 due: date-night, thanks\n"
        assert json.loads(_read(js)) == json.loads(daemon.cli("today", "--json").stdout)
        assert txt.stat().st_mode & 0o777 == 0o600

        assert daemon.cli("done", "thanks").returncode == 0
        assert wait_for(lambda: _read(txt) == "1 due: date-night\n", 8), (_read(txt), daemon.log)
        assert json.loads(_read(js))["done"][0]["id"] == "thanks"

        uids = [str(e["uid"]) for e in icalendar.Calendar.from_ical(feed.read_bytes()).walk("VEVENT")]
        assert sorted(uids) == ["date-night@habitd", "thanks@habitd"]
        daemon.write_config(config + WALK)
        daemon.signal(signal.SIGHUP)
        assert wait_for(lambda: "walk@habitd" in _read(feed), 8), daemon.log
        assert wait_for(lambda: _read(txt) == "2 due: walk, date-night\n", 8), (_read(txt), daemon.log)
    finally:
        assert daemon.stop() == 0


def test_a_new_day_rewrites_them(screen: Desktop, tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    run = tmp_path / "run"
    daemon = daemons(screen.env, CONFIG.format(settings=""), "2026-11-27 21:00:00")
    daemon.env["XDG_RUNTIME_DIR"] = str(run)
    assert daemon.cli("done", "thanks").returncode == 0
    assert daemon.cli("done", "date-night").returncode == 0
    js = run / "habitd" / "today.json"
    daemon.start()
    try:
        assert wait_for(lambda: _read(js) and json.loads(_read(js))["today"] == "2026-11-27", 10), daemon.log
        assert json.loads(_read(js))["due"] == []
        daemon.set_clock("2026-11-28 08:00:00")
        assert wait_for(lambda: json.loads(_read(js))["today"] == "2026-11-28", 10), daemon.log
        assert [d["id"] for d in json.loads(_read(js))["due"]] == ["thanks"]
    finally:
        assert daemon.stop() == 0


def test_the_files_come_back_when_their_folder_is_removed(
    screen: Desktop, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    import shutil

    run = tmp_path / "run"
    daemon = daemons(screen.env, CONFIG.format(settings=""), "2026-11-27 10:00:00")
    daemon.env["XDG_RUNTIME_DIR"] = str(run)
    txt = run / "habitd" / "today.txt"
    daemon.start(tick=60)
    try:
        assert wait_for(lambda: _read(txt), 10), daemon.log
        (run / "habitd").rename(tmp_path / "gone")  # at once: the daemon may be writing in it
        shutil.rmtree(tmp_path / "gone", ignore_errors=True)
        daemon.settled()  # its next check
        assert _read(txt) == "2 due: date-night, thanks\n", daemon.log
    finally:
        assert daemon.stop() == 0
