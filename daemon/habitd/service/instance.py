"""One daemon per state folder: an exclusive ``flock``, held for the daemon's life.

Two lock files: ``$XDG_RUNTIME_DIR/habitd/daemon-HASH.lock`` (HASH names the state
folder's real path), which deleting the state folder cannot remove while a daemon
holds it, and ``daemon.lock`` in the state folder, for a session without a runtime
folder. The kernel releases a lock when the process ends, however it ends, so a
crash never leaves a stale lock behind. The holder writes its PID into the file, so
a second daemon can say which one is running. The files themselves are
``history/files/``'s, as every file.
"""

from __future__ import annotations

import hashlib
import os

from habitd.errors import HabitdError
from habitd.history.files import LockHeld, claim_lock

DAEMON_LOCK = "daemon.lock"


def lock_paths(state_dir: str, runtime_dir: str | None) -> list[str]:
    """The lock files of ``state_dir``'s daemon: the runtime folder's (when there is one), then its own."""
    name = hashlib.sha256(os.path.realpath(state_dir).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    found = [os.path.join(runtime_dir, f"daemon-{name}.lock")] if runtime_dir else []
    return [*found, os.path.join(state_dir, DAEMON_LOCK)]


class AlreadyRunning(HabitdError):
    """Another daemon already runs for this state folder."""


def hold(state_dir: str, runtime_dir: str | None) -> list[int]:
    """Take the daemon locks of ``state_dir``; the returned descriptors hold them until closed."""
    held: list[int] = []
    try:
        for path in lock_paths(state_dir, runtime_dir):
            held.append(claim_lock(path))
    except LockHeld as e:
        for fd in held:
            os.close(fd)
        raise AlreadyRunning(
            f"habitd is already running for {state_dir} (PID {e.holder}); one daemon shows"
            f" each reminder, so this one stops here"
        ) from None
    except HabitdError:
        for fd in held:
            os.close(fd)
        raise
    return held
