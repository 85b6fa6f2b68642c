"""The daemon and a partner's events: the shared folder's device folders are watched.

A partner's device writes only its own folder, ``devices/<id>/``, which a sync engine
copies into this machine's shared folder; nothing in this machine's state folder
changes. Here the sync engine is played by a copy through a temporary name and a
rename, as Syncthing does (tests/test_sync_e2e.py has the real one).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from habitd.service.watch import FolderWatch
from tests.desktop import ROOT, Daemon, Desktop, backend_env, wait_for

SHARED = """
[settings]
timezone = "Europe/Berlin"
day_starts = "04:00"
notify_timeout = 0
shared_dir = "{shared}"
name = "{name}"

[habits.thanks]
title = "Thanks"
at = "19:00"

[habits.walk]
title = "Walk"
at = "19:00"
"""


def test_following_folders_adds_new_ones_drops_gone_ones_and_says_what_is_watched(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    devices = shared / "devices"
    watch = FolderWatch()
    try:
        assert watch.follow([str(tmp_path), str(shared), str(devices)]) == (True, True)
        devices.mkdir(parents=True)  # the shared folder comes late (mounted, synced)
        assert watch.follow([str(tmp_path), str(shared), str(devices)]) == (True, True)
        assert watch.follow([str(tmp_path), str(shared), str(devices)]) == (True, False)  # nothing new
        (devices / "ab12").mkdir()
        assert watch.follow([str(tmp_path), str(shared), str(devices), str(devices / "ab12")]) == (True, True)
        watch.changes()
        (devices / "ab12" / ".syncthing.2026-11.toml.tmp").write_text("x")
        os.replace(devices / "ab12" / ".syncthing.2026-11.toml.tmp", devices / "ab12" / "2026-11.toml")
        assert select.select([watch], [], [], 5)[0] == [watch]
        assert ("ab12", "2026-11.toml") in {(Path(c.folder).name, c.name) for c in watch.changes()}
        shutil.rmtree(shared)  # unmounted: the watches go, and the change is reported
        assert select.select([watch], [], [], 5)[0] == [watch]
        assert any(c.name is None for c in watch.changes())
        assert watch.follow([str(tmp_path), str(shared), str(devices)]) == (True, False)
        assert watch.active  # the state folder is still watched
    finally:
        watch.close()


def partner_done(daemon: Daemon, shared: Path, habit: str) -> None:
    """The partner's `habitd done HABIT` on their machine, then their device folder copied into
    ``shared`` the way a sync engine does it: a temporary name, then a rename."""
    partner = daemon.folder / "partner"
    (partner / "shared").mkdir(parents=True, exist_ok=True)
    config = partner / "config.toml"
    config.write_text(SHARED.format(shared=partner / "shared", name="Alex"))
    args = [sys.executable, "-m", "habitd", "--config", str(config), "--state-dir", str(partner / "state")]
    done = subprocess.run([*args, "done", habit], env=daemon.env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    for source in (partner / "shared" / "devices").glob("*/*.toml"):
        target = shared / "devices" / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".syncthing.{source.name}.tmp"
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)


@pytest.mark.e2e
def test_a_partners_completion_closes_the_open_reminder_at_once(
    screen: Desktop, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    """The bubble of a habit the partner has just done goes, with the periodic check ten minutes
    away: only watching the new device folder can tell; the other habit's bubble stays."""
    shared = tmp_path / "Sync" / "habitd"
    shared.mkdir(parents=True)
    daemon = daemons(screen.env, SHARED.format(shared=shared, name="Sam"), "2026-11-27 18:59:58")
    daemon.start(env=backend_env(), tick=600)
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown", 20)
        daemon.wait_log("walk: reminder of 2026-11-27 19:00 shown", 20)
        assert wait_for(lambda: screen.displayed() == 2, 10)
        partner_done(daemon, shared, "thanks")
        daemon.wait_log("thanks: notification closed: its period is met", 15)
        assert wait_for(lambda: screen.displayed() == 1, 10), daemon.log
        assert [n["summary"] for n in screen.notifications()] == ["Thanks", "Walk"]  # nothing shown again
    finally:
        assert daemon.stop() == 0
    assert "walk: notification closed" not in daemon.log


@pytest.mark.e2e
def test_a_partners_completion_drops_a_reminder_waiting_to_be_shown(
    bare: Desktop, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    """No notification server: both 19:00 reminders wait to be shown. The partner's `done` of
    one arrives: that one no longer waits (it will never be shown), the other still does."""
    shared = tmp_path / "Sync" / "habitd"
    shared.mkdir(parents=True)
    daemon = daemons(bare.env, SHARED.format(shared=shared, name="Sam"), "2026-11-27 18:59:58")
    daemon.start(env=backend_env(), tick=600)

    def waiting() -> set[str]:
        """The reminders this machine keeps waiting to show (its own bookkeeping, never synced)."""
        state = tomllib.loads((daemon.state_dir / "state.toml").read_text())
        return {hid for hid, r in state.get("reminders", {}).items() if r.get("pending")}

    try:
        assert wait_for(lambda: waiting() == {"thanks", "walk"}, 20), daemon.log
        partner_done(daemon, shared, "thanks")
        assert wait_for(lambda: waiting() == {"walk"}, 15), daemon.log
        r = daemon.cli("status", "--json")
        status = json.loads(r.stdout)
        assert [h["id"] for h in status["habits"] if h["pending_reminder"]] == ["walk"], (r.stderr, daemon.log)
    finally:
        assert daemon.stop() == 0
