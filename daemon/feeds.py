"""Files habitd keeps current for other programs: the calendar feed (``ical_path``).

Called by ``habitd ical``-related commands and by the daemon when the config
changes; every write goes through ``store.atomic_write``, so a reader never
sees half a file.
"""

from __future__ import annotations

import os
from datetime import datetime

from daemon import store
from daemon.config import Config


def ical_file(config: Config) -> str | None:
    path = config.settings.ical_path
    return os.path.expanduser(path) if path else None


def write_ical(config: Config, now: datetime, path: str | None = None) -> str | None:
    """Write the calendar feed to ``path`` (default: the ``ical_path`` setting); the path written."""
    target = path or ical_file(config)
    if target is None:
        return None
    from daemon import ical  # icalendar is only imported when a feed is wanted

    store.atomic_write(target, ical.calendar(config, now), mode=0o644)
    return target
