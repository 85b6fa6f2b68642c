"""The store over the event log: the same history as the state file, a cache that can go, the move."""

from __future__ import annotations

import contextlib
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habitd.errors import UsageError
from habitd.habits.config import Config, parse_config
from habitd.habits.prompts import next_prompt
from habitd.habits.state import ALL, State
from habitd.habits.state_toml import to_doc
from habitd.history import record
from habitd.history.statefile import StateFile
from habitd.history.store import MIGRATED_BACKUP, Store

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """
[settings]
timezone = "Europe/Berlin"
[habits.walk]
every = "day"
[habits.talk]
every = "week"
times = 2
prompts = ["a", "b", "c"]
"""
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=BERLIN)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def config() -> Config:
    return parse_config(CONFIG, "c.toml", "UTC")


def shared(local: Path, root: Path | None, clock: Clock, by: str = "", make: bool = True) -> Store:
    c = config()
    if root is not None and make:
        root.mkdir(parents=True, exist_ok=True)
    zone = c.settings.tz
    return Store(local, str(root) if root else None, clock=clock, today=c.today, zone=lambda: zone, by=by)


def history(state: State) -> dict[str, object]:
    doc = to_doc(state)
    doc.pop("reminders", None)
    doc.pop("sent", None)
    return doc


Op = tuple[str, str, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(("done", "note", "undo", "skip", "pause", "resume", "prompt", "write", "unnote")),
        st.sampled_from(("walk", "talk")),
        st.integers(0, 6),
    ),
    max_size=14,
)


def apply(store: StateFile | Store, op: Op, clock: Clock) -> None:
    c = config()
    kind, hid, n = op
    habit = c.find(hid)
    day = date(2026, 11, 14 + n)
    moment = clock.now
    if kind in ("done", "note"):
        record.done(store, c, habit, day, moment, "a note" if kind == "note" else None)
    elif kind == "undo":
        record.undo(store, c, habit, day, moment)
    elif kind == "skip":
        record.skip(store, c, habit, day, moment, f"skip {n}")
    elif kind == "write":
        record.write_note(store, c, habit, day, moment, f"note {n}")
    elif kind == "unnote":
        record.delete_note(store, habit, day)
    elif kind == "pause":
        record.pause(store, ALL if n == 0 else hid, day, day + timedelta(days=n))
    elif kind == "resume":
        with contextlib.suppress(UsageError):  # "all habits are paused": the same for both
            record.resume(store, None if n % 2 else hid, day)
    elif kind == "prompt":
        with store.update() as state:
            next_prompt(state, habit, seed=n)


