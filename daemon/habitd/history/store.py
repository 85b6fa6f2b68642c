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
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, tzinfo
from typing import Any, NamedTuple, Protocol

import tomli_w

from habitd import __version__
from habitd.errors import (
    ConfigError,
    ConfigUnreadable,
    HabitdError,
    LockTimeout,
    NotPrivateError,
    StateError,
    StoreWriteError,
    UsageError,
    describe_toml_error,
)
from habitd.habits.state import State
from habitd.habits.state_toml import RECOVERY, from_doc, to_doc
from habitd.history.cache import pack_event, pack_history, unpack_event, unpack_history
from habitd.history.changes import (
    changed_habits,
    copy_history,
    needs_ids,
    same_history,
    touched_months,
    window,
    write_change,
)
from habitd.history.derive import Ids, derive_with_ids, extend, rederive_months
from habitd.history.events import (
    NOTE,
    NOTE_DELETE,
    NOTE_EDIT,
    BadEvent,
    Event,
    from_table,
    is_private,
    latest,
    merge,
    to_table,
)
from habitd.history.hlc import DEVICE_RULE, Stamp, is_device_id, parse_id, tick
from habitd.history.migrate import has_history, history_of

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


class ConfigLinkDangling(ConfigUnreadable):
    """The config is a link to a file that is not there (a shared config while its folder is missing)."""

    def __init__(self, path: str, target: str) -> None:
        super().__init__(path, [f"a link to {target}, which is not there"])
        self.target = target
        self.args = (
            f"{path} is a link to {target}, which is not there (the shared folder {os.path.dirname(target)}"
            " not mounted or not synced yet?); nothing can be shown or recorded until it is back",
        )


def dangling_link(path: str) -> str | None:
    """Where ``path`` links to when it is a symbolic link to nothing (else None)."""
    try:
        if os.path.islink(path) and not os.path.exists(path):
            return os.path.join(os.path.dirname(os.path.abspath(path)), os.readlink(path))
    except OSError:
        return None
    return None


def read_config_text(path: str) -> str:
    try:
        data = _read_bytes(path, CONFIG_MAX_BYTES, follow_symlink=True)
        if data is None:
            target = dangling_link(path)
            if target is not None:
                raise ConfigLinkDangling(str(path), os.path.normpath(target))
            raise ConfigError(str(path), ["no config here; `habitd init` writes one to start from"])
        return _decode(data)
    except OSError as e:
        raise ConfigUnreadable(str(path), [f"cannot read: {e.strerror}"]) from None
    except ValueError as e:
        raise ConfigError(str(path), [str(e)]) from None


def sharing_settings(path: str) -> tuple[str | None, str] | None:
    """``settings.shared_dir`` and ``settings.name`` of a config with an error elsewhere (the
    history must still be found); None when they cannot be told."""
    if not os.path.lexists(path):
        return None, ""  # no config yet: the state folder
    try:
        doc = tomllib.loads(read_config_text(path))
    except (HabitdError, tomllib.TOMLDecodeError):
        return None
    settings = doc.get("settings")
    settings = settings if isinstance(settings, dict) else {}
    shared_dir, name = settings.get("shared_dir"), settings.get("name")
    if shared_dir is not None and not (isinstance(shared_dir, str) and shared_dir.startswith(("/", "~/"))):
        return None
    return shared_dir, name if isinstance(name, str) else ""


# A day mask as a TOML literal string: tomllib reads a basic string ("...") one character
# at a time in Python, a literal one ('...') with str.index. The two mean the same for base64,
# which has neither quotes nor backslashes; with 10 years of history it saves ~4 ms a read.
# (Patterns here are compiled on first use, re keeps them: not at import.)
_DONE_LINE = r'^done = "([A-Za-z0-9+/=]*)"$'


def dump_state(doc: dict[str, object]) -> str:
    """The state document as the text of the state file."""
    return re.sub(_DONE_LINE, r"done = '\1'", tomli_w.dumps(doc), flags=re.MULTILINE)


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


class StateStore(Protocol):
    """What the recording API, the views and the daemon need of a store: ``Store`` or ``SharedStore``."""

    dir: str
    saved: Signature | None  # the signature of this process's latest save
    by: str  # the name of this device's person ("": none), whose the completions recorded here are

    def signature(self) -> Signature | None: ...

    def folders(self) -> list[str]: ...

    def read(self) -> State: ...

    def update(self) -> contextlib.AbstractContextManager[State]: ...


class SharedFolderMissing(StoreWriteError):
    """The shared folder is not there: the history can be neither read nor added to."""


