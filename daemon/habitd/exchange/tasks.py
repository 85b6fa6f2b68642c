"""A partner's phone as a task list: each open period of a habit as one to-do (VTODO), and ticks read back.

Pure: no files, no clock. ``service/phone.py`` reads and writes the folder of ``.ics``
items (a vdir) that vdirsyncer keeps in step with a CalDAV server; the phone's task app
shows that list. What is written and how a tick is read (docs/phone.md):

- One non-repeating VTODO per habit, per period, per person: phone apps complete a
  repeating task each in their own way, often without the server ever seeing it.
- Its UID is ``habitd-<habit>-<first day YYYYMMDD>-<person>`` (the person's name made
  filename-safe), so vdirsyncer names its file after it and the same period always
  gets the same task. When an item not ours holds that file name, the task takes its second
  UID (and file name), ``habitd-X-...``: none of the first UIDs has an upper-case letter.
- ``SUMMARY`` is the title, ``DESCRIPTION`` the message (and the period's prompt, and how
  many of the times are done), ``DUE`` the end of the period's last day, ``CATEGORIES``
  habitd; one ``VALARM`` per reminder time of the period, less those the person's quiet
  hours hold. Every time is in UTC: no VTIMEZONE needed.
- ``STATUS`` is COMPLETED once the period is met by anyone who counts (the command line,
  a button, the partner), CANCELLED when it was skipped or paused; alarms only while open.

What the phone wrote back is foreign input: ``read_item`` parses it within limits and
names what is wrong; only our own, non-repeating tasks are read, and only their status
and completion time.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import icalendar

from habitd.habits.clock import day_bounds, logical_day
from habitd.habits.config import Config, Habit, Phone
from habitd.habits.periods import period_index
from habitd.habits.schedule import in_quiet_hours, slots_on
from habitd.habits.state import State
from habitd.habits.streaks import MET, NOT_DUE, OPEN, PAUSED, SKIPPED, Period, period_state
from habitd.history.people import as_seen, who
from habitd.history.phonelog import Known, person_part
from habitd.records import Record

NEEDS_ACTION, COMPLETED, CANCELLED = "NEEDS-ACTION", "COMPLETED", "CANCELLED"
PREFIX = "habitd-"
ITEM_MAX_BYTES = 64 * 1024  # one task of ours is under 4 KiB
ITEM_MAX_LINES = 2000
ITEM_MAX_PARTS = 64  # BEGIN: lines in one item
MAX_ALARMS = 40
KEEP_AFTER = timedelta(days=2)  # a period's task is removed this long after the period ended


HABIT_PART_MAX = 60  # a habit id's part in a UID: with the person's, a UID stays under 120 characters


def task_uid(habit_id: str, first: date, person: str) -> str:
    """The UID of ``person``'s task for the period of ``habit_id`` that begins on ``first``; it is also
    the item's file name (``.ics`` added), so a long habit id is cut and ends in a hash of it."""
    habit = habit_id
    if len(habit) > HABIT_PART_MAX:
        habit = f"{habit[: HABIT_PART_MAX - 17]}-{digest(habit.encode())[:16]}"
    return f"{PREFIX}{habit}-{first:%Y%m%d}-{person_part(person)}"


class Task(Record):
    """One period's task as it should be on the phone."""

    uid: str
    habit: str
    first: date
    last: date
    status: str
    data: bytes  # the item's bytes, the same for the same task: a rewrite is an upload

    @property
    def sha(self) -> str:
        return digest(self.data)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def due_of(config: Config, last: date) -> datetime:
    """The end of the period's last logical day, a minute before the next begins (UTC)."""
    return _utc(day_bounds(last, config.settings.tz, config.settings.day_starts)[1] - timedelta(minutes=1))


def alarms(config: Config, phone: Phone, habit: Habit, first: date, last: date) -> list[datetime]:
    """The instants of the period's reminder times (follow-ups aside), less those in the person's quiet hours."""
    settings = config.settings._replace(quiet_hours=phone.quiet_hours or config.settings.quiet_hours)
    found: list[datetime] = []
    day = first
    while day <= last + timedelta(days=1) and len(found) < MAX_ALARMS:  # after midnight: before day_starts
        for slot in slots_on(habit, settings, day):
            if slot.followup == 0 and first <= slot.day <= last and in_quiet_hours(slot.due, settings) is None:
                found.append(_utc(slot.due))
        day += timedelta(days=1)
    return sorted(set(found))[:MAX_ALARMS]


