"""What the commands show, as plain data: status rows, history periods, upcoming reminders.

These functions take the config, the state and ``now``; the command line
formats their results as text or JSON (see render.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta

from habitd.habits.config import Config, Habit, Settings
from habitd.habits.periods import is_due_day, period_bounds, period_index
from habitd.habits.schedule import HOLD_BACK, Slot, expires, handled_mark, shown_at, slots_between, upcoming_slots
from habitd.habits.state import HabitLog, Note, State
from habitd.habits.streaks import MET, OPEN, SKIPPED, Period, first_entry, period_state, periods, summarize
from habitd.history.events import is_private
from habitd.history.people import as_seen, people, who
from habitd.history.people import view as person_view
from habitd.records import Record

SNOOZE = -1  # the ``followup`` of a slot that is a snoozed reminder's return


def snooze_slot(state: State, habit: Habit) -> Slot | None:
    """The habit's snoozed reminder still to come back, as a slot of its own; None without one."""
    r = state.reminders.get(habit.id)
    if r is None or r.snooze is None or (r.handled is not None and r.handled >= r.snooze.until):
        return None
    return Slot(r.snooze.until, habit.id, r.snooze.until, SNOOZE, r.snooze.day)


def reminder_open(config: Config, state: State, habit: Habit, now: datetime) -> OpenCheck:
    return OpenCheck(config, state, habit, config.today(now), now)


class OpenCheck:
    """Is a slot worth showing: its period is not met, skipped or paused, and no snooze puts it off."""

    def __init__(self, config: Config, state: State, habit: Habit, today: date, now: datetime) -> None:
        state = as_seen(state, habit, config.settings.name)  # a personal habit: only my part silences it
        self.config, self.state, self.habit, self.today = config, state, habit, today
        shown = state.reminders.get(habit.id)
        self.handled = handled_mark(shown.handled if shown else None, now)
        self._cache: dict[int, Period] = {}
        self.snooze = snooze_slot(state, habit)

    def __call__(self, slot: Slot) -> bool:
        ws = self.config.settings.week_starts
        if self.state.paused(self.habit.id, slot.day):
            return False
        if self.handled and slot.due <= self.handled:
            return False
        if self.snooze is not None and slot.followup != SNOOZE and slot.due < self.snooze.due:
            return False  # snoozed: the reminder comes back at the snooze's end, not before
        if shown_at(slot, self.config.settings) >= expires(self.habit, self.config.settings, slot):
            return False
        index = period_index(self.habit, slot.day, ws)
        if index not in self._cache:
            ds = self.config.settings.day_starts
            self._cache[index] = period_state(self.habit, self.state, index, self.today, ws, ds)
        return self._cache[index].state == OPEN


def next_reminder(config: Config, state: State, habit: Habit, now: datetime) -> datetime | None:
    """When the habit's next reminder will be shown, given what is done, shown and snoozed."""
    wanted = reminder_open(config, state, habit, now)
    slot = next(upcoming_slots(habit, config.settings, now, wanted), None)
    snoozed = wanted.snooze
    later = slot is None or (snoozed is not None and snoozed.due <= slot.due)
    if snoozed is not None and later and shown_at(snoozed, config.settings) > now and wanted(snoozed):
        slot = snoozed
    return shown_at(slot, config.settings) if slot else None


class StatusRow(Record):
    habit: Habit
    period: Period
    streak: int
    best_streak: int
    strength: float
    next_reminder: datetime | None
    paused: bool
    pending: datetime | None
    by: tuple[str, ...] = ()  # the names of who completed it in this period, sorted
    person: str = ""  # whose row: a partner's, on a personal habit ("": mine, or the shared habit's)
    others: tuple[StatusRow, ...] = ()  # a personal habit: the other people's rows


def status(
    config: Config,
    state: State,
    now: datetime,
    archived: bool = False,
    next_times: Mapping[str, datetime] | None = None,
) -> list[StatusRow]:
    """A row per habit; archived habits only when ``archived``. A personal habit's row is mine,
    with the others' rows in ``others``. ``next_times``: each habit's next reminder as the
    daemon's schedule worked it out from this state (a habit missing has none), not computed again."""
    day = config.today(now)
    ws, ds = config.settings.week_starts, config.settings.day_starts
    whole, state = state, person_view(state, config)
    rows = []
    for habit in config.habits:
        if habit.archived and not archived:
            continue
        s = summarize(habit, state, day, ws, ds)
        r = state.reminders.get(habit.id)
        others = []
        if habit.each and config.settings.name:
            for name in people(config, whole, habit)[1:]:
                theirs = as_seen(whole, habit, name)
                o = summarize(habit, theirs, day, ws, ds)
                got = who(theirs.habits.get(habit.id), o.current.first, o.current.last)
                others.append(
                    StatusRow(
                        habit, o.current, o.streak, o.best_streak, o.strength, None,
                        theirs.paused(habit.id, day), None, tuple(got), name,
                    )
                )  # fmt: skip
        rows.append(
            StatusRow(
                habit,
                s.current,
                s.streak,
                s.best_streak,
                s.strength,
                next_reminder(config, state, habit, now) if next_times is None else next_times.get(habit.id),
                state.paused(habit.id, day),
                r.pending if r else None,
                tuple(who(state.habits.get(habit.id), s.current.first, s.current.last)),
                "",
                tuple(others),
            )
        )
    return rows


