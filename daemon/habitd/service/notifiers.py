"""Which notifier shows the daemon's reminders: the session bus on Linux, Plyer elsewhere.

On Linux habitd talks to the notification server itself, over one session-bus
connection (``notify_dbus.py``): text goes as D-Bus strings, so it arrives as
written; a refusal, a missing server or a server that does not answer in time
is a failed delivery, and the reminder stays pending. Elsewhere, Plyer shows
it (``notify.py``). ``HABITD_NOTIFIER`` (``dbus`` or ``plyer``) picks one explicitly.
"""

from __future__ import annotations

import os
import sys

from habitd.errors import UsageError
from habitd.service.notify import Notifier, PlyerNotifier


def make_notifier(backend: str, timeout: int) -> Notifier:
    """The notifier for ``backend`` (auto, dbus or plyer); auto is D-Bus on Linux, Plyer elsewhere."""
    if backend == "auto":
        backend = "dbus" if sys.platform.startswith("linux") else "plyer"
    if backend == "notify-send":  # the Linux path's name before habitd talked to the bus itself
        backend = "dbus"
    if backend == "dbus":
        from habitd.service.notify_dbus import DBusNotifier

        return DBusNotifier(timeout)
    if backend == "plyer":
        if sys.platform.startswith("linux"):
            raise UsageError(
                "on Linux habitd shows notifications over the session bus itself; HABITD_NOTIFIER=plyer is"
                " for other systems (unset it, or set it to dbus)"
            )
        return PlyerNotifier(timeout)
    raise UsageError(f"HABITD_NOTIFIER={backend!r} is not a notifier: use auto, dbus or plyer")


def backend_from_env() -> str:
    return os.environ.get("HABITD_NOTIFIER", "auto")
