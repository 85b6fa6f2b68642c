"""The one module that reads and writes files: every other module of habitd asks it.

Every write goes to a temporary file in the same folder, is flushed and fsynced,
replaces the old file with ``os.replace`` and fsyncs the folder, so a crash leaves
either the old or the new file, never half of one. Folders it makes are 0700
whatever the umask, parents included. Reads are size-limited and refuse what is
not a plain file where habitd replaces the file on every save.

Here too: the exclusive ``flock`` held across a read-modify-write, a file's
``Signature`` (what tells that it changed), the config file's text, a vdir of
tasks, and the few files of the system habitd reads (the time zone, the machine
id). The files a person names on the command line (imports, SQLite backups) are
read by ``files.imported``, the one other module of this package.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator

from habitd.errors import (
    ConfigError,
    ConfigUnreadable,
    HabitdError,
    LockTimeout,
    NotPrivateError,
    StoreWriteError,
)
from habitd.records import Record

CONFIG_MAX_BYTES = 1 << 20
STATE_MAX_BYTES = 16 << 20


# --- folders and atomic writes ---------------------------------------------------------


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


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int = 0o600, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new file.

    ``durable=False`` is for a file that can be rebuilt (the history cache): it is not flushed to
    the disk, so a crash may leave it empty or as it was, which its reader takes as no cache.
    """
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
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
        if durable:
            fsync_dir(folder)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreWriteError(f"could not write {path}: {e.strerror or e}; the previous version is untouched") from None


def write_output(path: str, data: bytes) -> None:
    """What a command writes where its user asked (``-o FILE``).

    A plain file, or none, is replaced whole (``atomic_write``, private); through a link, the file
    it leads to is (so ``-o /dev/stdout`` into a file never replaces the link). A device (a
    terminal, ``/dev/null``) and a named pipe of the user's own are written to as they are. A pipe
    of another user's is refused: the data, notes and all, would go to whoever reads it.
    """
    try:
        there = os.stat(path)
    except FileNotFoundError:
        there = None
    except OSError as e:
        raise StoreWriteError(f"could not write {path}: {e.strerror or e}") from None
    if there is None or stat.S_ISREG(there.st_mode):
        atomic_write(os.path.realpath(path), data)
        return
    if not (stat.S_ISCHR(there.st_mode) or (stat.S_ISFIFO(there.st_mode) and there.st_uid == os.getuid())):
        raise StoreWriteError(f"could not write {path}: it is not a file, a device or a pipe of yours")
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise StoreWriteError(f"could not write {path}: {e.strerror or e}") from None


def write_text(path: str | os.PathLike[str], text: str, mode: int = 0o600) -> None:
    """``atomic_write`` of a text, as UTF-8."""
    atomic_write(path, text.encode("utf-8"), mode)


def list_dir(path: str) -> list[str]:
    """The names in a folder, sorted. Raises OSError (FileNotFoundError, NotADirectoryError...)."""
    return sorted(os.listdir(path))


