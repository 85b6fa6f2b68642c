"""All file I/O of habitd: reading the config, the locked state store, atomic writes.

Every write goes to a temporary file in the same folder, is flushed and
fsynced, replaces the old file with ``os.replace`` and fsyncs the folder, so
a crash leaves either the old or the new file, never half of one. Changes to
the state happen under an exclusive ``flock`` on ``state.lock`` held across
read-modify-write, shared by every habitd process (the daemon included).

Before the state is replaced, its current version is hard-linked into
``backups/state-DAY.toml`` (DAY = the day it was written), so the backups
hold the last version of each of the last days plus the version before the
latest save; a bad save cannot overwrite them all.

Folders it makes are 0700 whatever the umask, parents included. A state
folder another user owns or could write, or a state file another user owns,
is refused before it is read (as ssh refuses such a ``~/.ssh``), and a save
larger than habitd would read back is refused before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import select
import stat
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime

import tomli_w

from daemon.errors import (
    ConfigError,
    ConfigUnreadable,
    LockTimeout,
    NotPrivateError,
    StateError,
    StoreWriteError,
    UsageError,
    describe_toml_error,
)
from daemon.state import RECOVERY, State, from_doc, to_doc

CONFIG_MAX_BYTES = 1 << 20
STATE_MAX_BYTES = 16 << 20
KEEP_BACKUPS = 7
STATE_FILE = "state.toml"
LOCK_FILE = "state.lock"


def ensure_dir(path: str) -> None:
    """Create a folder and its missing parents, each private to the user (0700) whatever the umask."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(os.path.abspath(path))
    if parent != path:
        ensure_dir(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
        return  # made meanwhile by another process
    os.chmod(path, 0o700)  # mkdir's mode passes through the umask


def check_private(folder: str, state_file: str) -> None:
    """Refuse a state folder (or file) another user could have written, as ssh does with ~/.ssh."""
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return
    except OSError as e:
        raise StoreWriteError(f"cannot use the state folder {folder}: {e.strerror}") from None
    me = os.getuid()
    if st.st_uid != me:
        raise NotPrivateError(
            f"the state folder {folder} belongs to user id {st.st_uid}, not to you ({me}); another user could"
            f" change your history there. Fix: `chown -R {me} {folder}` (as its owner or root), or use another folder"
        )
    if st.st_mode & 0o022:
        raise NotPrivateError(
            f"the state folder {folder} can be written by other users (mode {stat.S_IMODE(st.st_mode):o});"
            f" another user could change your history there. Fix: `chmod 700 {folder}`"
        )
    with contextlib.suppress(FileNotFoundError):
        owner = os.lstat(state_file).st_uid
        if owner != me:
            raise NotPrivateError(
                f"{state_file} belongs to user id {owner}, not to you ({me}); another user may have replaced it."
                f" Fix: check its content, then `chown {me} {state_file}`, or move it away"
            )


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new file."""
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    ensure_dir(folder)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise StoreWriteError(f"could not write {path}: {e.strerror or e}; the previous version is untouched") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(folder)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreWriteError(f"could not write {path}: {e.strerror or e}; the previous version is untouched") from None


def _read_bytes(path: str, limit: int, follow_symlink: bool) -> bytes | None:
    """The file's bytes, or None when it does not exist. Raises OSError/ValueError."""
    try:
        st = os.stat(path) if follow_symlink else os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise ValueError("is a symbolic link; habitd replaces this file on every save, so it must be a plain file")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError("is not a regular file")
    if st.st_size > limit:
        raise ValueError(f"is {st.st_size} bytes, more than the {limit} a habitd file can be")
    with open(path, "rb") as f:
        return f.read(limit + 1)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ValueError(f"line {line}: not UTF-8 text (byte {e.start})") from None


def read_config_text(path: str) -> str:
    try:
        data = _read_bytes(path, CONFIG_MAX_BYTES, follow_symlink=True)
        if data is None:
            raise ConfigError(str(path), ["no config here; `habitd init` writes one to start from"])
        return _decode(data)
    except OSError as e:
        raise ConfigUnreadable(str(path), [f"cannot read: {e.strerror}"]) from None
    except ValueError as e:
        raise ConfigError(str(path), [str(e)]) from None


# A day mask as a TOML literal string: tomllib reads a basic string ("...") one character
# at a time in Python, a literal one ('...') with str.index. The two mean the same for base64,
# which has neither quotes nor backslashes; with 10 years of history it saves ~4 ms a read.
_DONE_LINE = re.compile(r'^done = "([A-Za-z0-9+/=]*)"$', re.MULTILINE)


def dump_state(doc: dict[str, object]) -> str:
    """The state document as the text of the state file."""
    return _DONE_LINE.sub(r"done = '\1'", tomli_w.dumps(doc))


Signature = tuple[int, int, int]


def signature(path: str) -> Signature | None:
    """What tells a changed file: modification time, size and inode (a rename over it).

    The size too, because a file read between an editor's truncation and its write can keep
    its modification time (coarse timestamps) but not its size.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class StateTooBig(StoreWriteError):
    """A save that would cross STATE_MAX_BYTES, refused before anything is written."""


class Store:
    def __init__(self, directory: str | os.PathLike[str], lock_timeout: float = 5.0) -> None:
        self.dir = os.fspath(directory)
        self.path = os.path.join(self.dir, STATE_FILE)
        self.lock_path = os.path.join(self.dir, LOCK_FILE)
        self.lock_timeout = lock_timeout
        self.saved: Signature | None = None  # the signature of this process's latest save

    def signature(self) -> Signature | None:
        return signature(self.path)

    def _load(self) -> tuple[State, dict[str, object] | None]:
        try:
            data = _read_bytes(self.path, STATE_MAX_BYTES, follow_symlink=False)
            if data is None:
                return State(), None
            text = _decode(data)
        except OSError as e:
            raise StateError(f"{self.path}: cannot read: {e.strerror}") from None
        except ValueError as e:
            raise StateError(f"{self.path}: {e}. {RECOVERY}") from None
        if not text.strip():
            return State(), None
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise StateError(f"{self.path}: not valid TOML: {describe_toml_error(e, text)}. {RECOVERY}") from None
        return from_doc(doc, str(self.path)), doc

    def read(self) -> State:
        """A consistent snapshot, without the lock (saves are atomic renames)."""
        check_private(self.dir, self.path)
        return self._load()[0]

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        check_private(self.dir, self.path)
        try:
            ensure_dir(self.dir)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise StoreWriteError(f"cannot open the lock {self.lock_path}: {e.strerror}") from None
        try:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"another habitd process has held {self.lock_path} for"
                            f" {self.lock_timeout:g}s; nothing was changed, try again"
                        ) from None
                    select.select([], [], [], 0.02)  # not time.sleep: it fails under libfaketime
            yield
        finally:
            os.close(fd)  # closing releases the flock

    @contextlib.contextmanager
    def update(self) -> Iterator[State]:
        """Read the state under the lock, let the caller change it, save if it changed."""
        with self.lock():
            state, before = self._load()
            yield state
            after = to_doc(state)
            if after != (before or to_doc(State())):
                data = dump_state(after).encode("utf-8")
                if len(data) > STATE_MAX_BYTES:  # habitd would refuse to read it back
                    raise StateTooBig(
                        f"this change would make {self.path} {len(data)} bytes, more than the"
                        f" {STATE_MAX_BYTES} habitd can read back; nothing was changed."
                        " Long notes are the usual cause: `habitd journal` shows them"
                    )
                self._backup()
                atomic_write(self.path, data)
                self.saved = self.signature()  # under the lock: what another process writes next differs

    def _backup(self) -> None:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        day = datetime.fromtimestamp(st.st_mtime, UTC).date().isoformat()
        folder = os.path.join(self.dir, "backups")
        try:
            ensure_dir(folder)
            tmp = os.path.join(folder, f".state-{day}.{os.getpid()}.tmp")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.link(self.path, tmp)
            os.replace(tmp, os.path.join(folder, f"state-{day}.toml"))
            kept = sorted(n for n in os.listdir(folder) if n.startswith("state-") and n.endswith(".toml"))
            for old in kept[:-KEEP_BACKUPS]:
                os.unlink(os.path.join(folder, old))
        except OSError as e:
            raise StoreWriteError(f"could not keep a backup in {folder}: {e.strerror}; nothing was changed") from None


def system_timezone(env: dict[str, str] | None = None) -> str:
    """The machine's IANA zone name: $TZ, else /etc/localtime's target, else /etc/timezone, else UTC."""
    env = dict(os.environ) if env is None else env
    tz = env.get("TZ", "").lstrip(":")
    if tz and "/" in tz and not tz.startswith("/"):
        return tz
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as f:
            name = f.read().strip()
        if name:
            return name
    except OSError:
        pass
    return tz if tz == "UTC" else "UTC"


def example_config() -> str:
    """The example config shipped with habitd (inside the package once installed)."""
    from importlib.resources import files

    packaged = files("daemon") / "config.example.toml"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source_tree = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "config.example.toml")
    with open(source_tree, encoding="utf-8") as f:
        return f.read()


# --- files read or written on a person's request (issue 13) ------------------------

IMPORT_MAX_BYTES = 256 << 20


def read_text_file(path: str, what: str, limit: int = IMPORT_MAX_BYTES) -> str:
    """A UTF-8 text file named on the command line (an import); UsageError saying why not."""
    try:
        data = _read_bytes(path, limit, follow_symlink=True)
        if data is None:
            raise UsageError(f"{path}: no such file")
        return _decode(data)
    except OSError as e:
        raise UsageError(f"{path}: cannot read {what}: {e.strerror}") from None
    except ValueError as e:
        raise UsageError(f"{path}: {e}") from None


def read_sqlite_tables(path: str, tables: tuple[str, ...], what: str) -> dict[str, list[dict[str, object]]]:
    """Every row of some tables of an SQLite file, opened read-only (it is never changed)."""
    import sqlite3
    from urllib.parse import quote

    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such file")
    try:
        db = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise UsageError(f"{path}: cannot open {what}: {e}") from None
    try:
        db.row_factory = sqlite3.Row
        out: dict[str, list[dict[str, object]]] = {}
        for table in tables:
            found = db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", (table,)
            ).fetchone()
            if found is None:
                raise UsageError(f"{path}: not {what} (it has no {table} table)")
            out[table] = [dict(row) for row in db.execute(f'SELECT * FROM "{table}"')]
        return out
    except sqlite3.DatabaseError as e:
        raise UsageError(f"{path}: not {what} ({e})") from None
    finally:
        db.close()


def replace_config_text(path: str, text: str) -> None:
    """Rewrite the config file, keeping its permissions; only a plain file, never through a link."""
    try:
        st = os.lstat(path)
    except OSError as e:
        raise StoreWriteError(f"cannot rewrite {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise StoreWriteError(f"{path} is not a plain file (a link, perhaps), so habitd leaves it to you")
    atomic_write(path, text.encode("utf-8"), mode=stat.S_IMODE(st.st_mode))