@settings(max_examples=25, deadline=None)
@given(ops)
def test_every_recording_gives_the_history_the_state_file_gives(script: list[Op]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock()
        plain, events = StateFile(Path(tmp) / "plain"), shared(Path(tmp) / "local", Path(tmp) / "Sync", clock)
        for op in script:
            apply(plain, op, clock)
            apply(events, op, clock)
            assert history(events.read()) == history(plain.read())
        # the cache is only that: without it, the same history
        Path(events.cache_path).unlink(missing_ok=True)
        assert history(events.read()) == history(plain.read())


def test_the_cache_is_rebuilt_when_missing_unreadable_or_stale(tmp_path: Path) -> None:
    clock = Clock()
    sam = shared(tmp_path / "sam", tmp_path / "Sync", clock)
    alex = shared(tmp_path / "alex", tmp_path / "Sync", clock)
    c = config()
    record.done(sam, c, c.find("walk"), date(2026, 11, 20), clock())
    assert alex.read().habits["walk"].count(date(2026, 11, 20)) == 1
    record.done(sam, c, c.find("walk"), date(2026, 11, 19), clock())  # alex's cache is stale now
    assert alex.read().habits["walk"].days() == [date(2026, 11, 19), date(2026, 11, 20)]
    Path(alex.cache_path).write_text("cache = [[[")
    assert alex.read().habits["walk"].days() == [date(2026, 11, 19), date(2026, 11, 20)]
    assert "Sync" not in alex.cache_path and os.path.exists(alex.cache_path)
    whole = Path(alex.cache_path).read_bytes()
    for left in (b"", whole[: len(whole) // 2]):  # the cache is not flushed: a crash may leave it empty or cut
        Path(alex.cache_path).write_bytes(left)
        assert alex.read().habits["walk"].days() == [date(2026, 11, 19), date(2026, 11, 20)]


def test_an_undo_leaves_a_completion_that_arrived_after_what_it_saw(tmp_path: Path) -> None:
    clock = Clock()
    sam = shared(tmp_path / "sam", tmp_path / "Sync", clock)
    alex = shared(tmp_path / "alex", tmp_path / "Sync", clock)
    c, day = config(), date(2026, 11, 20)
    talk = c.find("talk")  # twice a week: two completions on a day are allowed
    record.done(sam, c, talk, day, clock())
    with sam.update() as state:
        state.log("talk").remove(day)
        record.done(alex, c, talk, day, clock())  # lands while sam's undo is being written
    assert sam.read().habits["talk"].count(day) == 1
    assert alex.read().habits["talk"].count(day) == 1


def test_the_daemons_bookkeeping_stays_on_this_machine(tmp_path: Path) -> None:
    clock = Clock()
    store = shared(tmp_path / "local", tmp_path / "Sync", clock)
    with store.update() as state:
        state.reminder("walk").handled = clock()
        state.sent_day, state.sent_count = date(2026, 11, 20), 1
    assert list((tmp_path / "Sync").iterdir()) == []
    again = shared(tmp_path / "local", tmp_path / "Sync", clock).read()
    assert again.reminders["walk"].handled == store.read().reminders["walk"].handled is not None
    assert again.sent_count == 1
    with store.update() as state:  # a change to a reminder already there is saved too
        state.reminder("walk").pending = T0
    assert shared(tmp_path / "local", tmp_path / "Sync", clock).read().reminders["walk"].pending == T0


def old_state_file(folder: Path, clock: Clock) -> StateFile:
    """A state file as habitd wrote it before the event log."""
    c, old = config(), StateFile(folder)
    for n in range(6):
        record.done(old, c, c.find("walk"), date(2026, 11, 10 + n), clock(), f"walk {n}" if n % 2 else None)
    record.done(old, c, c.find("talk"), date(2026, 11, 12), clock(), "first")
    record.done(old, c, c.find("talk"), date(2026, 11, 12), clock(), "second")
    record.skip(old, c, c.find("walk"), date(2026, 11, 16), clock(), "ill")
    record.pause(old, ALL, date(2026, 11, 18), date(2026, 11, 25))
    with old.update() as state:
        next_prompt(state, c.find("talk"), seed=4)
        state.reminder("walk").handled = T0
    return old


def test_a_state_file_of_before_moves_into_the_log_once_with_a_backup(tmp_path: Path) -> None:
    clock = Clock()
    local = tmp_path / "state"
    before = old_state_file(local, clock).read()
    original = (local / "state.toml").read_bytes()
    store = shared(local, tmp_path / "Sync", clock)
    after = store.read()
    assert to_doc(after) == to_doc(before)
    assert (local / MIGRATED_BACKUP).read_bytes() == original
    kept = StateFile(local).read()  # the machine's own bookkeeping stays in its state file, the history moved
    assert kept.habits == {} and kept.prompts == {} and kept.reminders["walk"].handled == T0
    (files,) = [list(p.iterdir()) for p in (tmp_path / "Sync" / "devices").iterdir()]
    assert len(files) == 1
    size = files[0].stat().st_size
    # a move cut short after its events were written (the old file still there) is finished, not repeated
    os.unlink(local / "state.toml")
    os.link(local / MIGRATED_BACKUP, local / "state.toml")
    assert to_doc(shared(local, tmp_path / "Sync", clock).read()) == to_doc(before)
    assert files[0].stat().st_size == size


def test_without_a_shared_folder_the_log_lives_in_the_state_folder(tmp_path: Path) -> None:
    clock = Clock()
    store = shared(tmp_path / "state", None, clock)
    c = config()
    record.done(store, c, c.find("walk"), date(2026, 11, 20), clock())
    (device,) = (tmp_path / "state" / "devices").iterdir()
    assert [p.name for p in device.iterdir()] == ["2026-11.toml"]


def test_a_shared_folder_that_is_not_there_is_not_made(tmp_path: Path) -> None:
    from habitd.errors import StoreWriteError

    clock = Clock()
    store = shared(tmp_path / "state", tmp_path / "usb", clock, make=False)
    c = config()
    with pytest.raises(StoreWriteError, match="not mounted or not synced yet"):
        record.done(store, c, c.find("walk"), date(2026, 11, 20), clock())
    assert not (tmp_path / "usb").exists()


one_op = ops.map(lambda o: o[0] if o else ("done", "walk", 0))


def sync(source: Path, target: Path) -> None:
    """What a sync engine does: bring the other side's changed files over, each by a rename."""
    for path in sorted(source.glob("devices/*/*.toml")):
        dest = target / path.relative_to(source)
        if not dest.exists() or dest.read_bytes() != path.read_bytes():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".syncthing.{dest.name}.tmp")
            tmp.write_bytes(path.read_bytes())
            os.replace(tmp, dest)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.one_of(st.tuples(st.sampled_from((0, 1)), one_op), st.just("sync")), max_size=14),
    st.integers(-3600, 3600),
)
def test_two_devices_caches_always_show_what_their_files_derive(script: list[object], skew: int) -> None:
    """Each device with its own copy of the shared folder, synced now and then, clocks apart."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        clocks = [Clock(), Clock()]
        clocks[1].now += timedelta(seconds=skew)
        roots = [Path(tmp) / "a", Path(tmp) / "b"]
        devices = [shared(Path(tmp) / "sam", roots[0], clocks[0]), shared(Path(tmp) / "alex", roots[1], clocks[1])]
        for n, step in enumerate(script):
            if step == "sync":
                sync(roots[0], roots[1])
                sync(roots[1], roots[0])
            else:
                who, op = step  # type: ignore[misc]
                apply(devices[who], op, clocks[who])
            for i in (0, 1):
                fresh = shared(Path(tmp) / f"fresh{n}-{i}", roots[i], clocks[i]).read()
                assert history(devices[i].read()) == history(fresh)
        sync(roots[0], roots[1])
        sync(roots[1], roots[0])
        assert history(devices[0].read()) == history(devices[1].read())


def test_a_partners_event_from_behind_what_this_device_holds_takes_its_place_in_the_order(tmp_path: Path) -> None:
    """Alex's clock is behind and Alex's deal was not synced yet: Sam's later deal stays the current one."""
    sam_clock, alex_clock = Clock(), Clock()
    alex_clock.now -= timedelta(hours=1)
    roots = [tmp_path / "a", tmp_path / "b"]
    sam, alex = shared(tmp_path / "sam", roots[0], sam_clock), shared(tmp_path / "alex", roots[1], alex_clock)
    talk = config().find("talk")
    with alex.update() as state:
        next_prompt(state, talk, seed=1)
    with sam.update() as state:
        next_prompt(state, talk, seed=2)
        next_prompt(state, talk, seed=2)
    sam.read()  # its cache holds its own deal
    sync(roots[1], roots[0])
    sync(roots[0], roots[1])
    assert sam.read().prompts == alex.read().prompts == shared(tmp_path / "fresh", roots[0], sam_clock).read().prompts
    assert sam.read().prompts["talk"].next == 2