def remove(path: str) -> None:
    """Remove a file; one already gone is no error. Raises OSError."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def empty_demo_folder(path: str, mark: str) -> bool:
    """Make ``path`` an empty private folder, if it is missing, empty or holds the file ``mark``
    (a demo's folder, emptied at each start); False, and nothing touched, for any other folder."""
    import shutil

    if os.path.lexists(path) and not os.path.isdir(path):
        return False
    if os.path.isdir(path) and os.listdir(path):
        if os.path.islink(path) or not os.path.isfile(os.path.join(path, mark)):
            return False
        try:
            shutil.rmtree(path)
        except OSError as e:
            raise StoreWriteError(f"could not empty the demo folder {path}: {e.strerror or e}") from None
    ensure_dir(path)
    return True


def keep_dated_link(path: str, folder: str, name: str, keep: int) -> None:
    """Hard-link ``path`` as ``folder/name`` (atomically), then keep only the newest ``keep`` files
    named like it (the same prefix before the first ``-``, the same extension). Raises OSError."""
    ensure_dir(folder)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.link(path, tmp)
    os.replace(tmp, os.path.join(folder, name))
    prefix, ext = name.split("-", 1)[0] + "-", os.path.splitext(name)[1]
    kept = sorted(n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(ext))
    for old in kept[:-keep]:
        os.unlink(os.path.join(folder, old))


def keep_link(path: str, link: str) -> None:
    """Keep ``path``'s current content as ``link`` too (a hard link, the folder fsynced). Raises OSError."""
    os.link(path, link)
    fsync_dir(os.path.dirname(os.path.abspath(link)))


def link_to(path: str, target: str) -> None:
    """Make ``path`` a symbolic link to ``target``, replacing what is there in one rename."""
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


# --- reading ---------------------------------------------------------------------------


def read_bytes(path: str, limit: int, follow_symlink: bool) -> bytes | None:
    """The file's bytes, or None when it does not exist. Raises OSError/ValueError."""
    try:
        st = os.stat(path) if follow_symlink else os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise ValueError("is a symbolic link; habitd reads and replaces only plain files, never through a link")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError("is not a regular file")
    if st.st_size > limit:
        raise ValueError(f"is {st.st_size} bytes, more than the {limit} a habitd file can be")
    with open(path, "rb") as f:
        data = f.read(st.st_size + 1)  # a buffer of its size: one of the limit costs a mapping of 16 MiB
        if len(data) > st.st_size:  # it grew since: the rest, within the limit
            data += f.read(limit + 1 - len(data))
    if len(data) > limit:
        raise ValueError(f"is more than the {limit} bytes a habitd file can be")
    return data


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ValueError(f"line {line}: not UTF-8 text (byte {e.start})") from None


def read_text(path: str, limit: int = STATE_MAX_BYTES) -> str:
    """A plain file's text (never through a link); ValueError/OSError say why it cannot be read,
    FileNotFoundError when it is not there."""
    data = read_bytes(path, limit, follow_symlink=False)
    if data is None:
        raise FileNotFoundError(errno.ENOENT, "vanished while being read")
    return decode(data)


class Signature(Record):
    """What tells a changed file: its inode (a rename over it), size and modification time.

    The size too, because a file read between an editor's truncation and its write can keep
    its modification time (coarse timestamps) but not its size.
    """

    ino: int
    size: int
    mtime_ns: int


def signature(path: str) -> Signature | None:
    """The file's signature, or None when it cannot be seen."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return Signature(st.st_ino, st.st_size, st.st_mtime_ns)


# --- a vdir: a folder of .ics items that vdirsyncer keeps in step with a server --------

VDIR_MAX_ITEMS = 5000  # far above one person's open tasks


def read_vdir(folder: str, limit: int) -> tuple[dict[str, bytes], set[str], list[str]]:
    """A vdir's items (``*.ics`` plain files, never through a link, each at most ``limit`` bytes) by file
    name, the names of every item there (those left out too: present, not gone) and the problems of those
    left out. OSError when it cannot be listed (FileNotFoundError: not yet)."""
    names = [n for n in list_dir(folder) if n.endswith(".ics") and not n.startswith(".")]
    problems = [f"{folder}: {len(names)} items, only {VDIR_MAX_ITEMS} read"] if len(names) > VDIR_MAX_ITEMS else []
    items: dict[str, bytes] = {}
    for name in names[:VDIR_MAX_ITEMS]:
        try:
            data = read_bytes(os.path.join(folder, name), limit, follow_symlink=False)
        except (OSError, ValueError) as e:
            problems.append(f"{os.path.join(folder, name)}: {getattr(e, 'strerror', None) or e}; left out")
            continue
        if data is not None:  # None: vdirsyncer removed it meanwhile
            items[name] = data
    return items, set(names), problems


def write_if_changed(path: str, data: bytes, was: bytes | None) -> bool | None:
    """Write ``data`` atomically unless the file holds those bytes (for vdirsyncer a rewrite is an upload):
    True when written, False when the same. None, leaving it alone, when it no longer holds ``was``, the
    bytes the caller read (None: not there): another program wrote it meanwhile, the caller reads it again."""
    try:
        now = read_bytes(path, max(len(data), len(was or b"")), follow_symlink=False)
    except (OSError, ValueError):  # larger than either, a link, unreadable: not ours to replace
        return None
    if now == data or now != was:
        return None if now != data else False
    atomic_write(path, data)
    return True


# --- the lock ----------------------------------------------------------------------------


@contextlib.contextmanager
def hold_lock(path: str, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (made 0600 in a private folder), waiting up to ``timeout``."""
    try:
        ensure_dir(os.path.dirname(os.path.abspath(path)))
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise StoreWriteError(f"cannot open the lock {path}: {e.strerror}") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"another habitd process has held {path} for {timeout:g}s; nothing was changed, try again"
                    ) from None
                import select  # only while waiting: most commands never wait

                select.select([], [], [], 0.02)  # not time.sleep: it fails under libfaketime
        yield
    finally:
        os.close(fd)  # closing releases the flock


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is what it wrote into the file (its PID)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def claim_lock(path: str) -> int:
    """Take an exclusive ``flock`` on ``path`` without waiting and write this process's PID into it;
    the returned descriptor holds it until closed (the kernel releases it when the process ends,
    however it ends). LockHeld when another process holds it; HabitdError when it cannot be had."""
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise HabitdError(f"cannot open {path}: {e.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES):
            raise LockHeld(holder) from None
        raise HabitdError(f"cannot lock {path}: {e.strerror}") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


# --- the config file ---------------------------------------------------------------------


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
        data = read_bytes(path, CONFIG_MAX_BYTES, follow_symlink=True)
        if data is None:
            target = dangling_link(path)
            if target is not None:
                raise ConfigLinkDangling(str(path), os.path.normpath(target))
            raise ConfigError(str(path), ["no config here; `habitd init` writes one to start from"])
        return decode(data)
    except OSError as e:
        raise ConfigUnreadable(str(path), [f"cannot read: {e.strerror}"]) from None
    except ValueError as e:
        raise ConfigError(str(path), [str(e)]) from None


def replace_config_text(path: str, text: str) -> None:
    """Rewrite the config file, keeping its permissions; only a plain file, never through a link."""
    try:
        st = os.lstat(path)
    except OSError as e:
        raise StoreWriteError(f"cannot rewrite {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise StoreWriteError(f"{path} is not a plain file (a link, perhaps), so habitd leaves it to you")
    atomic_write(path, text.encode("utf-8"), mode=stat.S_IMODE(st.st_mode))


def keep_copy(path: str, suffix: str) -> str | None:
    """Keep a plain file's content beside it as ``path`` + ``suffix`` (a free name); None for a link."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        data = read_bytes(path, CONFIG_MAX_BYTES * 16, follow_symlink=False)
    except (OSError, ValueError) as e:
        raise StoreWriteError(f"could not keep a copy of {path}: {getattr(e, 'strerror', None) or e}") from None
    copy, n = path + suffix, 1
    while os.path.lexists(copy):
        n += 1
        copy = f"{path}{suffix}.{n}"
    atomic_write(copy, data or b"", mode=stat.S_IMODE(st.st_mode))
    return copy


def example_config() -> str:
    """The example config shipped with habitd (inside the package once installed)."""
    return shipped_text("config.example.toml", "config.example.toml")


def shipped_text(name: str, in_checkout: str) -> str:
    """A file shipped with habitd: inside the package once installed, else ``in_checkout`` (a path
    in the source checkout)."""
    from importlib.resources import files

    packaged = files("habitd") / name
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    here = os.path.abspath(__file__)  # daemon/habitd/history/files/__init__.py in a checkout
    checkout = here.rsplit(os.sep, 5)[0]
    with open(os.path.join(checkout, in_checkout), encoding="utf-8") as f:
        return f.read()


# --- the system's files --------------------------------------------------------------------


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


def machine_id() -> str:
    """This machine's id (systemd's /etc/machine-id), or "" where there is none."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        with contextlib.suppress(OSError, ValueError):
            data = read_bytes(path, 1024, follow_symlink=True)
            if data and data.strip():
                return data.decode("ascii").strip()
    return ""
