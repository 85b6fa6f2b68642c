"""The files a person names on the command line to import: an export (read as it streams in)
and a Loop Habit Tracker backup (SQLite), each foreign input read within limits of size,
time and memory. Part of the file module (``habitd.history.files``): no other module reads them.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import time
from collections.abc import Iterator
from typing import Any

from habitd.errors import UsageError

IMPORT_MAX_BYTES = 16 << 20  # an export or backup to import: a decade of 13 daily habits, each day noted, is ~8 MB
IMPORT_SECONDS = 20.0  # how long reading a backup may take (SQLite's steps are counted, not the clock's)
IMPORT_HEAP = 256 << 20  # how much memory SQLite may use for it


# --- files a person names on the command line -------------------------------------------


class _Capped(io.RawIOBase):
    """A file read through at most ``limit`` bytes: one that grows past them while read is refused."""

    def __init__(self, f: Any, path: str, what: str, limit: int) -> None:
        self.f, self.path, self.what, self.left, self.limit = f, path, what, limit, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            n: int = self.f.readinto(buffer) or 0
        except OSError as e:
            raise UsageError(f"{self.path}: cannot read {self.what}: {e.strerror}") from None
        self.left -= n
        if self.left < 0:
            raise UsageError(f"{self.path}: grew past the {self.limit >> 20} MiB habitd imports while being read")
        return n


@contextlib.contextmanager
def open_import(path: str, what: str, limit: int = IMPORT_MAX_BYTES) -> Iterator[Iterator[bytes]]:
    """The lines (bytes, each with its end) of a file named on the command line (an import), to read
    as they come: refused before any of it is read when it is larger than ``limit`` or not a plain
    file; reading on raises UsageError when it cannot be read, or grows past ``limit`` meanwhile."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read {what}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{path}: is not a regular file")
    if st.st_size > limit:
        raise UsageError(f"{path}: {st.st_size} bytes, more than the {limit >> 20} MiB habitd imports")
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed by the reader around it)
    except OSError as e:
        raise UsageError(f"{path}: cannot read {what}: {e.strerror}") from None
    with f, io.BufferedReader(_Capped(f, path, what, limit)) as lines:
        yield iter(lines)


def read_sqlite_tables(
    path: str, tables: dict[str, tuple[str, ...]], what: str
) -> dict[str, list[dict[str, object]]]:
    """The rows of some tables of an SQLite file, opened read-only (it is never changed): of each
    table only the columns named (matched without regard to case; those it lacks are left out).

    Foreign input: the file is refused above IMPORT_MAX_BYTES, and reading it stops with a
    UsageError after IMPORT_SECONDS or when SQLite would need more than IMPORT_HEAP of memory
    (a column computed from an expensive expression, say)."""
    import sqlite3
    from urllib.parse import quote

    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such file")
    size = os.path.getsize(path)
    if size > IMPORT_MAX_BYTES:
        raise UsageError(f"{path}: {size} bytes, more than the {IMPORT_MAX_BYTES >> 20} MiB habitd imports")
    try:
        db = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise UsageError(f"{path}: cannot open {what}: {e}") from None
    deadline = time.monotonic() + IMPORT_SECONDS
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        db.execute(f"PRAGMA hard_heap_limit = {IMPORT_HEAP}")
        db.row_factory = sqlite3.Row
        return {table: _rows(db, path, what, table, columns) for table, columns in tables.items()}
    except (sqlite3.DatabaseError, MemoryError) as e:
        if time.monotonic() > deadline:
            why = f"reading it took more than {IMPORT_SECONDS:.0f} s"
        elif isinstance(e, MemoryError) or "out of memory" in str(e):
            why = f"reading it needs more than the {IMPORT_HEAP >> 20} MiB of memory habitd gives an import"
        else:
            why = f"not {what} ({e})"
        raise UsageError(f"{path}: {why}; nothing was imported") from None
    finally:
        db.close()


def _rows(db: Any, path: str, what: str, table: str, columns: tuple[str, ...]) -> list[dict[str, object]]:
    found = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", (table,)
    ).fetchone()
    if found is None:
        raise UsageError(f"{path}: not {what} (it has no {table} table)")
    have = {str(row[1]).lower(): str(row[1]) for row in db.execute(f'PRAGMA table_xinfo("{found[0]}")')}
    wanted = [have[c.lower()] for c in columns if c.lower() in have]
    if not wanted:
        raise UsageError(f"{path}: not {what} (its {table} table has none of {', '.join(columns)})")
    listed = ", ".join('"' + c.replace('"', '""') + '"' for c in wanted)
    return [dict(row) for row in db.execute(f'SELECT {listed} FROM "{found[0]}"')]
