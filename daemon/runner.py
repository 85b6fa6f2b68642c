"""``habitd run``: the reminder daemon, APScheduler for timing, the main thread for work.

Each habit with reminders is one APScheduler job (id = habit id) whose date
trigger is the next time it has something to show. When a job fires it only
wakes the main thread (a byte down a pipe); signal handlers only set a flag
(``signal.set_wakeup_fd`` wakes the same ``select``). The main thread then
does all the work: it plans (reminders.py), shows notifications, records
them in the state, and reschedules the jobs whose time changed.

A periodic check (every ``tick`` seconds, 60 by default) bounds what the
monotonic clock cannot see: after suspend or a jump of the wall clock it
catches up and reschedules; it retries undelivered reminders, reloads a
changed config, does the work of a job that did not fire on time, and pets
systemd's watchdog.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import ClassVar

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from daemon import store as store_mod
from daemon.config import Config, parse_config
from daemon.errors import ConfigError, HabitdError
from daemon.notify import DeliveryError, Notifier
from daemon.prompts import next_prompt
from daemon.reminders import Due, plan
from daemon.sdnotify import sd_notify
from daemon.store import StateStore
from daemon.views import next_reminder

log = logging.getLogger("habitd")

JUMP_TOLERANCE = timedelta(seconds=30)
OVERDUE = timedelta(seconds=2)  # a job this late has not fired: the periodic check does its work
_JOB = b"\0"  # what a job writes down the pipe; signals write their number


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Runner:
    def __init__(
        self,
        config_path: str,
        store: StateStore,
        notifier: Notifier,
        tick: float = 60.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.config_path = config_path
        self.store = store
        self.notifier = notifier
        self.tick_seconds = tick
        self.clock = clock
        self._config_seen = self._config_signature()  # before reading: a later change is noticed
        self.config = self._read_config()
        self._signals: set[int] = set()
        self._retry = False
        self._next_due: datetime | None = None  # the soonest job's time
        self._rfd, self._wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    # --- config -----------------------------------------------------------

    def _read_config(self) -> Config:
        text = store_mod.read_config_text(self.config_path)
        return parse_config(text, str(self.config_path), store_mod.system_timezone())

    def _config_signature(self) -> tuple[int, int, int] | None:
        """What tells a changed config file: modification time, size and inode (an editor's rename).

        The size too, because a file read between an editor's truncation and its write can keep
        its modification time (coarse timestamps) but not its size.
        """
        try:
            st = os.stat(self.config_path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def reload(self, why: str) -> None:
        sd_notify("RELOADING=1")
        self._config_seen = self._config_signature()
        try:
            new = self._read_config()
        except ConfigError as e:
            log.error("%s; the config was not reloaded, the previous one stays in force:\n%s", why, e)
            sd_notify("READY=1")
            return
        old = {h.id: h for h in self.config.habits}
        fresh = {h.id: h for h in new.habits}
        changed = sorted(i for i in fresh if i in old and fresh[i] != old[i])
        log.info(
            "%s: config reloaded (%d habit%s; added %s; changed %s; removed %s)",
            why,
            len(fresh),
            "" if len(fresh) == 1 else "s",
            sorted(fresh.keys() - old.keys()) or "none",
            changed or "none",
            sorted(old.keys() - fresh.keys()) or "none",
        )
        if new.settings != self.config.settings:
            changed = sorted(fresh)  # a new zone or quiet hours moves every reminder
        self.config = new
        self.check(force=changed)
        sd_notify("READY=1")

    # --- the work -----------------------------------------------------------

    def check(self, force: list[str] | None = None) -> None:
        """Show what is due, then schedule what comes after, both as of one moment.

        One moment for both: a reminder that falls due between the two steps would
        otherwise be neither shown (too late for the first) nor scheduled (too early
        for the second). Scheduled in the past, APScheduler runs it at once.
        """
        now = self.clock()
        self.deliver(now)
        self.schedule(now, force)

    def deliver(self, now: datetime) -> None:
        """Show what is due at ``now``, once, and record it; keep what could not be shown pending."""
        config = self.config
        try:
            to_send: list[tuple[Due, str]] = []
            with self.store.update() as state:
                dues = plan(config, state, now)
                due_ids = {d.habit.id for d in dues}
                for hid, r in state.reminders.items():
                    if r.pending and hid not in due_ids:  # met, paused or too old meanwhile
                        r.pending, r.reason = None, ""
                day = config.today(now)
                if state.sent_day != day:
                    state.sent_day, state.sent_count = day, 0
                for due in dues:
                    if state.sent_count >= config.settings.max_per_day:
                        log.warning(
                            "%s: reminder of %s dropped, %d shown today already (max_per_day)",
                            due.habit.id,
                            _local(config, due.slot.due),
                            state.sent_count,
                        )
                        state.reminder(due.habit.id).handled = due.slot.due
                        continue
                    state.sent_count += 1
                    prompt = next_prompt(state, due.habit, self._random_seed(now))
                    body = due.habit.message + (f"\n\n{prompt}" if prompt else "")
                    to_send.append((due, body))
            results: list[tuple[Due, DeliveryError | None]] = []
            for due, body in to_send:
                try:
                    self.notifier.send(due.habit.title, body)
                    log.info(
                        "%s: reminder of %s shown%s",
                        due.habit.id,
                        _local(config, due.slot.due),
                        f" ({_late(due.late)} late)" if due.late > timedelta(minutes=1) else "",
                    )
                    results.append((due, None))
                except DeliveryError as e:
                    log.warning("%s: reminder of %s not shown yet: %s", due.habit.id, _local(config, due.slot.due), e)
                    results.append((due, e))
            self._retry = any(err for _, err in results)
            if results:
                with self.store.update() as state:
                    for due, err in results:
                        r = state.reminder(due.habit.id)
                        if err is None:
                            r.handled = max(r.handled or due.slot.due, due.slot.due)
                            r.pending, r.reason = None, ""
                        else:
                            r.pending, r.reason = due.slot.due, str(err)
                            state.sent_count = max(0, state.sent_count - 1)
        except HabitdError as e:
            log.error("could not check reminders: %s", e)
            self._retry = True

    def _random_seed(self, now: datetime) -> int:
        return int(now.timestamp() * 1000) ^ os.getpid()

    def schedule(self, now: datetime, force: list[str] | None = None) -> None:
        """Give each habit's job its next time after ``now``; touch only the jobs whose time changed."""
        try:
            state = self.store.read()
        except HabitdError as e:
            log.error("could not read the state to schedule reminders: %s", e)
            return
        ids = set()
        soonest: tuple[datetime, str] | None = None
        for habit in self.config.habits:
            when = next_reminder(self.config, state, habit, now)
            job = self.scheduler.get_job(habit.id)
            if when is None:
                if job:
                    job.remove()
                continue
            ids.add(habit.id)
            if soonest is None or when < soonest[0]:
                soonest = (when, habit.id)
            if job and job.next_run_time == when and not (force and habit.id in force):
                continue
            self.scheduler.add_job(
                self._poke, DateTrigger(run_date=when, timezone=UTC), id=habit.id, replace_existing=True
            )
        for job in self.scheduler.get_jobs():
            if job.id not in ids:
                job.remove()
        self._next_due = soonest[0] if soonest else None
        status = f"next: {soonest[1]} at {_local(self.config, soonest[0])}" if soonest else "no reminders ahead"
        sd_notify(f"STATUS={status}")
        log.debug(status)

    def _poke(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe wakes the main thread anyway
            os.write(self._wfd, _JOB)

    # --- the loop -------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.add(signum)  # nothing else here: the main thread acts on it

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        old_wakeup = signal.set_wakeup_fd(self._wfd, warn_on_full_buffer=False)
        self.scheduler.start()
        since = self.clock(), time.monotonic()  # before the first check: a jump during it is seen
        try:
            self.check()
            n = len(self.config.habits)
            log.info("running: %d habit%s, notifications via %s", n, "" if n == 1 else "s", self.notifier.backend)
            sd_notify("READY=1")
            self._loop(*since)
        finally:
            sd_notify("STOPPING=1")
            self.scheduler.shutdown(wait=False)
            signal.set_wakeup_fd(old_wakeup)
            os.close(self._rfd)
            os.close(self._wfd)
        log.info("habitd stopped")
        return 0

    def _loop(self, last_wall: datetime, last_mono: float) -> None:
        next_tick = last_mono + self.tick_seconds
        while True:
            ready, _, _ = select.select([self._rfd], [], [], max(0.0, next_tick - time.monotonic()))
            woke = b""
            if ready:
                with contextlib.suppress(BlockingIOError):
                    woke = os.read(self._rfd, 4096)
            if self._signals & {signal.SIGTERM, signal.SIGINT}:
                return
            if signal.SIGHUP in self._signals:
                self._signals.discard(signal.SIGHUP)
                self.reload("SIGHUP")
            if _JOB in woke:
                self.check()
            if time.monotonic() >= next_tick:
                last_wall, last_mono = self._tick(last_wall, last_mono)
                next_tick = time.monotonic() + self.tick_seconds

    def _tick(self, last_wall: datetime, last_mono: float) -> tuple[datetime, float]:
        sd_notify("WATCHDOG=1")
        wall, mono = self.clock(), time.monotonic()
        drift = (wall - last_wall) - timedelta(seconds=mono - last_mono)
        if abs(drift) > JUMP_TOLERANCE:
            log.info("the wall clock jumped by %s (suspend or a clock change); catching up", _late(drift))
            self.check(force=[h.id for h in self.config.habits])
        elif self._config_signature() != self._config_seen:
            self.reload("the config file changed")
        elif self._retry:
            self.check()
        elif self._next_due is not None and wall > self._next_due + OVERDUE:
            # Its job should have fired: never seen outside a faked clock, but a reminder must not
            # hang on the scheduler thread's wait. At worst it is late by one periodic check.
            late = _local(self.config, self._next_due)
            log.warning("the reminder due at %s did not fire on time; checking now", late)
            self.check()
        return wall, mono


def _local(config: Config, moment: datetime) -> str:
    return moment.astimezone(config.settings.tz).strftime("%Y-%m-%d %H:%M")


def _late(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    sign = "-" if delta < timedelta(0) else ""
    if seconds >= 3600:
        return f"{sign}{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{sign}{seconds // 60}m{seconds % 60:02d}s"


class JournalFormatter(logging.Formatter):
    """Under journald: no timestamp, and the syslog priority as a <N> prefix."""

    PRIORITY: ClassVar[dict[int, int]] = {
        logging.DEBUG: 7,
        logging.INFO: 6,
        logging.WARNING: 4,
        logging.ERROR: 3,
        logging.CRITICAL: 2,
    }

    def format(self, record: logging.LogRecord) -> str:
        prio = self.PRIORITY.get(record.levelno, 6)
        return "\n".join(f"<{prio}>{line}" for line in super().format(record).splitlines())


def setup_logging(verbosity: int, journal: bool) -> None:
    level = {-1: logging.WARNING, 0: logging.INFO}.get(max(-1, min(verbosity, 1)), logging.DEBUG)
    if verbosity <= -2:
        level = logging.ERROR
    handler = logging.StreamHandler()
    if journal:
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