class SharedDirNotFolder(UsageError):
    """``settings.shared_dir`` names something that is not a folder (a file): a mistake in the config."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"settings.shared_dir: {path} is not a folder; set it to the folder your sync engine shares"
            ' (like "~/Sync/habitd") in the config'
        )


NOT_THERE = "is not there (not mounted or not synced yet?)"


class StateTooBig(StoreWriteError):
    """A save that would cross STATE_MAX_BYTES, refused before anything is written."""


class Store:
    def __init__(self, directory: str | os.PathLike[str], lock_timeout: float = 5.0) -> None:
        self.dir = os.fspath(directory)
        self.path = os.path.join(self.dir, STATE_FILE)
        self.lock_path = os.path.join(self.dir, LOCK_FILE)
        self.lock_timeout = lock_timeout
        self.saved: Signature | None = None  # the signature of this process's latest save
        self.by = ""  # a state file has no people

    def signature(self) -> Signature | None:
        return signature(self.path)

    def folders(self) -> list[str]:
        """The folders whose files ``signature()`` depends on (what the daemon watches)."""
        return [self.dir]

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

    packaged = files("habitd") / "config.example.toml"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    source_tree = os.path.join(checkout, "config.example.toml")
    with open(source_tree, encoding="utf-8") as f:
        return f.read()


# --- The shared event log: devices/<device>/<YYYY-MM>.toml ------------------------------
#
# Kept apart from the state file's code above. Each device appends its events (see
# events.py) to its own files in the shared folder, which a sync engine copies between
# machines; it never writes another device's files. What is per machine (the device's
# id, the lock) lives in the local state folder, outside the shared one.

LOG_FORMAT = 1
DEVICES = "devices"
DEVICE_FILE = "device.toml"
# Syncthing: NAME.sync-conflict-DATE-TIME-DEVICE.toml; Nextcloud, Dropbox: NAME (... conflicted copy ...).toml
_CONFLICT_COPY = r"^(\d{4})-(\d{2})(?:\.sync-conflict-[^/]*| \([^/]*conflicted copy[^/]*\))\.toml$"


def is_month_file(name: str) -> bool:
    r"""Whether ``name`` is a month's log file (``2026-11.toml``): what ``^(\d{4})-(\d{2})\.toml$`` matches,
    told without compiling it (``\d`` is a Unicode decimal digit, and ``$`` also matches before a final newline)."""
    name = name.removesuffix("\n")
    return len(name) == 12 and name[4] == "-" and name.endswith(".toml") and (name[:4] + name[5:7]).isdecimal()


_PARTIAL = (".tmp", ".part", ".partial", ".crdownload", ".download", ".!sync", ".swp", "~")
_NOT_SYNCED = "not read, maybe not fully synced yet; the rest of the history is used, the file is left as it is"


def is_sync_temp(name: str) -> bool:
    """A sync engine's or an editor's file in the making (``.syncthing.*``, ``~syncthing~*``, partial downloads)."""
    return name.startswith((".", "~")) or name.endswith(_PARTIAL)


class DeviceSeen(NamedTuple):
    device: str
    files: int
    last: Event | None  # its latest event (stamp order)


class Parsed(NamedTuple):
    size: int
    mtime_ns: int
    events: list[Event]
    problems: list[str]  # events of it left out


class LogRead(NamedTuple):
    events: list[Event]  # the union of every readable file's events, in stamp order
    problems: list[str]  # files (or events in them) that could not be read, each a line naming it
    devices: dict[str, DeviceSeen]
    files: dict[str, Parsed]  # every file read, by path: what a cache of its events can keep


NOT_SYNCED, NEWER, DAMAGED, UNREADABLE = "not synced", "newer format", "damaged", "unreadable"


class Unread(NamedTuple):
    """A log file (or events in one) left out of the history, and why."""

    path: str
    device: str
    why: str  # NOT_SYNCED (another device's file: half copied, or damaged), NEWER, DAMAGED, UNREADABLE
    detail: str  # what is wrong, in words


class DeviceFiles(NamedTuple):
    """What ``habitd devices`` shows of one device folder."""

    id: str
    files: list[str]  # its month files
    conflicts: list[str]  # sync engines' conflict copies, folded in by the device's next write
    events: list[Event]  # what could be read, in stamp order


class Survey(NamedTuple):
    root: str
    exists: bool  # whether the shared folder is there
    devices: dict[str, DeviceFiles]
    unread: list[Unread]


class LocalDevice(NamedTuple):
    id: str
    last: Stamp | None  # the latest event this machine wrote under that id
    name: str = ""  # this machine's person, when the config is shared (``habitd init --join --name``)
    made_on: str = ""  # the machine id (/etc/machine-id) where the id was made; "": not known
    made_in: str = ""  # the state folder it was made for (its real path); "": not known (an older habitd)


def machine_id() -> str:
    """This machine's id (systemd's /etc/machine-id), or "" where there is none."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        with contextlib.suppress(OSError, ValueError):
            data = _read_bytes(path, 1024, follow_symlink=True)
            if data and data.strip():
                return data.decode("ascii").strip()
    return ""


def log_header(device: str, private: bool = False) -> str:
    who = (
        "# Private notes of this machine: never in the shared folder, never seen by another device.\n"
        if private
        else "# Only that device writes this file; the others read it.\n"
    )
    return (
        f"# habitd's history as written by device {device}: one [[event]] table per change, oldest first.\n"
        + who
        + f'format = {LOG_FORMAT}\nhabitd = "{__version__}"\ndevice = "{device}"\n'
    )


def _events_text(events: list[Event]) -> str:
    return tomli_w.dumps({"event": [to_table(e) for e in events]})


class NewerFormat(ValueError):
    """A log file written by a newer habitd, in a format this one does not read."""


def parse_log(text: str, path: str, device: str) -> tuple[list[Event], list[str]]:
    """The events of one log file and a line per problem; ValueError when the file cannot be used at all."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"not valid TOML: {describe_toml_error(e, text)}") from None
    fmt = doc.get("format")
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise ValueError(f"format: {fmt!r} is not a format version" if "format" in doc else "format: missing")
    if fmt > LOG_FORMAT:
        writer = doc.get("habitd") if isinstance(doc.get("habitd"), str) else "a newer habitd"
        raise NewerFormat(
            f"written by habitd {writer} in log format {fmt}; this habitd ({__version__}) reads format"
            f" {LOG_FORMAT}: update habitd on this machine to {writer} or newer"
        )
    if doc.get("device") != device:
        raise ValueError(f"device: {doc.get('device')!r} is not {device!r}, the folder it is in")
    tables = doc.get("event", [])
    if not isinstance(tables, list):
        raise ValueError("event: is not a list of [[event]] tables")
    events, problems = [], []
    for i, table in enumerate(tables, 1):
        try:
            events.append(from_table(table, device))
        except BadEvent as e:
            problems.append(f"{path}: event {i}: {e}; that event is left out, the file as it is")
    return events, problems


def read_log_file(path: str) -> str:
    """A log file's text; ValueError/OSError say why it cannot be read."""
    data = _read_bytes(path, STATE_MAX_BYTES, follow_symlink=False)
    if data is None:
        raise FileNotFoundError(errno.ENOENT, "vanished while being read")
    return _decode(data)


