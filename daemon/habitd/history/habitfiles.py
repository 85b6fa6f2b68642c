"""The shared habits on disk: ``habits/ID.toml`` in the shared folder, one file per habit.

One file per habit, so that two partners' edits of different habits never
meet: a sync engine carries each file on its own. Two edits of the same habit
at once leave a conflict copy beside it (Syncthing's
``ID.sync-conflict-20261203-114500-ABCDEFG.toml``, Nextcloud's and Dropbox's
``ID (... conflicted copy ...).toml``); a copy that says the same as the file
is merged away, any other is reported until ``habitd resolve ID`` keeps one.

Everything here is foreign input: a name that is not a habit's is left out
with a word, each file is read with the config's limits, never through a
link, and at most ``MAX_FILES`` of them.
"""

from __future__ import annotations

import os
import re

from habitd.errors import HabitdError
from habitd.habits.config import is_id
from habitd.habits.shared import SharedFile, SharedHabits
from habitd.history import files
from habitd.history.logformat import is_sync_temp
from habitd.limits import toml_loads

HABITS = "habits"  # the folder of the habit files, in the shared folder
SETTINGS = "settings.toml"  # the shared settings (week_starts), in the shared folder
MAX_FILES = 2000  # habit files read; more are left out with a word
MAX_COPIES = 100  # conflict copies looked at; more are left out with a word
HABIT_MAX_BYTES = 64 << 10  # a habit file: a habit with a hundred long prompts is a few KiB
MAX_FILE_NAME = 160  # characters of a habit file's name: an id with a sync engine's conflict suffix fits
_COPY = (
    re.compile(r"^(?P<id>[^ ]+)\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}\.toml$"),  # Syncthing
    re.compile(r"^(?P<id>[^ ]+) \([^()]*conflict[^()]*\)\.toml$", re.IGNORECASE),  # Nextcloud, Dropbox
    re.compile(r"^(?P<id>[^ ]+)_conflict-\d{8}-\d{6}\.toml$"),  # ownCloud
    re.compile(r"^(?P<id>[^ .]+)\.from-[a-z0-9-]+\.toml$"),  # habitd's own, when moving a config over
)


def habits_dir(shared_dir: str) -> str:
    return os.path.join(shared_dir, HABITS)


def habit_path(shared_dir: str, habit_id: str) -> str:
    return os.path.join(shared_dir, HABITS, f"{habit_id}.toml")


def conflict_of(name: str) -> str | None:
    """The habit id whose file ``name`` is a conflict copy of (None: not one)."""
    for pattern in _COPY:
        found = pattern.match(name)
        if found and is_id(found["id"]):
            return found["id"]
    return None


def _read(path: str) -> str:
    """A shared file's text; ValueError/OSError say why it cannot be read."""
    data = files.read_bytes(path, HABIT_MAX_BYTES, follow_symlink=False)
    if data is None:
        raise FileNotFoundError(path)
    return files.decode(data)


def same_toml(a: str, b: str) -> bool:
    """Whether two TOML texts say the same (comments and layout aside)."""
    try:
        return toml_loads(a) == toml_loads(b)
    except ValueError:
        return False


def read_shared(shared_dir: str, merge: bool = True) -> SharedHabits | None:
    """The shared habits as they are on disk; None when the shared folder has no ``habits/`` yet.
    ``merge``: a conflict copy that says the same as its habit's file is removed (False: a reader
    that must not write, like shell completion)."""
    folder = habits_dir(shared_dir)
    if os.path.islink(folder):
        why = "is a symbolic link: no shared habit is read (or written) through a link; make it a folder"
        return SharedHabits(folder, notices=(f"{HABITS}/ {why}",))
    try:
        names = files.list_dir(folder)
    except FileNotFoundError:
        return None
    except OSError as e:
        return SharedHabits(folder, notices=(f"{folder}: cannot be read ({e.strerror}); no habits are shared",))
    notices: list[str] = []
    habits: list[tuple[str, SharedFile]] = []
    copies: list[tuple[str, str]] = []
    for name in names:
        if is_sync_temp(name) or not name.endswith(".toml"):
            continue  # a file in the making, an editor's backup: not a habit
        source = f"{HABITS}/{name}"
        if len(name) > MAX_FILE_NAME or not name.isprintable():
            notices.append(f"{HABITS}/: a file whose name is not a habit's ({name[:40]!r}...); left out")
            continue
        habit_id = name.removesuffix(".toml")
        if not is_id(habit_id):
            copy = conflict_of(name)
            if copy is not None and len(copies) >= MAX_COPIES:
                notices.append(f"{source}: more than {MAX_COPIES} conflict copies; this one and the rest are left out")
            elif copy is not None:
                copies.append((copy, name))
            else:
                notices.append(f"{source}: not a habit's file name (ID.toml, the id in a-z, 0-9 and -); left out")
            continue
        if len(habits) >= MAX_FILES:  # (names are sorted: which ones is the same on every machine)
            notices.append(f"{source}: more than {MAX_FILES} habit files; this one and the rest are left out")
            break
        try:
            habits.append((habit_id, SharedFile(source, _read(os.path.join(folder, name)))))
        except (OSError, ValueError) as e:
            notices.append(f"{source}: {getattr(e, 'strerror', None) or e}; the habit {habit_id} is left out")
    conflicts = _conflicts(folder, dict(habits), copies, notices, merge)
    settings = _settings(shared_dir, notices)
    return SharedHabits(folder, settings, tuple(habits), tuple(notices), tuple(conflicts))


