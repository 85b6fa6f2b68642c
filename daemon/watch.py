"""Wake the daemon when a file in a folder is replaced: Linux inotify, no polling.

The state file is only ever replaced by a rename (see store.py), which inotify
reports as ``IN_MOVED_TO``. Reached through ctypes, as the standard library
has no binding; where inotify is missing, ``FolderWatch`` raises OSError and
the daemon falls back to its minute check.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

IN_CLOSE_WRITE = 0x08
IN_MOVED_TO = 0x80
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name


class FolderWatch:
    def __init__(self, folder: str, names: tuple[str, ...]) -> None:
        self.names = {n.encode() for n in names}
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if libc.inotify_add_watch(fd, os.fsencode(folder), IN_MOVED_TO | IN_CLOSE_WRITE) < 0:
            err = ctypes.get_errno()
            os.close(fd)
            raise OSError(err, f"cannot watch {folder}")
        self.fd: int = int(fd)

    def fileno(self) -> int:
        return self.fd

    def changed(self) -> bool:
        """Read the pending events; True if one of the watched names was written or replaced."""
        hit = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return hit
                raise
            i = 0
            while i + _EVENT.size <= len(data):
                length = _EVENT.unpack_from(data, i)[3]
                name = data[i + _EVENT.size : i + _EVENT.size + length].rstrip(b"\0")
                hit = hit or name in self.names
                i += _EVENT.size + length

    def close(self) -> None:
        os.close(self.fd)
