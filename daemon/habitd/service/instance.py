"""One daemon per state folder: an exclusive ``flock`` on ``daemon.lock``, held for the daemon's life.

The kernel releases the lock when the process ends, however it ends, so a
crash never leaves a stale lock behind. The holder writes its PID into the
file, so a second daemon can say which one is running. The file itself is
``history/files.py``'s, as every file.
"""

from __future__ import annotations

import os

from habitd.errors import HabitdError
from habitd.history.files import LockHeld, claim_lock

DAEMON_LOCK = "daemon.lock"


class AlreadyRunning(HabitdError):
    """Another daemon already runs for this state folder."""


def hold(state_dir: str) -> int:
    """Take the daemon lock of ``state_dir``; the returned descriptor holds it until closed."""
    try:
        return claim_lock(os.path.join(state_dir, DAEMON_LOCK))
    except LockHeld as e:
        raise AlreadyRunning(
            f"habitd is already running for {state_dir} (PID {e.holder}); one daemon shows"
            f" each reminder, so this one stops here"
        ) from None
