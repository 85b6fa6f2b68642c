"""The one timer: an APScheduler job (a date trigger) at the soonest reminder, or at the end of quiet hours.

``Timer.plan`` works out each habit's next reminder time and keeps them
(``when``), then sets the one job to the soonest, or to the end of quiet hours
when that comes first (what they held back is shown then): so start-up and
each reschedule cost the same whatever the number of habits. The job is
touched only when its time changed (or when forced).

When the job fires, on the scheduler's thread, it only notes the time it
fired for and calls ``wake``: the runner's main thread then asks
``take_fired`` which habits are due and does the work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from habitd.habits.config import Config
from habitd.habits.schedule import in_quiet_hours
from habitd.habits.state import State
from habitd.service.reminders import selected
from habitd.views.rows import next_reminder

OVERDUE = timedelta(seconds=2)  # a job this late has not fired: the periodic check does its work
JOB = "~next"  # the one job, at the soonest reminder; not a habit id (lowercase letters, digits, '-')


class Stopping(Exception):
    """SIGTERM or SIGINT arrived in the middle of work over every habit: stop now, not after it."""


class Timer:
    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake  # called on the scheduler's thread when the job fires
        self.when: dict[str, datetime] = {}  # each habit's next reminder time
        self.next_due: datetime | None = None  # the job's time: the soonest of the above, or quiet_end
        self.quiet_end: datetime | None = None  # while in quiet hours, when they end
        self._fired: set[datetime] = set()  # the times the job fired for, not taken yet
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    def start(self, paused: bool = False) -> None:
        """Start the scheduler's thread (``paused``: the job is kept but never fires, for tests)."""
        self.scheduler.start(paused=paused)

    def close(self) -> None:
        """Stop the scheduler's thread, not waiting for it; once started, or never."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def plan(
        self,
        config: Config,
        state: State,
        now: datetime,
        only: set[str] | None,
        force: bool,
        stop_asked: Callable[[], bool],
    ) -> tuple[datetime, str] | None:
        """Work out the next reminder time after ``now`` of each habit (or of those in ``only``)
        and set the job to the soonest; the soonest reminder and its habit, None when there is none.

        Scheduled in the past, APScheduler runs the job at once. A stop asked meanwhile
        (``stop_asked``) waits for no habit's time: ``Stopping`` is raised.
        """
        if only is None:
            self.when.clear()
        for habit in selected(config, only):
            if stop_asked():  # a stop waits for no habit's reminder time (schedule.never_shown)
                raise Stopping
            when = next_reminder(config, state, habit, now)
            if when is None:
                self.when.pop(habit.id, None)
            else:
                self.when[habit.id] = when
        soonest = min(((w, i) for i, w in self.when.items()), default=None)
        self.next_due = soonest[0] if soonest else None
        self.quiet_end = in_quiet_hours(now, config.settings)  # what they hold back is shown then
        if self.quiet_end is not None and (self.next_due is None or self.quiet_end < self.next_due):
            self.next_due = self.quiet_end
        self._set_job(force)
        return soonest

    def _set_job(self, force: bool) -> None:
        job = self.scheduler.get_job(JOB)
        if self.next_due is None:
            if job:
                with contextlib.suppress(JobLookupError):  # it has just fired
                    job.remove()
        elif force or getattr(job, "next_run_time", None) != self.next_due:  # none before the start
            self.scheduler.add_job(
                self._fire, DateTrigger(run_date=self.next_due, timezone=UTC), args=[self.next_due], id=JOB,
                replace_existing=True,
            )  # fmt: skip

    def _fire(self, when: datetime) -> None:
        """On the scheduler's thread: note the time the job fired for and wake the main thread."""
        self._fired.add(when)
        self.wake()

    def take_fired(self) -> set[str] | None:
        """The habits due at the time the job fired for; None: look at every habit."""
        fired = set()
        while self._fired:  # set.pop is atomic: the scheduler thread may add meanwhile
            fired.add(self._fired.pop())
        upto = max(fired, default=None)
        if upto is None or (self.quiet_end is not None and self.quiet_end <= upto):
            return None
        return {i for i, w in self.when.items() if w <= upto}

    def overdue(self, now: datetime) -> datetime | None:
        """The job's time when ``now`` is past it by more than a firing job is ever late (it has
        not fired: never seen outside a faked clock); None otherwise."""
        if self.next_due is not None and now > self.next_due + OVERDUE:
            return self.next_due
        return None
