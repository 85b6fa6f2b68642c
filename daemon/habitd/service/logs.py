"""The daemon's log: where its lines go, how they are stamped, and how times read in them.

Under journald (``$JOURNAL_STREAM`` set) a line carries no timestamp and starts
with its syslog priority (``<6>``); on a terminal it starts with a stamp in the
config's time zone, with its offset, then the level. Reminder times in the
lines are in that zone too, to the minute (``local_minute``), so a line's stamp
and the times it names agree.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, tzinfo
from typing import ClassVar


class JournalFormatter(logging.Formatter):
    """Under journald: no timestamp, and the syslog priority as a <N> prefix."""

    PRIORITY: ClassVar[dict[int, int]] = {
        logging.DEBUG: 7,
        logging.INFO: 6,
        logging.WARNING: 4,
        logging.ERROR: 3,
        logging.CRITICAL: 2,
    }

    def format(self, record: logging.LogRecord) -> str:
        prio = self.PRIORITY.get(record.levelno, 6)
        return "\n".join(f"<{prio}>{line}" for line in super().format(record).splitlines())


class LocalFormatter(logging.Formatter):
    """Stamps in the config's time zone, with its offset: they agree with the reminder times logged."""

    tz: tzinfo = UTC

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, LocalFormatter.tz).strftime("%Y-%m-%d %H:%M:%S%z")


def setup_logging(verbosity: int, journal: bool, tz: tzinfo = UTC) -> None:
    """Log to stderr: ``verbosity`` 0 is INFO, 1 DEBUG, -1 WARNING, -2 ERROR; 2 adds the scheduler's own lines."""
    level = {-1: logging.WARNING, 0: logging.INFO}.get(max(-1, min(verbosity, 1)), logging.DEBUG)
    if verbosity <= -2:
        level = logging.ERROR
    handler = logging.StreamHandler()
    stamp_zone(tz)
    if journal:
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(LocalFormatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)


def stamp_zone(tz: tzinfo) -> None:
    """Stamp the lines from now on in ``tz`` (a reloaded config's new time zone)."""
    LocalFormatter.tz = tz


def local_minute(moment: datetime, tz: tzinfo) -> str:
    """A reminder's time as the log names it: ``2026-11-25 19:00`` in the config's zone."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def elapsed(delta: timedelta) -> str:
    """How late, or how far the clock jumped: ``1h05m``, ``4m07s``, ``-2m00s``."""
    seconds = int(abs(delta.total_seconds()))
    sign = "-" if delta < timedelta(0) else ""
    if seconds >= 3600:
        return f"{sign}{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{sign}{seconds // 60}m{seconds % 60:02d}s"
