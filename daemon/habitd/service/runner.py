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

from habitd.errors import ConfigError, HabitdError
from habitd.habits.config import Config, parse_config
from habitd.history import files, identity
from habitd.history.files import Signature
from habitd.history.store import Store
from habitd.service import instance
from habitd.service.bubbles import Bubbles
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
        if config_read is None:
            self._config_seen = files.signature(self.config_path)  # before reading: a later change is noticed
            self.config = self._read_config()
        else:  # read by the caller (the file's signature taken before): not parsed twice
            self._config_seen, self.config = config_read
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
        self.phone: tuple[PhoneSync, PhoneWatch] | None = None  # a partner's phone task list ([phone])
        self._follow_phone()

    # --- config -----------------------------------------------------------

    def _read_config(self) -> Config:
        text = files.read_config_text(self.config_path)
        config = parse_config(text, str(self.config_path), files.system_timezone())
        return config.named(identity.device_name(self.store.dir))  # one config for both: each machine's name

    def reload(self, why: str) -> None:
        """Read the config again (SIGHUP, or the file changed); a broken one leaves the old in force."""
        sd_notify("RELOADING=1")
        self._config_seen = files.signature(self.config_path)
        try:
            new = self._read_config()
        except ConfigError as e:
            # the shared folder is gone: one outage, one error
            known = isinstance(e, files.ConfigLinkDangling) and self.history_outage.folder_gone()
            level = logging.INFO if known else logging.ERROR
            log.log(level, "%s; the config was not reloaded, the previous one stays in force:\n%s", why, e)
            sd_notify("READY=1")
            return
        changed = _log_reload(why, self.config, new)
        if new.settings != self.config.settings:
            changed = [h.id for h in new.habits]  # a new zone or quiet hours moves every reminder
        self.config = new
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

    def schedule(self, now: datetime, force: bool = False, only: set[str] | None = None) -> None:
        """Work out each habit's next reminder time after ``now`` (or those in ``only``) and set
        the timer to the soonest; first, close the bubbles of habits settled meanwhile."""
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
        its bubble first, before any sending.
        """
        log.info("the state changed; checking reminders")
        with contextlib.suppress(HabitdError):  # if unreadable, the check says why
            self.bubbles.close_settled(self.store.read(), self.clock())
        self.check()
        self.phone_pass()
        self.feeds.update(self.config, self.clock(), next_times=self.timer.when)

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

    def _loop(self, last_wall: datetime, last_mono: float) -> None:
        next_tick = last_mono + self.tick_seconds
        while True:
            fds = [self.wakeup.fileno(), self.watch.fileno()] if self.watch.active else [self.wakeup.fileno()]
            phone = self.phone[1] if self.phone is not None and self.phone[1].active else None
            if phone is not None:
                fds.append(phone.fileno())
            ready, _, _ = select.select(fds, [], [], max(0.0, next_tick - time.monotonic()))
            woke = self.wakeup.drain() if self.wakeup.fileno() in ready else b""
            if self.wakeup.stop_asked():
                return
            self._dispatch(woke, self.watch.active and self.watch.fileno() in ready)
            if phone is not None and phone.fileno() in ready and phone.woke():
                self.phone_pass()  # vdirsyncer brought the phone's changes
            if time.monotonic() >= next_tick:
                last_wall, last_mono = self._tick(last_wall, last_mono)
                next_tick = time.monotonic() + self.tick_seconds

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
        elif files.signature(self.config_path) != self._config_seen:
            self.reload("the config file changed")
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