def status_json(config: Config, rows: list[StatusRow], day: date) -> dict[str, object]:
    def person(r: StatusRow) -> dict[str, object]:
        return {
            "name": r.person,
            "done": r.period.done,
            "met": r.period.state == MET,
            "streak": r.streak,
            "best_streak": r.best_streak,
            "strength": r.strength,
            "by": list(r.by),
        }

    return {
        "today": day.isoformat(),
        "habits": [
            {
                "id": r.habit.id,
                "title": r.habit.title,
                "period": str(r.habit.every),
                "target": r.habit.times,
                "done": r.period.done,
                "met": r.period.state == MET,
                "streak": r.streak,
                "best_streak": r.best_streak,
                "strength": r.strength,
                "next_reminder": iso(config, r.next_reminder),
                "paused": r.paused,
                "pending_reminder": iso(config, r.pending),
                "archived": r.habit.archived,
                "by": list(r.by),
                "each": r.habit.each,
                **({"others": [person(o) for o in r.others]} if r.habit.each else {}),
            }
            for r in rows
        ],
    }


def iso(config: Config, moment: datetime | None) -> str | None:
    return moment.astimezone(config.settings.tz).isoformat() if moment else None


NOT_TRACKED = "not tracked"


def tracked_from(state: State, habit: Habit) -> date | None:
    """The first day habitd knew of the habit: its first completion or skip (None: not yet).

    Not its ``start``, which only anchors its periods: an example habit starting in January
    was never missed by someone who began in December. Streaks, strength and rates begin there too
    (``streaks.first_entry``).
    """
    return first_entry(state.habits.get(habit.id))


def history(config: Config, state: State, habit: Habit, now: datetime, weeks: int) -> list[Period]:
    """The habit's periods that overlap the last ``weeks`` weeks, oldest first.

    A finished period that ends before the habit was tracked (before its first completion
    or skip, ``tracked_from``) is ``not tracked``, not ``missed``.
    """
    day = config.today(now)
    ws = config.settings.week_starts
    state = as_seen(state, habit, config.settings.name)
    since = day - timedelta(days=weeks * 7 - 1)
    first = period_index(habit, since, ws)
    if period_bounds(habit, first, ws)[0] < since:  # only whole periods inside the window
        first += 1
    first = min(first, period_index(habit, day, ws))
    found = periods(habit, state, day, ws, first_index=first, day_starts=config.settings.day_starts)
    begin = tracked_from(state, habit)
    return [p._replace(state=NOT_TRACKED) if p.last < day and (begin is None or p.last < begin) else p for p in found]


def _name(name: str) -> str | None:
    return name or None


def _private(note: Note | None) -> dict[str, bool]:
    """``"private": true`` for a note kept on this machine only; nothing for the others."""
    return {"private": True} if note is not None and is_private(note.extra) else {}


def _period_json(log: HabitLog | None, p: Period, mine: tuple[str, str] | None) -> dict[str, object]:
    """One period of ``history --json``: its completions, skips and notes (``mine``: only those names')."""
    done: list[dict[str, object]] = []
    skips: list[dict[str, object]] = []
    notes: list[dict[str, object]] = []
    if log:
        for d in log.days():
            if not p.first <= d <= p.last:
                continue
            for nth, name in enumerate(log.bys(d), 1):
                if mine is None or name in mine:
                    note = log.note_of(d, nth)
                    text = note.text if note else None
                    done.append({"date": d.isoformat(), "note": text, "by": _name(name), **_private(note)})
        skips = [
            {"date": s.day.isoformat(), "note": s.text or None, "by": _name(s.by)}
            for s in log.skips
            if p.first <= s.day <= p.last and (mine is None or s.by in mine)
        ]
        notes = [
            {"date": n.day.isoformat(), "text": n.text, "by": _name(n.by), **_private(n)}
            for n in log.notes
            if n.nth == 0 and p.first <= n.day <= p.last and (mine is None or n.by in mine)
        ]
    return {
        "first": p.first.isoformat(),
        "last": p.last.isoformat(),
        "state": p.state,
        "completions": done,
        "skips": skips,  # each skip recorded in the period, with its note
        "notes": notes,  # the days' own notes: kept from an undo, or given when nothing was recorded
        "by": sorted({str(c["by"]) for c in done if c["by"]}),
    }


