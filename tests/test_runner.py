"""The daemon's main loop in-process, where a test can make time move between two lines of code."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from habitd.habits.config import parse_config
from habitd.history.files import signature
from habitd.history.store import Store
from habitd.service.notifiers import make_notifier
from habitd.service.runner import Runner
from habitd.service.timer import JOB
from tests.conftest import Habitd
from tests.desktop import Desktop, wait_for

pytestmark = pytest.mark.e2e

CONFIG = '[settings]\ntimezone = "Europe/Berlin"\n[habits.thanks]\ntitle = "Thanks"\nat = "19:00"\n'


def ticking(start: datetime, step: timedelta) -> Iterator[datetime]:
    now = start
    while True:
        yield now
        now += step


def test_a_reminder_due_while_the_daemon_checks_is_not_lost(
    screen: Desktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow machine: each read of the clock is 0.2 s after the one before, across 19:00.

    Showing what is due and scheduling what comes next must agree on one moment, or a
    reminder due between the two is neither shown nor scheduled.
    """
    for key, value in screen.env.items():
        monkeypatch.setenv(key, value)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    start = datetime(2026, 11, 20, 18, 59, 59, 900000, tzinfo=ZoneInfo("Europe/Berlin"))
    clock = ticking(start, timedelta(seconds=0.2))
    runner = Runner(str(config), Store(tmp_path / "state"), make_notifier("dbus", 30), clock=lambda: next(clock))
    runner.timer.start(paused=True)  # the jobs are kept but not run: the test runs them
    try:
        runner.check()  # 18:59:59.9: nothing due yet
        assert screen.notifications() == []
        job = runner.timer.scheduler.get_job(JOB)
        assert job is not None and job.next_run_time == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
        runner.check()  # what the job does when it runs: here at 19:00:00.1
        assert [n["summary"] for n in wait_for(screen.notifications, 5)] == ["Thanks"]
    finally:
        runner.close()


def test_a_config_read_half_written_is_read_again_once_whole(tmp_path: Path) -> None:
    """An editor that truncates the file and then writes it, read in between, within one
    tick of the file system's clock: the modification time alone does not tell the two apart."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    runner = Runner(str(config), Store(tmp_path / "state"), make_notifier("dbus", 30), clock=lambda: now)
    mtime = config.stat().st_mtime_ns + 10**9
    try:
        config.write_text("")  # truncated: what a reload reads now is no config at all
        os.utime(config, ns=(mtime, mtime))
        runner._tick(now, time.monotonic())
        assert [h.id for h in runner.config.habits] == ["thanks"]  # the old one stays
        config.write_text(CONFIG + '[habits.walk]\nat = "08:00"\n')
        os.utime(config, ns=(mtime, mtime))  # the same timestamp as the truncated file
        runner._tick(now, time.monotonic())
        assert [h.id for h in runner.config.habits] == ["thanks", "walk"]
    finally:
        runner.close()


def test_a_job_that_does_not_fire_is_caught_by_the_periodic_check(
    screen: Desktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler thread's wait is the one thing between a reminder and its time; if it
    oversleeps (as under a faked clock), the periodic check shows the reminder, once."""
    for key, value in screen.env.items():
        monkeypatch.setenv(key, value)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    now = datetime(2026, 11, 20, 18, 59, 50, tzinfo=ZoneInfo("Europe/Berlin"))
    runner = Runner(str(config), Store(tmp_path / "state"), make_notifier("dbus", 30), clock=lambda: now)
    runner.timer.start(paused=True)  # its jobs never fire
    try:
        runner.check()
        now += timedelta(seconds=11)  # 19:00:01: due, but within the grace a job gets
        runner._tick(now, time.monotonic())
        assert screen.notifications() == []
        now += timedelta(seconds=2)  # 19:00:03: overdue
        runner._tick(now, time.monotonic())
        runner._tick(now, time.monotonic())
        assert [n["summary"] for n in wait_for(screen.notifications, 5)] == ["Thanks"]
    finally:
        runner.close()


def test_run_parses_the_config_once(habitd: Habitd, monkeypatch: pytest.MonkeyPatch) -> None:
    """With many habits, parsing the config is start-up's largest cost that grows with them."""
    # (imported under other names: a plain `import habitd...` would hide the fixture `habitd`)
    from habitd.habits import config as config_module
    from habitd.history import configfile
    from habitd.service import logs

    parsed: list[str] = []
    for module in (config_module, configfile):  # where the config is parsed, under each name
        real = module.parse_config
        monkeypatch.setattr(module, "parse_config", lambda *a, real=real: parsed.append("x") or real(*a))
    started: list[Runner] = []
    monkeypatch.setattr(Runner, "run", lambda self: started.append(self) or 0)
    monkeypatch.setattr(logs, "setup_logging", lambda *a, **k: None)  # pytest's handlers stay
    assert habitd("run", "-q").exit_code == 0
    assert len(parsed) == 1
    assert len(started[0].config.habits) == len(parse_config(habitd.config.read_text(), "", ZoneInfo("UTC")).habits)


def test_a_config_changed_while_run_starts_is_reloaded(tmp_path: Path) -> None:
    """Saved between the command line's read and the runner's start: the first check reloads it."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    seen = signature(str(config))
    read = parse_config(CONFIG, str(config), ZoneInfo("UTC"))
    config.write_text(CONFIG + '[habits.walk]\nat = "08:00"\n')
    mtime = config.stat().st_mtime_ns + 10**9
    os.utime(config, ns=(mtime, mtime))
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    runner = Runner(
        str(config), Store(tmp_path / "state"), make_notifier("dbus", 30), clock=lambda: now, config_read=(seen, read)
    )
    try:
        assert [h.id for h in runner.config.habits] == ["thanks"]
        runner._tick(now, time.monotonic())
        assert [h.id for h in runner.config.habits] == ["thanks", "walk"]
    finally:
        runner.close()
