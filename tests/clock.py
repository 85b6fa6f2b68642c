"""The wall clock of the habitd processes a test starts on the machine's clock.

Most daemon tests fake their clock (``desktop.Daemon``). The few that start ``habitd`` on the
machine's clock go through ``wall_clock_env``: normally a no-op, so they run at whatever hour the
suite runs. ``make test-hours`` sets ``HABITD_TEST_CLOCK`` ("YYYY-MM-DD HH:MM:SS", in ``TZ``) to run
them at fixed hours instead: every such process's wall clock is shifted by one offset, fixed when
this module is first imported, so the processes of one test agree with each other and time runs
on (libfaketime; the monotonic clock stays real, as the daemon's waits need).
"""

from __future__ import annotations

import os
import time
from datetime import datetime

from tests.desktop import LIBFAKETIME

MOMENT = os.environ.get("HABITD_TEST_CLOCK", "")
_OFFSET = 0 if not MOMENT else round(datetime.fromisoformat(MOMENT).timestamp() - time.time())


def wall_clock_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the test clock set (when ``HABITD_TEST_CLOCK`` asks for one)."""
    if not MOMENT:
        return env
    assert LIBFAKETIME, "HABITD_TEST_CLOCK needs libfaketime (Debian: faketime)"
    return {
        **env,
        "LD_PRELOAD": LIBFAKETIME,
        "FAKETIME": f"{_OFFSET:+d}s",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