def history_json(config: Config, state: State, habit: Habit, rows: list[Period]) -> dict[str, object]:
    """The periods with their completions, skips and notes, each with who did it (``by``: a name or null).

    A personal habit's are this device's person's (and those recorded without a name).
    """
    log = state.habits.get(habit.id)
    me = config.settings.name
    mine = (me, "") if habit.each and me else None
    periods = [_period_json(log, p, mine) for p in rows]
    return {"habit": habit.id, "period": str(habit.every), "target": habit.times, "each": habit.each,
            "periods": periods}  # fmt: skip


def _as_shown(slots: Iterator[Slot], settings: Settings) -> Iterator[tuple[datetime, Slot]]:
    """Slots with when they are shown; those held to one moment (the end of quiet hours) show once, as the latest."""
    held: tuple[datetime, Slot] | None = None
    for slot in slots:
        at = shown_at(slot, settings)
        if held is not None and held[0] != at:
            yield held
        held = (at, slot)
    if held is not None:
        yield held


class Upcoming(Record):
    habit: Habit
    at: datetime  # when it is shown
    followup: bool
    planned: datetime | None = None  # when it was due, if quiet hours held it to ``at``; else None


def held_from(config: Config, habit: Habit, moment: datetime) -> datetime | None:
    """When a reminder shown at ``moment`` was planned, if quiet hours held it there; else None.

    Told from the schedule alone: a base reminder (or follow-up) of the habit due before
    ``moment`` that the quiet hours hold to it (the latest of them, as ``next`` shows it).
    """
    settings = config.settings
    if settings.quiet_hours is None:
        return None
    slots = slots_between(habit, settings, moment - HOLD_BACK, moment)
    return max((s.due for s in slots if shown_at(s, settings) == moment), default=None)


def quiet_reason(config: Config, planned: datetime | None, at: datetime) -> str:
    """`` (quiet hours until 07:30)`` after a time quiet hours held; "" for one they did not."""
    if planned is None or planned == at:
        return ""
    return f" (quiet hours until {at.astimezone(config.settings.tz):%H:%M})"


def upcoming(config: Config, state: State, now: datetime, limit: int) -> list[Upcoming]:
    found: list[Upcoming] = []
    for habit in config.habits:
        wanted = reminder_open(config, state, habit, now)
        slots = upcoming_slots(habit, config.settings, now, wanted)
        for at, slot in itertools.islice(_as_shown(slots, config.settings), limit):
            found.append(Upcoming(habit, at, slot.followup > 0, slot.due if slot.due != at else None))
        snoozed = wanted.snooze  # a snoozed reminder's return counts as a follow-up
        if snoozed is not None and shown_at(snoozed, config.settings) > now and wanted(snoozed):
            at = shown_at(snoozed, config.settings)
            found.append(Upcoming(habit, at, True, snoozed.due if snoozed.due != at else None))
    found.sort(key=lambda u: (u.at, u.habit.id))
    return found[:limit]


# --- the everyday views -----------------------------------------------------------


class TodayItem(Record):
    row: StatusRow
    at: datetime | None  # a reminder today, if any
    ends_today: bool  # the period's last day is today


class TodayView(Record):
    day: date
    due: list[TodayItem]  # due today and not met, by reminder time
    open: list[StatusRow]  # open in a longer period, nothing asked of today
    done: list[StatusRow]  # met this period
    paused: list[StatusRow]  # paused today, not met


def today_view(
    config: Config,
    state: State,
    now: datetime,
    archived: bool = False,
    next_times: Mapping[str, datetime] | None = None,
) -> TodayView:
    day = config.today(now)
    due: list[TodayItem] = []
    open_: list[StatusRow] = []
    done: list[StatusRow] = []
    paused: list[StatusRow] = []
    for row in status(config, state, now, archived, next_times):
        p = row.period
        if p.state == MET:
            done.append(row)
        elif row.paused:
            paused.append(row)
        elif p.state == OPEN and not row.paused:
            at = row.next_reminder if row.next_reminder and config.today(row.next_reminder) == day else None
            daily = row.habit.every.unit == "day" and row.habit.every.n == 1
            if not row.habit.archived and (daily or at is not None or p.last == day):  # archived: never due
                due.append(TodayItem(row, at, p.last == day))
            else:
                open_.append(row)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    due.sort(key=lambda i: (i.at or far, i.row.habit.id))
    return TodayView(day, due, open_, done, paused)


