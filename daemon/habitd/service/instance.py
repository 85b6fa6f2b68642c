"""One daemon per state folder: an exclusive ``flock`` on ``daemon.lock``, held for the daemon's life.

The kernel releases the lock when the process ends, however it ends, so a
crash never leaves a stale lock behind. The holder writes its PID into the
file, so a second daemon can say which one is running.
"""

from __future__ import annotations

import errno
import fcntl
import os

from habitd.errors import HabitdError

DAEMON_LOCK = "daemon.lock"


class AlreadyRunning(HabitdError):
    """Another daemon already runs for this state folder."""


def hold(state_dir: str) -> int:
    """Take the daemon lock of ``state_dir``; the returned descriptor holds it until closed."""
    path = os.path.join(state_dir, DAEMON_LOCK)
    try:
        os.makedirs(state_dir, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise HabitdError(f"cannot open {path}: {e.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        other = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES):
            raise AlreadyRunning(
                f"habitd is already running for {state_dir} (PID {other}); one daemon shows"
                f" each reminder, so this one stops here"
            ) from None
        raise HabitdError(f"cannot lock {path}: {e.strerror}") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd
