"""The daemon and the state: changes made by other processes, one daemon per folder, recording a send."""

from __future__ import annotations

import logging
import os
import select
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from habitd.history.store import Store
from habitd.service.notify import DeliveryError, Note, PlyerNotifier
from habitd.service.runner import Runner
from habitd.service.watch import FolderWatch
from tests.clock import wall_clock_env
from tests.desktop import Daemon, Desktop, wait_for

TWO = """
[settings]
timezone = "Europe/Berlin"

[habits.thanks]
title = "Thanks"
at = "19:00"

[habits.walk]
title = "Walk"
at = "19:00"
"""


@pytest.mark.e2e
def test_undo_and_resume_while_it_runs_bring_todays_reminders_back(
    screen: Desktop, daemons: Callable[..., Daemon]
) -> None:
    """Done and paused when the daemon planned: it must notice the undo and the resume."""
    daemon = daemons(screen.env, TWO, "2026-11-27 18:59:50")
    assert daemon.cli("done", "thanks").returncode == 0
    assert daemon.cli("pause", "walk", "--until", "2026-12-05").returncode == 0
    daemon.start()
    try:
        assert daemon.cli("undo", "thanks").returncode == 0
        assert daemon.cli("resume", "walk").returncode == 0
        daemon.wait_log("the state changed", 5)
        wait_for(lambda: len(screen.notifications()) >= 2, 20)
        assert sorted(n["summary"] for n in screen.notifications()) == ["Thanks", "Walk"], daemon.log
    finally:
        assert daemon.stop() == 0


@pytest.mark.e2e
def test_a_second_daemon_for_the_same_state_exits_1_naming_the_first(
    screen: Desktop, daemons: Callable[..., Daemon]
) -> None:
    daemon = daemons(screen.env, TWO, "2026-11-27 18:59:57")
    daemon.start()
    try:
        assert daemon.proc is not None
        second = daemon.cli("run", "--tick", "0.3")
        assert second.returncode == 1
        assert f"already running for {daemon.state_dir} (PID {daemon.proc.pid})" in second.stderr
        assert "Traceback" not in second.stderr
        wait_for(lambda: len(screen.notifications()) >= 2, 10)
        assert sorted(n["summary"] for n in screen.notifications()) == ["Thanks", "Walk"]
    finally:
        assert daemon.stop() == 0
    # Once the first is gone, the folder is free again.
    daemon.start()
    assert daemon.stop() == 0


