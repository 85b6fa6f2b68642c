"""The reminders as an iCalendar feed (RFC 5545), built with the icalendar library.

The feed shows the reminders habitd itself would show if nothing were done: the same
days and times as ``habitd next``, quiet hours' moves included (a 07:15 reminder held
by quiet hours until 07:30 is at 07:30 in the calendar too). Follow-ups
(``remind_again``) and snoozes are left out, and so is what the history changes:
habitd stays quiet about a period already met, skipped or paused, the feed does not.

One event per habit and reminder time (one per habit for ``cron``), with a recurrence
rule where the schedule has one: daily, on weekdays, the first Saturday or last Friday
of the month, a cron expression's days and times, the first day of every N weeks or
months. ``on`` reminds on each day it names in every period, so its rule has no
interval: "every 2 weeks on Saturday" is reminded of on every Saturday until the
period is met. For the coming year (``HORIZON``) the rule is then corrected to what
the daemon does, with EXDATEs for the times it leaves out (a reminder quiet hours hold
past the end of its period, a day a DST change makes odd) and RDATEs for the ones the
rule misses. A schedule no rule expresses (a cron expression restricting both the day
of the month and the weekday, "day 30 of the month", a day the quiet hours move past a
month's 1st Saturday) lists its times of the coming year as RDATEs. Past the coming
year the rule goes on uncorrected; the feed is written anew whenever the config
changes. Times carry the config's zone, described by a VTIMEZONE. UIDs are
``habit-id@habitd`` (``habit-id-2@habitd`` for a second time of the day); there are no
alarms: habitd does the reminding.

Only ``habitd ical`` and a set ``ical_path`` import this module (icalendar is
not light); nothing here touches files.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import icalendar
from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

from habitd import __version__
from habitd.habits.clock import WEEKDAYS
from habitd.habits.config import Config, Habit, Settings
from habitd.habits.cron import Cron
from habitd.habits.periods import period_of
from habitd.habits.schedule import HOLD_BACK, expires, never_shown, shown_at, slots_between, slots_on

_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY"}
HORIZON = timedelta(days=366)  # how far ahead the feed is exactly what the daemon does
assert len(WEEKDAYS) == len(_BYDAY)


def shown(config: Config, habit: Habit, now: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The base reminders ``habit`` shows in (now, end) when nothing is done: (the instant, which of
    its times: an index into ``at``, 0 for cron), as ``views.upcoming`` works them out."""
    settings = config.settings
    if not habit.reminds or never_shown(habit, settings):
        return []
    parts = [habit] if habit.cron is not None else [habit._replace(at=(t,)) for t in habit.at]
    found: list[tuple[datetime, int, datetime]] = []
    for i, part in enumerate(parts):
        for slot in slots_between(part, settings, now - HOLD_BACK, end):
            at = shown_at(slot, settings)
            if slot.followup == 0 and now < at < end and at < expires(habit, settings, slot):
                found.append((slot.due, i, at))
    out: list[tuple[datetime, int]] = []
    for _, i, at in sorted(found):
        if out and out[-1][0] == at:  # held to one moment by quiet hours: shown once, as the latest
            out.pop()
        out.append((at, i))
    return out


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


def _on_rule(habit: Habit, shift: int) -> dict[str, Any] | None:
    """The RRULE of an on/at habit's reminders at one time of day, its days moved ``shift`` days on
    (a time before the day starts, quiet hours that end the next morning)."""
    every, on = habit.every, habit.on
    if on is None:  # the first day of each period, which DTSTART is
        return {"freq": _FREQ[every.unit], **({"interval": every.n} if every.n > 1 else {})}
    if every.unit == "day" or not (on.nth or on.month_days):
        return {"freq": "WEEKLY", "byday": [_BYDAY[(d + shift) % 7] for d in sorted(on.weekdays)]}
    if shift:
        return None  # the day after the 1st Saturday has no rule
    byday = [_BYDAY[d] for d in sorted(on.weekdays)] + [f"{n}{_BYDAY[wd]}" for n, wd in sorted(on.nth)]
    if on.month_days:
        if byday or any(28 < d < 31 for d in on.month_days):
            return None
        return {"freq": "MONTHLY", "bymonthday": sorted(-1 if d == 31 else d for d in on.month_days)}
    return {"freq": "MONTHLY", "byday": byday}


def _wall(at: time, settings: Settings) -> tuple[time, int]:
    """Where quiet hours put a reminder planned at ``at``: the time shown, and 1 if on the next day."""
    if settings.quiet_hours is None:
        return at, 0
    start, end = settings.quiet_hours
    if start <= at < end if start < end else (at >= start or at < end):
        return end, int(start > end and at >= start)
    return at, 0


