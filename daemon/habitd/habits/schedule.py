"""Reminder times: which wall-clock slots a habit has, and when they are due.

A *slot* is one reminder: a habit's wall-clock time on a calendar date (from
``on``/``at`` or ``cron``), or a follow-up ``remind_again`` after it, up to
the end of its logical day. Everything here is pure: the time is a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta

from habitd.habits.clock import day_bounds, wall_moment
from habitd.habits.config import Habit, Settings
from habitd.habits.periods import period_of
from habitd.habits.recurrence import EVERY_MAX, Every
from habitd.records import Record

# Long enough for "0 9 29 2 *" (leap days) to come round, and for the longest period's next start.
SEARCH_DAYS = max(366 * 8, EVERY_MAX["day"] + 31) + 2
HOLD_BACK = timedelta(days=1)  # quiet hours hold a slot back by less than this
WRONG_CLOCK = timedelta(days=1)  # a slot handled this far after now was handled under a wrong clock


class Slot(Record):
    due: datetime  # the instant it falls due, UTC
    habit_id: str
    base: datetime  # the instant of the base reminder it follows up (== due when followup == 0)
    followup: int
    day: date  # the logical day it reminds about


def handled_mark(handled: datetime | None, now: datetime) -> datetime | None:
    """The latest slot handled, as far as ``now`` is concerned.

    A mark a little ahead of now stays (a clock set back by an hour repeats nothing); one far
    ahead was left by a clock that ran ahead and was set right: it is ignored, or it would
    silence the habit until that wrong date.
    """
    return None if handled is None or handled > now + WRONG_CLOCK else handled


def _names(habit: Habit, day: date, week_starts: int) -> bool:
    """Whether an on/at habit reminds about logical day ``day``: a day its ``on`` names, every day of
    a daily habit, or else its period's first day."""
    if habit.on is not None:
        return habit.on.matches(day)
    if habit.every.unit == "day" and habit.every.n == 1:
        return True
    return period_of(habit, day, week_starts)[0] == day


def base_times(habit: Habit, day: date, week_starts: int = 0, day_starts: time = time(0)) -> list[time]:
    """The wall-clock reminder times of ``habit`` on calendar date ``day``.

    ``cron`` is read as cron reads it: calendar days. ``on`` and a period's first day name
    logical days: a time before ``day_starts`` belongs to the end of the day it is about, so on
    the calendar it comes the day after (``on = ["tue"]``, ``at = "01:00"`` with days starting at
    04:00 rings early on Wednesday, about Tuesday).
    """
    if habit.cron is not None:
        return habit.cron.times_on(day)
    if not habit.at:
        return []
    late = _names(habit, day, week_starts)
    early = any(t < day_starts for t in habit.at) and _names(habit, day - timedelta(days=1), week_starts)
    return [t for t in habit.at if (early if t < day_starts else late)]


def slots_on(habit: Habit, settings: Settings, day: date) -> list[Slot]:
    """The base slots of a calendar date, each with its follow-ups."""
    times = base_times(habit, day, settings.week_starts, settings.day_starts)
    if not times:
        return []
    out = []
    shift = timedelta(hours=settings.day_starts.hour, minutes=settings.day_starts.minute)
    for at in times:
        # The day it reminds about is read from the wall clock, not from the instant: 02:30 with
        # days starting at 03:00 belongs to the day before, also when a DST gap (or a skipped
        # day) moves it past 03:00. Then it is shown just before that day ends.
        lday = (datetime.combine(day, at) - shift).date()
        end = day_bounds(lday, settings.tz, settings.day_starts)[1]
        base = min(wall_moment(day, at, settings.tz), end - timedelta(seconds=1))
        out.append(Slot(base, habit.id, base, 0, lday))
        if habit.remind_again:
            k, due = 1, base + habit.remind_again
            while due < end:
                out.append(Slot(due, habit.id, base, k, lday))
                k, due = k + 1, due + habit.remind_again
    return out


def slots_between(habit: Habit, settings: Settings, start: datetime, end: datetime) -> Iterator[Slot]:
    """Slots due in [start, end), in time order."""
    day = start.astimezone(settings.tz).date() - timedelta(days=2)  # follow-ups reach past midnight
    last = end.astimezone(settings.tz).date()
    found: list[Slot] = []
    while day <= last:
        found.extend(s for s in slots_on(habit, settings, day) if start <= s.due < end)
        day += timedelta(days=1)
    yield from sorted(found)


def in_quiet_hours(moment: datetime, settings: Settings) -> datetime | None:
    """If ``moment`` falls inside the quiet hours, the instant they end; else None."""
    if settings.quiet_hours is None:
        return None
    start, end = settings.quiet_hours
    local = moment.astimezone(settings.tz)
    now = local.time()
    today = local.date()
    if start < end:
        inside = start <= now < end
        end_day = today
    else:  # across midnight, e.g. 22:30-07:30
        inside = now >= start or now < end
        end_day = today + timedelta(days=1) if now >= start else today
    return wall_moment(end_day, end, settings.tz) if inside else None


def last_quiet_hours(moment: datetime, settings: Settings) -> tuple[datetime, datetime] | None:
    """The latest quiet hours that ended at or before ``moment``: (start, end) instants."""
    if settings.quiet_hours is None:
        return None
    start, end = settings.quiet_hours
    today = moment.astimezone(settings.tz).date()
    for end_day in (today, today - timedelta(days=1), today - timedelta(days=2)):
        ends = wall_moment(end_day, end, settings.tz)
        if ends <= moment:
            start_day = end_day - timedelta(days=1) if start >= end else end_day
            return wall_moment(start_day, start, settings.tz), ends
    return None


