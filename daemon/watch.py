"""Tell when files in some folders change, with Linux's inotify (through ctypes, no dependency).

A ``FolderWatch`` watches any number of folders; its ``fileno()`` goes into a
``select`` and becomes readable only when something in a watched folder was
written, renamed in, created or deleted, so waiting costs nothing. ``changes()``
then names what changed. Where inotify is missing (not Linux, no libc symbol,
the per-user limit reached) ``active`` is false and the caller falls back to
comparing file signatures on its periodic check.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import struct
from typing import NamedTuple

log = logging.getLogger("habitd")

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
MASK = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name


class Change(NamedTuple):
    folder: str
    name: str | None  # None: the kernel dropped events (queue overflow), anything may have changed


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        return libc
    except (OSError, AttributeError):
        return None


class FolderWatch:
    def __init__(self) -> None:
        self._libc = _libc()
        self._fd = -1
        self._folders: dict[int, str] = {}  # watch descriptor -> folder
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
        return True

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
                elif mask & IN_IGNORED:  # the folder itself went away: the periodic check takes over
                    self._folders.pop(wd, None)
                elif wd in self._folders:
                    out.append(Change(self._folders[wd], os.fsdecode(raw.rstrip(b"\0"))))
        return out

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._folders.clear()