class EventLog:
    """The events of every device in ``root`` (the shared folder), and this machine's appends to its own."""

    def __init__(
        self, root: str, local_dir: str, lock_timeout: float = 5.0, create_root: bool = True, private: bool = False
    ) -> None:
        self.root = root
        self.local = Store(local_dir, lock_timeout)  # the local folder: this machine's lock and device id
        self.device_path = os.path.join(local_dir, DEVICE_FILE)
        self.create_root = create_root
        self.private = private  # this machine's private notes (in the local folder): another header

    # -- this machine's device id ---------------------------------------------------------

    def local_device(self) -> LocalDevice | None:
        """This machine's device id and the last event it wrote, or None before its first write."""
        try:
            data = _read_bytes(self.device_path, CONFIG_MAX_BYTES, follow_symlink=False)
            if data is None:
                return None
            doc = tomllib.loads(_decode(data))
        except OSError as e:
            raise StateError(f"{self.device_path}: cannot read: {e.strerror}") from None
        except (ValueError, tomllib.TOMLDecodeError) as e:
            raise StateError(f"{self.device_path}: {e}. Move it away and habitd gives this machine a new id.") from None
        device, last = doc.get("id"), doc.get("last")
        if not isinstance(device, str) or not is_device_id(device):
            raise StateError(f"{self.device_path}: id: {device!r} is not a device id ({DEVICE_RULE})")
        stamp = parse_id(last) if isinstance(last, str) else None
        if last is not None and (stamp is None or stamp.device != device):
            raise StateError(f"{self.device_path}: last: {last!r} is not an event id of device {device}")
        name, made_on, made_in = (v if isinstance(v := doc.get(k), str) else "" for k in ("name", "made_on", "made_in"))
        return LocalDevice(device, stamp, name, made_on, made_in)

    def _save_device(self, device: LocalDevice) -> None:
        text = (
            "# This machine's device id in the shared habitd folder. Keep it on this machine only:\n"
            "# a copy on another machine makes two writers of one device's files.\n"
            + tomli_w.dumps(
                {"id": device.id}
                | ({"last": str(device.last)} if device.last else {})
                | ({"name": device.name} if device.name else {})
                | ({"made_on": device.made_on} if device.made_on else {})
                | ({"made_in": device.made_in} if device.made_in else {})
            )
        )
        atomic_write(self.device_path, text.encode("utf-8"))

    def name_device(self, name: str) -> LocalDevice:
        """Keep ``name`` as this machine's person in its device file (made if need be), under the lock."""
        with self.lock():
            me = self.own_device()._replace(name=name)
            self._save_device(me)
            return me

    def require_root(self, outcome: str) -> None:
        """Refuse when a shared folder that must exist is not there (not mounted, not synced, never
        made): its history is unknown, and an empty one must never pass for it."""
        if self.create_root or os.path.isdir(self.root):
            return
        if os.path.exists(self.root):
            raise SharedDirNotFolder(self.root)
        raise SharedFolderMissing(
            f"the shared folder {self.root} {NOT_THERE}; {outcome}"
        )

    # -- reading --------------------------------------------------------------------------

    def _files(self) -> Iterator[tuple[str, str, bool]]:
        """(device, path, is a conflict copy) of every log file in the shared folder."""
        top = os.path.join(self.root, DEVICES)
        try:
            folders = sorted(os.listdir(top))
        except FileNotFoundError:
            return
        except OSError as e:
            if os.path.exists(self.root) and not os.path.isdir(self.root):
                raise SharedDirNotFolder(self.root) from None
            raise StateError(f"{top}: cannot read: {e.strerror}") from None
        for device in folders:
            folder = os.path.join(top, device)
            if not is_device_id(device) or not os.path.isdir(folder):
                continue
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                continue  # reported by read() as a problem of its files
            for name in names:
                if is_sync_temp(name):
                    continue
                if is_month_file(name):
                    yield device, os.path.join(folder, name), False
                elif re.match(_CONFLICT_COPY, name):
                    yield device, os.path.join(folder, name), True

    def read(self, known: dict[str, Parsed] | None = None, months: set[str] | None = None) -> LogRead:
        """Every device's events (conflict copies too), and a warning for each file not readable.

        A file in ``known`` with the same size and modification time is not parsed again.
        With ``months`` (YYYY-MM), only the files of those months are read.
        """
        problems: list[str] = []
        count: dict[str, int] = {}
        parsed: dict[str, Parsed] = {}
        for device, path, _conflict in self._files():
            count[device] = count.get(device, 0) + 1
            if months is not None and os.path.basename(path)[:7] not in months:
                continue
            try:
                st = os.stat(path)
                held = (known or {}).get(path)
                if held is not None and (held.size, held.mtime_ns) == (st.st_size, st.st_mtime_ns):
                    parsed[path] = held
                else:
                    parsed[path] = Parsed(st.st_size, st.st_mtime_ns, *parse_log(read_log_file(path), path, device))
            except FileNotFoundError:
                continue  # renamed or folded away since the folder was listed
            except NewerFormat as e:
                problems.append(f"{path}: not read: {e}; the rest of the history is used, the file is left as it is")
                continue
            except (OSError, ValueError) as e:
                problems.append(f"{path}: {getattr(e, 'strerror', None) or e}; {_NOT_SYNCED}")
                continue
            problems.extend(parsed[path].problems)
        events = merge(*(p.events for p in parsed.values()))
        last: dict[str, Event] = {}
        for event in events:
            last[event.stamp.device] = event
        devices = {d: DeviceSeen(d, n, last.get(d)) for d, n in count.items()}
        return LogRead(events, problems, devices, parsed)

    def survey(self, own: str | None = None) -> Survey:
        """Every device folder and file, for ``habitd devices`` and ``habitd check`` (read-only).

        A file that does not parse is ``NOT_SYNCED`` when another device wrote it (it may be half
        copied), ``DAMAGED`` when it is this machine's own (``own``: its device id).
        """
        devices: dict[str, DeviceFiles] = {}
        unread: list[Unread] = []
        for device, path, conflict in self._files():
            seen = devices.setdefault(device, DeviceFiles(device, [], [], []))
            if not conflict:
                seen.files.append(path)
            try:
                events, bad = parse_log(read_log_file(path), path, device)
            except FileNotFoundError:
                continue
            except OSError as e:
                unread.append(Unread(path, device, UNREADABLE, f"cannot read: {e.strerror}"))
                continue
            except NewerFormat as e:
                unread.append(Unread(path, device, NEWER, str(e)))
                continue
            except ValueError as e:
                unread.append(Unread(path, device, DAMAGED if device == own else NOT_SYNCED, str(e)))
                continue
            if conflict:  # read: its device folds it in (one not read is listed as such only)
                seen.conflicts.append(path)
            seen.events.extend(events)
            unread.extend(Unread(path, device, DAMAGED, p.split(": ", 1)[1]) for p in bad)
        for device, seen in devices.items():
            devices[device] = seen._replace(events=merge(seen.events))
        return Survey(self.root, os.path.isdir(self.root), devices, unread)

    # -- writing (under ``lock()``) ---------------------------------------------------------

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """This machine's lock over its writes (held in the local folder, never synced)."""
        return self.local.lock()

    def _here(self) -> tuple[str, str]:
        return machine_id(), os.path.realpath(os.path.dirname(self.device_path))

    def own_device(self) -> LocalDevice:
        """This machine's device, made (with a new id) on its first write; refused when its
        device file was made on another machine or for another state folder (a copied home)."""
        me = self.local_device()
        if me is None:
            me = LocalDevice(os.urandom(5).hex(), None, "", *self._here())
            self._save_device(me)
        self.check_home(me, "Nothing was recorded")
        if not me.made_in:  # written by an older habitd: where it is now is where it was made
            me = me._replace(made_on=self._here()[0], made_in=self._here()[1])
            self._save_device(me)
        return me

    def check_home(self, me: LocalDevice, outcome: str) -> None:
        """Refuse a device file made on another machine or for another state folder: a copied home."""
        made_on, made_in = self._here()
        if (me.made_in and me.made_in != made_in) or (me.made_on and made_on and me.made_on != made_on):
            where = f"for {me.made_in}" + (" on another machine" if me.made_on and me.made_on != made_on else "")
            raise StateError(
                f"another machine writes as this one, or may: {self.device_path} was made {where}, not here"
                f" (was this home folder copied, or the state folder moved?). {outcome}. {self.way_out()}"
            )

    def way_out(self) -> str:
        return (
            f"On one of the two machines, run `habitd devices --new-id` (or move {self.device_path} away):"
            " that machine then writes under a new device id, keeping its name, and nothing is lost."
        )

    def new_id(self) -> tuple[LocalDevice | None, LocalDevice]:
        """Give this machine a new device id, keeping its name (under the lock): (the old, the new)."""
        with self.lock():
            try:
                old = self.local_device()
            except StateError:
                old = None  # an unreadable device file: a new one replaces it
            new = LocalDevice(os.urandom(5).hex(), None, old.name if old else "", *self._here())
            self._save_device(new)
            return old, new

    def signature(self) -> dict[str, tuple[int, int]]:
        """Size and modification time of every log file: what a cache of their events depends on."""
        out = {}
        with contextlib.suppress(HabitdError):  # a folder that cannot be listed: reading says why
            for _device, path, _conflict in self._files():
                with contextlib.suppress(OSError):
                    st = os.stat(path)
                    out[path] = (st.st_size, st.st_mtime_ns)
        return out

    def folders(self) -> list[str]:
        """The shared folder, its ``devices`` folder and every device's folder in it, as they are now."""
        top = os.path.join(self.root, DEVICES)
        try:
            names = sorted(os.listdir(top))
        except OSError:
            names = []
        devices = [os.path.join(top, d) for d in names if is_device_id(d)]
        return [self.root, top, *(d for d in devices if os.path.isdir(d))]

    def check_own(self, me: LocalDevice, events: Iterable[Event]) -> None:
        """Refuse when this device's files hold events this machine did not write."""
        self.check_latest(me, max((e.stamp for e in events if e.stamp.device == me.id), default=None))

    def check_latest(self, me: LocalDevice, mine: Stamp | None) -> None:
        """Refuse when ``mine``, the latest event of this device's files, is later than this machine wrote."""
        if mine is not None and (me.last is None or mine > me.last):
            raise StateError(
                f"another machine writes as this one: {os.path.join(self.root, DEVICES, me.id)} holds"
                f" events of device {me.id} that this machine did not write (was this home folder copied"
                f" from another machine?). Nothing was recorded. {self.way_out()}"
            )

    @contextlib.contextmanager
    def writer(self, moment: datetime) -> Iterator[LogWriter]:
        """Read everything under the lock; append what the caller adds to this device's file."""
        with self.lock():
            me = self.own_device()
            log = self.read()
            self.check_own(me, log.events)
            w = LogWriter(me, latest(log.events), int(moment.timestamp() * 1000), log.events)
            yield w
            self.append(me, w.added)

    def append(
        self, me: LocalDevice, added: list[Event], signature: dict[str, tuple[int, int]] | None = None,
        trusted: Iterable[str] = (),
    ) -> dict[str, tuple[list[Event], bool]]:  # fmt: skip
        """Append ``added`` to this device's files (one a month, by the day each event is for).

        Its conflict copies are folded in and removed. Refuses (nothing written) when a file
        to add to cannot be read or holds events of another machine using the same id; a file
        in ``trusted`` (read whole since it last changed) is not parsed again. ``signature`` is
        brought up to date with the write.
        """
        self.require_root("nothing was recorded")
        own = [(p, conflict) for d, p, conflict in self._files() if d == me.id]
        copies = [p for p, conflict in own if conflict]
        if not added and not copies:
            return {}
        folded: list[Event] = []
        if copies:
            held: set[Stamp] = set()
            copies = []  # only the copies read whole are folded in and removed; the others stay
            for path, conflict in own:
                with contextlib.suppress(OSError, ValueError):
                    events = parse_log(read_log_file(path), path, me.id)[0]
                    self.check_own(me, events)
                    if conflict:
                        folded.extend(events)
                        copies.append(path)
                    else:
                        held.update(e.stamp for e in events)
            folded = [e for e in folded if e.stamp not in held]
        months: dict[str, list[Event]] = {}
        for e in merge(folded, added):
            name = f"{e.day.year:04d}-{e.day.month:02d}.toml"
            months.setdefault(os.path.join(self.root, DEVICES, me.id, name), []).append(e)
        trusted = set(trusted) if signature is not None else set()
        texts, created = {}, set()
        for path in months:  # read them all before writing any
            try:
                text = read_log_file(path)
                st = os.stat(path)
                if path not in trusted or (signature or {}).get(path) != (st.st_size, st.st_mtime_ns):
                    self.check_own(me, parse_log(text, path, me.id)[0])
            except FileNotFoundError:
                text = log_header(me.id, self.private)
                created.add(path)
            except (OSError, ValueError) as e:
                month = os.path.basename(path)[:7]
                raise StateError(
                    f"{path}: {getattr(e, 'strerror', None) or e}. This device's own file cannot be added to;"
                    " nothing was recorded, the file is left as it is. Repair it by hand, put back an earlier"
                    " version (your sync engine may keep some, like Syncthing's .stversions folder), or move it"
                    f" away: then what this device recorded for the days of {month} (completions, notes, skips,"
                    " pauses) is missing from the history, on every device"
                ) from None
            texts[path] = text
        datas = {}
        for path, events in months.items():
            datas[path] = (texts[path].rstrip("\n") + "\n\n" + _events_text(events)).encode("utf-8")
            if len(datas[path]) > STATE_MAX_BYTES:  # habitd would refuse to read it back
                raise StateTooBig(
                    f"this change would make {path} {len(datas[path])} bytes, more than the {STATE_MAX_BYTES}"
                    " habitd can read back; nothing was changed. Long notes are the usual cause: `habitd journal`"
                    " shows them"
                )
        if months:
            if self.create_root:
                ensure_dir(self.root)
            ensure_dir(os.path.join(self.root, DEVICES))
        if added:  # first: a crash before the files are written must not look like another machine's writes
            stamp = max(e.stamp for e in added)
            self._save_device(me._replace(last=max(stamp, me.last) if me.last else stamp))
        for path, data in sorted(datas.items()):
            atomic_write(path, data)
            if signature is not None:
                st = os.stat(path)
                signature[path] = (st.st_size, st.st_mtime_ns)
        for path in copies:  # their events are in this device's files now
            with contextlib.suppress(OSError):
                os.unlink(path)
            if signature is not None:
                signature.pop(path, None)
        return {path: (events, path in created) for path, events in months.items()}


