"""Files habitd keeps current for other programs: the calendar feed and the status-bar files.

- ``ical_path`` (a setting): the reminders as iCalendar, rewritten when the config changes.
- ``$XDG_RUNTIME_DIR/habitd/today.json`` (``habitd today --json``) and ``today.txt``
  (``habitd today --format line``), rewritten when the state, the config or the day
  changes, so a status bar reads a file instead of starting Python.

The daemon calls ``Feeds``; ``habitd edit``, ``rename`` and ``ical --output`` call
``write_ical``. Every write goes through ``files.atomic_write``: a reader never sees half a file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import date, datetime

from habitd.errors import HabitdError
from habitd.habits.config import Config
from habitd.habits.state import State
from habitd.history import files
from habitd.history.eventlog import SharedFolderMissing
from habitd.history.store import Store

log = logging.getLogger("habitd")


def ical_file(config: Config) -> str | None:
    path = config.settings.ical_path
    return os.path.expanduser(path) if path else None


def write_ical(config: Config, now: datetime) -> str | None:
    """Write the calendar feed to the ``ical_path`` setting's file; the path written."""
    target = ical_file(config)
    if target is None:
        return None
    from habitd.exchange import ical  # icalendar is only imported when a feed is wanted

    files.atomic_write(target, ical.calendar(config, now))
    return target


def runtime_dir(env: Mapping[str, str] = os.environ) -> str | None:
    """``$XDG_RUNTIME_DIR/habitd``, or None without a runtime dir (no status-bar files then)."""
    base = env.get("XDG_RUNTIME_DIR", "")
    return os.path.join(base, "habitd") if os.path.isabs(base) else None


def today_files(
    config: Config, state: State, now: datetime, next_times: Mapping[str, datetime] | None = None
) -> dict[str, bytes]:
    """The status-bar files' contents: name -> bytes (``next_times``: as in ``rows.status``)."""
    import json

    from habitd.views import render
    from habitd.views import rows as views

    view = views.today_view(config, state, now, next_times=next_times)
    data = json.dumps(views.today_json(config, view), ensure_ascii=False) + "\n"
    return {"today.json": data.encode("utf-8"), "today.txt": (render.today_line(view) + "\n").encode("utf-8")}


class Feeds:
    """What the daemon keeps current; it never lets a failure here stop reminders.

    The runner calls ``update`` at its moments: after start-up and each config
    reload (``config_changed``: the calendar feed too), when another process
    changed the state (``Runner.state_changed``, woken by inotify), and at its
    periodic check (a new day, its own saves). It is cheap when nothing changed:
    the store's fingerprint (a stat of the state file, and of the log files the
    watch named since). After a change the runner hands it the state it read.
    """

    def __init__(self, folder: str | None, state: Store) -> None:
        self.folder = folder
        self.store = state
        self._written: dict[str, bytes] = {}
        self._seen: tuple[object, date] | None = None

    def update(
        self,
        config: Config,
        now: datetime,
        config_changed: bool = False,
        next_times: Mapping[str, datetime] | None = None,
        state: State | None = None,
    ) -> None:
        """Rewrite what is out of date (the calendar feed only when the config changed).

        ``next_times``: each habit's next reminder as the daemon scheduled it, reused rather
        than worked out again; ``state``: the store as the caller read it just now, not read again."""
        seen = (self.store.fingerprint(), config.today(now))
        if not config_changed and seen == self._seen and self._in_place():
            return
        self._seen = seen
        try:
            self.refresh(config, self.store.read() if state is None else state, now, config_changed, next_times)
        except SharedFolderMissing:
            return  # the runner says so, once
        except HabitdError as e:
            log.warning("could not update the files for status bars and calendars: %s", e)

    def _in_place(self) -> bool:
        """Whether the files written are still there (a stat of each, at each check)."""
        return self.folder is None or all(os.path.exists(os.path.join(self.folder, n)) for n in self._written)

    def refresh(
        self,
        config: Config,
        state: State,
        now: datetime,
        config_changed: bool = False,
        next_times: Mapping[str, datetime] | None = None,
    ) -> None:
        try:
            if config_changed and write_ical(config, now):
                log.info("calendar feed written to %s", ical_file(config))
            if self.folder is None:
                return
            files.ensure_dir(self.folder)  # made again when it was removed (a cleaned /run/user, a user)
            for name, data in today_files(config, state, now, next_times).items():
                path = os.path.join(self.folder, name)
                if self._written.get(name) != data or not os.path.exists(path):
                    files.atomic_write(path, data)
                    self._written[name] = data
        except (HabitdError, OSError) as e:
            log.warning("could not update the files for status bars and calendars: %s", e)
