"""This machine's state file, ``state.toml``: read, and changed under the lock with backups.

In the state folder, beside the event log. Since the event log, the store keeps
only this machine's own bookkeeping in it (the daemon's reminders); a state file
of the release before also holds the history, which the store moves into the log
on first use. Changes happen under an exclusive ``flock`` on ``state.lock`` held
across read-modify-write, shared by every habitd process (the daemon included),
and a change is saved only when it changed something. Its parsed document is
kept in ``state.bin`` (``parsed``), so the same text is not parsed again.

Before the file is replaced, its current version is hard-linked into
``backups/state-DAY.toml`` (DAY = the day it was written), so the backups hold
the last version of each of the last days plus the version before the latest
save; a bad save cannot overwrite them all. A state folder another user owns or
could write, or a state file another user owns, is refused before it is read (as
ssh refuses such a ``~/.ssh``), and a save larger than habitd would read back is
refused before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from habitd.errors import StateError, StoreWriteError, describe_toml_error
from habitd.habits.state import State
from habitd.habits.state_toml import RECOVERY, from_doc, to_doc
from habitd.history import files, parsed
from habitd.history.files import STATE_MAX_BYTES, Signature
from habitd.limits import TomlError

KEEP_BACKUPS = 7
STATE_FILE = "state.toml"
STATE_CACHE = "state.bin"  # its document, with the text it was parsed from (``parsed``)
LOCK_FILE = "state.lock"

# A day mask as a TOML literal string: tomllib reads a basic string ("...") one character
# at a time in Python, a literal one ('...') with str.index. The two mean the same for base64,
# which has neither quotes nor backslashes; with 10 years of history it saves ~4 ms a read.
# (Patterns here are compiled on first use, re keeps them: not at import.)
_DONE_LINE = r'^done = "([A-Za-z0-9+/=]*)"$'


def dump_state(doc: dict[str, object]) -> str:
    """The state document as the text of the state file."""
    import tomli_w  # a command that only reads never loads it

    return re.sub(_DONE_LINE, r"done = '\1'", tomli_w.dumps(doc), flags=re.MULTILINE)


class StateTooBig(StoreWriteError):
    """A save that would cross STATE_MAX_BYTES, refused before anything is written."""


def too_big(path: str, size: int) -> StateTooBig:
    return StateTooBig(
        f"this change would make {path} {size} bytes, more than the {STATE_MAX_BYTES} habitd can read back;"
        " nothing was changed. Long notes are the usual cause: `habitd journal` shows them"
    )


class StateFile:
    """``state.toml`` in ``directory`` (the state folder), its lock ``state.lock`` and its backups."""

    def __init__(self, directory: str | os.PathLike[str], lock_timeout: float = 5.0) -> None:
        self.dir = os.fspath(directory)
        self.path = os.path.join(self.dir, STATE_FILE)
        self.lock_path = os.path.join(self.dir, LOCK_FILE)
        self.lock_timeout = lock_timeout
        self.by = ""  # a state file has no people: what the recording functions ask of whoever records

    def signature(self) -> Signature | None:
        return files.signature(self.path)

    def _load(self) -> tuple[State, dict[str, object] | None]:
        try:
            data = files.read_bytes(self.path, STATE_MAX_BYTES, follow_symlink=False)
            if data is None:
                return State(), None
            text = files.decode(data)
        except OSError as e:
            raise StateError(f"{self.path}: cannot read: {e.strerror}") from None
        except ValueError as e:
            raise StateError(f"{self.path}: {e}. {RECOVERY}") from None
        if not text.strip():
            return State(), None
        try:
            doc = parsed.loads(text, os.path.join(self.dir, STATE_CACHE), "habitd state 1")
        except TomlError as e:
            raise StateError(f"{self.path}: not valid TOML: {describe_toml_error(e, text)}. {RECOVERY}") from None
        return from_doc(doc, str(self.path)), doc

    def read(self) -> State:
        """A consistent snapshot, without the lock (saves are atomic renames)."""
        files.check_private(self.dir, self.path)
        return self._load()[0]

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """The lock of every habitd process's changes to this state folder (the event log's too)."""
        files.check_private(self.dir, self.path)
        return files.hold_lock(self.lock_path, self.lock_timeout)

    @contextlib.contextmanager
    def update(self) -> Iterator[State]:
        """Read the state under the lock, let the caller change it, save if it changed."""
        with self.lock():
            state, before = self._load()
            yield state
            self.save(state, before or to_doc(State()))

    def save(self, state: State, before: dict[str, object]) -> bool:
        """Under the lock: save ``state`` when its document differs from ``before``, keeping a backup
        of the file it replaces; whether it was saved."""
        after = to_doc(state)
        if after == before:
            return False
        data = dump_state(after).encode("utf-8")
        if len(data) > STATE_MAX_BYTES:  # habitd would refuse to read it back
            raise too_big(self.path, len(data))
        self._backup()
        files.atomic_write(self.path, data)
        return True

    def write(self, state: State) -> None:
        """Under the lock: replace the file with ``state``, keeping no backup (one is kept already)."""
        files.write_text(self.path, dump_state(to_doc(state)))

    def _backup(self) -> None:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        day = datetime.fromtimestamp(st.st_mtime, UTC).date().isoformat()
        folder = os.path.join(self.dir, "backups")
        try:
            files.keep_dated_link(self.path, folder, f"state-{day}.toml", KEEP_BACKUPS)
        except OSError as e:
            raise StoreWriteError(f"could not keep a backup in {folder}: {e.strerror}; nothing was changed") from None
