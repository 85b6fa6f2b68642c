"""The real daemon across DST changes and clock jumps, and a notification server that comes and goes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest

from habitd.habits.clock import wall_moment
from tests.desktop import Daemon, Desktop, backend_env, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TIMES = {"one": "01:30", "two": "02:30", "three": "03:30", "evening": "20:00"}


def config_for(zone: str) -> str:
    habits = "".join(f'[habits.{hid}]\nat = "{at}"\n' for hid, at in TIMES.items())
    return f'[settings]\ntimezone = "{zone}"\nmax_late = "6h"\n{habits}'


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def shown(screen: Desktop) -> Counter[str]:
    return Counter(n["summary"] for n in screen.notifications())


def walk_to(daemon: Daemon, screen: Desktop, moment: datetime, expect: int) -> None:
    """Set the clock 2 s before ``moment`` and wait for the count of notifications to reach ``expect``."""
    daemon.set_clock(utc_text(moment - timedelta(seconds=2)))
    wait_for(lambda: sum(shown(screen).values()) >= expect, 8, 0.3)


@pytest.mark.parametrize(
    ("zone", "day", "repeated"),
    [
        ("Europe/Berlin", date(2026, 3, 29), None),  # 02:00 -> 03:00: 02:30 does not exist
        ("Europe/Berlin", date(2026, 10, 25), "two"),  # 03:00 -> 02:00: 02:30 happens twice
        ("America/New_York", date(2026, 3, 8), None),  # 02:00 -> 03:00
        ("America/New_York", date(2026, 11, 1), "one"),  # 02:00 -> 01:00: 01:30 happens twice
    ],
)
def test_each_daily_reminder_is_shown_once_across_a_dst_change(
    screen: Desktop, daemons: Callable[..., Daemon], zone: str, day: date, repeated: str | None
) -> None:
    tz = ZoneInfo(zone)
    fires = sorted((wall_moment(day, dtime.fromisoformat(at), tz), hid) for hid, at in TIMES.items())
    daemon = daemons(screen.env, config_for(zone), utc_text(fires[0][0] - timedelta(seconds=3)), tz="UTC")
    daemon.start()
    try:
        for count, (moment, hid) in enumerate(fires, start=1):
            walk_to(daemon, screen, moment, count)
            if hid == repeated:  # the wall clock shows this time again an hour later
                second = moment + timedelta(hours=1)
                assert second.astimezone(tz).strftime("%H:%M") == TIMES[hid]
                daemon.set_clock(utc_text(second - timedelta(seconds=2)))
                daemon.settled(after=second + timedelta(seconds=1))
        daemon.settled()
        counts = shown(screen)
    finally:
        assert daemon.stop() == 0
    assert counts == Counter({hid.capitalize(): 1 for hid in TIMES}), daemon.log
    if day.month == 3:  # the skipped 02:30 fired at the first valid time, 03:00
        line = next(line for line in daemon.log.splitlines() if "two: reminder of" in line)
        assert f"{day.isoformat()} 03:00 shown" in line


def test_a_backward_jump_repeats_nothing(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(screen.env, config_for("Europe/Berlin"), "2026-11-27 19:59:57")
    daemon.start()
    try:
        assert wait_for(lambda: shown(screen)["Evening"] == 1, 8)
        daemon.set_clock("2026-11-27 18:59:58")  # an hour back
        daemon.wait_log("the wall clock jumped by -")
        daemon.settled()
        daemon.set_clock("2026-11-27 19:59:58")  # and through 20:00 again
        daemon.settled(after="2026-11-27 20:00:01")
        counts = shown(screen)
    finally:
        assert daemon.stop() == 0
    assert counts == Counter({"Evening": 1})
    assert "the wall clock jumped by -" in daemon.log


def test_three_days_forward_gives_one_catch_up_per_open_habit(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(screen.env, config_for("Europe/Berlin"), "2026-11-27 19:00:00")
    daemon.start()
    try:
        daemon.settled()
        assert daemon.cli("done", "three", "--date", "today").returncode == 0
        daemon.set_clock("2026-11-30 21:00:00")
        assert wait_for(lambda: sum(shown(screen).values()) >= 1, 8)
        daemon.wait_log("the wall clock jumped")
        daemon.settled()
        counts = shown(screen)
    finally:
        assert daemon.stop() == 0
    # Only the evening reminder is still fresh (an hour late); the night ones are past max_late.
    assert counts == Counter({"Evening": 1})


def test_the_server_goes_away_and_comes_back(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    env = backend_env()
    daemon = daemons(screen.env, config_for("Europe/Berlin"), "2026-11-27 01:29:58")
    daemon.start(env=env)
    try:
        assert wait_for(lambda: shown(screen)["One"] == 1, 8)
        screen.stop_dunst()
        daemon.set_clock("2026-11-27 02:29:58")
        # Wait for the failed attempt itself, not for a number of seconds: a loaded machine's
        # faked clock can reach 02:30 seconds late.
        daemon.wait_log("two: reminder of 2026-11-27 02:30 not shown yet", 20)
        # and a few retries, each a periodic check (they say so at -v)
        assert wait_for(lambda: daemon.log.count("two: reminder of 2026-11-27 02:30 not shown yet") >= 3, 20)
        assert daemon.proc is not None and daemon.proc.poll() is None  # no crash
        screen.start_dunst()  # a new server: its history starts empty
        assert wait_for(lambda: shown(screen)["Two"] == 1, 8), daemon.log
        daemon.settled()
        counts = shown(screen)
    finally:
        assert daemon.stop() == 0
    assert counts == Counter({"Two": 1})
    assert "two: reminder of 2026-11-27 02:30 not shown yet" in daemon.log
    assert daemon.log.count("two: reminder of 2026-11-27 02:30 shown") == 1