@pytest.mark.e2e
def test_deleting_the_state_folder_does_not_let_a_second_daemon_start(
    screen: Desktop, daemons: Callable[..., Daemon], tmp_path: Path
) -> None:
    """The lock also lives in $XDG_RUNTIME_DIR, where removing the state folder cannot take it."""
    import shutil

    daemon = daemons(screen.env, TWO, "2026-11-27 10:00:00")
    daemon.env["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
    daemon.start()
    try:
        assert daemon.proc is not None
        daemon.wait_log("running:", 10)
        os.rename(daemon.state_dir, tmp_path / "gone")  # at once: the daemon may be writing in it
        shutil.rmtree(tmp_path / "gone", ignore_errors=True)
        second = daemon.cli("run", "--tick", "0.3")
        assert second.returncode == 1, second.stderr
        assert f"already running for {daemon.state_dir} (PID {daemon.proc.pid})" in second.stderr
    finally:
        assert daemon.stop() == 0


ONE_AT_SEVEN = """
[settings]
timezone = "Europe/Berlin"

[habits.thanks]
title = "Thanks"
at = "19:00"

[habits.walk]
title = "Walk"
at = "21:00"
"""


class Recording(PlyerNotifier):
    """A notifier that looks at the state file at the moment of sending, and can fail."""

    def __init__(self, store: Store, fail: int = 0) -> None:
        super().__init__()
        self.store = store
        self.fail = fail
        self.seen: list[tuple[str, object]] = []
        self.waiting: list[object] = []  # what `habitd status` would read as waiting, while it is sent
        self.sent: list[str] = []  # each body handed over, shown or not

    def send(self, note: Note) -> None:
        self.sent.append(note.body)
        title = note.title
        r = self.store.read().reminders.get(title.lower())
        self.seen.append((title, r.handled if r else None))
        self.waiting.append(r.pending if r else None)
        if self.fail:
            self.fail -= 1
            raise DeliveryError("the notification server did not take it: gone")


def runner_at(tmp_path: Path, fail: int = 0) -> tuple[Runner, Recording, list[datetime]]:
    config = tmp_path / "config.toml"
    config.write_text(ONE_AT_SEVEN)
    store = Store(tmp_path / "state")
    notifier = Recording(store, fail)
    now = [datetime(2026, 11, 27, 19, 0, 1, tzinfo=ZoneInfo("Europe/Berlin"))]
    return Runner(str(config), store, notifier, clock=lambda: now[0]), notifier, now


def test_a_reminder_is_recorded_as_shown_before_it_is_sent(tmp_path: Path) -> None:
    """A crash right after showing it cannot show it again: the record came first."""
    runner, notifier, now = runner_at(tmp_path)
    runner.deliver(now[0])
    due = datetime(2026, 11, 27, 18, 0, tzinfo=ZoneInfo("UTC"))
    assert notifier.seen == [("Thanks", due)]
    runner.deliver(now[0])
    assert len(notifier.seen) == 1


def test_a_failed_send_turns_back_to_pending_and_is_retried_once(tmp_path: Path) -> None:
    runner, notifier, now = runner_at(tmp_path, fail=1)
    runner.deliver(now[0])
    r = runner.store.read().reminders["thanks"]
    assert r.handled is None and r.pending is not None
    now[0] += timedelta(minutes=1)
    runner.deliver(now[0])
    runner.deliver(now[0])
    assert [t for t, _ in notifier.seen] == ["Thanks", "Thanks"]
    r = runner.store.read().reminders["thanks"]
    assert r.handled is not None and r.pending is None


def test_a_reminder_waiting_to_be_shown_is_seen_waiting_while_it_is_tried_again(tmp_path: Path) -> None:
    """`habitd status` run while the daemon tries a pending reminder again says it waits: the
    state never loses it between the try and its outcome."""
    runner, notifier, now = runner_at(tmp_path, fail=2)
    runner.deliver(now[0])
    assert notifier.waiting == [None]  # the first try: it was not waiting yet
    now[0] += timedelta(minutes=1)
    runner.deliver(now[0])  # a retry that fails again
    runner.deliver(now[0])  # a retry that shows it
    assert notifier.waiting[1] is not None and notifier.waiting[2] is not None
    assert runner.store.read().reminders["thanks"].pending is None  # shown at last: it waits no more


def test_retrying_a_reminder_deals_no_new_prompt_and_adds_nothing_to_the_history(tmp_path: Path) -> None:
    """Without a notification server, a reminder is tried every minute: its prompt is the one its
    first try dealt, and the shared history does not grow by an event a minute."""
    runner, notifier, now = runner_at(tmp_path, fail=30)
    text = ONE_AT_SEVEN.replace('at = "19:00"', 'at = "19:00"\nprompts = ["one", "two", "three"]', 1)
    (tmp_path / "config.toml").write_text(text)
    runner.reload("a test")
    runner.deliver(now[0])
    before = len(runner.store.events())
    for _ in range(20):  # twenty minutes of retries
        now[0] += timedelta(minutes=1)
        runner.deliver(now[0])
    assert len(runner.store.events()) == before
    notifier.fail = 0
    runner.deliver(now[0])
    assert len(notifier.sent) == 23  # the first try (at the reload), then 22 tries, the last one shown
    assert len({b.split("\n\n")[-1] for b in notifier.sent}) == 1  # each with the same prompt


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runner, notifier, now = runner_at(tmp_path, fail=60)
    caplog.set_level(logging.INFO, logger="habitd")
    for _ in range(30):  # half an hour of periodic checks without a server
        runner.deliver(now[0])
        now[0] += timedelta(minutes=1)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "Is a notification server running" in warnings[0].getMessage()
    notifier.fail = 0
    caplog.clear()
    runner.deliver(now[0])
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "notifications are shown again"
    assert sum("shown again" in m for m in messages) == 1


def test_a_folder_watch_names_what_changed_in_each_folder_and_costs_nothing_idle(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    watch = FolderWatch()
    try:
        assert watch.add(str(one)) and watch.add(str(two)) and watch.active
        assert select.select([watch], [], [], 0.05)[0] == []  # nothing happened: not readable
        (one / "a.tmp").write_text("x")
        os.replace(one / "a.tmp", one / "state.toml")
        (two / "b").write_text("y")
        assert select.select([watch], [], [], 2)[0] == [watch]
        changes = {(Path(c.folder).name, c.name) for c in watch.changes()}
        assert {("one", "state.toml"), ("two", "b")} <= changes
        assert watch.changes() == []
    finally:
        watch.close()


@pytest.mark.e2e
@pytest.mark.machine_clock
def test_make_run_uses_a_demo_state_folder_and_says_what_it_uses(tmp_path: Path) -> None:
    """`make run` must never write into the developer's own state, and says where it writes."""
    import signal
    import subprocess

    from tests.conftest import ROOT

    ignored = subprocess.run(["git", "check-ignore", "-q", ".demo-state/state.toml"], cwd=ROOT)
    assert ignored.returncode == 0
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "HABITD_", "DBUS_", "MAKE"))}
    env |= {"HOME": str(home), "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus"}
    env = wall_clock_env(env)
    demo = tmp_path / "demo"
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"DEMO_STATE={demo}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "running:" in line:
                break
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(10)
    out = "".join(lines)
    assert f"habitd demo in {demo} (emptied at each start)" in out
    assert "Its reminder comes at " in out and "Ctrl-C" in out
    assert (demo / "config.toml").exists() and (demo / "state" / "state.toml").exists()
    assert not (home / ".local" / "state").exists() and not (home / ".config").exists()
    # The command it offers for another terminal works there, where the checkout's .venv/bin is on no PATH.
    offered = out.split("In another terminal: `", 1)[1].split("`", 1)[0]
    shell = {**env, "PATH": "/usr/bin:/bin"}
    status = subprocess.run(offered, shell=True, cwd=tmp_path, env=shell, capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("habit ") and "demo" in status.stdout


MANY = (
    ONE_AT_SEVEN.replace('"Europe/Berlin"', '"Europe/Berlin"\nmax_per_day = 50')
    + '[habits.hug]\ntitle = "Hug"\nat = "21:00"\n'
    + "".join(f'[habits.tea-{k}]\ntitle = "Tea {k}"\nat = "22:00"\n' for k in range(40))
)


def test_one_job_waits_for_the_soonest_reminder_and_plans_only_the_habits_due_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many habits, start-up sets one timer, not one per habit, and the work at a
    reminder's second is the work of the habits due then, all of them, and no other."""
    import habitd.service.timer as timer_mod

    runner, notifier, now = runner_at(tmp_path)
    (tmp_path / "config.toml").write_text(MANY)
    runner.config = runner._read_config()
    berlin = ZoneInfo("Europe/Berlin")
    runner.timer.start(paused=True)  # the test fires the job
    try:
        runner.check()  # at start every habit is planned: 19:00 shown, the job set for 21:00
        assert [t for t, _ in notifier.seen] == ["Thanks"]
        [job] = runner.timer.scheduler.get_jobs()
        assert job.next_run_time == datetime(2026, 11, 27, 21, 0, tzinfo=berlin)
        planned: list[str] = []
        real = timer_mod.next_reminder
        monkeypatch.setattr(timer_mod, "next_reminder", lambda c, s, h, n: planned.append(h.id) or real(c, s, h, n))
        now[0] = datetime(2026, 11, 27, 21, 0, 0, 300000, tzinfo=berlin)
        job.func(*job.args)  # what the scheduler thread does at 21:00
        runner.check(only=runner.timer.take_fired())
        assert sorted(planned) == ["hug", "walk"]
        assert [t for t, _ in notifier.seen] == ["Thanks", "Hug", "Walk"]
        [job] = runner.timer.scheduler.get_jobs()
        assert job.next_run_time == datetime(2026, 11, 27, 22, 0, tzinfo=berlin)
        planned.clear()
        now[0] = datetime(2026, 11, 27, 22, 0, 0, 300000, tzinfo=berlin)
        job.func(*job.args)
        runner.check(only=runner.timer.take_fired())
        assert sorted(planned) == sorted(f"tea-{k}" for k in range(40))
        assert len(notifier.seen) == 43
        [job] = runner.timer.scheduler.get_jobs()
        assert job.next_run_time == datetime(2026, 11, 28, 19, 0, tzinfo=berlin)  # thanks, tomorrow
    finally:
        runner.close()


def test_the_job_follows_a_habit_done_before_its_time(tmp_path: Path) -> None:
    """Done before 21:00 in another process: the job moves on to the next habit's time."""
    from habitd.history import record

    runner, _, now = runner_at(tmp_path)
    (tmp_path / "config.toml").write_text(ONE_AT_SEVEN + '[habits.hug]\ntitle = "Hug"\nat = "21:30"\n')
    runner.config = runner._read_config()
    berlin = ZoneInfo("Europe/Berlin")
    runner.timer.start(paused=True)
    try:
        runner.check()
        [job] = runner.timer.scheduler.get_jobs()
        assert job.next_run_time == datetime(2026, 11, 27, 21, 0, tzinfo=berlin)
        walk = runner.config.habit("walk")
        assert walk is not None
        record.done(Store(tmp_path / "state"), runner.config, walk, now[0].date(), now[0])
        runner.state_changed()
        [job] = runner.timer.scheduler.get_jobs()
        assert job.next_run_time == datetime(2026, 11, 27, 21, 30, tzinfo=berlin)
    finally:
        runner.close()


def test_without_inotify_the_periodic_check_notices_a_changed_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import time

    from habitd.history import record

    runner, _, now = runner_at(tmp_path)
    assert not runner.watch.active  # nothing watched: as where inotify is missing
    caplog.set_level(logging.INFO, logger="habitd")
    runner.timer.start(paused=True)
    try:
        runner.check()  # the daemon's own save is not a change
        runner._tick(now[0], time.monotonic())
        assert "the state changed" not in caplog.text
        other = Store(tmp_path / "state")  # another process: habitd undo
        record.skip(other, runner.config, runner.config.habits[1], now[0].date(), now[0])
        runner._tick(now[0], time.monotonic())
        assert "the state changed" in caplog.text
    finally:
        runner.close()


def test_a_stop_asked_while_planning_ends_the_planning(tmp_path: Path) -> None:
    """A SIGTERM arriving while the next reminders are worked out stops that work, habit by habit."""
    import signal

    from habitd.service import timer

    runner, _notifier, now = runner_at(tmp_path)
    runner.schedule(now[0])
    assert set(runner.timer.when) == {"thanks", "walk"}
    runner.wakeup.on_signal(signal.SIGTERM, None)
    with pytest.raises(timer.Stopping):
        runner.schedule(now[0])
    assert runner.timer.when == {}  # not one habit planned after the signal


def test_the_status_bar_files_reuse_the_schedules_times_and_agree_with_status(tmp_path: Path) -> None:
    """The daemon writes today's files with the reminder times it scheduled, not computed again:
    they are the times `habitd status` works out."""
    from habitd.views import rows as views

    runner, _notifier, now = runner_at(tmp_path)
    runner.check()
    state = runner.store.read()
    reused = views.status(runner.config, state, now[0], next_times=runner.timer.when)
    assert reused == views.status(runner.config, state, now[0])
    assert any(row.next_reminder is not None for row in reused)


def test_run_releases_what_it_holds_when_it_stops(tmp_path: Path) -> None:
    """A stop asked before the first planning ends run() there; close() has let go of the
    scheduler's thread, the descriptors (pipe, inotify, lock) and the signals' wakeup, and may
    be called again."""
    import signal

    from habitd.service import instance

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    fds = set(os.listdir("/proc/self/fd"))
    runner, _notifier, _now = runner_at(tmp_path)
    try:
        runner.wakeup.on_signal(signal.SIGTERM, None)
        assert runner.run() == 0
        assert not runner.timer.scheduler.running
        assert set(os.listdir("/proc/self/fd")) <= fds
        assert signal.set_wakeup_fd(-1) == -1  # the wakeup descriptor before run(): none
        from habitd.service.feeds import runtime_dir

        for fd in instance.hold(str(tmp_path / "state"), runtime_dir()):  # the locks are free
            os.close(fd)
        runner.close()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