def device_name(local_dir: str) -> str:
    """The name this machine's device file gives its person ("" when none, or when it cannot be read)."""
    try:
        me = EventLog(local_dir, local_dir).local_device()
    except HabitdError:
        return ""  # a command that writes says what is wrong with it
    return me.name if me else ""


def local_leftovers(local_dir: str) -> list[str]:
    """History files in the local folder's ``devices/``, left out while a shared folder is set."""
    return sorted(path for _device, path, _conflict in EventLog(local_dir, local_dir)._files())


def move_history(local_dir: str, shared_dir: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Move the history files of the local folder's ``devices/`` into the shared folder's.

    Each file is copied (atomically, fsynced) before the local one is removed, so a crash
    leaves it in one place or both, never in neither. A file of the same name there already
    is this machine's own (the same device, the same month: recorded after ``shared_dir`` was
    set), so the two are merged (the union of their events, written as one file). Returns
    the paths moved, those merged, and (path, why) for each file left where it is.
    """
    moved, merged, left = [], [], []
    log = EventLog(shared_dir, local_dir, create_root=False)
    with log.lock():  # the daemon of this machine appends to the same files
        me = log.local_device()
        for path in local_leftovers(local_dir):
            device, name = os.path.basename(os.path.dirname(path)), os.path.basename(path)
            target = os.path.join(shared_dir, DEVICES, device, name)
            try:
                data = _read_bytes(path, STATE_MAX_BYTES, follow_symlink=False)
                there = _read_bytes(target, STATE_MAX_BYTES, follow_symlink=False)
            except (OSError, ValueError) as e:
                left.append((path, f"{getattr(e, 'strerror', None) or e}"))
                continue
            if data is None:
                continue
            if there is not None and there != data:
                if me is None or device != me.id:
                    left.append((path, f"{target}, another device's file of that name, is there already"))
                    continue
                try:
                    ours = parse_log(_decode(data), path, device)
                except ValueError as e:
                    left.append((path, f"it cannot be read ({e})"))
                    continue
                try:
                    theirs = parse_log(_decode(there), target, device)
                except ValueError as e:
                    left.append((path, f"{target} cannot be read ({e}), so the two cannot be merged"))
                    continue
                if ours[1] or theirs[1]:
                    left.append((path, f"{'; '.join(ours[1] + theirs[1])}, so the two cannot be merged"))
                    continue
                events = merge(ours[0], theirs[0])
                log.check_own(me, events)  # never fold in what another machine wrote as this one
                atomic_write(target, (log_header(device).rstrip("\n") + "\n\n" + _events_text(events)).encode("utf-8"))
                merged.append(target)
            elif there is None:
                atomic_write(target, data)
                moved.append(target)
            else:
                moved.append(target)
            try:
                os.unlink(path)
            except OSError as e:
                raise StoreWriteError(f"moved {path} to {target} but could not remove it: {e.strerror}") from None
    return moved, merged, left


def keep_copy(path: str, suffix: str) -> str | None:
    """Keep a plain file's content beside it as ``path`` + ``suffix`` (a free name); None for a link."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        data = _read_bytes(path, CONFIG_MAX_BYTES * 16, follow_symlink=False)
    except (OSError, ValueError) as e:
        raise StoreWriteError(f"could not keep a copy of {path}: {getattr(e, 'strerror', None) or e}") from None
    copy, n = path + suffix, 1
    while os.path.lexists(copy):
        n += 1
        copy = f"{path}{suffix}.{n}"
    atomic_write(copy, data or b"", mode=stat.S_IMODE(st.st_mode))
    return copy