def today_json(config: Config, view: TodayView) -> dict[str, object]:
    def short(r: StatusRow) -> dict[str, object]:
        return {
            "id": r.habit.id, "title": r.habit.title, "archived": r.habit.archived, "done": r.period.done,
            "target": r.habit.times, "by": list(r.by),
        }  # fmt: skip

    return {
        "today": view.day.isoformat(),
        "due": [{**short(i.row), "at": iso(config, i.at), "period_ends_today": i.ends_today} for i in view.due],
        "open": [short(r) for r in view.open],
        "done": [{**short(r), "streak": r.streak} for r in view.done],
        "paused": [short(r) for r in view.paused],
    }


class JournalEntry(Record):
    habit: str
    day: date
    written: datetime | None  # None: a skip recorded before habitd kept the moment
    text: str
    kind: str = "note"  # or "skip": the note given with a skip
    by: str = ""  # who wrote it ("": no name was set)
    private: bool = False  # kept on this machine only (``--private``)


def journal(state: State, habit: str | None, since: date | None) -> list[JournalEntry]:
    """Notes and the notes of skips, newest first."""
    out = []
    for hid, log in state.habits.items():
        if habit is None or hid == habit:
            out += [
                JournalEntry(hid, n.day, n.at, n.text, by=n.by, private=is_private(n.extra))
                for n in log.notes
                if since is None or n.day >= since
            ]
            out += [
                JournalEntry(hid, s.day, s.at, s.text, "skip", s.by)
                for s in log.skips
                if s.text and (since is None or s.day >= since)
            ]
    out.sort(key=lambda e: (e.day, e.written.timestamp() if e.written else 0.0), reverse=True)
    return out


DONE, MISSED_DAY, SKIPPED_DAY, PAUSED_DAY, NOT_DUE_DAY, QUIET_DAY, NOT_TRACKED_DAY, FUTURE = (
    "done", "missed", "skipped", "paused", "not due", "quiet", "not tracked", "future",
)  # fmt: skip


def day_marks(
    config: Config,
    state: State,
    habit: Habit,
    first: date,
    now: datetime,
    last: date | None = None,
    person: str | None = None,
) -> dict[date, str]:
    """What each day from ``first`` to today (or the period of ``last``, if earlier) looks like on the heatmap.

    ``done``: a completion that day. ``missed``: a day of a missed period.
    ``quiet``: a day of a met or still open period without a completion.
    ``not due``: a day a daily habit's ``on`` or ``cron`` leaves free (``periods.is_due_day``).
    ``not tracked``: a day of a period that ended before the habit was tracked
    (the same rule as ``history``). ``future``: after today.
    A personal habit's are ``person``'s (default: mine).
    """
    day = config.today(now)
    ws, ds = config.settings.week_starts, config.settings.day_starts
    state = as_seen(state, habit, config.settings.name if person is None else person)
    log = state.habits.get(habit.id)
    marks: dict[date, str] = {}
    started = tracked_from(state, habit)
    end = period_index(habit, day if last is None else min(last, day), ws)
    for i in range(period_index(habit, first, ws), end + 1):
        p = period_state(habit, state, i, day, ws, ds)
        d = max(p.first, first)
        while d <= p.last:
            if d > day:
                marks[d] = FUTURE
            elif p.last < day and (started is None or p.last < started):
                marks[d] = NOT_TRACKED_DAY
            elif log and log.count(d):
                marks[d] = DONE
            elif p.state == SKIPPED:
                marks[d] = SKIPPED_DAY
            elif state.paused(habit.id, d):
                marks[d] = PAUSED_DAY
            elif not is_due_day(habit, d, ds):
                marks[d] = NOT_DUE_DAY
            elif p.state == "missed":
                marks[d] = MISSED_DAY
            else:
                marks[d] = QUIET_DAY
            d += timedelta(days=1)
    return marks


class Ahead(Record):
    """A day after today holding completions: recorded while a clock ran ahead."""

    habit: Habit
    day: date
    by: tuple[str, ...]  # the name behind each of its completions ("": none was set)


def future_completions(config: Config, state: State, today: date) -> list[Ahead]:
    """Completions dated after today: recorded while a clock (this device's or a partner's) ran ahead."""
    out: list[Ahead] = []
    for habit in config.habits:
        log = state.habits.get(habit.id)
        if log and max(log.done, default=0) >= today.year:
            out.extend(Ahead(habit, d, tuple(log.bys(d))) for d in log.days(after=today))  # not ten years of days
    return out
