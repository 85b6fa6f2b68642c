"""A state file of the release before the event log moves into it, and every view stays the same."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from habitd.cli.app import cli
from habitd.cli.context import App
from habitd.habits.config import parse_config
from habitd.habits.prompts import next_prompt
from habitd.habits.state import ALL
from habitd.history import record
from habitd.history.statefile import StateFile
from habitd.history.store import MIGRATED_BACKUP
from tests.conftest import BASIC

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 21, 0, tzinfo=BERLIN)
CONFIG = BASIC + '\n[habits.talk]\nevery = "week"\nprompts = ["How are you, really?", "What made you laugh?"]\n'
COMMANDS = (
    ["status"], ["today"], ["next"], ["journal"], ["history", "thanks", "--weeks", "20"],
    ["history", "listen", "--weeks", "20"], ["history", "date-night", "--weeks", "20"], ["history", "talk"],
)  # fmt: skip


def old_release_state(folder: Path) -> None:
    """Weeks of history, written the way the release before the event log wrote it."""
    config = parse_config(CONFIG, "c", "UTC")
    old = StateFile(folder)
    moment = NOW - timedelta(days=70)
    for n in range(70):
        day = date(2026, 9, 16) + timedelta(days=n)
        moment += timedelta(days=1)
        if n % 3:
            record.done(old, config, config.find("thanks"), day, moment, f"thanks {n}" if n % 7 == 0 else None)
        if day.weekday() in (0, 2, 4) and n % 5:
            record.done(old, config, config.find("listen"), day, moment, "listened" if n % 2 else None)
        if day.weekday() == 4 and n % 4:
            record.done(old, config, config.find("date-night"), day, moment, "ramen")
    assert record.skip(old, config, config.find("date-night"), date(2026, 10, 30), NOW, "away").recorded
    assert record.skip(old, config, config.find("thanks"), date(2026, 11, 9), NOW - timedelta(days=16)).recorded
    record.done(old, config, config.find("listen"), date(2026, 11, 23), NOW, "twice today")
    record.done(old, config, config.find("listen"), date(2026, 11, 23), NOW)
    record.undo(old, config, config.find("thanks"), date(2026, 11, 24), NOW)  # its note stays, as the day's
    record.write_note(old, config, config.find("thanks"), date(2026, 11, 20), NOW, "a quiet day")
    record.pause(old, "thanks", date(2026, 10, 1), date(2026, 10, 3))
    record.pause(old, ALL, date(2026, 12, 24), date(2026, 12, 27))
    with old.update() as state:
        next_prompt(state, config.find("talk"), seed=7)
        state.reminder("thanks").handled = NOW - timedelta(hours=1)


def outputs(config: Path, state_dir: Path, old_store: bool) -> dict[str, object]:
    out = {}
    for args in COMMANDS:
        app = App(config, state_dir, now=lambda: NOW)
        if old_store:
            app.__dict__["store"] = StateFile(state_dir)  # the release before: the state file alone
        result = CliRunner().invoke(cli, [*args, "--json"], obj=app, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        out[" ".join(args)] = json.loads(result.stdout)
    app = App(config, state_dir, now=lambda: NOW)
    if old_store:
        app.__dict__["store"] = StateFile(state_dir)
    out["prompt"] = CliRunner().invoke(cli, ["prompt", "talk"], obj=app).stdout
    return out


def test_a_state_file_of_the_last_release_moves_into_the_event_log_and_every_view_is_the_same(
    tmp_path: Path,
) -> None:
    config, state_dir = tmp_path / "config.toml", tmp_path / "state"
    config.write_text(CONFIG)
    old_release_state(state_dir)
    original = (state_dir / "state.toml").read_bytes()
    before = outputs(config, state_dir, old_store=True)
    after = outputs(config, state_dir, old_store=False)  # the first command moves the history
    assert after == before
    assert (state_dir / MIGRATED_BACKUP).read_bytes() == original  # the old file, kept beside
    assert StateFile(state_dir).read().habits == {}  # the state file keeps only this machine's reminders
    assert StateFile(state_dir).read().reminders["thanks"].handled == NOW - timedelta(hours=1)
    (log,) = state_dir.glob("devices/*")
    assert sorted(p.name for p in log.iterdir()) == ["2026-09.toml", "2026-10.toml", "2026-11.toml", "2026-12.toml"]
    assert outputs(config, state_dir, old_store=False) == before  # and again, from the cache
    for cache in ("cache.bin", "events.bin"):
        (state_dir / cache).unlink()
    assert outputs(config, state_dir, old_store=False) == before  # and without it
