"""A partner's rename of a shared habit reaches a running daemon in two files (the habit's file and
the history's rename), in either order: a reminder shown and met is never shown again meanwhile."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from habitd.history import record
from habitd.history.store import Store
from habitd.service.runner import Runner
from tests.test_daemon_state import Recording

BERLIN = ZoneInfo("Europe/Berlin")


def setup(tmp_path: Path) -> tuple[Runner, Recording, Store, Path, list[datetime]]:
    shared = tmp_path / "Sync"
    (shared / "devices").mkdir(parents=True)
    (shared / "habits").mkdir()
    (shared / "habits" / "thanks.toml").write_text('title = "Thanks"\nat = "19:00"\nremind_again = "1h"\n')
    config = tmp_path / "config.toml"
    config.write_text(f'[settings]\ntimezone = "Europe/Berlin"\nshared_dir = "{shared}"\nname = "Sam"\n')
    now = [datetime(2026, 11, 27, 19, 0, 1, tzinfo=BERLIN)]
    store = Store(tmp_path / "state", str(shared), clock=lambda: now[0], by="Sam")
    notifier = Recording(store)
    runner = Runner(str(config), store, notifier, clock=lambda: now[0])
    alex = Store(tmp_path / "alex", str(shared), clock=lambda: now[0], by="Alex")
    return runner, notifier, alex, shared, now


@pytest.mark.parametrize("first", ["file", "history"])
def test_a_partners_rename_never_shows_a_met_habit_again(tmp_path: Path, first: str) -> None:
    runner, notifier, alex, shared, now = setup(tmp_path)
    runner.check()
    assert [t for t, _ in notifier.seen] == ["Thanks"]
    with runner.store.update() as state:  # Sam says thanks: met for today
        state.log("thanks").add(now[0].date())
    now[0] += timedelta(minutes=30)
    runner.state_changed()

    def file() -> None:
        habits = shared / "habits"
        (habits / "gratitude.toml").write_text((habits / "thanks.toml").read_text())
        os.unlink(habits / "thanks.toml")
        runner.reload("the config changed")

    def history() -> None:
        record.rename(alex, "thanks", "gratitude")
        runner.state_changed()

    steps = [file, history] if first == "file" else [history, file]
    for step in steps:  # a sync engine brings the two a few seconds apart
        step()
        now[0] += timedelta(seconds=5)
        runner.check()
    now[0] += timedelta(minutes=45)  # past the follow-up an hour after 19:00: met, under its new id
    runner.check()
    assert len(notifier.seen) == 1  # nothing shown again, under either id
    assert "gratitude" in {h for h in runner.store.read().habits}
