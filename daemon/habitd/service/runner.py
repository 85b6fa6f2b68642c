"""``habitd run``: the reminder daemon, APScheduler for timing, the main thread for work.

The runner keeps each habit's next reminder time, and one APScheduler job
(a date trigger) waits for the soonest of them, or for the end of quiet
hours: so start-up and each reschedule cost the same whatever the number of
habits. When the job fires it only wakes the main thread (a byte down a
pipe); signal handlers only set a flag (``signal.set_wakeup_fd`` wakes the
same ``select``). The main thread then does all the work: it plans
(reminders.py) the habits due at that time, shows notifications, records
them in the state, works out those habits' next times and moves the job to
the soonest.

The state folder is watched (watch.py, inotify), and so are the shared
folder, its ``devices`` folder and each device's folder in it (a partner's
events arrive there, and a new device's folder is watched as it appears):
when another process or a partner's device changes the history (``habitd
done``, ``undo``, ``resume``...) the same ``select`` wakes and
``state_changed`` plans again at once. A sync engine's files in the making
wake nothing. The daemon's own saves are told apart by the store fingerprint
they left.

A periodic check (every ``tick`` seconds, 60 by default) bounds what the
monotonic clock cannot see: after suspend or a jump of the wall clock it
catches up and reschedules; it retries undelivered reminders, reloads a
changed config, watches folders that appeared (a shared folder mounted late)
and notices a changed state where inotify is missing or was not watching, does the
work of a job that did not fire on time, and pets systemd's watchdog.

One daemon per state folder (instance.py). A reminder is recorded as shown
before it is sent, in the same locked step that planned it; a failed send
turns it back to pending. So a crash between the two can lose that one
reminder but never show it twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from types import FrameType
from typing import ClassVar

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from habitd.errors import ConfigError, HabitdError
from habitd.habits.config import Config, Habit, parse_config
from habitd.habits.prompts import next_prompt
from habitd.habits.schedule import handled_mark, in_quiet_hours
from habitd.history import eventlog, files, identity, logformat
from habitd.history.files import Signature
from habitd.history.store import Fingerprint, Store
from habitd.service import buttons, instance
from habitd.service.bubbles import Bubbles
from habitd.service.feeds import Feeds, runtime_dir
from habitd.service.notify import DeliveryError, Notifier
from habitd.service.reminders import Due, plan
from habitd.service.sdnotify import sd_notify
from habitd.service.watch import FolderWatch
from habitd.views.rows import next_reminder

log = logging.getLogger("habitd")

JUMP_TOLERANCE = timedelta(seconds=30)
OVERDUE = timedelta(seconds=2)  # a job this late has not fired: the periodic check does its work
JOB = "~next"  # the one job, at the soonest reminder; not a habit id (lowercase letters, digits, '-')
_JOB = b"\0"  # what a job writes down the pipe; signals write their number
_BUTTON = b"\x7f"  # what the notifier's thread writes when a button was pressed
_FOLDER_GONE = "the shared folder is not there"  # one outage, whichever read noticed it first


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Stopping(Exception):
    """SIGTERM or SIGINT arrived in the middle of work over every habit: stop now, not after it."""


class Runner:
    def __init__(
        self,
        config_path: str,
        store: Store,
        notifier: Notifier,
        tick: float = 60.0,
        clock: Callable[[], datetime] = _utcnow,
        config_read: tuple[Signature | None, Config] | None = None,
    ) -> None:
        self.config_path = config_path
        self.store = store
        self.notifier = notifier
        self.tick_seconds = tick
        self.clock = clock
        if config_read is None:
            self._config_seen = files.signature(self.config_path)  # before reading: a later change is noticed
            self.config = self._read_config()
        else:  # read by the caller (the file's signature taken before): not parsed twice
            self._config_seen, self.config = config_read
        self._signals: set[int] = set()
        self._fired: set[datetime] = set()  # the times the job fired for, not handled yet
        self._when: dict[str, datetime] = {}  # each habit's next reminder time
        self._quiet_end: datetime | None = None  # while in quiet hours, when they end
        self._retry = False
        self._next_due: datetime | None = None  # the job's time: the soonest of the above
        self._state_seen: Fingerprint | None = None  # the state file as last planned from
        self._outage: str | None = None  # why notifications cannot be shown, while they cannot
        self._unknown: str | None = None  # why the history cannot be read, while it cannot
        self.watch = FolderWatch()
        self._watching = False  # whether it follows the store's folders (from the start of run())
        self._watch_complete = False  # whether every folder of the store is watched now
        self.feeds = Feeds(runtime_dir(), store)  # status-bar files and the calendar feed
        self._rfd, self._wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        notifier.wake = self._button
        notifier.interrupted = self._stop_asked
        self.bubbles = Bubbles(notifier, store, lambda: self.config, clock)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    # --- config -----------------------------------------------------------

    def _read_config(self) -> Config:
        text = files.read_config_text(self.config_path)
        config = parse_config(text, str(self.config_path), files.system_timezone())
        return config.named(identity.device_name(self.store.dir))  # one config for both: each machine's name

    def reload(self, why: str) -> None:
        sd_notify("RELOADING=1")
        self._config_seen = files.signature(self.config_path)
        try:
            new = self._read_config()
        except ConfigError as e:
            if isinstance(e, files.ConfigLinkDangling):  # the shared folder is gone: one outage, one error
                level, self._unknown = (logging.INFO if self._unknown == _FOLDER_GONE else logging.ERROR), _FOLDER_GONE
            else:
                level = logging.ERROR
            log.log(level, "%s; the config was not reloaded, the previous one stays in force:\n%s", why, e)
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
        LocalFormatter.tz = new.settings.tz  # log stamps follow a new time zone
        self.check(force=changed)
        self.feeds.update(self.config, self.clock(), config_changed=True, next_times=self._when)
        sd_notify("READY=1")

    # --- the work -----------------------------------------------------------

    def check(self, force: list[str] | None = None, only: set[str] | None = None) -> None:
        """Show what is due, then schedule what comes after, both as of one moment.

        One moment for both: a reminder that falls due between the two steps would
        otherwise be neither shown (too late for the first) nor scheduled (too early
        for the second). Scheduled in the past, APScheduler runs it at once.
        ``only``: the habits due when the job fired; the others keep their times untouched.
        """
        now = self.clock()
        self.deliver(now, only)
        self.schedule(now, force, only)

    def _habits(self, only: set[str] | None) -> Sequence[Habit]:
        return self.config.habits if only is None else [h for h in self.config.habits if h.id in only]

    def deliver(self, now: datetime, only: set[str] | None = None) -> None:
        """Show what is due at ``now``, once, and record it; keep what could not be shown pending.

        Planned and recorded as shown in one locked step, before sending: a second look at the
        state (a periodic check, another process) can never send it again. A failed send turns it
        back to pending, so it is retried.
        """
        config = self.config
        try:
            to_send: list[tuple[Due, str, datetime | None]] = []  # with what was handled before
            with self.store.update() as state:
                dues = plan(config, state, now, self._habits(only))
                due_ids = {d.habit.id for d in dues}
                for hid, r in state.reminders.items():
                    if r.pending and hid not in due_ids and (only is None or hid in only):  # met, paused, too old
                        r.pending, r.reason = None, ""
                day = config.today(now)
                if state.sent_day != day:
                    state.sent_day, state.sent_count = day, 0
                for due in dues:
                    r = state.reminder(due.habit.id)
                    before = r.handled
                    r.handled = max(handled_mark(r.handled, now) or due.slot.due, due.slot.due)
                    if state.sent_count >= config.settings.max_per_day:
                        log.warning(
                            "%s: reminder of %s dropped, %d shown today already (max_per_day)",
                            due.habit.id,
                            _local(config, due.slot.due),
                            state.sent_count,
                        )
                        continue
                    state.sent_count += 1
                    r.pending, r.reason = None, ""
                    prompt = next_prompt(state, due.habit, self._random_seed(now))
                    body = due.habit.message + (f"\n\n{prompt}" if prompt else "")
                    to_send.append((due, body, before))
            failed: list[tuple[Due, datetime | None, DeliveryError]] = []
            for due, body, before in to_send:
                try:
                    self.notifier.send(buttons.note_for(config, due, body))
                except DeliveryError as e:
                    self._failed(due, e)
                    failed.append((due, before, e))
                    continue
                self._shown(due)
            self._retry = bool(failed)
            self._history_known()
            if failed:
                with self.store.update() as state:
                    for due, before, err in failed:
                        r = state.reminder(due.habit.id)
                        if r.handled == due.slot.due:
                            r.handled = before
                        r.pending, r.reason = due.slot.due, str(err)
                        state.sent_count = max(0, state.sent_count - 1)
        except HabitdError as e:
            self._history_unknown("could not check reminders", e)
            self._retry = True

    def _history_unknown(self, what: str, e: HabitdError) -> None:
        """Log why the history cannot be read once, not at every retry: no reminders until it can.

        A missing shared folder is one outage, whether the history or the config linked into it
        tells first.
        """
        # a read and a write say the same first
        why = _FOLDER_GONE if isinstance(e, eventlog.SharedFolderMissing) else str(e).split(";")[0]
        if why == self._unknown:
            log.debug("%s: %s", what, e)
            return
        self._unknown = why
        log.error("%s: %s; no reminders until it can be read, tried again every minute", what, e)

    def _history_known(self) -> None:
        if self._unknown is not None:
            log.info("the history can be read again; reminders are back")
            self._unknown = None

    def _shown(self, due: Due) -> None:
        if self._outage is not None:
            log.info("notifications are shown again")
            self._outage = None
        log.info(
            "%s: reminder of %s shown%s",
            due.habit.id,
            _local(self.config, due.slot.due),
            f" ({_late(due.late)} late)" if due.late > timedelta(minutes=1) else "",
        )

    def _failed(self, due: Due, err: DeliveryError) -> None:
        """One warning when notifications stop working, not one per reminder and retry."""
        what = f"{due.habit.id}: reminder of {_local(self.config, due.slot.due)} not shown yet"
        if self._outage is None:
            self._outage = str(err)
            log.warning(
                "%s: %s. Is a notification server running (a desktop session)? Reminders stay"
                " pending, are retried every minute and shown once it is back; `habitd status`"
                " lists them",
                what,
                err,
            )
        else:
            log.debug("%s: %s", what, err)

    def _random_seed(self, now: datetime) -> int:
        return int(now.timestamp() * 1000) ^ os.getpid()

    def schedule(self, now: datetime, force: list[str] | None = None, only: set[str] | None = None) -> None:
        """Work out each habit's next reminder time after ``now`` (or those in ``only``) and
        set the one job to the soonest; it is touched only when that time changed, or ``force``.
        """
        try:
            state = self.store.read()
        except HabitdError as e:
            self._history_unknown("could not read the state to schedule reminders", e)
            return
        self.bubbles.close_settled(state, now)
        if only is None:
            self._when.clear()
        for habit in self._habits(only):
            if self._stop_asked():  # a stop waits for no habit's reminder time (schedule.never_shown)
                raise _Stopping
            when = next_reminder(self.config, state, habit, now)
            if when is None:
                self._when.pop(habit.id, None)
            else:
                self._when[habit.id] = when
        soonest = min(((w, i) for i, w in self._when.items()), default=None)
        self._next_due = soonest[0] if soonest else None
        self._quiet_end = in_quiet_hours(now, self.config.settings)  # what they hold back is shown then
        if self._quiet_end is not None and (self._next_due is None or self._quiet_end < self._next_due):
            self._next_due = self._quiet_end
        job = self.scheduler.get_job(JOB)
        if self._next_due is None:
            if job:
                with contextlib.suppress(JobLookupError):  # it has just fired
                    job.remove()
        elif force or getattr(job, "next_run_time", None) != self._next_due:  # none before the start
            self.scheduler.add_job(
                self._poke, DateTrigger(run_date=self._next_due, timezone=UTC), args=[self._next_due], id=JOB,
                replace_existing=True,
            )  # fmt: skip
        status = f"next: {soonest[1]} at {_local(self.config, soonest[0])}" if soonest else "no reminders ahead"
        sd_notify(f"STATUS={status}")
        log.debug(status)

    def _poke(self, when: datetime) -> None:
        """On the scheduler's thread: note the time the job fired for and wake the main thread."""
        self._fired.add(when)
        with contextlib.suppress(BlockingIOError):  # a full pipe wakes the main thread anyway
            os.write(self._wfd, _JOB)

    def _button(self) -> None:
        """On the notifier's thread: a button was pressed; wake the main thread."""
        with contextlib.suppress(BlockingIOError):
            os.write(self._wfd, _BUTTON)

    # --- the loop -------------------------------------------------------------

    def _take_fired(self) -> set[str] | None:
        """The habits due at the time the job fired for; None: look at every habit."""
        fired = set()
        while self._fired:  # set.pop is atomic: the scheduler thread may add meanwhile
            fired.add(self._fired.pop())
        upto = max(fired, default=None)
        if upto is None or (self._quiet_end is not None and self._quiet_end <= upto):
            return None
        return {i for i, w in self._when.items() if w <= upto}

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.add(signum)  # nothing else here: the main thread acts on it

    def _stop_asked(self) -> bool:
        return bool(self._signals & {signal.SIGTERM, signal.SIGINT})

    # --- the state, changed by another process ---------------------------------

    def _state_moved(self) -> bool:
        """Whether the state file differs from what was last planned from and from our own save."""
        now = self.store.fingerprint()
        if now == self._state_seen or now == self.store.saved:
            self._state_seen = now
            return False
        self._state_seen = now
        return True

    def _follow(self) -> bool:
        """Watch the store's folders as they are now; True when one was added (the changes made
        in it before were not seen: the caller compares fingerprints)."""
        complete, added = self.watch.follow(self.store.folders())
        if complete != self._watch_complete:
            log.debug("every folder of the history is watched" if complete else "some folders are not"
                      " watched (not there yet, or inotify is missing): checking them every minute")  # fmt: skip
        self._watch_complete = complete
        return added

    def state_changed(self) -> None:
        """Another process changed the state (done, undo, skip, pause, resume...): plan again now.

        An undone completion or an early return from a pause reopens periods whose reminders
        were left out while they were met or paused; a habit now met (or skipped, paused) loses
        its bubble first, before any sending.
        """
        log.info("the state changed; checking reminders")
        with contextlib.suppress(HabitdError):  # if unreadable, the check says why
            self.bubbles.close_settled(self.store.read(), self.clock())
        self.check()
        self.feeds.update(self.config, self.clock(), next_times=self._when)

    def run(self) -> int:
        lock = instance.hold(self.store.dir)  # first: a second daemon stops before it shows anything
        try:
            return self._run()
        finally:
            os.close(lock)

    def _run(self) -> int:
        self._watching = True
        self._follow()
        self._state_seen = self.store.fingerprint()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        old_wakeup = signal.set_wakeup_fd(self._wfd, warn_on_full_buffer=False)
        self.scheduler.start()
        since = self.clock(), time.monotonic()  # before the first check: a jump during it is seen
        try:
            self.notifier.open()
            self.bubbles.show_again(self.clock())
            self.check()
            n = len(self.config.habits)
            log.info("running: %d habit%s, notifications via %s", n, "" if n == 1 else "s", self.notifier.backend)
            sd_notify("READY=1")
            # after READY, not on start-up's path; the schedule's times are reused
            self.feeds.update(self.config, self.clock(), config_changed=True, next_times=self._when)
            self._loop(*since)
        except _Stopping:
            log.debug("stopping in the middle of planning: what is shown is saved already")
        finally:
            sd_notify("STOPPING=1")
            self.scheduler.shutdown(wait=False)
            self.bubbles.remember()
            self.notifier.stop()
            signal.set_wakeup_fd(old_wakeup)
            os.close(self._rfd)
            os.close(self._wfd)
            self.watch.close()
        log.info("habitd stopped")
        return 0

    def _loop(self, last_wall: datetime, last_mono: float) -> None:
        next_tick = last_mono + self.tick_seconds
        while True:
            fds = [self._rfd, self.watch.fileno()] if self.watch.active else [self._rfd]
            ready, _, _ = select.select(fds, [], [], max(0.0, next_tick - time.monotonic()))
            woke = b""
            if self._rfd in ready:
                with contextlib.suppress(BlockingIOError):
                    woke = os.read(self._rfd, 4096)
            if self._stop_asked():
                return
            if signal.SIGHUP in self._signals:
                self._signals.discard(signal.SIGHUP)
                self.reload("SIGHUP")
            if _BUTTON in woke and self.bubbles.answer():
                self.check()  # reschedule (a snooze) and close what is met
            if _JOB in woke:
                self.check(only=self._take_fired())
            if self.watch.active and self.watch.fileno() in ready:
                changes = [c for c in self.watch.changes() if c.name is None or not logformat.is_sync_temp(c.name)]
                if changes:  # a sync engine's file in the making is not one
                    self._follow()  # a new device's folder, or one gone
                    if self._state_moved():  # the store's fingerprint says whether it was the history
                        self.state_changed()
            if time.monotonic() >= next_tick:
                last_wall, last_mono = self._tick(last_wall, last_mono)
                next_tick = time.monotonic() + self.tick_seconds

    def _tick(self, last_wall: datetime, last_mono: float) -> tuple[datetime, float]:
        sd_notify("WATCHDOG=1")
        added = self._follow() if self._watching else False  # a shared folder mounted (again)
        wall, mono = self.clock(), time.monotonic()
        drift = (wall - last_wall) - timedelta(seconds=mono - last_mono)
        if abs(drift) > JUMP_TOLERANCE:
            log.info("the wall clock jumped by %s (suspend or a clock change); catching up", _late(drift))
            self.check(force=[h.id for h in self.config.habits])
        elif files.signature(self.config_path) != self._config_seen:
            self.reload("the config file changed")
        elif (added or not self._watch_complete) and self._state_moved():
            self.state_changed()
        elif self._retry:
            self.check()
        elif self._next_due is not None and wall > self._next_due + OVERDUE:
            # Its job should have fired: never seen outside a faked clock, but a reminder must not
            # hang on the scheduler thread's wait. At worst it is late by one periodic check.
            late = _local(self.config, self._next_due)
            log.warning("the reminder due at %s did not fire on time; checking now", late)
            self.check()
        self.feeds.update(self.config, wall, next_times=self._when)  # a new day, or the daemon's own saves
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


class LocalFormatter(logging.Formatter):
    """Stamps in the config's time zone, with its offset: they agree with the reminder times logged."""

    tz: tzinfo = UTC

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, LocalFormatter.tz).strftime("%Y-%m-%d %H:%M:%S%z")


def setup_logging(verbosity: int, journal: bool, tz: tzinfo = UTC) -> None:
    level = {-1: logging.WARNING, 0: logging.INFO}.get(max(-1, min(verbosity, 1)), logging.DEBUG)
    if verbosity <= -2:
        level = logging.ERROR
    handler = logging.StreamHandler()
    LocalFormatter.tz = tz
    if journal:
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(LocalFormatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
