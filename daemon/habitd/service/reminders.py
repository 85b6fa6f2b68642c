"""Which reminders to show now: the daemon's decisions, as a pure function of time.

``plan`` looks at each habit's slots that fell due recently and were not
handled yet (the state records the latest slot handled per habit, so a
restart or the repeated hour at fall-back never shows one twice). A slot is
shown when its period is still open (not met, skipped or paused), it is not
older than ``max_late`` (counted from the end of the quiet hours it fell in),
and only the latest such slot of a habit is shown: a catch-up, never a burst.
A snoozed reminder (the notification's Snooze button) is one more slot, at
the snooze's end; the habit's slots before it are put off.

Nothing is shown inside quiet hours, not even a catch-up or a retry of a
slot due before them; a slot still fresh when they began is held to their
end, and shown then if its period is still open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from habitd.habits.config import Config, Habit
from habitd.habits.schedule import (
    HOLD_BACK,
    Slot,
    expires,
    handled_mark,
    in_quiet_hours,
    last_quiet_hours,
    shown_at,
    slots_between,
)
from habitd.habits.state import State
from habitd.records import Record
from habitd.views.rows import reminder_open, snooze_slot


class Due(Record):
    habit: Habit
    slot: Slot  # the latest slot to show now
    late: timedelta  # how long after it was meant to be shown


def selected(config: Config, only: set[str] | None) -> Sequence[Habit]:
    """The habits whose ids are in ``only`` (None: every habit), in the config's order."""
    return config.habits if only is None else [h for h in config.habits if h.id in only]


def max_late(config: Config, habit: Habit) -> timedelta:
    return habit.max_late or config.settings.max_late


def held_to(slot: Slot, config: Config, quiet: tuple[datetime, datetime] | None, limit: timedelta) -> datetime:
    """When a slot may be shown: its time, or the end of quiet hours that began while it was fresh."""
    show = shown_at(slot, config.settings)
    if quiet is not None and show < quiet[0] <= show + limit:
        return max(show, quiet[1])
    return show


def plan(config: Config, state: State, now: datetime, habits: Iterable[Habit] | None = None) -> list[Due]:
    """The reminders to show at ``now`` (of ``habits``, default all): at most one per habit, in time order."""
    out: list[Due] = []
    if in_quiet_hours(now, config.settings):
        return out
    quiet = last_quiet_hours(now, config.settings)
    for habit in config.habits if habits is None else habits:
        if habit.reminds:
            due = _latest(config, state, habit, now, quiet)
            if due is not None:
                out.append(due)
    out.sort(key=lambda d: (d.slot.due, d.habit.id))
    return out


def _latest(
    config: Config, state: State, habit: Habit, now: datetime, quiet: tuple[datetime, datetime] | None
) -> Due | None:
    """The habit's latest slot to show at ``now`` (a snooze's return counts as one), if any."""
    handled = handled_mark(state.reminders[habit.id].handled if habit.id in state.reminders else None, now)
    limit = max_late(config, habit)
    start = now - limit - HOLD_BACK
    if handled is not None:
        start = max(start, handled + timedelta(microseconds=1))
    wanted = reminder_open(config, state, habit, now)

    def shown(slot: Slot) -> datetime | None:
        """When ``slot`` is shown, if that is fresh at ``now`` and its period still wants it."""
        show = held_to(slot, config, quiet, limit)
        fresh = show <= now and now - show <= limit and show < expires(habit, config.settings, slot)
        return show if fresh and wanted(slot) else None

    latest: Due | None = None
    for slot in slots_between(habit, config.settings, start, now + timedelta(microseconds=1)):
        show = shown(slot)
        if show is not None:
            latest = Due(habit, slot, now - show)
    snoozed = snooze_slot(state, habit)  # a Snooze's return: one more slot, quiet hours and all
    if snoozed is not None and (latest is None or snoozed.due >= latest.slot.due):
        show = shown(snoozed)
        if show is not None:
            latest = Due(habit, snoozed, now - show)
    return latest
