"""The reminders as an iCalendar feed (RFC 5545), built with the icalendar library.

One event per habit and reminder time, with a recurrence rule where the
schedule has one: daily, on weekdays, every N weeks on Saturday, the first
Saturday or last Friday of the month, a cron expression's days and times.
For periods of several weeks or months it shows the reminders of each
period's first week or month: when the two of you plan to do it. A schedule
no rule expresses (a cron expression restricting both the day of the month
and the weekday, "day 30 of the month") lists its times of the coming year
as RDATEs. Times carry the config's zone, described by a VTIMEZONE. UIDs are
``habit-id@habitd`` (``habit-id-2@habitd`` for a second time of the day);
there are no alarms: habitd does the reminding.

Only ``habitd ical`` and a set ``ical_path`` import this module (icalendar is
not light); nothing here touches files.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import icalendar

from habitd import __version__
from habitd.habits.clock import WEEKDAYS
from habitd.habits.config import Config, Habit
from habitd.habits.cron import Cron
from habitd.habits.periods import period_of
from habitd.habits.schedule import base_times

_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY"}
RDATE_DAYS = 366
assert len(WEEKDAYS) == len(_BYDAY)


def _first_matching(habit: Habit, start: date, days: int, at: time, week_starts: int) -> date | None:
    for i in range(days):
        day = start + timedelta(days=i)
        if at in base_times(habit, day, week_starts):
            return day
    return None


def _cron_rule(cron: Cron) -> dict[str, Any] | None:
    rule: dict[str, Any] = {}
    if cron.dom_any and cron.dow_any:
        rule["freq"] = "DAILY"
    elif cron.dom_any:
        rule["freq"], rule["byday"] = "WEEKLY", [_BYDAY[(d - 1) % 7] for d in sorted(cron.dows)]
    elif cron.dow_any:
        if any(d > 28 for d in cron.doms):
            return None  # cron skips the months without that day; fine, but keep it simple and exact
        rule["freq"], rule["bymonthday"] = "MONTHLY", sorted(cron.doms)
    else:
        return None  # cron's "either day field" has no RRULE
    if len(cron.months) < 12:
        rule["bymonth"] = sorted(cron.months)
    rule["byhour"], rule["byminute"] = sorted(cron.hours), sorted(cron.minutes)
    return rule


def _on_rule(habit: Habit) -> dict[str, Any] | None:
    """The RRULE of an on/at habit's reminders at one time of day (the period's first unit)."""
    every, on = habit.every, habit.on
    rule: dict[str, Any] = {"freq": _FREQ[every.unit]}
    if every.n > 1:
        rule["interval"] = every.n
    if on is None:
        return rule  # the period's first day, which DTSTART is
    if every.unit == "day":
        return {"freq": "WEEKLY", "byday": [_BYDAY[d] for d in sorted(on.weekdays)]}
    byday = [_BYDAY[d] for d in sorted(on.weekdays)]
    byday += [f"{n}{_BYDAY[wd]}" for n, wd in sorted(on.nth)]
    if on.month_days:
        if byday or any(28 < d < 31 for d in on.month_days):
            return None
        rule["bymonthday"] = sorted(-1 if d == 31 else d for d in on.month_days)
    else:
        rule["byday"] = byday
    return rule


def _dtstart_search(habit: Habit, today: date, week_starts: int) -> date:
    """Where the rule's first occurrence is looked for: the current period's start (or today)."""
    if habit.every.unit == "day" and (habit.every.n == 1 or habit.on is not None):
        return today
    return period_of(habit, today, week_starts)[0]


def _event(config: Config, habit: Habit, uid: str, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", habit.title)
    event.add("description", habit.message)
    event.add("categories", ["habitd"])
    return event


def _rdates(config: Config, habit: Habit, today: date, at: time | None) -> list[datetime]:
    tz, ws = config.settings.tz, config.settings.week_starts
    out = []
    for i in range(RDATE_DAYS):
        day = today + timedelta(days=i)
        out += [datetime.combine(day, t, tz) for t in base_times(habit, day, ws) if at is None or t == at]
    return out


def habit_events(config: Config, habit: Habit, now: datetime) -> list[icalendar.Event]:
    """The events of one habit's reminders (none for a habit without reminders or archived)."""
    if not habit.reminds:
        return []
    tz, ws = config.settings.tz, config.settings.week_starts
    today = config.today(now)
    stamp = now
    events = []
    if habit.cron is not None:
        rule = _cron_rule(habit.cron)
        times = _rdates(config, habit, today, None)
        if not times:
            return []
        event = _event(config, habit, f"{habit.id}@habitd", stamp)
        event.add("dtstart", times[0])
        if rule:
            event.add("rrule", rule)
        elif times[1:]:
            event.add("rdate", times[1:])
        return [event]
    for i, at in enumerate(habit.at):
        uid = f"{habit.id}@habitd" if i == 0 else f"{habit.id}-{i + 1}@habitd"
        rule = _on_rule(habit)
        event = _event(config, habit, uid, stamp)
        if rule is None:
            times = _rdates(config, habit, today, at)
            if not times:
                continue
            event.add("dtstart", times[0])
            if times[1:]:
                event.add("rdate", times[1:])
        else:
            search = _dtstart_search(habit, today, ws)
            first = _first_matching(habit, search, 400, at, ws)
            if first is None:
                continue
            event.add("dtstart", datetime.combine(first, at, tz))
            event.add("rrule", rule)
        events.append(event)
    return events


def calendar(config: Config, now: datetime) -> bytes:
    """The whole feed as iCalendar bytes."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//habitd//habitd {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "habitd")
    cal.add("x-wr-timezone", config.settings.timezone)
    for habit in config.habits:
        for event in habit_events(config, habit, now):
            cal.add_component(event)
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data