def link_config(path: str, target: str) -> None:
    """Make the config path a symbolic link to a config file kept elsewhere (one config for two)."""
    ensure_dir(os.path.dirname(os.path.abspath(path)))
    tmp = f"{path}.{os.getpid()}.link.tmp"
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(target, tmp)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreWriteError(f"could not link {path} to {target}: {e.strerror}") from None


def ensure_shared_root(shared_dir: str) -> None:
    """Start a shared folder: its ``devices/`` folder (0700)."""
    try:
        ensure_dir(os.path.join(shared_dir, DEVICES))
    except OSError as e:
        raise StoreWriteError(f"could not make {os.path.join(shared_dir, DEVICES)}: {e.strerror}") from None


class LogWriter:
    """Stamps the events a write adds: each after everything seen, and after the one before."""

    def __init__(self, me: LocalDevice, seen: Stamp | None, now_ms: int, events: list[Event] | None = None) -> None:
        self.device = me.id
        self.base = events or []  # what the write saw, when it read the log
        self.added: list[Event] = []
        self._now_ms = now_ms
        # never stamp an id again, even if this device's files went missing
        self._seen = max((s for s in (seen, me.last) if s is not None), default=None)

    @property
    def events(self) -> list[Event]:
        return self.base + self.added

    def add(self, event: Event) -> Event:
        """Append ``event`` (its stamp is replaced by this device's next one); returns it stamped."""
        stamped = event._replace(stamp=tick(self._seen, self._now_ms, self.device))
        self._seen = stamped.stamp
        self.added.append(stamped)
        return stamped