def _conflicts(
    folder: str, habits: dict[str, SharedFile], copies: list[tuple[str, str]], notices: list[str], merge: bool
) -> list[tuple[str, str]]:
    """The conflict copies that differ from their habit's file; those that do not are merged away."""
    left = []
    for habit_id, name in copies:
        path = os.path.join(folder, name)
        file = habits.get(habit_id)
        try:
            text = _read(path)
        except (OSError, ValueError) as e:
            notices.append(f"{HABITS}/{name}: {getattr(e, 'strerror', None) or e}; left out")
            continue
        if file is not None and same_toml(file.text, text):  # both edits say the same: nothing to choose
            try:
                if merge:
                    files.remove(path)
                continue
            except OSError:
                pass
        left.append((habit_id, name))
        notices.append(
            f"{HABITS}/{habit_id}.toml has a conflict copy, {name}, left by two edits at once; only"
            f" {habit_id}.toml is read. `habitd resolve {habit_id}` shows both and keeps the one you choose"
        )
    return left


def _settings(shared_dir: str, notices: list[str]) -> SharedFile | None:
    try:
        return SharedFile(SETTINGS, _read(os.path.join(shared_dir, SETTINGS)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        notices.append(f"{SETTINGS}: {getattr(e, 'strerror', None) or e}; its settings are not used")
        return None


def fingerprint(shared_dir: str) -> tuple[object, ...]:
    """What changes when a shared habit file or the shared settings change (compared each minute)."""
    folder = habits_dir(shared_dir)
    try:
        names = files.list_dir(folder)
    except OSError:
        names = []
    return (
        files.signature(os.path.join(shared_dir, SETTINGS)),
        tuple((n, files.signature(os.path.join(folder, n))) for n in names[: MAX_FILES * 2]),
    )


# --- writing ----------------------------------------------------------------------------


class SharedFileError(HabitdError):
    """A shared habit file that cannot be read, or a habits/ folder that habitd does not write into."""


def _writable(shared_dir: str) -> str:
    folder = habits_dir(shared_dir)
    if os.path.islink(folder):
        raise SharedFileError(f"{folder} is a symbolic link: habitd writes no shared habit through a link")
    files.ensure_dir(folder)
    return folder


def write_habit(shared_dir: str, habit_id: str, text: str) -> str:
    """Write a habit's file (atomically); its path."""
    path = os.path.join(_writable(shared_dir), f"{habit_id}.toml")
    files.write_text(path, text, mode=0o644)
    return path


def write_copy(shared_dir: str, name: str, text: str) -> None:
    """Write a conflict copy of habitd's own (``ID.from-NAME.toml``)."""
    files.write_text(os.path.join(_writable(shared_dir), name), text, mode=0o644)


def write_settings(shared_dir: str, text: str) -> None:
    files.write_text(os.path.join(shared_dir, SETTINGS), text, mode=0o644)


def read_habit(shared_dir: str, habit_id: str) -> str | None:
    """A habit file's text (None: there is none); SharedFileError when it cannot be read."""
    try:
        return read_copy(shared_dir, f"{habit_id}.toml")
    except FileNotFoundError:
        return None


def read_copy(shared_dir: str, name: str) -> str:
    """A file of ``habits/`` (a habit's, a conflict copy); SharedFileError when it cannot be read."""
    if os.path.islink(habits_dir(shared_dir)):
        raise SharedFileError(f"{habits_dir(shared_dir)} is a symbolic link: habitd reads no shared habit through it")
    try:
        return _read(os.path.join(habits_dir(shared_dir), name))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as e:
        raise SharedFileError(f"{HABITS}/{name} cannot be read: {getattr(e, 'strerror', None) or e}") from None


def remove_habit_file(shared_dir: str, name: str) -> None:
    files.remove(os.path.join(_writable(shared_dir), name))
