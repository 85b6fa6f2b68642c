"""Showing what is due: planned, recorded as shown, sent, and kept pending when it could not be.

``Delivery.deliver`` plans (reminders.py) the reminders due at a moment and
records them as shown in one locked step of the state, before sending: a
second look at the state (a periodic check, another process) can never send
one again, and a crash between the record and the send can lose that one
reminder but never show it twice. A send that fails turns its reminder back
to pending, with why; the runner's periodic check tries again (``retry``).

Two outages are logged once when they start and once when they end, not at
every retry: notifications that cannot be shown (no notification server, or
one that refuses), and a history that cannot be read (``HistoryOutage``; a
missing shared folder is one outage, whichever read tells first). How long a
notification server gets to answer, and how long sends then fail at once, is
the notifier's business (notify_dbus.py).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from habitd.errors import HabitdError
from habitd.habits.config import Config
from habitd.habits.prompts import current_prompt, next_prompt
from habitd.habits.schedule import handled_mark
from habitd.history.eventlog import SharedFolderMissing
from habitd.history.store import Store
from habitd.records import Record
from habitd.service import buttons
from habitd.service.logs import elapsed, local_minute
from habitd.service.notify import DeliveryError, Notifier
from habitd.service.reminders import Due, plan, selected

log = logging.getLogger("habitd")

FOLDER_GONE = "the shared folder is not there"  # one outage, whichever read noticed it first


class _Sending(Record):
    due: Due
    body: str
    before: datetime | None  # the habit's latest slot handled before this one: restored if the send fails
    pending: bool  # it was waiting to be shown: it stays so (for `habitd status` too) until it is


class _Failed(Record):
    due: Due
    before: datetime | None
    error: DeliveryError


class HistoryOutage:
    """Why the history cannot be read, while it cannot: no reminders until it can."""

    def __init__(self) -> None:
        self.why: str | None = None

    def started(self, what: str, e: HabitdError) -> None:
        """Log why the history cannot be read once, not at every retry."""
        # a read and a write say the same first
        why = FOLDER_GONE if isinstance(e, SharedFolderMissing) else str(e).split(";")[0]
        if why == self.why:
            log.debug("%s: %s", what, e)
            return
        self.why = why
        log.error("%s: %s; no reminders until it can be read, tried again every minute", what, e)

    def folder_gone(self) -> bool:
        """The config's link into the shared folder dangles: the same outage. True when known already."""
        known, self.why = self.why == FOLDER_GONE, FOLDER_GONE
        return known

    def ended(self) -> None:
        if self.why is not None:
            log.info("the history can be read again; reminders are back")
            self.why = None


class Delivery:
    """Sends what is due to the notifier; remembers whether notifications are out and what to retry."""

    def __init__(self, store: Store, notifier: Notifier, history_outage: HistoryOutage) -> None:
        self.store, self.notifier, self.history_outage = store, notifier, history_outage
        self.retry = False  # something could not be shown or read: the periodic check tries again
        self._outage: str | None = None  # why notifications cannot be shown, while they cannot

    def deliver(self, config: Config, now: datetime, only: set[str] | None = None) -> None:
        """Show what is due at ``now`` (of the habits in ``only``, None: all), once, and record it;
        keep what could not be shown pending."""
        try:
            to_send = self._record(config, now, only)
            failed = self._send(config, to_send)
            self.retry = bool(failed)
            self.history_outage.ended()
            shown = [s.due.habit.id for s in to_send if s.pending and all(f.due is not s.due for f in failed)]
            if failed or shown:
                self._settle(failed, shown)
        except HabitdError as e:
            self.history_outage.started("could not check reminders", e)
            self.retry = True

    def _record(self, config: Config, now: datetime, only: set[str] | None) -> list[_Sending]:
        """Plan and record as shown, in one locked step: what to send."""
        to_send: list[_Sending] = []
        with self.store.update() as state:
            dues = plan(config, state, now, selected(config, only))
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
                        local_minute(due.slot.due, config.settings.tz),
                        state.sent_count,
                    )
                    continue
                state.sent_count += 1
                # a retry shows the prompt its first try dealt: dealing one at each try would add
                # an event to the shared history every minute the notification server is away
                retry = r.pending is not None
                prompt = current_prompt(state, due.habit) if retry else next_prompt(state, due.habit, _random_seed(now))
                body = due.habit.message + (f"\n\n{prompt}" if prompt else "")
                to_send.append(_Sending(due, body, before, r.pending is not None))
        return to_send

    def _send(self, config: Config, to_send: list[_Sending]) -> list[_Failed]:
        """Hand each to the notifier; those it could not show."""
        failed: list[_Failed] = []
        for due, body, before, _pending in to_send:
            try:
                self.notifier.send(buttons.note_for(config, due, body))
            except DeliveryError as e:
                self._failed(config, due, e)
                failed.append(_Failed(due, before, e))
                continue
            self._shown(config, due)
        return failed

    def _settle(self, failed: list[_Failed], shown: list[str]) -> None:
        """Keep the reminders not shown pending, with why (they are retried); those shown at last
        wait no more. Until this one write, a reminder waiting to be shown is seen waiting."""
        with self.store.update() as state:
            for hid in shown:
                r = state.reminder(hid)
                r.pending, r.reason = None, ""
            for due, before, err in failed:
                r = state.reminder(due.habit.id)
                if r.handled == due.slot.due:
                    r.handled = before
                r.pending, r.reason = due.slot.due, str(err)
                state.sent_count = max(0, state.sent_count - 1)

    def _shown(self, config: Config, due: Due) -> None:
        if self._outage is not None:
            log.info("notifications are shown again")
            self._outage = None
        log.info(
            "%s: reminder of %s shown%s",
            due.habit.id,
            local_minute(due.slot.due, config.settings.tz),
            f" ({elapsed(due.late)} late)" if due.late > timedelta(minutes=1) else "",
        )

    def _failed(self, config: Config, due: Due, err: DeliveryError) -> None:
        """One warning when notifications stop working, not one per reminder and retry."""
        what = f"{due.habit.id}: reminder of {local_minute(due.slot.due, config.settings.tz)} not shown yet"
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


def _random_seed(now: datetime) -> int:
    return int(now.timestamp() * 1000) ^ os.getpid()