def shown_at(slot: Slot, settings: Settings) -> datetime:
    """When a slot is shown: its due time, or the end of the quiet hours it falls in."""
    return in_quiet_hours(slot.due, settings) or slot.due


def _within(t: time, start: time, end: time) -> bool:
    """Whether wall time ``t`` lies in [start, end), a span that may cross midnight."""
    return start <= t < end if start <= end else (t >= start or t < end)


def lost_window(settings: Settings) -> tuple[time, time] | None:
    """The wall-clock span at the end of each logical day from which quiet hours hold a reminder
    past the day's end: [start of the quiet hours, ``day_starts``). None when a day never ends
    inside quiet hours (or right as they end).

    A slot in it on the last logical day of its period is never shown: it would be held to the
    end of the quiet hours, when its period is over.
    """
    if settings.quiet_hours is None:
        return None
    start, end = settings.quiet_hours
    ends = settings.day_starts
    if ends == start or not (_within(ends, start, end) or ends == end):
        return None
    return start, ends


def _times(habit: Habit) -> frozenset[time]:
    """Every wall-clock time of day a habit's base reminders can have."""
    if habit.cron is not None:
        return frozenset(time(h, m) for h in habit.cron.hours for m in habit.cron.minutes)
    return frozenset(habit.at)


def _weekdays(habit: Habit, week_starts: int) -> frozenset[int] | None:
    """The weekdays (0 = Monday) a daily or weekly habit reminds about, for on/at habits as
    logical days, for cron as calendar days; None when that is not a matter of the weekday alone
    (days of the month, the nth weekday)."""
    if habit.cron is not None:
        if not habit.cron.dom_any:
            return None
        return frozenset((d - 1) % 7 for d in habit.cron.dows)  # cron counts from Sunday
    if habit.on is None:
        # every day; a longer period without `on` reminds on its first day
        return frozenset(range(7)) if habit.every.unit == "day" else frozenset({week_starts})
    if habit.on.nth or habit.on.month_days:
        return None
    return habit.on.weekdays


def never_shown(habit: Habit, settings: Settings) -> bool:
    """Whether no reminder of ``habit`` can ever be shown, whatever the history.

    Known from its times, its days, quiet hours and its period alone, at any size: for daily and
    weekly habits. A reminder is never shown when quiet hours hold it past the end of its period
    (its time lies in ``lost_window`` and the logical day it is about is the period's last: every
    day of a daily habit, the week's last day of a weekly one). A longer period reminded of on its
    first day is always shown: held by quiet hours, it is still in its period. ``check`` warns of
    reminders quiet hours hold past their period; the schedule need not search ten years for a
    reminder it would turn down one by one.
    """
    times = _times(habit)
    daily = habit.every == Every("day", 1)
    window = lost_window(settings)
    if not times or window is None or not (daily or habit.every == Every("week", 1)):
        return False
    weekdays = _weekdays(habit, settings.week_starts)
    if weekdays is None:  # which weekdays is not known: only a time lost on every day tells
        return daily and all(_within(t, *window) for t in times)
    last = (settings.week_starts - 1) % 7
    calendar = habit.cron is not None  # cron's days are calendar days; on/at name logical days

    def shown(weekday: int, t: time) -> bool:
        day = (weekday - (calendar and t < settings.day_starts)) % 7  # the logical day it reminds about
        return not _within(t, *window) or not (daily or day == last)

    return not any(shown(wd, t) for wd in weekdays for t in times)


def expires(habit: Habit, settings: Settings, slot: Slot) -> datetime:
    """The instant the period a slot reminds about is over; a slot shown later is pointless."""
    last = period_of(habit, slot.day, settings.week_starts)[1]
    return day_bounds(last, settings.tz, settings.day_starts)[1]


def next_slot(
    habit: Habit, settings: Settings, after: datetime, wanted: Callable[[Slot], bool] = lambda s: True
) -> Slot | None:
    """The first slot due after ``after`` that ``wanted`` accepts (e.g. its period still open)."""
    if not habit.reminds:
        return None
    one = timedelta(days=1)
    day = after.astimezone(settings.tz).date() - one
    best: Slot | None = None
    stop = date.max  # the day on which the best slot so far is surely the first
    for _ in range(SEARCH_DAYS):
        if day > stop:
            return best  # follow-ups of a day never reach two days on
        for slot in slots_on(habit, settings, day):
            if slot.due > after and (best is None or slot < best) and wanted(slot):
                best = slot
                stop = slot.due.astimezone(settings.tz).date() + one
        day += one
    return best


def upcoming_slots(
    habit: Habit, settings: Settings, now: datetime, wanted: Callable[[Slot], bool] = lambda s: True
) -> Iterator[Slot]:
    """Slots still to be shown after ``now``, in order; one held back by quiet hours too."""
    if never_shown(habit, settings):
        return
    after = now - HOLD_BACK
    while True:
        slot = next_slot(habit, settings, after, lambda s: shown_at(s, settings) > now and wanted(s))
        if slot is None:
            return
        yield slot
        after = slot.due


def lost_in_quiet_hours(habit: Habit, settings: Settings, now: datetime, days: int = 62) -> Slot | None:
    """A reminder of the next ``days`` that quiet hours hold past the end of its period: never shown."""
    for slot in slots_between(habit, settings, now, now + timedelta(days=days)):
        if slot.followup == 0 and shown_at(slot, settings) >= expires(habit, settings, slot):
            return slot
    return None
