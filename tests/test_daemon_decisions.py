"""The daemon's decisions end to end: quiet hours, pauses, clocks set right, DST gaps."""

from __future__ import annotations

from collections.abc import Callable

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


def test_a_reminder_missed_before_quiet_hours_waits_for_their_end(
    screen: Desktop, daemons: Callable[..., Daemon]
) -> None:
    """Due 21:30, the machine wakes at 22:40: nothing inside the quiet hours, one at 07:00."""
    daemon = daemons(screen.env, CHECKIN, "2026-11-25 22:40:00")
    daemon.start()
    try:
        daemon.settled()
        assert screen.notifications() == []
        daemon.set_clock("2026-11-26 06:59:58")
        daemon.wait_log("checkin: reminder of 2026-11-25 21:30 shown", 15)
        daemon.settled()
        assert [n["summary"] for n in wait_for(screen.notifications, 5)] == ["Check-in"]
    finally:
        assert daemon.stop() == 0


EVENING = '[settings]\ntimezone = "Europe/Berlin"\n[habits.evening]\ntitle = "Evening"\nat = "20:00"\n'


def test_a_clock_a_year_ahead_and_set_right_keeps_reminding(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(screen.env, EVENING, "2027-11-27 19:59:58")
    daemon.start()
    try:
        assert wait_for(lambda: len(screen.notifications()) == 1, 10)
        screen.clear()
        daemon.set_clock("2026-11-27 19:59:58")  # set right: a year back
        daemon.wait_log("the wall clock jumped by -", 10)
        daemon.wait_log("evening: reminder of 2026-11-27 20:00 shown", 15)
        assert [n["summary"] for n in screen.notifications()] == ["Evening"]
    finally:
        assert daemon.stop() == 0
