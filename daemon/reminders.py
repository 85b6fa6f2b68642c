"""Which reminders to show now: the daemon's decisions, as a pure function of time.

``plan`` looks at each habit's slots that fell due recently and were not
handled yet (the state records the latest slot handled per habit, so a
restart or the repeated hour at fall-back never shows one twice). A slot is
shown when its period is still open (not met, skipped or paused), it is not
older than ``max_late`` (counted from the end of the quiet hours it fell in),
and only the latest such slot of a habit is shown: a catch-up, never a burst.
A snoozed reminder (the notification's Snooze button) is one more slot, at
the snooze's end; the habit's slots before it are put off.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from daemon.config import Config, Habit
from daemon.schedule import HOLD_BACK, Slot, shown_at, slots_between
from daemon.state import State
from daemon.views import reminder_open, snooze_slot


class Due(NamedTuple):
    habit: Habit
    slot: Slot  # the latest slot to show now
    late: timedelta  # how long after it was meant to be shown


def max_late(config: Config, habit: Habit) -> timedelta:
    return habit.max_late or config.settings.max_late


def plan(config: Config, state: State, now: datetime) -> list[Due]:
    """The reminders to show at ``now``: at most one per habit, in time order."""
    out = []
    for habit in config.habits:
        if not habit.reminds:
            continue
        handled = state.reminders[habit.id].handled if habit.id in state.reminders else None
        limit = max_late(config, habit)
        start = now - limit - HOLD_BACK
        if handled is not None:
            start = max(start, handled + timedelta(microseconds=1))
        wanted = reminder_open(config, state, habit, now)
        latest: Slot | None = None
        for slot in slots_between(habit, config.settings, start, now + timedelta(microseconds=1)):
            show = shown_at(slot, config.settings)
            if show <= now and now - show <= limit and wanted(slot):
                latest = slot
        snoozed = snooze_slot(state, habit)  # a Snooze's return: one more slot, quiet hours and all
        if snoozed is not None and (latest is None or snoozed.due >= latest.due):
            show = shown_at(snoozed, config.settings)
            if show <= now and now - show <= limit and wanted(snoozed):
                latest = snoozed
        if latest is not None:
            out.append(Due(habit, latest, now - shown_at(latest, config.settings)))
    out.sort(key=lambda d: (d.slot.due, d.habit.id))
    return out
