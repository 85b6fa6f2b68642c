"""The history takes back only what its writer could have taken back on the command line.

A partner's device (or a modified client) can write an ``undo``, ``unskip`` or ``resume`` naming
any event it has seen. A personal (``each``) habit's entries are their person's: the history
ignores such a take-back by anyone else, as ``habitd undo`` and ``habitd resume`` refuse it. A
device without a name takes back only what is nameless, and its own nameless notes are its own.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from habitd.habits.config import parse_config
from habitd.habits.state import State
from habitd.history import record
from habitd.history.derive import derive
from habitd.history.events import DONE, PAUSE, RESUME, SKIP, UNDO, UNSKIP, Event, to_table
from habitd.history.hlc import Stamp, parse_id
from habitd.history.identity import DeviceFile
from habitd.history.store import Store
from tests.conftest import BASIC, Habitd, ok

GYM = '\n[habits.gym]\nevery = "day"\neach = true\n'
DAY, AT = date(2026, 11, 24), datetime(2026, 11, 24, 20, tzinfo=UTC)


@pytest.fixture
def partner_config() -> str:
    return BASIC + GYM


def _entry(kind: str, device: str, by: str, habit: str = "gym", ms: int = 1) -> Event:
    extra = {"until": DAY + timedelta(days=5)} if kind == PAUSE else {}
    return Event(Stamp(ms, 0, device), kind, habit, DAY, AT, by=by, **extra)  # type: ignore[arg-type]


def _taking(kind: str, target: Event, device: str, by: str) -> Event:
    back = {DONE: UNDO, SKIP: UNSKIP, PAUSE: RESUME}[kind]
    return Event(Stamp(9, 0, device), back, target.habit, DAY, AT, by=by, undoes=(target.stamp,))


def _left(state: State, kind: str, habit: str) -> bool:
    """Whether the entry of ``kind`` is still in ``state``."""
    if kind == PAUSE:
        return any(p.habit == habit for p in state.pauses)
    log = state.habits.get(habit)
    return log is not None and bool(log.count(DAY) if kind == DONE else log.skips)


@pytest.mark.parametrize("kind", [DONE, SKIP, PAUSE])
@pytest.mark.parametrize(("taker", "kept"), [
    (("bbbbbbbb", "Alex"), True),  # the partner
    (("bbbbbbbb", ""), True),  # a device without a name
    (("cccccccc", "Sam"), False),  # Sam's other machine
    (("aaaaaaaa", ""), False),  # the same device, its name since unset
])  # fmt: skip
def test_a_personal_habits_entry_is_taken_back_only_by_its_person(
    kind: str, taker: tuple[str, str], kept: bool
) -> None:
    mine = _entry(kind, "aaaaaaaa", "Sam")
    events = [mine, _taking(kind, mine, *taker)]
    assert _left(derive(events, frozenset({"gym"})), kind, "gym") is kept
    # a shared habit's entries are anyone's to take back, as on the command line
    shared = [e._replace(habit="walk") for e in events]
    assert not _left(derive(shared, frozenset({"gym"})), kind, "walk")


@pytest.mark.parametrize("kind", [DONE, SKIP, PAUSE])
def test_a_nameless_entry_of_a_personal_habit_is_everyones(kind: str) -> None:
    nameless = _entry(kind, "aaaaaaaa", "")
    assert not _left(derive([nameless, _taking(kind, nameless, "bbbbbbbb", "Alex")], frozenset({"gym"})), kind, "gym")


def _append(h: Habitd, shared: Path, event: Event) -> None:
    """Write ``event`` into ``h``'s own log file as a modified client would: past the command line."""
    import tomli_w

    (folder,) = [p for p in (shared / "devices").iterdir() if p.name == event.stamp.device]
    path = folder / f"{event.day:%Y-%m}.toml"
    with path.open("a") as f:
        f.write("\n" + tomli_w.dumps({"event": [to_table(event)]}))


def _events_of(shared: Path, device_of: Callable[[str], bool]) -> list[dict]:
    out = []
    for path in sorted(shared.glob("devices/*/*.toml")):
        if device_of(path.parent.name):
            out += tomllib.loads(path.read_text())["event"]
    return out


