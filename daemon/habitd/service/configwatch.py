"""The config's files, watched: this machine's config and the shared habits and settings.

Saving the config (an editor, ``habitd edit``) or a partner's edit arriving by
the sync engine reaches the daemon within a second or two: inotify wakes it on
any change in the config's folder, the shared folder or its ``habits/``
folder, and the files' fingerprint then says whether the config itself
changed (an editor's backup or a sync engine's file in the making does not).
Without inotify, the periodic check compares the fingerprint.
"""

from __future__ import annotations

import os

from habitd.habits.config import Config
from habitd.history import files, habitfiles
from habitd.history.logformat import is_sync_temp
from habitd.service.watch import FolderWatch


def fingerprint(config_path: str, config: Config | None) -> tuple[object, ...]:
    """What changes when the config in use may have: its file and, when shared, the habits' files."""
    mine = files.signature(config_path)
    shared = os.path.dirname(config.habit_files) if config is not None and config.habit_files else None
    return (mine, habitfiles.fingerprint(shared) if shared else None)


class ConfigWatch:
    def __init__(self, config_path: str) -> None:
        self.config_path = config_path
        self.inotify = FolderWatch()
        self.seen: tuple[object, ...] = ()

    @property
    def active(self) -> bool:
        return self.inotify.active

    def fileno(self) -> int:
        return self.inotify.fileno()

    def follow(self, config: Config) -> None:
        """Watch the folders of ``config``'s files; its fingerprint as now is the one in use."""
        folders = [os.path.dirname(os.path.abspath(self.config_path))]
        real = os.path.dirname(os.path.realpath(self.config_path))
        if real not in folders:
            folders.append(real)  # a link's target changes in its own folder
        if config.habit_files:
            folders += [config.habit_files, os.path.dirname(config.habit_files)]
        self.inotify.follow(folders)
        self.seen = fingerprint(self.config_path, config)

    def woke(self) -> bool:
        """Read what the kernel says changed; True when something that may be the config did."""
        return any(c.name is None or not is_sync_temp(c.name) for c in self.inotify.changes())

    def changed(self, config: Config) -> bool:
        """Whether the config's files differ from when ``follow`` was last called."""
        return fingerprint(self.config_path, config) != self.seen

    def close(self) -> None:
        self.inotify.close()
