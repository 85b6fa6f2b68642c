"""The reminder's buttons: which ones a notification carries, and what a press does.

Done records a completion through ``record.done`` for the day the reminder
was for (a reminder shown after midnight for yesterday's period marks
yesterday's), exactly as ``habitd done HABIT --date DAY``; Skip today is
``habitd skip``; Snooze stores when the reminder comes back (the state's
``Reminder.snooze``: it survives a restart), and the planner shows it then,
as a slot of its own that quiet hours and the daily cap treat like any other.
A click on the body (``default``) does nothing. Time is a parameter.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from habitd.habits.clock import day_bounds
from habitd.habits.config import Config, Habit
from habitd.habits.periods import period_index, period_of
from habitd.habits.prompts import current_prompt
from habitd.habits.recurrence import Every
from habitd.habits.state import Snooze, State
from habitd.habits.streaks import MET, PAUSED, SKIPPED, period_state
from habitd.history import record
from habitd.history.people import as_seen
from habitd.history.store import Store
from habitd.records import Record
from habitd.service.notify import Note, Pressed
from habitd.service.reminders import Due, max_late


class Answer(Record):
    changed: bool  # the state changed: reschedule
    message: str  # for the log, after the habit's id


def snooze_for(config: Config, habit: Habit) -> timedelta:
    return habit.snooze or config.settings.snooze


def duration_text(d: timedelta) -> str:
    minutes = int(d.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours and minutes else f"{hours}h" if hours else f"{minutes}m"


def buttons(config: Config, habit: Habit) -> tuple[tuple[str, str], ...]:
    """Done and Snooze always; Skip today only when a period is exactly today."""
    out = [("done", "Done"), ("snooze", f"Snooze {duration_text(snooze_for(config, habit))}")]
    if habit.every == Every("day"):
        out.append(("skip", "Skip today"))
    return tuple(out)


def note_for(config: Config, due: Due, body: str) -> Note:
    return Note(due.habit.id, due.habit.title, body, due.slot.day, buttons(config, due.habit))


def again(config: Config, state: State, habit_id: str) -> Note | None:
    """The note of a bubble an earlier run left on screen (its id and day kept in the state), to show it again."""
    habit = config.habit(habit_id)
    r = state.reminders.get(habit_id)
    if habit is None or r is None or r.handled is None:
        return None
    day = r.on_screen_day or config.today(r.handled)  # a state kept before the day was: the latest slot's
    prompt = current_prompt(state, habit)
    body = habit.message + (f"\n\n{prompt}" if prompt else "")
    return Note(habit.id, habit.title, body, day, buttons(config, habit))


def stale(config: Config, state: State, note: Note, now: datetime) -> str | None:
    """Why a bubble left on screen by an earlier run must not be shown again at ``now``; None: it may.

    Only while the period of the day it was for is still open, and not later than ``max_late``
    after the latest reminder the habit had (that bubble's, or a later one's).
    """
    habit = config.habit(note.habit)
    r = state.reminders.get(note.habit)
    if habit is None or r is None or r.handled is None or note.day is None:
        return "nothing is known of it"
    settings = config.settings
    last = period_of(habit, note.day, settings.week_starts)[1]
    if now >= day_bounds(last, settings.tz, settings.day_starts)[1]:
        span = "day" if last == note.day else "period"
        return f"its {span} {note.day if last == note.day else last} is over"
    limit = max_late(config, habit)
    if now - r.handled > limit:
        return f"its reminder is more than {duration_text(limit)} old (max_late)"
    return None


def settled(config: Config, state: State, note: Note, today: date) -> str | None:
    """Why a habit's bubble should go (its period met, skipped or paused, the habit gone); None: it stays.

    A bubble whose period ended unmet stays: its Done still records the day it was for.
    """
    habit = config.habit(note.habit)
    if habit is None:
        return "the habit is no longer in the config"
    if note.day is None:
        return None
    ws, ds = config.settings.week_starts, config.settings.day_starts
    seen = as_seen(state, habit, config.settings.name)  # a personal habit: only my part settles it
    now_state = period_state(habit, seen, period_index(habit, note.day, ws), today, ws, ds).state
    return f"its period is {now_state}" if now_state in (MET, SKIPPED, PAUSED) else None


def answer(store: Store, config: Config, pressed: Pressed, now: datetime) -> Answer:
    """Act on a button press at ``now``; what happened, for the log."""
    note, key = pressed
    label = dict(note.buttons).get(key, key)
    habit = config.habit(note.habit)
    if key not in ("done", "snooze", "skip"):
        return Answer(False, "notification clicked; nothing to do (its buttons do the work)")
    if habit is None:
        return Answer(False, f"{label} pressed, but the habit is no longer in the config; nothing changed")
    if note.day is None:
        return Answer(False, f"{label} pressed on a notification without a day; nothing changed")
    day = note.day
    ws, ds = config.settings.week_starts, config.settings.day_starts
    seen = as_seen(store.read(), habit, store.by)
    period = period_state(habit, seen, period_index(habit, day, ws), config.today(now), ws, ds)
    if period.state in (MET, SKIPPED):
        span = f"{period.first}" if period.first == period.last else f"{period.first} .. {period.last}"
        return Answer(False, f"{label} pressed, but the period {span} is {period.state} already; nothing changed")
    if key == "done":
        done = record.done(store, config, habit, day, now)
        if not done.recorded:
            return Answer(False, f"Done pressed, but {day} is done already; nothing changed")
        return Answer(True, f"done for {day} (from the notification)")
    if key == "skip":
        record.skip(store, config, habit, day, now)
        return Answer(True, f"skipped {day} (from the notification)")
    until = snooze_end(now, snooze_for(config, habit))
    with store.update() as state:
        state.reminder(habit.id).snooze = Snooze(until, day)
    local = until.astimezone(config.settings.tz).strftime("%Y-%m-%d %H:%M:%S")
    return Answer(True, f"snoozed until {local} ({duration_text(snooze_for(config, habit))})")


def snooze_end(now: datetime, length: timedelta) -> datetime:
    """When a snooze pressed at ``now`` is over: ``length`` later, to the whole second up (never early)."""
    until = now + length
    return until.replace(microsecond=0) + timedelta(seconds=1) if until.microsecond else until
