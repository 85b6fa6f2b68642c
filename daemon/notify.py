"""Desktop notifications through Plyer, with failures that are reported, not lost.

Plyer's Linux backends differ in what they tell us (see README, Notifications):
the D-Bus path (``habitd[dbus]``) raises when no server answers; the
``notify-send`` path ignores notify-send's exit status. So before the
``notify-send`` path counts a reminder as shown, it asks the session bus
whether anyone owns (or can be started for) ``org.freedesktop.Notifications``.
No shell is involved anywhere: every program is run with an argument list.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
from typing import Any

from daemon.errors import HabitdError, UsageError

BUS_NAME = "org.freedesktop.Notifications"
APP_NAME = "habitd"


class DeliveryError(HabitdError):
    """The notification could not be shown; the reminder stays pending."""


def escape(text: str) -> str:
    """Escape the markup subset notification servers interpret in the body."""
    return html.escape(text, quote=False)


def _bus_call(method: str, *args: str) -> str:
    """Call a method of the bus itself with dbus-send (or gdbus); its reply as text."""
    if shutil.which("dbus-send"):
        cmd = ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus"]
        cmd += [f"org.freedesktop.DBus.{method}", *(f"string:{a}" for a in args)]
    elif shutil.which("gdbus"):
        cmd = ["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus"]
        cmd += ["--method", f"org.freedesktop.DBus.{method}", *args]
    else:
        raise DeliveryError("neither dbus-send nor gdbus is installed to reach the session bus")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DeliveryError(f"cannot reach the session bus: {e}") from None
    if out.returncode != 0:
        raise DeliveryError(f"cannot reach the session bus: {out.stderr.strip() or out.returncode}")
    return out.stdout


def server_available() -> bool:
    """Does a notification server own its bus name, or can the bus start one?"""
    if "true" in _bus_call("NameHasOwner", BUS_NAME):
        return True
    names = _bus_call("ListActivatableNames")  # dbus-send quotes with ", gdbus with '
    return f'"{BUS_NAME}"' in names or f"'{BUS_NAME}'" in names


def dbus_python_available() -> bool:
    try:
        import dbus  # noqa: F401
    except ImportError:
        return False
    return True


class Notifier:
    """Shows a notification or raises DeliveryError. ``backend``: auto, dbus or notify-send."""

    def __init__(self, backend: str = "auto", timeout: int = 30) -> None:
        if backend == "auto":
            backend = "dbus" if dbus_python_available() else "notify-send"
        if backend not in ("dbus", "notify-send"):
            raise UsageError(f"HABITD_NOTIFIER={backend!r} is not a notifier: use auto, dbus or notify-send")
        if backend == "dbus" and not dbus_python_available():
            raise HabitdError("the dbus backend needs dbus-python: pipx install 'habitd[dbus]'")
        self.backend = backend
        self.timeout = timeout

    def send(self, title: str, body: str) -> None:
        kwargs: dict[str, Any] = {
            "title": title,
            "message": escape(body),
            "app_name": APP_NAME,
            "app_icon": "",
            "timeout": self.timeout,
        }
        if self.backend == "dbus":
            from plyer.platforms.linux.notification import NotifyDbus

            try:
                NotifyDbus().notify(**kwargs)
            except Exception as e:  # dbus.DBusException and whatever the bus raises
                raise DeliveryError(f"the notification server did not take it: {_first_line(e)}") from None
            return
        if not shutil.which("notify-send"):
            raise DeliveryError("notify-send is not installed (Debian: libnotify-bin)")
        if not server_available():
            raise DeliveryError(f"no notification server on the session bus ({BUS_NAME})")
        from plyer.platforms.linux.notification import NotifySendNotification

        try:
            NotifySendNotification().notify(**kwargs)
        except OSError as e:
            raise DeliveryError(f"notify-send failed: {e}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def backend_from_env() -> str:
    return os.environ.get("HABITD_NOTIFIER", "auto")
