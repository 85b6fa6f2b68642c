"""The shared event log's files: one writer per file, what sync engines leave behind, bad files."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from habitd.errors import StateError, StoreWriteError
from habitd.history.derive import derive
from habitd.history.eventlog import EventLog
from habitd.history.events import DONE, NOTE, UNDO, Event
from habitd.history.hlc import Stamp
from tests.conftest import ROOT, Habitd

NOW = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
DAY = date(2026, 11, 27)
NO_STAMP = Stamp(0, 0, "unstamped")


def ev(kind: str = DONE, habit: str = "walk", day: date = DAY, **fields: object) -> Event:
    return Event(NO_STAMP, kind, habit, day, NOW, **fields)  # type: ignore[arg-type]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def record(log: EventLog, *events: Event, at: datetime = NOW) -> list[Event]:
    with log.writer(at) as w:
        return [w.add(e) for e in events]


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    return tmp_path / "Sync" / "habitd"


def device(tmp_path: Path, shared: Path, name: str) -> EventLog:
    return EventLog(str(shared), str(tmp_path / name / "state"))


def own_files(log: EventLog, shared: Path) -> list[Path]:
    me = log.local_device()
    assert me is not None
    return sorted((shared / "devices" / me.id).iterdir())


def test_a_devices_first_write_makes_private_readable_files(tmp_path: Path, shared: Path) -> None:
    log = device(tmp_path, shared, "laptop")
    assert log.local_device() is None and log.read().events == []  # reading writes nothing
    assert not shared.exists() and not (tmp_path / "laptop").exists()
    (done,) = record(log, ev(DONE, by="Sam"))
    me = log.local_device()
    assert me is not None and me.last == done.stamp
    assert Path(log.device_path).parent == tmp_path / "laptop" / "state"  # the id stays off the shared folder
    (path,) = own_files(log, shared)
    assert path.name == "2026-11.toml"
    text = path.read_text()
    assert "day = 2026-11-27\n" in text and 'kind = "done"' in text and 'by = "Sam"' in text
    assert tomllib.loads(text)["format"] == 1
    assert mode(path) == 0o600 and mode(Path(log.device_path)) == 0o600
    for folder in (shared, shared / "devices", path.parent):
        assert mode(folder) == 0o700
    assert log.read().events == [done]


def test_two_devices_each_write_only_their_own_files_and_read_both(tmp_path: Path, shared: Path) -> None:
    sam, alex = device(tmp_path, shared, "sam"), device(tmp_path, shared, "alex")
    (mine,) = record(sam, ev())
    (sam_file,) = own_files(sam, shared)
    before = sam_file.stat().st_mtime_ns, sam_file.stat().st_ino, sam_file.read_bytes()
    # Alex's clock is an hour behind; Alex's undo still sorts after the completion it names
    (undo,) = record(alex, ev(UNDO, undoes=(mine.stamp,)), at=NOW - timedelta(hours=1))
    assert undo.stamp > mine.stamp
    assert (sam_file.stat().st_mtime_ns, sam_file.stat().st_ino, sam_file.read_bytes()) == before
    assert sam.read().events == alex.read().events == [mine, undo]
    assert derive(sam.read().events).habits.get("walk") is None
    assert set(sam.read().devices) == {sam.local_device().id, alex.local_device().id}  # type: ignore[union-attr]


def test_appending_keeps_what_is_in_the_file_verbatim(tmp_path: Path, shared: Path) -> None:
    log = device(tmp_path, shared, "laptop")
    record(log, ev())
    (path,) = own_files(log, shared)
    path.write_text(path.read_text().replace('kind = "done"', 'kind = "done"\nmood = "glad"  # by hand'))
    record(log, ev(NOTE, text="x"))
    assert 'mood = "glad"  # by hand' in path.read_text()
    assert [e.kind for e in log.read().events] == [DONE, NOTE]


def test_sync_engines_files_in_the_making_are_ignored(tmp_path: Path, shared: Path) -> None:
    log = device(tmp_path, shared, "laptop")
    record(log, ev())
    folder = own_files(log, shared)[0].parent
    for name in (".syncthing.2026-11.toml.tmp", "~syncthing~2026-11.toml.tmp", "2026-12.toml.part", ".2026-11.toml.x"):
        (folder / name).write_bytes(b"\x00half a fi")
    read = log.read()
    assert read.problems == [] and len(read.events) == 1


def test_conflict_copies_are_read_and_the_owner_folds_its_own_in(tmp_path: Path, shared: Path) -> None:
    sam, alex = device(tmp_path, shared, "sam"), device(tmp_path, shared, "alex")
    first = record(sam, ev())
    (sam_file,) = own_files(sam, shared)
    old = sam_file.read_text()
    second = record(sam, ev(day=DAY - timedelta(days=1)))
    # a sync engine kept the newer version as a conflict copy and put the older one back
    copy = sam_file.with_name("2026-11.sync-conflict-20261127-200102-ABCDEFG.toml")
    copy.write_text(sam_file.read_text())
    sam_file.write_text(old)
    nextcloud = sam_file.with_name("2026-11 (conflicted copy 2026-11-27 200102).toml")
    nextcloud.write_text(old)
    assert alex.read().events == sam.read().events == first + second  # the union: nothing missing
    record(alex, ev())
    assert copy.exists() and nextcloud.exists()  # never touched by another device
    third = record(sam, ev(habit="talk"))
    assert not copy.exists() and not nextcloud.exists()
    assert [p.name for p in own_files(sam, shared)] == ["2026-11.toml"]
    assert [e for e in alex.read().events if e.stamp.device == sam.local_device().id] == first + second + third  # type: ignore[union-attr]


def test_a_conflict_copy_that_does_not_parse_is_never_removed(tmp_path: Path, shared: Path) -> None:
    sam = device(tmp_path, shared, "sam")
    first = record(sam, ev())
    (sam_file,) = own_files(sam, shared)
    copy = sam_file.with_name("2026-11.sync-conflict-20261127-200102-ABCDEFG.toml")
    half = sam_file.read_bytes()[:-20]  # still arriving, or damaged: its events cannot be told
    copy.write_bytes(half)
    ok = sam_file.with_name("2026-11 (conflicted copy 2026-11-27 200102).toml")
    ok.write_text(sam_file.read_text())
    second = record(sam, ev(habit="talk"))
    assert copy.read_bytes() == half  # kept for a person to look at: what it holds may be nowhere else
    assert not ok.exists()  # read whole: folded in
    assert [e for e in sam.read().events if e.stamp.device == sam.local_device().id] == first + second  # type: ignore[union-attr]


def test_a_file_that_does_not_parse_is_a_warning_and_the_rest_works(tmp_path: Path, shared: Path) -> None:
    sam, alex = device(tmp_path, shared, "sam"), device(tmp_path, shared, "alex")
    record(sam, ev(), ev(habit="talk"))
    mine = record(alex, ev())
    (sam_file,) = own_files(sam, shared)
    data = sam_file.read_bytes()
    half = data[: data.rindex(b'id = "') + 9]  # cut off in the middle of the last event's id
    sam_file.write_bytes(half)
    read = alex.read()
    assert read.events == mine
    (problem,) = read.problems
    assert problem.startswith(f"{sam_file}: not valid TOML") and "not fully synced yet" in problem
    record(alex, ev(habit="talk"))  # writing goes on, and leaves the partner's file alone
    assert sam_file.read_bytes() == half


def test_a_newer_format_says_which_habitd_reads_it(tmp_path: Path, shared: Path) -> None:
    sam, alex = device(tmp_path, shared, "sam"), device(tmp_path, shared, "alex")
    record(sam, ev())
    (sam_file,) = own_files(sam, shared)
    sam_file.write_text(sam_file.read_text().replace("format = 1", "format = 2").replace('habitd = "', 'habitd = "9.'))
    (problem,) = alex.read().problems
    assert "in log format 2" in problem and "update habitd on this machine to 9." in problem


def test_one_bad_event_is_left_out_with_its_number(tmp_path: Path, shared: Path) -> None:
    sam = device(tmp_path, shared, "sam")
    record(sam, ev(), ev(habit="talk"))
    (path,) = own_files(sam, shared)
    path.write_text(path.read_text().replace("day = 2026-11-27", 'day = "someday"', 1))
    read = sam.read()
    assert [e.habit for e in read.events] == ["talk"]
    (problem,) = read.problems
    assert problem == f"{path}: event 1: day: 'someday' is not a date; that event is left out, the file as it is"


def test_its_own_file_unreadable_refuses_the_write_and_keeps_the_file(tmp_path: Path, shared: Path) -> None:
    sam = device(tmp_path, shared, "sam")
    record(sam, ev())
    (path,) = own_files(sam, shared)
    path.write_bytes(b"format = 1\n[[event]\n")
    with pytest.raises(StateError, match="own file cannot be added to; nothing was recorded"):
        record(sam, ev())
    assert path.read_bytes() == b"format = 1\n[[event]\n"


def test_two_machines_with_one_device_id_are_refused_with_the_way_out(tmp_path: Path, shared: Path) -> None:
    original = device(tmp_path, shared, "original")
    record(original, ev())
    shutil.copytree(tmp_path / "original", tmp_path / "copy")  # a home folder copied to a new machine
    copy = device(tmp_path, shared, "copy")
    record(original, ev(habit="talk"))  # the original goes on writing...
    (path,) = own_files(original, shared)
    before = path.read_bytes()
    with pytest.raises(StateError, match="another machine writes as this one") as err:
        record(copy, ev())  # ...so the copy, writing as the same device, is stopped
    assert f"move {copy.device_path} away" in str(err.value) and "new device id" in str(err.value)
    assert path.read_bytes() == before
    Path(copy.device_path).unlink()  # the way out
    record(copy, ev())
    assert len({e.stamp.device for e in copy.read().events}) == 2


def test_a_missing_shared_folder_is_not_created_when_it_should_exist(tmp_path: Path) -> None:
    log = EventLog(str(tmp_path / "usb" / "habitd"), str(tmp_path / "state"), create_root=False)
    with pytest.raises(StoreWriteError, match="not mounted or not synced yet"):
        record(log, ev())
    assert not (tmp_path / "usb").exists()


def test_concurrent_writers_on_one_machine_lose_nothing(tmp_path: Path, shared: Path) -> None:
    code = (
        "import sys\n"
        "from datetime import UTC, date, datetime\n"
        "from habitd.history.events import Event\n"
        "from habitd.history.hlc import Stamp\n"
        "from habitd.history.eventlog import EventLog\n"
        "log = EventLog(sys.argv[1], sys.argv[2], lock_timeout=60)\n"
        "for i in range(15):\n"
        "    with log.writer(datetime(2026, 11, 27, tzinfo=UTC)) as w:\n"
        "        w.add(Event(Stamp(0, 0, 'x'), 'done', sys.argv[3], date(2026, 11, 27), datetime.now(UTC)))\n"
    )
    record(device(tmp_path, shared, "one"), ev())  # the device id exists before the race
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(shared), str(tmp_path / "one" / "state"), h], cwd=ROOT)
        for h in ("walk", "talk", "read")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    events = device(tmp_path, shared, "one").read().events
    assert len(events) == 46 and len({e.stamp for e in events}) == 46


def test_the_events_cache_keeps_every_field_of_an_event() -> None:
    import marshal

    from habitd.history.cache import pack_event, unpack_event

    e = Event(
        Stamp(5, 2, "aaa"), "skip", "walk", DAY, NOW.astimezone(), "Sam", "rain", Stamp(4, 0, "bbb"),
        (Stamp(1, 0, "aaa"), Stamp(2, 1, "bbb")), DAY + timedelta(days=2), (2, 0, 1), 1,
        (("mood", "glad"), ("when", datetime(2026, 1, 1, tzinfo=UTC))), 3, False, "state.before-events.toml",
    )  # fmt: skip
    assert set(Event._fields) == set(e._asdict())  # every field set above
    assert unpack_event(marshal.loads(marshal.dumps(pack_event(e)))) == e


def test_a_command_says_which_file_it_could_not_read_and_shows_the_rest(habitd: Habitd) -> None:
    assert habitd("done", "thanks").exit_code == 0
    other = habitd.state_dir / "devices" / "partner0001" / "2026-11.toml"
    other.parent.mkdir(mode=0o700)
    other.write_text('format = 1\ndevice = "partner0001"\n[[event]\nid = "17')  # cut short by a copy
    result = habitd("status", "--json")
    assert result.exit_code == 0
    assert result.stderr.startswith(f"habitd: warning: {other}: not valid TOML")
    assert "not fully synced yet" in result.stderr
    assert [h["done"] for h in json.loads(result.stdout)["habits"] if h["id"] == "thanks"] == [1]
    assert other.read_text().endswith('id = "17')  # left as it is


def test_notes_decoded_from_the_cache_on_first_look_behave_as_a_list() -> None:
    from habitd.habits.state import Note
    from habitd.history.cache import LazyNotes, pack_notes

    notes = [Note(DAY, NOW, "soup", 1), Note(DAY, NOW, "tea", 0)]
    packed = pack_notes(notes)
    lazy, twin = LazyNotes(packed), LazyNotes(packed)
    assert lazy and lazy == twin and lazy.unread() is packed  # equal copies, still packed
    copy = lazy.copy()
    assert copy == notes and lazy.unread() is packed  # the copy decoded itself, not the original
    assert list(lazy) == notes and len(lazy) == 2 and lazy[1].text == "tea" and lazy.unread() is None
    lazy.append(Note(DAY, NOW, "cake", 2))
    assert lazy != twin and [n.text for n in lazy] == ["soup", "tea", "cake"]
    assert pack_notes(LazyNotes(packed)) is packed and LazyNotes(pack_notes(lazy)) == lazy
    del lazy[0]
    assert lazy.index(Note(DAY, NOW, "cake", 2)) == 1 and Note(DAY, NOW, "tea", 0) in lazy


def test_who_wrote_the_notes_is_known_without_decoding_them() -> None:
    from habitd.habits.state import Note, State
    from habitd.history.cache import LazyNotes, pack_notes
    from habitd.history.people import everyone

    notes = [Note(DAY, NOW, "soup", 1, by="Sam"), Note(DAY, NOW, "tea", 0), Note(DAY, NOW, "cake", 2, by="Alex")]
    lazy = LazyNotes(pack_notes(notes))
    assert lazy.authors() == {"Sam", "Alex"} and lazy.unread() is not None  # still packed
    state = State()
    state.log("thanks").notes = lazy
    assert everyone(state) == {"Sam", "Alex"} and lazy.unread() is not None
    assert lazy == notes and lazy.authors() == {"Sam", "Alex"}  # decoded: the same names


@pytest.mark.parametrize("blob", [b"", b"garbage", b"\xe9" * 8])
def test_a_damaged_notes_blob_in_the_cache_is_a_clean_error_saying_what_to_delete(habitd: Habitd, blob: bytes) -> None:
    """A habit's notes are decoded from the cache only when looked at, long after the cache was
    read: a damaged blob then ends the command with a message naming the cache, never "aborted"
    (what Click makes of an EOFError) nor an internal error."""
    import marshal

    habitd("done", "thanks", "--note", "soup")
    cache = habitd.state_dir / "cache.bin"
    value = list(marshal.loads(cache.read_bytes()))
    habits = value[-1][0]
    row = list(habits["thanks"])
    row[2] = (blob, row[2][1])  # the names of the notes' writers are kept beside it
    habits["thanks"] = tuple(row)
    cache.write_bytes(marshal.dumps(tuple(value)))
    run = habitd("export", "--notes")
    assert run.exit_code == 3, run.stderr
    assert "cache.bin" in run.stderr and "delete" in run.stderr and "Traceback" not in run.stderr
    cache.unlink()  # as the message says: the history is derived again, the note is there
    run = habitd("export", "--notes")
    assert run.exit_code == 0 and "soup" in run.stdout
