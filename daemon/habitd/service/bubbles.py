"""The daemon's side of its notifications: button presses, bubbles closed once met, kept across a restart.

The runner calls these from its main thread: ``answer`` when the notifier's
thread has woken it for a button press, ``close_settled`` whenever it has
read the state (so a habit done by any route loses its bubble), ``remember``
at stop and ``show_again`` at start. The decisions are in ``buttons.py``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from habitd.errors import HabitdError
from habitd.habits.config import Config
from habitd.habits.schedule import in_quiet_hours
from habitd.habits.state import State
from habitd.history.store import Store
from habitd.service import buttons
from habitd.service.notify import DeliveryError, Notifier

log = logging.getLogger("habitd")


class Bubbles:
    def __init__(
        self, notifier: Notifier, store: Store, config: Callable[[], Config], clock: Callable[[], datetime]
    ) -> None:
        self.notifier, self.store, self.config, self.clock = notifier, store, config, clock

    def answer(self) -> bool:
        """Act on the buttons pressed since the last call; True when the state changed."""
        changed = False
        for pressed in self.notifier.events():
            try:
                answer = buttons.answer(self.store, self.config(), pressed, self.clock())
            except HabitdError as e:
                log.error("%s: a button was pressed but could not be acted on: %s", pressed.note.habit, e)
                continue
            log.info("%s: %s", pressed.note.habit, answer.message)
            if answer.changed:
                self.notifier.close(pressed.note.habit)  # done, skipped or snoozed: off the screen
                changed = True
        return changed

    def close_settled(self, state: State, now: datetime) -> None:
        """Take a habit's bubble off the screen once its period is met (or skipped, paused, removed)."""
        config = self.config()
        today = config.today(now)
        for habit_id, note in self.notifier.showing().items():
            why = buttons.settled(config, state, note, today)
            if why:
                self.notifier.close(habit_id)
                log.info("%s: notification closed: %s", habit_id, why)

    def remember(self) -> None:
        """At stop: keep the ids of the bubbles on screen, so the next run can show them again.

        What the server said before the stop is heard first: a bubble closed (or answered) while
        the loop was not looking is not on screen, and must not come back at the next start.
        """
        self.answer()
        ids = self.notifier.bubble_ids()
        days = {h: note.day for h, note in self.notifier.showing().items()}
        try:
            with self.store.update() as state:
                for habit_id in set(ids) | {h for h, r in state.reminders.items() if r.on_screen}:
                    r = state.reminder(habit_id)
                    r.on_screen = ids.get(habit_id, "")
                    r.on_screen_day = days.get(habit_id) if r.on_screen else None
        except HabitdError as e:
            log.error("could not note which notifications are on screen: %s", e)

    def show_again(self, now: datetime) -> None:
        """At start: a bubble the last run left on screen is shown again once, its period still open.

        Only while the period of the day it was for is open and unmet, within ``max_late`` and
        outside quiet hours; otherwise it is dropped (closed, should its server have kept it).
        The ids are forgotten either way.

        GNOME drops a program's bubbles when its connection closes; a server that keeps them gets
        the same id, so the bubble is replaced, not doubled. One whose period was met meanwhile is
        adopted only, and the first check closes it. An id is used only with the same server on
        the same bus (the bus's id is new at each login): after a reboot it could be another
        program's bubble.
        """
        try:
            state = self.store.read()
        except HabitdError:
            return  # the first check says why
        left = {h: r.on_screen for h, r in state.reminders.items() if r.on_screen}
        if not left:
            return
        config = self.config()
        quiet = in_quiet_hours(now, config.settings) is not None
        today = config.today(now)
        for habit_id, bubble in left.items():
            note = buttons.again(config, state, habit_id)
            if note is None:
                continue
            self.notifier.adopt(note, bubble)  # unless gone with its server or bus
            if buttons.settled(config, state, note, today):
                continue  # one still kept is closed by the first check
            why = buttons.stale(config, state, note, now)
            if why:
                self.notifier.close(habit_id)  # a server that kept it: off the screen too
                log.info("%s: not shown again: %s", habit_id, why)
                continue
            if quiet:
                continue
            try:
                self.notifier.send(note)
                log.info("%s: its reminder was on screen when habitd stopped; shown again", habit_id)
            except DeliveryError as e:
                log.warning("%s: its reminder could not be shown again: %s", habit_id, e)
        with contextlib.suppress(HabitdError), self.store.update() as state:
            for r in state.reminders.values():
                r.on_screen, r.on_screen_day = "", None