def _description(habit: Habit, period: Period, done_by: list[str]) -> str:
    lines = [habit.message]
    if habit.prompts:
        lines += ["", habit.prompts[period.number % len(habit.prompts)]]
    if habit.times > 1:
        lines += ["", f"{min(period.done, habit.times)} of {habit.times} done in this period."]
    if period.state == MET and done_by:
        lines += ["", f"Done by {', '.join(done_by)}."]
    return "\n".join(lines)


_STATUS = {OPEN: NEEDS_ACTION, MET: COMPLETED, SKIPPED: CANCELLED, PAUSED: CANCELLED}


def period_task(config: Config, state: State, phone: Phone, habit: Habit, index: int, today: date) -> Task | None:
    """The task of ``habit``'s period ``index`` for the phone's person; None when that period has none
    (not due, or before the habit's start). A past period not met stays open: a late tick counts."""
    ws, ds = config.settings.week_starts, config.settings.day_starts
    seen = as_seen(state, habit, phone.person)
    period = period_state(habit, seen, index, today, ws, ds)
    if period.state == NOT_DUE or (habit.start is not None and period.last < habit.start):
        return None
    status = _STATUS.get(period.state, NEEDS_ACTION)  # missed: still to do, late
    uid = task_uid(habit.id, period.first, phone.person)
    todo = icalendar.Todo()
    todo.add("uid", uid)
    todo.add("dtstamp", _utc(day_bounds(period.first, config.settings.tz, config.settings.day_starts)[0]))
    todo.add("summary", habit.title)
    done_by = who(seen.habits.get(habit.id), period.first, period.last)
    todo.add("description", _description(habit, period, done_by))
    todo.add("due", due_of(config, period.last))
    todo.add("categories", ["habitd"])
    todo.add("status", status)
    if status == COMPLETED:
        todo.add("percent-complete", 100)
    if status == NEEDS_ACTION:
        for moment in alarms(config, phone, habit, period.first, period.last):
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", habit.title)
            alarm.add("trigger", moment, parameters={"VALUE": "DATE-TIME"})
            todo.add_component(alarm)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//habitd//phone tasks//EN")
    cal.add("version", "2.0")
    cal.add_component(todo)
    return Task(uid, habit.id, period.first, period.last, status, cal.to_ical())


def sequenced(task: Task, seq: int) -> Task:
    """``task`` as its revision ``seq`` (``SEQUENCE``; 0: none): bytes that differ from every earlier revision.

    vdirsyncer 0.21 keeps an item's old hash when it brings the server's change, so a rewrite that
    restores bytes written before looks unchanged to it and is never uploaded; a new revision is."""
    if seq == 0:
        return task
    cal = icalendar.Calendar.from_ical(task.data)
    todo = next(c for c in cal.walk() if c.name == "VTODO")
    todo.add("sequence", seq)
    return task._replace(data=cal.to_ical())


MOVED = "habitd-X-"  # a task's second UID, when its file name is held by an item not ours (no first UID is so)


def moved_uid(uid: str) -> str:
    """The second UID of task ``uid``, and so its second file name: our UIDs are lower case, this one is not."""
    return MOVED + uid[len(PREFIX) :]


def first_uid(uid: str) -> str:
    """The task's own UID, whether ``uid`` is it or its second."""
    return PREFIX + uid[len(MOVED) :] if uid.startswith(MOVED) else uid


def moved(task: Task) -> Task:
    """``task`` under its second UID (the ledger still keys it by its first)."""
    cal = icalendar.Calendar.from_ical(task.data)
    todo = next(c for c in cal.walk() if c.name == "VTODO")
    todo["uid"] = moved_uid(task.uid)
    return task._replace(data=cal.to_ical())


def current_tasks(config: Config, state: State, phone: Phone, now: datetime) -> list[Task]:
    """The task of each habit's period that holds today (archived habits have none)."""
    today = config.today(now)
    out = []
    for habit in config.habits:
        if habit.archived or (habit.start is not None and today < habit.start):
            continue
        task = period_task(config, state, phone, habit, period_index(habit, today, config.settings.week_starts), today)
        if task is not None:
            out.append(task)
    return out


