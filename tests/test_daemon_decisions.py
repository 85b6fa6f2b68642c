"""The daemon's decisions end to end: quiet hours, pauses, clocks set right, DST gaps."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.desktop import Daemon, Desktop, wait_for

pytestmark = pytest.mark.e2e

CHECKIN = """
[settings]
timezone = "Europe/Berlin"
quiet_hours = "22:00-07:00"

[habits.checkin]
title = "Check-in"
every = "week"
on = ["wed"]
at = "21:30"
"""


def test_a_reminder_missed_before_quiet_hours_waits_for_their_end(screen: Desktop, tmp_path: Path) -> None:
    """Due 21:30, the machine wakes at 22:40: nothing inside the quiet hours, one at 07:00."""
    daemon = Daemon(tmp_path, screen.env, CHECKIN, "2026-11-25 22:40:00")
    daemon.start()
    try:
        time.sleep(2)
        assert screen.notifications() == []
        daemon.set_clock("2026-11-26 06:59:58")
        daemon.wait_log("checkin: reminder of 2026-11-25 21:30 shown", 15)
        time.sleep(1)
        assert [n["summary"] for n in wait_for(screen.notifications, 5)] == ["Check-in"]
    finally:
        assert daemon.stop() == 0