def _text(rule: dict[str, Any]) -> str:
    """A rule as RRULE text (``FREQ=WEEKLY;BYDAY=SA``)."""
    data: bytes = icalendar.vRecur(rule).to_ical()  # type: ignore[no-untyped-call]
    return data.decode()


def _expand(rule: dict[str, Any], dtstart: datetime, tz: tzinfo, now: datetime, end: datetime) -> list[datetime]:
    """The rule's occurrences in (now, end) as a calendar reads them: local times in ``tz``."""
    text = _text(rule)
    stop = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    local = rrulestr(text, dtstart=dtstart).between(dtstart, stop, inc=True)
    return [d.replace(tzinfo=tz) for d in local if now < d.replace(tzinfo=tz) < end]


def _event(habit: Habit, uid: str, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", habit.title)
    event.add("description", habit.message)
    event.add("categories", ["habitd"])
    return event


def _first_day(part: Habit, settings: Settings, start: date) -> date | None:
    """The first calendar day from ``start`` with a reminder of ``part``."""
    for i in range(800):
        if slots_on(part, settings, start + timedelta(days=i)):
            return start + timedelta(days=i)
    return None


def _dated(
    habit: Habit, uid: str, stamp: datetime, rule: dict[str, Any] | None, anchor: datetime | None,
    wanted: list[datetime], tz: tzinfo, window: tuple[datetime, datetime],
) -> icalendar.Event | None:  # fmt: skip
    """An event whose occurrences in ``window`` are exactly ``wanted``: the rule from ``anchor``,
    less EXDATEs, plus RDATEs; without a rule, ``wanted`` itself."""
    now, end = window
    local = [w.astimezone(tz) for w in wanted]
    if rule is not None and "byday" in rule and rule["freq"] == "WEEKLY":
        days = {_BYDAY[d.weekday()] for d in local}  # weekdays never shown (quiet hours) are left out
        rule = {**rule, "byday": [d for d in rule["byday"] if d in days]} if days else None
    if rule is None or anchor is None:
        if not local:
            return None
        event = _event(habit, uid, stamp)
        event.add("dtstart", local[0])
        if local[1:]:
            event.add("rdate", local[1:])
        return event
    naive = anchor.replace(tzinfo=None)
    first = rrulestr(_text(rule), dtstart=naive).after(naive, inc=True)
    if first is None:
        return None
    occurrences = _expand(rule, first, tz, now, end)
    have = {o.astimezone(tz) for o in occurrences}
    event = _event(habit, uid, stamp)
    event.add("dtstart", first.replace(tzinfo=tz))
    event.add("rrule", rule)
    exdates = [o for o in occurrences if o not in set(local)]
    if exdates:
        event.add("exdate", exdates)
    rdates = [w for w in local if w not in have]
    if rdates:
        event.add("rdate", rdates)
    return event


def habit_events(config: Config, habit: Habit, now: datetime) -> list[icalendar.Event]:
    """The events of one habit's reminders (none for a habit without reminders or archived)."""
    settings = config.settings
    tz = settings.tz
    end = now + HORIZON
    reminders = shown(config, habit, now, end)
    if not reminders:
        return []
    today = config.today(now)
    # A rule with an interval counts from its period's first reminder; the others from today.
    search = today if habit.on is not None else period_of(habit, today, settings.week_starts)[0]
    if habit.cron is not None:
        rule = _cron_rule(habit.cron)
        day = _first_day(habit, settings, today)
        times = sorted(s.due for s in slots_on(habit, settings, day)) if day else []
        anchor = times[0].astimezone(tz) if times else None
        event = _dated(habit, f"{habit.id}@habitd", now, rule, anchor, [w for w, _ in reminders], tz, (now, end))
        return [event] if event else []
    events = []
    for i, at in enumerate(habit.at):
        uid = f"{habit.id}@habitd" if i == 0 else f"{habit.id}-{i + 1}@habitd"
        wall, later = _wall(at, settings)
        rule = _on_rule(habit, int(at < settings.day_starts) + later)  # before the day starts: the day after
        part = habit._replace(at=(at,))
        day = _first_day(part, settings, search)
        anchor = datetime.combine(day + timedelta(days=later), wall, tz) if day else None
        wanted = [w for w, j in reminders if j == i]
        event = _dated(habit, uid, now, rule, anchor, wanted, tz, (now, end))
        if event is not None:
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
