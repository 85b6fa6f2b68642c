"""Desktop notifications: what the daemon hands over (``Note``), what a notifier does, and Plyer's.

A notifier shows a habit's ``Note`` or raises ``DeliveryError`` (the reminder
then stays pending), and tells which buttons were pressed (``Pressed``). On
Linux habitd talks to the notification server itself (``notify_dbus.py``);
elsewhere ``PlyerNotifier`` here shows it. ``notifiers.py`` picks one.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from habitd.errors import HabitdError
from habitd.records import Record

APP_NAME = "habitd"


class DeliveryError(HabitdError):
    """The notification could not be shown; the reminder stays pending."""


class Note(Record):
    """One habit's notification."""

    habit: str  # the habit's id: one bubble per habit
    title: str
    body: str  # plain text, as written
    day: date | None = None  # the logical day it reminds about (what Done records)
    buttons: tuple[tuple[str, str], ...] = ()  # (key, label), shown when the server can


class Pressed(Record):
    """A button of a habit's notification was pressed (``key``: done, snooze, skip, default)."""

    note: Note
    key: str


class Notifier(Protocol):
    backend: str
    timeout: int  # seconds a bubble stays on screen (0: until dismissed); a reload sets it
    wake: Callable[[], None]  # called from another thread when events() has something
    interrupted: Callable[[], bool]  # a stop was asked for: stop waiting for the server

    def open(self) -> None:
        """Get ready at start (connect); a failure here is only logged."""

    def send(self, note: Note) -> None:
        """Show it (replacing the habit's earlier bubble) or raise DeliveryError."""

    def close(self, habit: str) -> None:
        """Take the habit's bubble off the screen, if it has one."""

    def showing(self) -> dict[str, Note]:
        """The habits whose bubble is on screen, as far as the server told us."""

    def bubble_ids(self) -> dict[str, str]:
        """Those bubbles, each as a text naming its bus, server and id: kept across a restart."""

    def adopt(self, note: Note, bubble: str) -> bool:
        """Take over a bubble an earlier run showed (to replace or close it), if the same server
        on the same bus still holds it; False otherwise (a reboot, a new server: it is gone)."""

    def events(self) -> list[Pressed]:
        """The button presses since the last call (the main thread acts on them)."""

    def stop(self) -> None: ...


def escape(text: str) -> str:
    """Escape the markup subset notification servers interpret in the body."""
    return html.escape(text, quote=False)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


class PlyerNotifier:
    """Plyer's notification facade, for systems other than Linux: no buttons, no replacing."""

    backend = "plyer"

    def __init__(self, timeout: int = 30) -> None:
        self.timeout = timeout
        self.wake: Callable[[], None] = lambda: None
        self.interrupted: Callable[[], bool] = lambda: False

    def open(self) -> None:
        pass

    def send(self, note: Note) -> None:
        from plyer import notification

        kwargs: dict[str, Any] = {
            "title": note.title,
            "message": note.body,
            "app_name": APP_NAME,
            "app_icon": "",
            "timeout": self.timeout,
        }
        try:
            notification.notify(**kwargs)
        except Exception as e:  # whatever the platform's backend raises
            raise DeliveryError(f"the notification could not be shown: {_first_line(e)}") from None

    def close(self, habit: str) -> None:
        pass

    def showing(self) -> dict[str, Note]:
        return {}

    def bubble_ids(self) -> dict[str, str]:
        return {}

    def adopt(self, note: Note, bubble: str) -> bool:
        return False

    def events(self) -> list[Pressed]:
        return []

    def stop(self) -> None:
        pass
