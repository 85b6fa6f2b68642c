"""Two devices sharing habits through a real sync engine: two Syncthing instances on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from daemon import record
from daemon.store import SharedStore
from tests.desktop import require
from tests.syncthing import Pair
from tests.test_shared_store import Clock, config, history, shared

pytestmark = pytest.mark.slow


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    require("syncthing")
    p = Pair(tmp_path)
    yield p
    p.close()


def log_files(store: SharedStore) -> list[Path]:
    return sorted(Path(store.log.root).glob("devices/*/*.toml"))


def settle(pair: Pair, a: SharedStore, b: SharedStore) -> None:
    """Wait until each side's log files arrived, byte for byte, on the other side."""

    def pairs() -> list[tuple[Path, Path]]:
        out = []
        for here, there in ((a, b), (b, a)):
            for path in log_files(here):
                if path.parent.name == (here.log.local_device() or [None])[0]:
                    out.append((path, Path(there.log.root) / path.relative_to(here.log.root)))
        return out

    pair.settle(pairs)


def test_a_completion_on_one_machine_meets_the_period_on_the_other(pair: Pair, tmp_path: Path) -> None:
    clock, c, day = Clock(), config(), date(2026, 11, 20)
    sam = shared(tmp_path / "sam", pair.a.folder, clock)
    alex = shared(tmp_path / "alex", pair.b.folder, clock)
    record.done(sam, c, c.find("walk"), day, clock(), "by the river")
    settle(pair, sam, alex)
    seen = alex.read().habits["walk"]
    assert seen.count(day) == 1 and [n.text for n in seen.notes] == ["by the river"]
    assert history(alex.read()) == history(sam.read())


def test_concurrent_completions_and_undos_on_both_sides_converge(pair: Pair, tmp_path: Path) -> None:
    clock, c, day = Clock(), config(), date(2026, 11, 20)
    talk = c.find("talk")  # twice a week: both partners may each mark it on one day
    sam = shared(tmp_path / "sam", pair.a.folder, clock)
    alex = shared(tmp_path / "alex", pair.b.folder, clock)
    record.done(sam, c, talk, day, clock())
    settle(pair, sam, alex)
    # now, before either sees the other: Sam takes back Sam's completion, Alex marks one
    assert record.undo(sam, c, talk, day, clock()).kind == record.COMPLETION
    record.done(alex, c, talk, day, clock())
    record.skip(alex, c, c.find("walk"), day, clock(), "rain")
    settle(pair, sam, alex)
    for side in (sam, alex):
        state = side.read()
        assert state.habits["talk"].count(day) == 1  # Alex's completion survives Sam's undo
        assert state.habits["walk"].skips[0].text == "rain"
    assert history(sam.read()) == history(alex.read())
