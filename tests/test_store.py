"""The store and its state file: atomic saves, backups, the lock, and files it must not touch."""

from __future__ import annotations

import fcntl
import os
import resource
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from habitd.errors import LockTimeout, StateError
from habitd.habits.state import Note, State
from habitd.habits.state_toml import from_doc, to_doc
from habitd.history.files import atomic_write
from habitd.history.statefile import KEEP_BACKUPS, StateFile
from habitd.history.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_and_empty_state_are_a_fresh_start(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "s")
    assert store.read() == State()
    (tmp_path / "s").mkdir()
    Path(store.path).write_text("  \n")
    assert store.read() == State()


def test_update_saves_privately_and_round_trips(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "deep" / "s")
    with store.update() as state:
        state.log("thanks").add(date(2026, 11, 25))
        state.log("thanks").notes.append(Note(date(2026, 11, 25), datetime(2026, 11, 25, 20, tzinfo=UTC), "x"))
    assert mode(Path(store.path)) == 0o600
    assert mode(Path(store.dir)) == 0o700
    again = store.read()
    assert again.habits["thanks"].count(date(2026, 11, 25)) == 1
    assert again.habits["thanks"].notes[0].text == "x"


def test_nothing_is_written_when_nothing_changed(tmp_path: Path) -> None:
    store = StateFile(tmp_path)
    with store.update() as state:
        state.log("a").add(date(2026, 1, 1))
    before = Path(store.path).stat().st_mtime_ns, Path(store.path).stat().st_ino
    with store.update() as state:
        pass
    assert (Path(store.path).stat().st_mtime_ns, Path(store.path).stat().st_ino) == before


def test_backups_keep_the_last_version_of_each_day(tmp_path: Path) -> None:
    store = StateFile(tmp_path)
    for day in range(1, 12):
        with store.update() as state:
            state.log("a").add(date(2026, 1, day))
        stamp = datetime(2026, 1, day, 12, tzinfo=UTC).timestamp()
        os.utime(Path(store.path), (stamp, stamp))
    backups = sorted((tmp_path / "backups").glob("state-*.toml"))
    assert len(backups) == KEEP_BACKUPS
    newest = backups[-1]
    assert newest.name == "state-2026-01-10.toml"
    # The backup of day 10 holds what was saved that day: ten completions.
    assert len(from_doc(__import__("tomllib").loads(newest.read_text()), "b").habits["a"].days()) == 10
    assert all(mode(b) == 0o600 for b in backups)
    assert mode(tmp_path / "backups") == 0o700


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"version = 1\n[habits.a\n", "not valid TOML"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"version = 2\n", "schema version 2"),
        (b'version = "1"\n', "wrong type"),
        (b'version = 1\n[habits.a]\nsince = 2026\ndone = "AAAA"\n', "habits.a.done: is not a mask of days"),
        (b'version = 1\n[habits.a]\ndone = "AAAA"\n', "habits.a.since: missing"),
        (b"version = 1\nsurprise = true\n", "unknown key"),
        (b"habits = {}\n", "version: missing"),
    ],
)
def test_unreadable_state_is_refused_and_left_alone(tmp_path: Path, content: bytes, expect: str) -> None:
    store = Store(tmp_path)
    Path(store.path).write_bytes(content)
    with pytest.raises(StateError, match=expect) as err, store.update() as state:
        state.log("a").add(date(2026, 1, 1))
    assert str(Path(store.path)) in str(err.value)
    assert Path(store.path).read_bytes() == content


def test_truncated_state_names_the_line(tmp_path: Path) -> None:
    store = StateFile(tmp_path)
    with store.update() as state:
        for d in range(1, 30):
            state.log(f"habit-{d}").add(date(2026, 1, d))
    data = Path(store.path).read_bytes()
    Path(store.path).write_bytes(data[: len(data) // 2])
    with pytest.raises(StateError, match=r"line \d+"):
        store.read()


def test_symlinked_state_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text("version = 1\n")
    (tmp_path / "s").mkdir()
    store = Store(tmp_path / "s")
    Path(store.path).symlink_to(elsewhere)
    with pytest.raises(StateError, match="symbolic link"):
        store.read()
    assert Path(store.path).is_symlink() and elsewhere.read_text() == "version = 1\n"


def test_huge_state_is_refused_without_reading_it(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with open(Path(store.path), "wb") as f:
        f.truncate(50 << 20)
    with pytest.raises(StateError, match="more than"):
        store.read()


def test_a_held_lock_times_out_with_a_clear_error(tmp_path: Path) -> None:
    store = Store(tmp_path, lock_timeout=0.3)
    fd = os.open(tmp_path / "state.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(LockTimeout, match="another habitd process"), store.update():
            pass
    finally:
        os.close(fd)


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f.toml"
    target.write_text("old")
    from habitd.errors import StoreWriteError

    # A disk that takes only 2 bytes more (a file size limit for this process: Python ignores
    # SIGXFSZ, so the write fails with EFBIG): the new bytes cannot all be written.
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2, hard))
    try:
        with pytest.raises(StoreWriteError, match="previous version is untouched"):
            atomic_write(target, b"new, longer than the disk allows")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_history_of_removed_habits_is_kept(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.update() as state:
        state.log("gone").add(date(2026, 1, 1))
    with store.update() as state:
        state.log("new").add(date(2026, 1, 2))
    assert set(store.read().habits) == {"gone", "new"}


def test_encoding_round_trips_every_day_and_counts() -> None:
    state = State()
    log = state.log("a")
    d = date(2024, 1, 1)
    while d.year == 2024:
        log.add(d)
        d = d.fromordinal(d.toordinal() + 1)
    log.add(date(2024, 12, 31))
    back = from_doc(to_doc(state), "x")
    assert back == state
    assert back.habits["a"].count(date(2024, 12, 31)) == 2
    assert back.habits["a"].count_between(date(2024, 1, 1), date(2024, 12, 31)) == 367