def test_a_partners_forged_undo_of_my_personal_completion_is_ignored(
    partners: Callable[..., Habitd], tmp_path: Path
) -> None:
    """Alex's device writes an undo and a resume naming Sam's completion and pause of Sam's own
    gym habit (the command line refuses both): Sam's status, and any device's, keeps them."""
    sam, alex = partners("sam", "Sam"), partners("alex", "Alex")
    shared = tmp_path / "shared"
    ok(sam, "done", "gym", "--date", "yesterday")
    ok(sam, "pause", "gym", "--until", "2026-11-30")
    ok(alex, "done", "thanks")  # Alex's device has a log of its own
    alex_device = DeviceFile(str(alex.state_dir)).read()
    assert alex_device is not None
    alex_id = alex_device.id
    sams = {e["kind"]: e for e in _events_of(shared, lambda d: d != alex_id)}
    moment = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    stamp = Stamp(int(moment.timestamp() * 1000) + 60_000, 0, alex_id)
    undo = Event(stamp, UNDO, "gym", date(2026, 11, 24), moment, by="Alex", undoes=(parse_id(sams["done"]["id"]),))
    resume = undo._replace(stamp=stamp._replace(counter=1), kind=RESUME, day=date(2026, 11, 25),
                           undoes=(parse_id(sams["pause"]["id"]),))  # fmt: skip
    _append(alex, shared, undo)
    _append(alex, shared, resume)
    for h in (sam, alex):
        for cache in ("cache.bin", "events.bin"):
            (h.state_dir / cache).unlink(missing_ok=True)
    gym = next(r for r in sam.json("status")["habits"] if r["id"] == "gym")
    assert gym["paused"], gym
    import json

    log = json.loads(ok(sam, "export"))["habits"]["gym"]
    assert [c["date"] for c in log["completions"]] == ["2026-11-24"]


def _store(folder: Path, shared: Path, by: str, clock: Callable[[], datetime], personal: frozenset[str]) -> Store:
    c = parse_config(BASIC + GYM, "c.toml", "UTC")
    return Store(folder, str(shared), clock=clock, today=c.today, zone=lambda: c.settings.tz, by=by, personal=personal)


def test_a_nameless_device_neither_undoes_a_partners_personal_entry_nor_touches_another_devices_notes(
    tmp_path: Path,
) -> None:
    """What the command line does on a device without a name is what the history derives from it:
    Sam's completion of Sam's gym habit and the nameless note of another device stay, on both."""
    now = [datetime(2026, 11, 25, 12, tzinfo=UTC)]

    def clock() -> datetime:
        now[0] += timedelta(seconds=1)
        return now[0]

    c = parse_config(BASIC + GYM, "c.toml", "UTC")
    personal = frozenset({"gym"})
    shared = tmp_path / "Sync"
    shared.mkdir()
    sam = _store(tmp_path / "sam", shared, "Sam", clock, personal)
    old = _store(tmp_path / "old", shared, "", clock, personal)  # a third, nameless device
    nameless = _store(tmp_path / "nameless", shared, "", clock, personal)
    gym, thanks = c.find("gym"), c.find("thanks")
    record.done(sam, c, gym, DAY, clock())
    record.write_note(old, c, thanks, DAY, clock(), "from the old laptop")
    nameless.read()
    assert record.undo(nameless, c, gym, DAY, clock()).kind == ""
    assert record.delete_note(nameless, thanks, DAY).old is None
    change = record.write_note(nameless, c, thanks, DAY, clock(), "mine")
    assert change.old is None  # a note of its own, beside the old laptop's
    fresh = _store(tmp_path / "fresh", shared, "", clock, personal).read()
    for state in (nameless.read(), fresh, sam.read()):
        assert state.habits["gym"].count(DAY) == 1
        assert sorted(n.text for n in state.habits["thanks"].notes) == ["from the old laptop", "mine"]


def test_a_habit_made_personal_is_derived_as_one_at_once_its_cache_set_aside(tmp_path: Path) -> None:
    """The daemon keeps its store across a config reload: a habit made `each` there counts its
    entries as their person's from then on, whatever the cache held (as the command line does)."""
    now = [datetime(2026, 11, 25, 12, tzinfo=UTC)]

    def clock() -> datetime:
        now[0] += timedelta(seconds=1)
        return now[0]

    c = parse_config(BASIC + GYM, "c.toml", "UTC")
    shared = tmp_path / "Sync"
    shared.mkdir()
    sam = _store(tmp_path / "sam", shared, "Sam", clock, frozenset())
    alex = _store(tmp_path / "alex", shared, "Alex", clock, frozenset())
    record.done(sam, c, c.find("thanks"), DAY, clock())
    record.undo(alex, c, c.find("thanks"), DAY, clock())  # a shared habit then: Alex may
    assert "thanks" not in sam.read().habits
    sam.set_personal(frozenset({"thanks"}))  # the config made it personal meanwhile
    assert sam.read().habits["thanks"].count(DAY) == 1
    sam.set_personal(frozenset())
    assert "thanks" not in sam.read().habits
