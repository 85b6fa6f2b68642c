"""Stamping a write's events: each after everything this device has seen, and after the one before."""

from __future__ import annotations

from habitd.history.events import Event
from habitd.history.hlc import Stamp, followed, tick
from habitd.history.identity import LocalDevice


class LogWriter:
    """Stamps the events a write adds: each after everything seen, and after the one before."""

    def __init__(self, me: LocalDevice, seen: Stamp | None, now_ms: int, events: list[Event] | None = None) -> None:
        self.device = me.id
        self.base = events or []  # what the write saw, when it read the log
        self.added: list[Event] = []
        self._now_ms = now_ms
        # never stamp an id again, even if this device's files went missing (its own latest, however far
        # ahead its clock ran); follow no stamp of another device's far ahead of the wall clock
        seen = seen if followed(seen, now_ms) or (seen is not None and seen.device == me.id) else None
        self._seen = max((s for s in (seen, me.last) if s is not None), default=None)

    @property
    def events(self) -> list[Event]:
        return self.base + self.added

    def add(self, event: Event) -> Event:
        """Append ``event`` (its stamp is replaced by this device's next one); returns it stamped."""
        stamped = event._replace(stamp=tick(self._seen, self._now_ms, self.device))
        self._seen = stamped.stamp
        self.added.append(stamped)
        return stamped
