"""The phone's whole round trip: habitd's daemon, a real vdirsyncer, Radicale, and the phone played by caldav.

Sam's machine keeps Alex's phone task list. Each step is what a couple sees: the tasks
reach the server with their alarms, Alex's tick there becomes "done by Alex" in Sam's
``status`` after a sync, an un-tick takes it back, Sam's ``done`` completes the server's
task (and completes it again after the phone un-ticks it), and the tasks Alex made on the
phone (one of them repeating) are left alone.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from habitd.exchange.tasks import task_uid
from tests.caldav_chain import Chain
from tests.desktop import Daemon, Desktop, backend_env, wait_for

CONFIG = """
[settings]
timezone = "Europe/Berlin"
name = "Sam"
shared_dir = "{shared}"

[habits.walk]
title = "A walk together"
every = "day"
at = "19:00"

[habits.date-night]
title = "Date night"
every = "week"
on = ["fri"]
at = "18:00"

[phone]
person = "Alex"
vdir = "{vdir}"
"""
WALK = task_uid("walk", date(2026, 11, 25), "Alex")
NIGHT = task_uid("date-night", date(2026, 11, 23), "Alex")


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    (tmp_path / "vdir").mkdir()
    c = Chain(tmp_path / "server", tmp_path / "vdir")
    yield c
    c.close()


def status(daemon: Daemon) -> dict[str, dict]:
    done = daemon.cli("status", "--json")
    assert done.returncode == 0, done.stderr
    return {h["id"]: h for h in json.loads(done.stdout)["habits"]}


def vdir_status(vdir: Path, uid: str) -> str:
    path = vdir / f"{uid}.ics"
    text = path.read_text() if path.exists() else ""
    return next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("STATUS:")), "")


@pytest.mark.e2e
def test_alex_ticks_it_on_the_phone_and_sams_status_says_done_by_alex(
    screen: Desktop, tmp_path: Path, chain: Chain, daemons: Callable[..., Daemon]
) -> None:
    shared = tmp_path / "Sync"
    shared.mkdir()
    vdir = chain.vdir
    daemon = daemons(screen.env, CONFIG.format(shared=shared, vdir=vdir), "2026-11-25 12:00:00")
    daemon.start(env=backend_env(), tick=600)  # the periodic check far away: only inotify can tell
    times: dict[str, float] = {}
    try:
        # the tasks reach the server, with their alarms
        assert wait_for(lambda: vdir_status(vdir, WALK) and vdir_status(vdir, NIGHT), 10), daemon.log
        chain.sync()
        assert chain.uids() == {WALK, NIGHT}
        walk = chain.todo(WALK).icalendar_component
        assert [a["trigger"].dt for a in walk.walk("VALARM")] == [datetime(2026, 11, 25, 18, 0, tzinfo=UTC)]
        assert str(walk["status"]) == "NEEDS-ACTION"

        # Alex ticks the walk on the phone; after a sync Sam's status says done by Alex
        start = time.monotonic()
        chain.todo(WALK).complete(completion_timestamp=datetime(2026, 11, 25, 10, 30, tzinfo=UTC))
        chain.sync()
        synced = time.monotonic()
        daemon.wait_log("phone: Alex ticked walk (2026-11-25)", 10)
        times["sync's write to the daemon's record"] = time.monotonic() - synced
        row = status(daemon)["walk"]
        times["phone tick to status"] = time.monotonic() - start
        assert row["met"] and row["by"] == ["Alex"]

        # an un-tick takes it back
        chain.todo(WALK).uncomplete()
        chain.sync()
        daemon.wait_log("phone: Alex took back the completion of walk", 10)
        row = status(daemon)["walk"]
        assert not row["met"] and row["done"] == 0

        # Sam's done completes the server's task: the phone's list clears
        start = time.monotonic()
        done = daemon.cli("done", "date-night")
        assert done.returncode == 0, done.stderr
        assert wait_for(lambda: vdir_status(vdir, NIGHT) == "COMPLETED", 10), daemon.log
        chain.sync()
        times["desktop done to server"] = time.monotonic() - start
        assert str(chain.todo(NIGHT).icalendar_component["status"]) == "COMPLETED"

        # the phone un-ticks what Sam did: habitd completes it again, and the server gets that too
        chain.todo(NIGHT).uncomplete()
        chain.sync()
        assert wait_for(lambda: vdir_status(vdir, NIGHT) == "COMPLETED", 10), daemon.log
        chain.sync()
        assert str(chain.todo(NIGHT).icalendar_component["status"]) == "COMPLETED"

        # tasks made on the phone, one of them repeating and named like ours, stay as they are
        chain.tasks.save_todo(summary="Buy flowers", uid="phone-made-1")
        repeating = task_uid("walk", date(2026, 11, 26), "Alex")
        chain.tasks.save_todo(summary="Walk every day", uid=repeating, rrule={"FREQ": "DAILY"})
        chain.sync()
        made = {uid: (vdir / f"{uid}.ics").read_bytes() for uid in ("phone-made-1", repeating)}
        chain.todo(repeating).complete(completion_timestamp=datetime(2026, 11, 25, 10, 45, tzinfo=UTC))
        chain.sync()
        made[repeating] = (vdir / f"{repeating}.ics").read_bytes()
        daemon.settled()  # a pass after what the sync brought
        chain.sync()
        assert {uid: (vdir / f"{uid}.ics").read_bytes() for uid in made} == made
        assert chain.todo("phone-made-1").icalendar_component["summary"] == "Buy flowers"
        row = status(daemon)["walk"]
        assert not row["met"] and row["done"] == 0

        # check finds vdirsyncer's pair for the vdir and its latest sync
        env = {**daemon.env, "VDIRSYNCER_CONFIG": str(chain.folder / "vdirsyncer.conf")}
        check = subprocess.run(daemon.args("check"), env=env, capture_output=True, text=True, cwd=daemon.folder)
        said = " ".join(check.stdout.split())
        assert check.returncode == 0 and "phone: 2 of Alex's tasks in" in said, check.stdout + check.stderr
        assert "vdirsyncer" not in said and "no sync" not in said, said
    finally:
        assert daemon.stop() == 0
    for what, seconds in times.items():
        print(f"{what}: {seconds:.2f} s")