CACHE_FILE = "cache.bin"  # the derived history
EVENTS_CACHE_FILE = "events.bin"  # every log file's events, to rebuild without parsing what did not change
CACHE_VERSION = 3  # 3: who did what (people, mixed days, the names of notes and skips)
MIGRATED_BACKUP = "state.before-events.toml"
PRIVATE_DIR = "private"  # in the local folder: private/devices/<device>/<YYYY-MM>.toml, the private notes


class SharedStore:
    """What the commands and the daemon read and change: ``read()`` and ``update()`` as ``Store``.

    The history (completions, notes, skips, pauses, prompt decks) is derived from
    every device's events in ``root`` and kept in a local cache (``cache.bin``:
    the day masks of the state file, in marshal's binary form) that is rebuilt
    whenever a log file changed, parsing only the files that changed (their
    events are kept in ``events.bin``); both can be deleted at any time. What
    belongs to this machine alone (the daemon's reminder bookkeeping) stays in
    its ``state.toml``. A change made in ``update()`` is appended as events (see
    ``changes.py``). A ``state.toml`` of before the event log is moved into it on
    first use, and kept beside as ``state.before-events.toml``.
    """

    def __init__(
        self, local_dir: str | os.PathLike[str], root: str | None = None, *, clock: Callable[[], datetime],
        today: Callable[[datetime], date], zone: Callable[[], tzinfo] = lambda: UTC, by: str = "",
        lock_timeout: float = 5.0,
    ) -> None:  # fmt: skip
        self.dir = os.fspath(local_dir)
        self.local = Store(self.dir, lock_timeout)
        self.path = self.local.path
        self.log = EventLog(root or self.dir, self.dir, lock_timeout, create_root=root is None)
        self.private = EventLog(os.path.join(self.dir, PRIVATE_DIR), self.dir, lock_timeout, private=True)
        self.cache_path = os.path.join(self.dir, CACHE_FILE)
        self.events_cache_path = os.path.join(self.dir, EVENTS_CACHE_FILE)
        self.clock, self.today, self.zone, self.by = clock, today, zone, by
        self.problems: list[str] = []  # files of the log not read (or events in them), as of the latest read
        self._info: dict[str, Any] = {}  # what the history cache was made of (see "the caches")
        self._packed: dict[str, Any] | None = None  # its habits as loaded, to write back those unchanged
        self.saved: Signature | None = None  # the signature of this process's latest save

    def signature(self) -> Signature | None:
        """What tells a change by another process: this machine's state file and every log file."""
        return self._signature_of(self._signature())

    def _signature_of(self, log_files: dict[str, tuple[int, int]]) -> Signature:
        files = sorted(log_files.items())
        text = repr((signature(self.local.path), files)).encode("utf-8")
        return zlib.crc32(text), len(files), len(text)

    def folders(self) -> list[str]:
        """What to watch for changes by other processes and devices: this machine's state folder,
        the shared folder and every device's folder in it, and this machine's private notes."""
        return list(dict.fromkeys([self.dir, *self.log.folders(), *self.private.folders()]))

    # -- the caches -----------------------------------------------------------------------
    # cache.bin: (files, latest stamp, problems, packed history); files: path -> (size, mtime_ns,
    # how many events it held, the last one's stamp), or a count of -1 for a file not read.

    def _load(self, path: str) -> Any:
        import marshal

        try:
            data = _read_bytes(path, STATE_MAX_BYTES * 4, follow_symlink=False)
            value = marshal.loads(data) if data else None
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if not isinstance(value, tuple) or len(value) < 3 or value[:2] != (CACHE_VERSION, self.log.root):
            return None
        return value[2:]

    def _dump(self, path: str, *value: Any) -> None:
        import marshal

        with contextlib.suppress(HabitdError):  # a cache that could not be written is rebuilt next time
            atomic_write(path, marshal.dumps((CACHE_VERSION, self.log.root, *value)))

    def _save_cache(self, history: State, seen: Stamp | None, same: Iterable[str] = ()) -> None:
        """Write the history cache; the habits in ``same`` are as loaded, not packed again."""
        packed = pack_history(history, self._packed, same)
        self._dump(self.cache_path, self._info, tuple(seen) if seen else None, self.problems, packed)
        self._packed = packed[0]  # the habits of the history now cached

    def _cached(self, signature: dict[str, tuple[int, int]]) -> tuple[State, Stamp | None] | None:
        """The cached history if it is of these files, or brought up to date with what was appended
        to them since; None when only deriving the whole log again will do."""
        value = self._load(self.cache_path)
        try:
            files, seen_t, problems, packed = value
            seen = Stamp(*seen_t) if seen_t else None
            if {p: (size, mtime) for p, (size, mtime, _n, _last) in files.items()} == signature:
                self._info, self.problems, self._packed = files, list(problems), packed[0]
                return unpack_history(packed), seen
            return self._catch_up(signature, files, seen, problems, packed)
        except (ValueError, TypeError, KeyError, IndexError):
            return None

    def _catch_up(
        self, signature: dict[str, tuple[int, int]], files: dict[str, Any], seen: Stamp | None,
        problems: list[str], packed: Any,
    ) -> tuple[State, Stamp | None] | None:  # fmt: skip
        """Add the events appended to the log files since the cache was written (a partner's, mostly)."""
        if files.keys() - signature.keys() or any(re.match(_CONFLICT_COPY, os.path.basename(p)) for p in signature):
            return None  # a file went away, or a conflict copy came: the union needs everything
        changed = [p for p in signature if p not in files or tuple(files[p][:2]) != signature[p]]
        added: list[Event] = []
        files = dict(files)
        for path in changed:
            held = files[path][2] if path in files else 0
            if held < 0:
                return None
            try:
                st = os.stat(path)
                events, bad = parse_log(read_log_file(path), path, os.path.basename(os.path.dirname(path)))
            except (OSError, ValueError):
                return None
            if len(events) < held or (held and list(events[held - 1].stamp) != list(files[path][3])):
                return None  # not an append: rewritten by hand or by someone else
            added.extend(events[held:])
            problems = [p for p in problems if not p.startswith(path + ": ")] + bad
            files[path] = (st.st_size, st.st_mtime_ns, len(events), tuple(events[-1].stamp) if events else None)
        added = merge(added)
        if added and seen is not None and added[0].stamp <= seen:
            return None  # written before what this cache holds: its place in the order matters
        state = unpack_history(packed)
        if not extend(state, added) and (seen is None or not self._months_again(state, added, files)):
            return None
        self._info, self.problems = files, problems
        seen = added[-1].stamp if added else seen
        self._save_cache(state, seen)
        return state, seen

    def _months_again(self, state: State, added: list[Event], files: dict[str, Any]) -> bool:
        """Add events that take something back (a partner's undo, unskip, deleted note) by deriving
        again only the months they touch, from those months' files as ``files`` knows them."""
        months = {f"{e.day.year:04d}-{e.day.month:02d}" for e in added}
        read = self._read_both(months=months)
        wanted = {p for p in files if os.path.basename(p)[:7] in months}
        if read.files.keys() != wanted:
            return False  # one could not be read, or came meanwhile
        new = {e.stamp for e in added}
        before: list[Event] = []
        for path, parsed in read.files.items():
            size, mtime, held, _last = files[path]
            if held < 0 or (parsed.size, parsed.mtime_ns) != (size, mtime):
                return False  # changed again since: the whole log will do
            before.extend(e for e in parsed.events[:held] if e.stamp not in new)
        return rederive_months(state, merge(before), added)

    def _read_log(self) -> LogRead:
        """The whole log, parsing only the files that changed since the events cache was written."""
        known: dict[str, Parsed] = {}
        raw: dict[str, Any] = {}
        value = self._load(self.events_cache_path)
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
            if value is not None:
                raw = value[0]
                known = {
                    path: Parsed(size, mtime, [unpack_event(t) for t in events], list(problems))
                    for path, (size, mtime, events, problems) in raw.items()
                }
        read = self._read_both(known)
        if read.files.keys() != known.keys() or any(known[p] is not f for p, f in read.files.items()):
            files = {  # the files that did not change as they were loaded: not packed again
                p: raw[p] if known.get(p) is f else (f.size, f.mtime_ns, [pack_event(e) for e in f.events], f.problems)
                for p, f in read.files.items()
            }
            self._dump(self.events_cache_path, files)
        return read

    def _rebuild(self, signature: dict[str, tuple[int, int]]) -> tuple[State, Ids, LogRead]:
        read = self._read_log()
        history, ids = derive_with_ids(read.events)
        self.problems = read.problems
        self._info = {p: (size, mtime, -1, None) for p, (size, mtime) in signature.items()}
        for path, f in read.files.items():
            self._info[path] = (f.size, f.mtime_ns, len(f.events), tuple(f.events[-1].stamp) if f.events else None)
        self._save_cache(history, ids.latest)
        return history, ids, read

    def _history(self, signature: dict[str, tuple[int, int]]) -> tuple[State, Stamp | None]:
        cached = self._cached(signature)
        if cached is not None:
            return cached
        history, ids, _read = self._rebuild(signature)
        return history, ids.latest

    def _trusted(self, signature: dict[str, tuple[int, int]]) -> list[str]:
        """The files read whole into the history as it stands (and unchanged since)."""
        return [p for p in signature if p in self._info and self._info[p][2] >= 0]

    def _own_latest(self, me: LocalDevice) -> Stamp | None:
        """The latest event of this device's files in the shared folder, as the cache knows them."""
        folder = os.path.join(self.log.root, DEVICES, me.id, "")
        latest = max((tuple(i[3]) for p, i in self._info.items() if i[2] > 0 and p.startswith(folder)), default=None)
        return Stamp(*latest) if latest else None

    # -- the private notes: events kept in the local folder only ----------------------------

    def _signature(self) -> dict[str, tuple[int, int]]:
        return {**self.log.signature(), **self.private.signature()}

    def _read_both(self, known: dict[str, Parsed] | None = None, months: set[str] | None = None) -> LogRead:
        """The shared log with this machine's private notes."""
        shared = self.log.read(known, months)
        private = self.private.read(known, months)
        if not private.files and not private.problems:
            return shared
        return LogRead(
            merge(shared.events, private.events), shared.problems + private.problems, shared.devices,
            {**shared.files, **private.files},
        )  # fmt: skip

    def _private(self, added: list[Event]) -> set[Stamp]:
        """The events of a change that stay on this machine: private notes, their edits and deletes."""
        hidden = {e.stamp for e in added if e.kind in (NOTE, NOTE_EDIT) and is_private(dict(e.extra))}
        deletes = [e for e in added if e.kind == NOTE_DELETE]
        if deletes:
            known = hidden | {e.stamp for e in self.private.read().events}
            hidden.update(e.stamp for e in deletes if any(s in known for s in e.undoes))
        return hidden

    def events(self) -> list[Event]:
        """Every event of the history (every device's, this machine's private notes), in stamp order."""
        self.log.require_root("its history cannot be shown")
        return self._read_log().events

    # -- reading and changing -------------------------------------------------------------

    def read(self) -> State:
        """The derived history with this machine's bookkeeping (lock-free: every save is a rename)."""
        self.log.require_root("its history cannot be shown")
        own = self.local.read()
        if has_history(own):
            with self.update():  # moves the old state file's history into the log
                pass
            own = self.local.read()
        state, _seen = self._history(self._signature())
        state.reminders, state.sent_day, state.sent_count = own.reminders, own.sent_day, own.sent_count
        return state

    @contextlib.contextmanager
    def update(self) -> Iterator[State]:
        """Under the lock: the state to change; its history's changes become events, the rest is saved here."""
        self.log.require_root("nothing was recorded")
        with self.log.lock():
            own = self.local.read()
            moment = self.clock()
            if has_history(own):
                self._migrate(own, moment)
                own = self.local.read()
            signature = self._signature()
            before, seen = self._history(signature)
            state = copy_history(before)
            own_doc = to_doc(own)  # its reminders are the state's own objects: compare with what they were
            state.reminders, state.sent_day, state.sent_count = own.reminders, own.sent_day, own.sent_count
            yield state
            after = history_of(state)
            wrote = not same_history(after, before)
            if wrote:
                self._write(before, after, seen, signature, moment)
            mine = State()
            mine.reminders, mine.sent_day, mine.sent_count = state.reminders, state.sent_day, state.sent_count
            if to_doc(mine) != own_doc:
                self.local._backup()  # the backups keep this machine's bookkeeping too
                atomic_write(self.local.path, dump_state(to_doc(mine)).encode("utf-8"))
                wrote = True
            if wrote:  # under the lock: what another process writes next differs. The log files as
                # read before, with this write's: a partner's file arriving meanwhile is not taken for it
                self.saved = self._signature_of(signature)

    def _write(
        self, before: State, after: State, seen: Stamp | None, signature: dict[str, tuple[int, int]], moment: datetime
    ) -> None:
        me = self.log.own_device()
        ids: Ids | None = None
        if needs_ids(before, after):  # it takes something away: name the events it was seen in
            ids = self._ids(me, before, after, seen)
        writer = LogWriter(me, seen, int(moment.timestamp() * 1000))
        write_change(before, after, ids, writer.add, self.today(moment), moment.astimezone(self.zone()), self.by)
        private = self._private(writer.added)
        trusted = self._trusted(signature)
        self.log.check_latest(me, self._own_latest(me))  # a copied home folder: refused, not parsed again
        written = self.log.append(me, [e for e in writer.added if e.stamp not in private], signature, trusted)
        if private:  # after the shared write, which may refuse (the shared folder not there): then neither
            me = self.log.local_device() or me
            hidden = [e for e in writer.added if e.stamp in private]
            written.update(self.private.append(me, hidden, signature, trusted))
        for path, (events, created) in written.items():
            held = self._info.get(path)
            if created or (held is not None and held[2] >= 0):
                count = (0 if created or held is None else held[2]) + len(events)
                self._info[path] = (*signature[path], count, tuple(events[-1].stamp))
            else:
                self._info.pop(path, None)  # not known whole: read it next time
        for path in list(self._info):
            if path not in signature:  # a conflict copy folded away
                del self._info[path]
        same = set(after.habits) - set(changed_habits(before, after))
        self._save_cache(after, writer.added[-1].stamp if writer.added else seen, same)

    def _ids(self, me: LocalDevice, before: State, after: State, seen: Stamp | None) -> Ids:
        """The ids of the events behind what the change takes away, as this device saw them.

        The events of a day are in the files of its month (each device files an event by
        the month of its day), so only those months are read, unless pauses change.
        """
        months = touched_months(before, after)
        habits = changed_habits(before, after)
        if months is None:
            read = self._read_log()

            def same(state: State) -> bool:
                return same_history(state, before)
        else:
            read = self._read_both(months=months)

            def same(state: State) -> bool:
                return window(state, habits, months) == window(before, habits, months)

        self.log.check_own(me, read.events)
        fresh, ids = derive_with_ids(read.events)
        if not same(fresh):  # a partner's events arrived meanwhile: they are not taken
            fresh, ids = derive_with_ids([e for e in read.events if seen is not None and e.stamp <= seen])
        if not same(fresh):  # the cache was not what the log says: never guess
            raise StateError(f"{self.cache_path}: out of step with the event log; nothing was changed, try again")
        return ids

    def _migrate(self, own: State, moment: datetime) -> None:
        """Move the history of a state file written before the event log into it, once (under the lock).

        Its events carry ``moved``: a move cut short is finished, never written twice.
        """
        n, backup = 1, os.path.join(self.dir, MIGRATED_BACKUP)
        while os.path.exists(backup) and not os.path.samefile(backup, self.local.path):
            n += 1  # an earlier move's backup: keep it, and this file beside it
            backup = os.path.join(self.dir, MIGRATED_BACKUP.replace(".toml", f".{n}.toml"))
        if not os.path.exists(backup):
            try:
                os.link(self.local.path, backup)
                _fsync_dir(self.dir)
            except OSError as e:
                raise StoreWriteError(f"could not keep {backup} before moving to the event log: {e.strerror}") from None
        me = self.log.own_device()
        mark = os.path.basename(backup)
        read = self._read_log()
        self.log.check_own(me, read.events)
        moved, ids = derive_with_ids([e for e in read.events if e.stamp.device == me.id and e.moved == mark])
        wanted = history_of(own)
        if not same_history(moved, wanted):
            writer = LogWriter(me, latest(read.events), int(moment.timestamp() * 1000))
            add = lambda e: writer.add(e._replace(moved=mark))  # noqa: E731
            write_change(moved, wanted, ids, add, self.today(moment), moment.astimezone(self.zone()), self.by)
            self.log.append(me, writer.added)
        mine = State()
        mine.reminders, mine.sent_day, mine.sent_count = own.reminders, own.sent_day, own.sent_count
        atomic_write(self.local.path, dump_state(to_doc(mine)).encode("utf-8"))


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