def expired(config: Config, last: date, now: datetime) -> bool:
    """Whether a task of a period that ended on ``last`` is old enough to be removed."""
    return config.today(now) > last + KEEP_AFTER


# --- reading what the phone wrote --------------------------------------------------------


class Item(Record):
    """What is read of one of our tasks as the phone left it."""

    uid: str
    status: str  # upper case; "" when absent
    completed: datetime | None  # the COMPLETED time, aware; None when absent


class ItemProblem(ValueError):
    """An item that cannot be read within the limits; the message says why."""


class Foreign(Record):
    """An item that is not one of our tasks (made on the phone, repeating, another program's)."""

    uid: str


def quoted(text: str, limit: int = 120) -> str:
    """What the parser said of an item, which quotes its text: on one line, its controls (line breaks,
    terminal escapes, text-direction marks) escaped as Python writes them, at most ``limit`` characters."""
    cut = text[:limit]
    return repr(cut) + ("..." if len(text) > limit else "")


def read_item(data: bytes) -> Item | Foreign:
    """Read an item of the vdir: ours (one non-repeating VTODO with our UID prefix) or foreign.

    Raises ``ItemProblem`` for an item outside the limits or not iCalendar at all.
    """
    if len(data) > ITEM_MAX_BYTES:
        raise ItemProblem(f"larger than {ITEM_MAX_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ItemProblem("not UTF-8 text") from None
    if text.count("\n") > ITEM_MAX_LINES:
        raise ItemProblem(f"more than {ITEM_MAX_LINES} lines")
    if text.upper().count("BEGIN:") > ITEM_MAX_PARTS:
        raise ItemProblem(f"more than {ITEM_MAX_PARTS} components")
    try:
        cal = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ItemProblem(f"not iCalendar: {quoted(str(e))}") from None
    if not isinstance(cal, icalendar.Calendar):
        raise ItemProblem("not one calendar object")
    todos = [c for c in cal.walk() if c.name == "VTODO"]
    uids = {str(c.get("uid", "")) for c in cal.walk() if c.name in ("VTODO", "VEVENT", "VJOURNAL")}
    uid = next(iter(uids)) if len(uids) == 1 else ""
    if len(todos) != 1 or len(uids) != 1 or not uid.startswith(PREFIX):
        return Foreign(uid)
    todo = todos[0]
    if any(k in todo for k in ("RRULE", "RDATE", "RECURRENCE-ID")):
        return Foreign(uid)  # repeating: never ours, however it is named
    status = str(todo.get("status", "")).upper()
    return Item(uid, status, _completed(todo.get("completed")))


def _completed(prop: object) -> datetime | None:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None  # floating: the caller takes the time it saw it
    return None


def tick_day(
    config: Config, completed: datetime | None, now: datetime, first: date, last: date
) -> tuple[date, datetime]:
    """The logical day a tick counts for and its moment: the ``COMPLETED`` time, or ``now`` without one,
    never after now (a phone's clock ahead). A tick on a task counts for that task's period: a day
    before it is its first day, a day after it (a late tick) its last."""
    moment = completed if completed is not None and completed <= now else now
    day = logical_day(moment, config.settings.tz, config.settings.day_starts)
    if day < first:
        day = first
        moment = max(moment, day_bounds(first, config.settings.tz, config.settings.day_starts)[0])
    elif day > last:
        day = last  # its moment stays when it was ticked, as a late `done --day` keeps its own
    return day, moment


TICK, UNTICK = "tick", "untick"


def change_of(known: Known, item: Item, sha: str) -> str:
    """What the phone did to our task, as read from it: TICK, UNTICK or "" (nothing to record).

    Only a change from what was last written counts: a COMPLETED that this machine wrote (the
    period met elsewhere) is not a tick; an un-tick takes back only a completion its tick recorded.
    """
    if sha == known.sha:
        return ""
    if item.status == COMPLETED and known.status != COMPLETED:
        return TICK
    if item.status in (NEEDS_ACTION, "IN-PROCESS", "") and known.status == COMPLETED and known.done:
        return UNTICK
    return ""

