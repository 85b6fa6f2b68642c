"""What a change costs the running daemon: only the files inotify names are read.

The daemon (its ``Runner``, in this process, on real files and a real inotify
watch) holds a shared history of several months. When a partner's device writes
one month file, the status-bar file and the next reminders follow it, and the
only log file read is that one: no other month file is looked at, the history
cache is not decoded again. Reads are counted through ``history/files/``, the
one module that touches files.
"""

from __future__ import annotations

import json
import os
import select
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from habitd.habits.config import parse_config
from habitd.history import files, record
from habitd.history.cache_texts import Texts
from habitd.history.caches import CACHE_FILE, EVENTS_CACHE_FILE
from habitd.history.logformat import parse_log
from habitd.history.store import Store
from habitd.service.notify import PlyerNotifier
from habitd.service.runner import Runner

CONFIG = """
[settings]
timezone = "UTC"
shared_dir = "{shared}"
name = "Sam"

[habits.thanks]
title = "Thanks"
at = "19:00"

[habits.walk]
title = "Walk"
at = "19:00"
"""
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # nothing is due: the reminders are at 19:00
TODAY = NOW.date()


class Reads:
    """Every file read or looked at (stat) through files.py, by path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.read: list[str] = []
        self.looked: list[str] = []
        read_bytes, signature = files.read_bytes, files.signature

        def counted_read(path: str, limit: int, follow_symlink: bool) -> bytes | None:
            self.read.append(os.fspath(path))
            return read_bytes(path, limit, follow_symlink)

        def counted_signature(path: str) -> files.Signature | None:
            self.looked.append(os.fspath(path))
            return signature(path)

        monkeypatch.setattr(files, "read_bytes", counted_read)
        monkeypatch.setattr(files, "signature", counted_signature)

    def clear(self) -> None:
        self.read.clear()
        self.looked.clear()


def store(local: Path, shared: Path, by: str) -> Store:
    config = parse_config(CONFIG.format(shared=shared), "c.toml", "UTC")
    return Store(local, str(shared), clock=lambda: NOW, today=config.today, by=by)


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Runner, Store, Path]]:
    """The daemon's runner on four months of history done by Sam and Alex, and Alex's store."""
    shared = tmp_path / "shared"
    shared.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(shared=shared))
    sam, alex = store(tmp_path / "sam", shared, "Sam"), store(tmp_path / "alex", shared, "Alex")
    for who, first in ((sam, 0), (alex, 1)):
        with who.update() as state:
            for n in range(first, 120, 2):
                state.log("walk").add(TODAY - timedelta(days=n + 1), who.by)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    (tmp_path / "run").mkdir(mode=0o700)
    runner = Runner(str(config), store(tmp_path / "sam", shared, "Sam"), PlyerNotifier(), clock=lambda: NOW)
    runner.watch.start()
    runner.timer.start(paused=True)
    try:
        runner.check()
        runner.feeds.update(runner.config, NOW, config_changed=True, next_times=runner.timer.when)
        yield runner, alex, tmp_path
    finally:
        runner.close()


def handle_changes(runner: Runner) -> None:
    """What the loop does when the watch wakes it."""
    assert select.select([runner.watch], [], [], 5)[0], "inotify said nothing"
    runner._dispatch(b"", True)


def status_bar(tmp_path: Path) -> dict[str, object]:
    doc = json.loads((tmp_path / "run" / "habitd" / "today.json").read_text())
    assert isinstance(doc, dict)
    return doc


def month_files(tmp_path: Path) -> set[str]:
    return {str(p) for p in (tmp_path / "shared" / "devices").glob("*/*.toml")}


def test_a_partners_write_reaches_the_status_bar_and_the_reminders_reading_only_its_file(
    daemon: tuple[Runner, Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, alex, tmp_path = daemon
    assert len(month_files(tmp_path)) >= 8  # both devices, four months or more each
    bar = status_bar(tmp_path)
    assert not bar["done"] and {r["id"] for r in [*bar["due"], *bar["open"]]} == {"thanks", "walk"}  # type: ignore[misc]
    before = runner.timer.when["thanks"]
    with alex.update() as state:  # Alex's device: a completion of today, in this month's file
        state.log("thanks").add(TODAY, "Alex")
    alex_month = [p for p in month_files(tmp_path) if p.endswith(f"{TODAY:%Y-%m}.toml")]
    reads = Reads(monkeypatch)
    handle_changes(runner)
    done = status_bar(tmp_path)["done"]
    assert [(r["id"], r["by"]) for r in done] == [("thanks", ["Alex"])]  # type: ignore[index]
    assert runner.timer.when["thanks"] > before  # met today: its next reminder is tomorrow's
    logs = {p for p in reads.read if p in month_files(tmp_path)}
    assert len(logs) == 1 and logs < set(alex_month), reads.read  # the partner's file, nothing else
    assert str(tmp_path / "sam" / CACHE_FILE) not in reads.read  # the history held is not decoded again
    looked = {p for p in reads.looked if p in month_files(tmp_path)}
    assert looked == logs  # the other month files are not even looked at
    runner.store.flush()  # as at the periodic check: the history cache written back, for the next command
    reads.clear()
    fresh = store(tmp_path / "sam", tmp_path / "shared", "Sam").read()  # a command: from the cache alone
    assert not {p for p in reads.read if p in month_files(tmp_path)}, reads.read
    assert fresh.habits["thanks"].people["Alex"].count(TODAY) == 1


def test_a_partners_undo_and_this_machines_own_command_are_followed_too(
    daemon: tuple[Runner, Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, alex, tmp_path = daemon
    with alex.update() as state:
        state.log("thanks").add(TODAY, "Alex")
    handle_changes(runner)
    with alex.update() as state:  # taken back: the month is derived again
        state.log("thanks").remove(TODAY)
    reads = Reads(monkeypatch)
    handle_changes(runner)
    assert status_bar(tmp_path)["done"] == []
    assert str(tmp_path / "sam" / CACHE_FILE) not in reads.read
    this_month = {p for p in month_files(tmp_path) if p.endswith(f"{TODAY:%Y-%m}.toml")}
    assert {p for p in reads.read if p in month_files(tmp_path)} <= this_month
    # a command on this machine (another process: its own store) records a completion
    command = store(tmp_path / "sam", tmp_path / "shared", "Sam")
    with command.update() as state:
        state.log("walk").add(TODAY, "Sam")
    handle_changes(runner)
    assert [r["id"] for r in status_bar(tmp_path)["done"]] == ["walk"]  # type: ignore[index]
    fresh = store(tmp_path / "sam", tmp_path / "shared", "Sam").read()  # what a new process reads
    held = runner.store.read()
    assert {h: (log.done, log.counts, log.people.keys()) for h, log in held.habits.items()} == {
        h: (log.done, log.counts, log.people.keys()) for h, log in fresh.habits.items()
    }


def test_a_new_devices_folder_is_listed_and_read(
    daemon: tuple[Runner, Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, _alex, tmp_path = daemon
    third = store(tmp_path / "kim", tmp_path / "shared", "Kim")
    with third.update() as state:  # a third device: its folder is new to the watch
        state.log("thanks").add(TODAY, "Kim")
    handle_changes(runner)
    for _ in range(3):  # the folder made, then its file: seen once the folder is watched
        if status_bar(tmp_path)["done"]:
            break
        with third.update() as state:
            state.log("walk").add(TODAY, "Kim")
        handle_changes(runner)
    assert "thanks" in [r["id"] for r in status_bar(tmp_path)["done"]]  # type: ignore[index]


LOG = 'format = 1\nhabitd = "0"\ndevice = "{device}"\n'
EVENT = '\n[[event]]\nid = "{ms}-0-{device}"\nkind = "done"\nhabit = "walk"\nday = {day}\nat = 2026-11-20T10:00:00Z\n'


def text_of(device: str, days: list[date], start: int = 1) -> str:
    return LOG.format(device=device) + "".join(
        EVENT.format(ms=start + i, device=device, day=d.isoformat()) for i, d in enumerate(days)
    )


def test_a_file_that_only_grew_is_parsed_as_a_whole_parse_would(tmp_path: Path) -> None:
    path = str(tmp_path / "abcd1234" / "2026-11.toml")
    sig = files.Signature(1, 1, 1)
    texts = Texts()
    days = [date(2026, 11, d) for d in range(1, 20)]
    old = text_of("abcd1234", days)
    assert texts.parse(path, sig, old) == parse_log(old, path, "abcd1234")
    new = old.rstrip("\n") + "\n\n" + EVENT.format(ms=99, device="abcd1234", day="2026-11-25").lstrip("\n")
    assert texts.parse(path, sig, new) == parse_log(new, path, "abcd1234")
    # anything but appended events is parsed whole: an edit, another table, an event that does not read
    edited = new.replace("2026-11-03", "2026-11-04")
    assert texts.parse(path, sig, edited) == parse_log(edited, path, "abcd1234")
    other = edited + "\n[meta]\nx = 1\n"
    assert texts.parse(path, sig, other) == parse_log(other, path, "abcd1234")
    bad = edited + '\n[[event]]\nid = "nonsense"\nkind = "done"\n'
    assert texts.parse(path, sig, bad) == parse_log(bad, path, "abcd1234")
    assert parse_log(bad, path, "abcd1234")[1]  # that event is named, by its number in the file


def test_a_month_file_moved_away_leaves_the_history(daemon: tuple[Runner, Store, Path]) -> None:
    """What the error for a damaged file of one's own suggests: move it away. The daemon sees it go."""
    runner, alex, tmp_path = daemon
    with alex.update() as state:
        state.log("thanks").add(TODAY, "Alex")
    handle_changes(runner)
    assert [r["id"] for r in status_bar(tmp_path)["done"]] == ["thanks"]  # type: ignore[index]
    (alex_month,) = [
        p for p in month_files(tmp_path) if p.endswith(f"{TODAY:%Y-%m}.toml") and "Alex" in Path(p).read_text()
    ]
    os.replace(alex_month, tmp_path / "kept-aside.toml")
    handle_changes(runner)
    assert status_bar(tmp_path)["done"] == []


def test_a_command_that_changes_what_cannot_be_added_is_read_from_the_cache_it_wrote(
    daemon: tuple[Runner, Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resume cannot be added to the history held: the command's own cache is read, nothing derived again."""
    runner, _alex, tmp_path = daemon
    command = store(tmp_path / "sam", tmp_path / "shared", "Sam")
    record.pause(command, "walk", TODAY, TODAY + timedelta(days=6))
    handle_changes(runner)
    assert [r["id"] for r in status_bar(tmp_path)["paused"]] == ["walk"]  # type: ignore[index]
    record.resume(store(tmp_path / "sam", tmp_path / "shared", "Sam"), "walk", TODAY)
    reads = Reads(monkeypatch)
    handle_changes(runner)
    assert status_bar(tmp_path)["paused"] == []
    assert str(tmp_path / "sam" / CACHE_FILE) in reads.read  # the command's cache, of the same files
    assert str(tmp_path / "sam" / EVENTS_CACHE_FILE) not in reads.read  # nothing derived again
    changed = {
        p for p in month_files(tmp_path) if p.endswith(f"{TODAY:%Y-%m}.toml") and "resume" in Path(p).read_text()
    }
    assert {p for p in reads.read if p in month_files(tmp_path)} <= changed, reads.read