def test_a_change_made_right_after_a_partners_keeps_the_partners_in_the_cache(tmp_path: Path) -> None:
    clock, c, day = Clock(), config(), date(2026, 11, 20)
    sam = shared(tmp_path / "sam", tmp_path / "Sync", clock)
    alex = shared(tmp_path / "alex", tmp_path / "Sync", clock)
    record.done(sam, c, c.find("walk"), day - timedelta(days=1), clock())
    sam.read()
    record.done(alex, c, c.find("walk"), day, clock())  # sam has not read since
    record.done(sam, c, c.find("talk"), day, clock())  # sam's next change, on another habit
    for store in (sam, shared(tmp_path / "sam", tmp_path / "Sync", clock)):
        assert store.read().habits["walk"].days() == [day - timedelta(days=1), day]


def test_a_partners_undo_is_caught_up_from_the_months_it_touches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With years of history, deriving everything again took seconds at each partner's undo (the
    daemon does it as the file arrives): only that month's files are read, to the same history."""
    clock, c, day = Clock(), config(), date(2026, 11, 20)
    walk = c.find("walk")
    sam = shared(tmp_path / "sam", tmp_path / "Sync", clock)
    alex = shared(tmp_path / "alex", tmp_path / "Sync", clock, by="Alex")
    record.done(sam, c, walk, day - timedelta(days=40), clock(), "long ago")  # another month
    record.done(alex, c, walk, day, clock(), "by the river")
    record.done(sam, c, walk, day - timedelta(days=1), clock(), "in the rain")
    sam.read()  # Sam's cache holds all of it
    record.undo(alex, c, walk, day, clock())
    with alex.update() as state:  # and Alex's device tries to delete Sam's (nameless) note of the day before
        state.log("walk").notes[:] = [n for n in state.log("walk").notes if n.text != "in the rain"]
    months_read: list[object] = []
    real_read = sam.log.read

    def read(known: object = None, months: set[str] | None = None) -> object:
        months_read.append(months)
        return real_read(known, months)  # type: ignore[arg-type]

    monkeypatch.setattr(sam.log, "read", read)
    state = sam.read()
    assert months_read == [{"2026-11"}]  # not the whole log
    assert state.habits["walk"].days() == [day - timedelta(days=40), day - timedelta(days=1)]
    notes = [(n.text, n.nth) for n in state.habits["walk"].notes]  # a nameless note is its device's to delete
    assert sorted(notes) == [("by the river", 0), ("in the rain", 1), ("long ago", 1)]
    monkeypatch.undo()
    assert history(state) == history(shared(tmp_path / "fresh", tmp_path / "Sync", clock).read())
