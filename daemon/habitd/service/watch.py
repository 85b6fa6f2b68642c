"""Tell when files in some folders change, with Linux's inotify (through ctypes, no dependency).

A ``FolderWatch`` watches any number of folders; its ``fileno()`` goes into a
``select`` and becomes readable only when something in a watched folder was
written, renamed in or out, created or deleted, so waiting costs nothing. ``changes()``
then names what changed. Where inotify is missing (not Linux, no libc symbol,
the per-user limit reached) ``active`` is false and the caller falls back to
comparing the store fingerprint on its periodic check.

``follow(folders)`` makes the watched set the folders given that exist: it adds
new ones (a partner's device folder that has just arrived), drops those gone
(an unmounted shared folder) and watches again a folder that is now another
one (a file system mounted over it); it says whether every folder is watched.

``HistoryWatch`` is what the daemon watches with it: the folders of the
history (the state folder; the shared folder, its ``devices`` folder and each
device's folder in it, where a partner's events arrive). A sync engine's files
in the making wake nothing, and the daemon's own saves are told apart by the
store fingerprint they left. While every folder is watched, the store learns
from it which files changed (``Store.watched``), so a change costs a look at the
files named, not at every file of ten years of history.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import struct

from habitd.history.logformat import is_sync_temp
from habitd.history.store import Fingerprint, Store
from habitd.records import Record

log = logging.getLogger("habitd")

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040  # a file moved away (out of the folder, or renamed): gone from the history too
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
MASK = IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name


class Change(Record):
    folder: str
    name: str | None  # None: the kernel dropped events (queue overflow) or the folder went: anything may have changed


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
        return libc
    except (OSError, AttributeError):
        return None


class FolderWatch:
    def __init__(self) -> None:
        self._libc = _libc()
        self._fd = -1
        self._folders: dict[int, str] = {}  # watch descriptor -> folder
        self._which: dict[str, tuple[int, int, int]] = {}  # folder -> (watch descriptor, device, inode)
        if self._libc is not None:
            fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
            if fd < 0:
                why = os.strerror(ctypes.get_errno())
                log.debug("inotify unavailable (%s): checking for changes every minute", why)
            self._fd = fd

    @property
    def active(self) -> bool:
        """Whether at least one folder is watched by the kernel."""
        return self._fd >= 0 and bool(self._folders)

    def add(self, folder: str) -> bool:
        """Watch ``folder`` (it must exist); False when inotify cannot."""
        if self._fd < 0 or self._libc is None:
            return False
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), MASK)
        if wd < 0:
            log.debug("cannot watch %s (%s): checking every minute", folder, os.strerror(ctypes.get_errno()))
            return False
        self._folders[wd] = folder
        with contextlib.suppress(OSError):
            st = os.stat(folder)
            self._which[folder] = (wd, st.st_dev, st.st_ino)
        return True

    def _remove(self, folder: str) -> None:
        wd = self._which.pop(folder, (-1, 0, 0))[0]
        if self._folders.pop(wd, None) is not None and self._libc is not None:
            self._libc.inotify_rm_watch(self._fd, wd)  # its IN_IGNORED then names no folder: dropped

    def follow(self, folders: list[str]) -> tuple[bool, bool]:
        """Watch exactly those of ``folders`` that exist. Returns (every one of them is watched,
        a folder was added: what happened in it before now was not seen)."""
        wanted = dict.fromkeys(folders)
        for folder in [f for f in self._which if f not in wanted]:
            self._remove(folder)
        complete, added = self._fd >= 0, False
        for folder in wanted:
            try:
                st = os.stat(folder)
            except OSError:
                if folder in self._which:
                    self._remove(folder)
                continue
            held = self._which.get(folder)
            if held is not None and held[0] in self._folders and held[1:] == (st.st_dev, st.st_ino):
                continue
            if held is not None:
                self._remove(folder)  # another folder there now (mounted over): watch that one
            if self.add(folder):
                added = True
            else:
                complete = False
        return complete, added

    def fileno(self) -> int:
        return self._fd

    def changes(self) -> list[Change]:
        """What changed since the last call (never blocks)."""
        out: list[Change] = []
        while self._fd >= 0:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                break
            pos = 0
            while pos + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, pos)
                raw = data[pos + _EVENT.size : pos + _EVENT.size + length]
                pos += _EVENT.size + length
                if mask & IN_Q_OVERFLOW:
                    out.extend(Change(f, None) for f in self._folders.values())
                elif mask & IN_IGNORED:  # the folder itself went away (deleted, unmounted): so did its files
                    gone = self._folders.pop(wd, None)
                    if gone is not None:
                        self._which.pop(gone, None)
                        out.append(Change(gone, None))
                elif wd in self._folders:
                    out.append(Change(self._folders[wd], os.fsdecode(raw.rstrip(b"\0"))))
        return out

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._folders.clear()
        self._which.clear()


class HistoryWatch:
    """The history's folders, watched: tells when another process or a partner's device changed it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.inotify = FolderWatch()
        self.following = False  # whether it follows the store's folders (from the start of the daemon's run)
        self.complete = False  # whether every folder of the store is watched now
        self._seen: Fingerprint | None = None  # the store as last planned from
        self.pending = False  # something changed that ``woke`` has not looked at yet
        self._named: list[str] | None = []  # the files changed that the store was not told of; None: anything

    @property
    def active(self) -> bool:
        return self.inotify.active

    def fileno(self) -> int:
        return self.inotify.fileno()

    def start(self) -> None:
        """Follow the store's folders from now on; the state as it is now is the one planned from."""
        self.following = True
        self.follow()
        self._seen = self.store.fingerprint()

    def follow(self) -> bool:
        """Watch the store's folders as they are now; True when one was added (the changes made
        in it before were not seen: the caller compares fingerprints)."""
        complete, added = self.inotify.follow(self.store.folders())
        if complete != self.complete:
            log.debug("every folder of the history is watched" if complete else "some folders are not"
                      " watched (not there yet, or inotify is missing): checking them every minute")  # fmt: skip
            self.store.watched(self._told if complete else None)  # only what was seen to change is looked at
        elif added:
            self._named = None  # what happened in a folder before it was watched was not seen
        self.complete = complete
        return added

    def _take(self) -> None:
        """Read what the kernel says changed (never blocks); a sync engine's file in the making is nothing."""
        for change in self.inotify.changes():
            if change.name is not None and is_sync_temp(change.name):
                continue
            self.pending = True
            if change.name is None:
                self._named = None  # events dropped, or a folder gone: anything may have changed
            elif self._named is not None:
                self._named.append(os.path.join(change.folder, change.name))

    def _told(self) -> list[str] | None:
        """For the store: the files changed since it last asked (None: anything may have)."""
        self._take()
        named, self._named = self._named, []
        return named

    def again(self) -> bool:
        """At the periodic check: watch the folders that appeared since (a shared folder mounted
        late, or again); True when one was added. Nothing before ``start``."""
        return self.follow() if self.following else False

    def woke(self) -> bool:
        """Read what the kernel says changed (``fileno()`` was readable, or ``pending``: the store
        read it meanwhile); True when the history moved."""
        self._take()
        if not self.pending:  # a sync engine's file in the making is not a change
            return False
        self.pending = False
        self.follow()  # a new device's folder, or one gone
        return self.moved()  # the store's fingerprint says whether it was the history

    def moved(self) -> bool:
        """Whether the state file differs from what was last planned from and from our own save."""
        now = self.store.fingerprint()
        if now == self._seen or now == self.store.saved:
            self._seen = now
            return False
        self._seen = now
        return True

    def close(self) -> None:
        self.inotify.close()
