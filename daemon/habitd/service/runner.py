"""``habitd run``: the reminder daemon, APScheduler for timing, the main thread for work.

The main thread waits in one ``select`` and dispatches what woke it; the work
is done by the pieces beside this module:

- ``timer.py``: one APScheduler job (a date trigger) waits for the soonest
  reminder, or for the end of quiet hours. When it fires it only wakes the
  main thread (a byte down a pipe); signal handlers only set a flag
  (``signal.set_wakeup_fd`` wakes the same ``select``), and so does the
  notifier's thread when a button was pressed (bubbles.py answers it).
- ``delivery.py``: plans (reminders.py) the habits due at that time, records
  them as shown in the state and shows them; keeps pending what could not be
  shown, and logs an outage once when it starts and once when it ends.
- ``watch.py``: the history's folders (the state folder, the shared folder,
  its ``devices`` folder and each device's folder in it), watched with
  inotify: when another process or a partner's device changes the history
  (``habitd done``, ``undo``, ``resume``...) the same ``select`` wakes and
  ``state_changed`` plans again at once.
- ``logs.py``: the log lines' format (``setup_logging``).

A periodic check (every ``tick`` seconds, 60 by default) bounds what the
monotonic clock cannot see: after suspend or a jump of the wall clock it
catches up and reschedules; it retries undelivered reminders, reloads a
changed config, watches folders that appeared (a shared folder mounted late)
and notices a changed state where inotify is missing or was not watching, does
the work of a job that did not fire on time, and pets systemd's watchdog.

One daemon per state folder (instance.py). ``close`` releases what the runner
holds (the scheduler's thread, the bus connection, the inotify watch, the
lock); ``run`` calls it on its way out.
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
from typing import TYPE_CHECKING

from habitd.errors import HabitdError
from habitd.habits.config import Config
from habitd.habits.state import State
from habitd.history import files
from habitd.history.configfile import load_config
from habitd.history.eventlog import SharedFolderMissing
from habitd.history.files import Signature
from habitd.history.store import Store
from habitd.service import instance
from habitd.service.bubbles import Bubbles
from habitd.service.configwatch import ConfigWatch
from habitd.service.delivery import Delivery, HistoryOutage
from habitd.service.feeds import Feeds, runtime_dir
from habitd.service.logs import elapsed, local_minute, stamp_zone
from habitd.service.notify import Notifier
from habitd.service.sdnotify import sd_notify
from habitd.service.timer import Stopping, Timer
from habitd.service.watch import HistoryWatch

if TYPE_CHECKING:
    from habitd.service.phone import PhoneSync, PhoneWatch

log = logging.getLogger("habitd")

JUMP_TOLERANCE = timedelta(seconds=30)
_JOB = b"\0"  # what the timer's job writes down the pipe; signals write their number
_BUTTON = b"\x7f"  # what the notifier's thread writes when a button was pressed


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Wakeup:
    """What wakes the main thread's ``select``: a byte down a pipe (the job, a button) or a signal."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.signals: set[int] = set()
        self._old_fd: int | None = None  # the wakeup descriptor before listen()

    def fileno(self) -> int:
        return self._r

    def poke(self, byte: bytes) -> None:
        """From any thread: wake the main thread."""
        with contextlib.suppress(BlockingIOError):  # a full pipe wakes the main thread anyway
            os.write(self._w, byte)

    def listen(self) -> None:
        """Take SIGTERM, SIGINT and SIGHUP: each only sets a flag and wakes the ``select``."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self.on_signal)
        self._old_fd = signal.set_wakeup_fd(self._w, warn_on_full_buffer=False)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals.add(signum)  # nothing else here: the main thread acts on it

    def drain(self) -> bytes:
        """What was written since the last call (never blocks)."""
        with contextlib.suppress(BlockingIOError):
            return os.read(self._r, 4096)
        return b""

    def stop_asked(self) -> bool:
        return bool(self.signals & {signal.SIGTERM, signal.SIGINT})

    def hangup(self) -> bool:
        """Whether SIGHUP arrived since the last call."""
        if signal.SIGHUP not in self.signals:
            return False
        self.signals.discard(signal.SIGHUP)
        return True

    def close(self) -> None:
        if self._old_fd is not None:
            signal.set_wakeup_fd(self._old_fd)
            self._old_fd = None
        if self._r >= 0:
            os.close(self._r)
            os.close(self._w)
            self._r = self._w = -1


class Runner:
    """The daemon's main thread: its loop waits and dispatches; the config is read and reloaded here."""

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
        self.config_watch = ConfigWatch(config_path)
        self._told: set[str] = set()  # the config's notices logged already: each is said once
        if config_read is None:
            self.config = self._read_config()
        else:  # read by the caller (the file's signature taken before): not parsed twice
            self.config = config_read[1]
            self._tell(self.config)
        self.config_watch.follow(self.config)
        if config_read is not None and config_read[0] != files.signature(config_path):
            self.config_watch.seen = ()  # changed while it was read: read again at the first check
        self.watch = HistoryWatch(store)
        self.feeds = Feeds(runtime_dir(), store)  # status-bar files and the calendar feed
        self.wakeup = Wakeup()
        notifier.wake = lambda: self.wakeup.poke(_BUTTON)
        notifier.interrupted = self.wakeup.stop_asked
        self.history_outage = HistoryOutage()
        self.delivery = Delivery(store, notifier, self.history_outage)
        self.timer = Timer(lambda: self.wakeup.poke(_JOB))
        self.bubbles = Bubbles(notifier, store, lambda: self.config, clock)
        self._locks: list[int] = []  # the daemon locks' descriptors, while run() holds them
        self.again = False  # the history moved (a new shared_dir): run() returns, to be started afresh
        self.phone: tuple[PhoneSync, PhoneWatch] | None = None  # a partner's phone task list ([phone])
        self._follow_phone()

    # --- config -----------------------------------------------------------

    def _read_config(self, missing_ok: bool = True) -> Config:
        """The config; ``missing_ok``: no habits while the shared folder is away (else SharedFolderMissing)."""
        loaded = load_config(self.config_path, self.store.dir, files.system_timezone(), missing_ok=missing_ok)
        for line in loaded.said:
            log.warning("%s", line)
        self._tell(loaded.config)
        return loaded.config

    def _tell(self, config: Config) -> None:
        """Log each problem of the shared habits once (a conflict copy, a file left out, a key ignored)."""
        for notice in config.notices:
            if notice not in self._told:
                log.warning("%s", notice)
        self._told = set(config.notices)

    def reload(self, why: str) -> None:
        """Read the config again (SIGHUP, or the file changed); a broken one leaves the old in force."""
        sd_notify("RELOADING=1")
        self.config_watch.follow(self.config)  # before reading: a change after it is read again
        try:
            new = self._read_config(missing_ok=not self.config.habits)  # habits known stay while the folder is away
        except HabitdError as e:
            # the shared folder is gone: one outage, one error
            gone = isinstance(e, (files.ConfigLinkDangling, SharedFolderMissing))
            known = gone and self.history_outage.folder_gone()
            level = logging.INFO if known else logging.ERROR
            log.log(level, "%s; the config was not reloaded, the previous one stays in force:\n%s", why, e)
            sd_notify("READY=1")
            return
        changed = _log_reload(why, self.config, new)
        if new.settings.shared_dir != self.config.settings.shared_dir:
            log.info("shared_dir is now %s: habitd starts again to read the history there", new.settings.shared_dir)
            self.again = True
            return
        self.store.by = new.settings.name  # a new name signs what this daemon records from now on
        if self.config.habits:  # none known before (the shared folder away): what is due shows now
            self._start_now({h.id for h in new.habits} - {h.id for h in self.config.habits})
        if new.settings != self.config.settings:
            changed = [h.id for h in new.habits]  # a new zone or quiet hours moves every reminder
        self.config = new
        self.config_watch.follow(new)  # the shared habits' folders, when they came with it
        self.notifier.timeout = new.settings.notify_timeout  # every setting applies without a restart
        self.store.set_personal(frozenset(h.id for h in new.habits if h.each))  # the history's take-back rule
        stamp_zone(new.settings.tz)  # log stamps follow a new time zone
        self._follow_phone()
        self.check(force=bool(changed))
        self.phone_pass()
        self.feeds.update(self.config, self.clock(), config_changed=True, next_times=self.timer.when)
        sd_notify("READY=1")

    def _follow_phone(self) -> None:
        """Keep the phone task list the config names (none: nothing, and icalendar is not loaded)."""
        wanted = self.config.phone
        if self.phone is not None and self.phone[0].phone == wanted:
            return
        if self.phone is not None:
            self.phone[1].close()
            self.phone = None
        if wanted is not None:
            from habitd.service.phone import PhoneSync, PhoneWatch, vdir_path

            self.phone = PhoneSync(self.store, wanted), PhoneWatch(vdir_path(wanted))

    def phone_pass(self) -> None:
        """Bring the phone's task list and its ticks up to date (nothing without one)."""
        if self.phone is not None:
            from habitd.service.phone import run_pass

            run_pass(self.phone[0], self.config, self.clock())

    def _start_now(self, added: set[str]) -> None:
        """A habit the config gains while the daemon runs reminds from now on: what fell due before
        is not shown late. A partner's rename arrives as a habit gained (its file) and a history
        that follows a moment later: the period met under the old id must not pop up again."""
        if not added:
            return
        now = self.clock()
        with contextlib.suppress(HabitdError), self.store.update() as state:  # unreadable: the check says why
            for hid in added:
                r = state.reminder(hid)
                if r.handled is None or r.handled < now:
                    r.handled = now

    # --- the work -----------------------------------------------------------

    def check(self, force: bool = False, only: set[str] | None = None) -> None:
        """Show what is due, then schedule what comes after, both as of one moment.

        One moment for both: a reminder that falls due between the two steps would
        otherwise be neither shown (too late for the first) nor scheduled (too early
        for the second). Scheduled in the past, APScheduler runs it at once.
        ``only``: the habits due when the job fired; the others keep their times untouched.
        ``force``: set the job again even if its time did not change.
        """
        now = self.clock()
        self.deliver(now, only)
        self.schedule(now, force, only)

    def deliver(self, now: datetime, only: set[str] | None = None) -> None:
        """Show what is due at ``now`` (delivery.py), once, and record it."""
        self.delivery.deliver(self.config, now, only)

    def schedule(
        self, now: datetime, force: bool = False, only: set[str] | None = None, state: State | None = None
    ) -> None:
        """Work out each habit's next reminder time after ``now`` (or those in ``only``) and set
        the timer to the soonest; first, close the bubbles of habits settled meanwhile.
        ``state``: the store as read already, not read again."""
        if state is None:
            try:
                state = self.store.read()
            except HabitdError as e:
                self.history_outage.started("could not read the state to schedule reminders", e)
                return
        self.bubbles.close_settled(state, now)
        soonest = self.timer.plan(self.config, state, now, only, force, self.wakeup.stop_asked)
        tz = self.config.settings.tz
        status = f"next: {soonest[1]} at {local_minute(soonest[0], tz)}" if soonest else "no reminders ahead"
        sd_notify(f"STATUS={status}")
        log.debug(status)

    def state_changed(self) -> None:
        """Another process changed the state (done, undo, skip, pause, resume...): plan again now.

        An undone completion or an early return from a pause reopens periods whose reminders
        were left out while they were met or paused; a habit now met (or skipped, paused) loses
        its bubble first, before any sending. The state is read once and shared by the bubbles,
        the schedule and the status-bar files, unless showing what is due changed it.
        """
        log.info("the state changed; checking reminders")
        now = self.clock()
        state: State | None = None
        with contextlib.suppress(HabitdError):  # if unreadable, the check says why
            state = self.store.read()
            self.bubbles.close_settled(state, now)
        saved = self.store.saved
        self.deliver(now)  # one moment for both, as in check()
        if self.store.saved is not saved:  # it recorded something shown: read what it wrote
            state = None
        self.schedule(now, state=state)
        self.phone_pass()
        self.feeds.update(self.config, self.clock(), next_times=self.timer.when, state=state)

    # --- start, the loop, stop -------------------------------------------------

    def run(self) -> int:
        try:
            # first: a second daemon stops before it shows anything
            self._locks = instance.hold(self.store.dir, runtime_dir())
            self._serve()
        finally:
            self.close()
        log.info("habitd stopped")
        return 0

    def close(self) -> None:
        """Release what the runner holds: the scheduler's thread, the bus connection, the signals'
        wakeup, the inotify watch and the daemon lock. Safe to call more than once."""
        self.timer.close()
        self.notifier.stop()
        self.wakeup.close()
        self.watch.close()
        self.config_watch.close()
        if self.phone is not None:
            self.phone[1].close()
        while self._locks:
            os.close(self._locks.pop())

    def _serve(self) -> None:
        self.watch.start()
        self.wakeup.listen()
        self.timer.start()
        since = self.clock(), time.monotonic()  # before the first check: a jump during it is seen
        try:
            self.notifier.open()
            self.bubbles.show_again(self.clock())
            self.check()
            self.phone_pass()
            n = len(self.config.habits)
            log.info("running: %d habit%s, notifications via %s", n, "" if n == 1 else "s", self.notifier.backend)
            sd_notify("READY=1")
            # after READY, not on start-up's path; the schedule's times are reused
            self.feeds.update(self.config, self.clock(), config_changed=True, next_times=self.timer.when)
            self._loop(*since)
        except Stopping:
            log.debug("stopping in the middle of planning: what is shown is saved already")
        finally:
            sd_notify("STOPPING=1")
            self.timer.close()
            self.bubbles.remember()
            self.store.flush()

    def _loop(self, last_wall: datetime, last_mono: float) -> None:
        next_tick = last_mono + self.tick_seconds
        while True:
            fds = [self.wakeup.fileno()]
            fds += [w.fileno() for w in (self.watch, self.config_watch) if w.active]
            phone = self.phone[1] if self.phone is not None and self.phone[1].active else None
            if phone is not None:
                fds.append(phone.fileno())
            # a change the store read meanwhile (while planning) is looked at without waiting
            wait = 0.0 if self.watch.pending else max(0.0, next_tick - time.monotonic())
            ready, _, _ = select.select(fds, [], [], wait)
            woke = self.wakeup.drain() if self.wakeup.fileno() in ready else b""
            if self.wakeup.stop_asked():
                return
            if self.config_watch.active and self.config_watch.fileno() in ready and self._config_moved():
                self.reload("the config changed")
            if not self.again:
                self._dispatch(woke, self.watch.pending or (self.watch.active and self.watch.fileno() in ready))
            if phone is not None and not self.again and phone.fileno() in ready and phone.woke():
                self.phone_pass()  # vdirsyncer brought the phone's changes
            if time.monotonic() >= next_tick and not self.again:
                last_wall, last_mono = self._tick(last_wall, last_mono)
                next_tick = time.monotonic() + self.tick_seconds
            if self.again:  # the history is elsewhere now: run() returns, and habitd starts afresh
                return

    def _config_moved(self) -> bool:
        return self.config_watch.woke() and self.config_watch.changed(self.config)

    def _dispatch(self, woke: bytes, watched: bool) -> None:
        """Act on what woke the loop: SIGHUP, a button, the job, the history's folders."""
        if self.wakeup.hangup():
            self.reload("SIGHUP")
        if _BUTTON in woke and self.bubbles.answer():
            self.check()  # reschedule (a snooze) and close what is met
        if _JOB in woke:
            self.check(only=self.timer.take_fired())
        if watched and self.watch.woke():
            self.state_changed()

    def _tick(self, last_wall: datetime, last_mono: float) -> tuple[datetime, float]:
        """The periodic check."""
        sd_notify("WATCHDOG=1")
        added = self.watch.again()  # a shared folder mounted (again)
        wall, mono = self.clock(), time.monotonic()
        drift = (wall - last_wall) - timedelta(seconds=mono - last_mono)
        if abs(drift) > JUMP_TOLERANCE:
            log.info("the wall clock jumped by %s (suspend or a clock change); catching up", elapsed(drift))
            self.check(force=bool(self.config.habits))  # every habit's time worked out again
        elif self.config_watch.changed(self.config):
            self.reload("the config changed")
        elif (added or not self.watch.complete) and self.watch.moved():
            self.state_changed()
        elif self.delivery.retry:
            self.check()
        elif (due := self.timer.overdue(wall)) is not None:
            # Its job should have fired: never seen outside a faked clock, but a reminder must not
            # hang on the scheduler thread's wait. At worst it is late by one periodic check.
            late = local_minute(due, self.config.settings.tz)
            log.warning("the reminder due at %s did not fire on time; checking now", late)
            self.check()
        if self.phone is not None:
            self.phone[1].again()  # the vdir made by vdirsyncer's first sync
            self.phone_pass()  # a new period's tasks; the changes of a vdir not watched
        self.feeds.update(self.config, wall, next_times=self.timer.when)  # a new day, or the daemon's own saves
        self.store.flush()  # the history caught up with since the last check, for the next command
        return wall, mono


def _log_reload(why: str, old: Config, new: Config) -> list[str]:
    """Log what a reload changed; the ids of the habits whose settings changed."""
    before = {h.id: h for h in old.habits}
    after = {h.id: h for h in new.habits}
    changed = sorted(i for i in after if i in before and after[i] != before[i])
    log.info(
        "%s: config reloaded (%d habit%s; added %s; changed %s; removed %s)",
        why,
        len(after),
        "" if len(after) == 1 else "s",
        sorted(after.keys() - before.keys()) or "none",
        changed or "none",
        sorted(before.keys() - after.keys()) or "none",
    )
    return changed
