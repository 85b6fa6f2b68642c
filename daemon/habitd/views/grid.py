"""The grid of every habit over the last days, as plain data: one row a habit, one mark a day.

The marks are the history heatmap's (``views.day_marks``); the streak is the
one ``status`` shows. A personal habit has a row per person, mine first. The command line renders it (render_views.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from habitd.habits.config import Config, Habit
from habitd.habits.state import State
from habitd.habits.streaks import summarize
from habitd.history.people import as_seen, people
from habitd.records import Record
from habitd.views.rows import day_marks


class GridRow(Record):
    habit: Habit
    marks: tuple[str, ...]  # one a day, oldest first: views.DONE, MISSED_DAY, ...
    streak: int
    person: str = ""  # a personal habit's row of a partner ("": mine, or the shared habit's)


class Grid(Record):
    today: date
    days: tuple[date, ...]  # oldest first, today last
    rows: tuple[GridRow, ...]


def grid(config: Config, state: State, now: datetime, days: int, archived: bool = False) -> Grid:
    """The last ``days`` days up to today of every habit in the config (archived ones only when ``archived``)."""
    today = config.today(now)
    first = today - timedelta(days=days - 1)
    span = tuple(first + timedelta(days=i) for i in range(days))
    rows = []
    for habit in config.habits:
        if habit.archived and not archived:
            continue
        me = config.settings.name
        for person in people(config, state, habit) if habit.each and me else [me]:
            marks = day_marks(config, state, habit, first, now, person=person)
            seen = as_seen(state, habit, person)
            streak = summarize(habit, seen, today, config.settings.week_starts, config.settings.day_starts).streak
            rows.append(GridRow(habit, tuple(marks[d] for d in span), streak, "" if person == me else person))
    return Grid(today, span, tuple(rows))


def grid_json(g: Grid) -> dict[str, object]:
    return {
        "today": g.today.isoformat(),
        "days": [d.isoformat() for d in g.days],
        "habits": [
            {
                "id": r.habit.id,
                "title": r.habit.title,
                "archived": r.habit.archived,
                "marks": list(r.marks),
                "streak": r.streak,
            }
            | ({"person": r.person or None} if r.habit.each else {})
            for r in g.rows
        ],
    }
