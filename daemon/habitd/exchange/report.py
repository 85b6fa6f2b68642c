"""The year report: a calendar per habit as a self-contained SVG (or an HTML page holding it).

``year_report`` gathers the data (plain records); ``svg`` and ``html`` write the
picture. The picture loads nothing from anywhere and runs nothing: no script,
no external reference, every piece of text escaped (titles come from the
user's config and may hold anything).
"""

from __future__ import annotations

import html as _html
import re
from datetime import date, datetime, timedelta

from habitd.habits.clock import WEEKDAYS
from habitd.habits.config import Config, Habit
from habitd.habits.periods import period_index
from habitd.habits.state import State
from habitd.habits.streaks import history_codes, summarize
from habitd.history.people import as_seen
from habitd.records import Record
from habitd.views import rows as views
from habitd.views.overview import period_noun
from habitd.views.stats import Run, best_run


class YearHabit(Record):
    habit: Habit
    marks: dict[date, str]  # every day of the year: views.DONE, MISSED_DAY, ..., NOT_TRACKED_DAY, FUTURE
    done: int  # completions in the year
    notes: int  # notes written for days of the year
    best: Run  # the longest streak within the year
    streak: int | None  # the streak today, for the current year


class YearReport(Record):
    year: int
    today: date
    week_starts: int
    show_streaks: bool
    habits: tuple[YearHabit, ...]


def year_report(config: Config, state: State, year: int, now: datetime) -> YearReport:
    today = config.today(now)
    ws, ds = config.settings.week_starts, config.settings.day_starts
    jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
    end = min(today, dec31)
    rows = []
    whole = state
    for habit in config.habits:
        state = as_seen(whole, habit, config.settings.name)  # a personal habit: my own part
        marks = dict.fromkeys((jan1 + timedelta(days=i) for i in range((dec31 - jan1).days + 1)), views.FUTURE)
        if jan1 <= today:
            drawn = views.day_marks(config, state, habit, jan1, now, dec31)
            marks.update((d, m) for d, m in drawn.items() if d <= dec31)
        log = state.habits.get(habit.id)
        done = log.count_between(jan1, end) if log and jan1 <= end else 0
        notes = sum(1 for n in log.notes if jan1 <= n.day <= dec31) if log else 0
        h = history_codes(habit, state, end, ws, ds) if jan1 <= end else None
        lo = max(0, period_index(habit, jan1, ws) - h.first) if h else 0
        best = best_run(habit, h, end, ws, lo)
        streak = summarize(habit, state, today, ws, ds).streak if end == today else None
        rows.append(YearHabit(habit, marks, done, notes, best, streak))
    return YearReport(year, today, ws, config.settings.show_streaks, tuple(rows))


def report_json(r: YearReport) -> dict[str, object]:
    def one(y: YearHabit) -> dict[str, object]:
        return {
            "id": y.habit.id,
            "title": y.habit.title,
            "archived": y.habit.archived,
            "done": y.done,
            "notes": y.notes,
            "streak": y.streak,
            "best_streak": {
                "length": y.best.length,
                "first": y.best.first.isoformat() if y.best.first else None,
                "last": y.best.last.isoformat() if y.best.last else None,
            },
            "days": {d.isoformat(): m for d, m in y.marks.items() if m not in (views.FUTURE, views.NOT_TRACKED_DAY)},
        }

    return {"year": r.year, "today": r.today.isoformat(), "habits": [one(y) for y in r.habits]}


# --- the picture ----------------------------------------------------------------

COLORS = {
    views.DONE: "#2f9e5b",
    views.QUIET_DAY: "#dce8df",
    views.MISSED_DAY: "#efb7a8",
    views.SKIPPED_DAY: "#a8c6ea",
    views.PAUSED_DAY: "#cdbfe6",
    views.NOT_DUE_DAY: "#d4d4d4",
    views.NOT_TRACKED_DAY: "#f1efe9",
    views.FUTURE: "#ffffff",
}
OUTLINE = {views.FUTURE: ' stroke="#d8d8d8" stroke-width="1"'}  # white on white needs an edge
LEGEND = (
    (views.DONE, "done"),
    (views.QUIET_DAY, "nothing needed yet"),
    (views.MISSED_DAY, "missed"),
    (views.SKIPPED_DAY, "skipped"),
    (views.PAUSED_DAY, "paused"),
    (views.NOT_DUE_DAY, "not due"),
    (views.NOT_TRACKED_DAY, "not tracked"),
    (views.FUTURE, "to come"),
)
CELL, GAP = 11, 3
STEP = CELL + GAP
LEFT = 56  # room for the weekday labels
TOP = 86  # the heading and the legend
BLOCK = 58 + 7 * STEP  # a habit: title, figures, month names, seven rows, space
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"  # compiled on first use (re keeps it)


def esc(text: str) -> str:
    """Text as XML character data or an attribute value: escaped, and without the characters XML forbids."""
    return _html.escape(re.sub(_NOT_XML, "\ufffd", text), quote=True)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _grid_start(year: int, week_starts: int) -> date:
    jan1 = date(year, 1, 1)
    return jan1 - timedelta(days=(jan1.weekday() - week_starts) % 7)


def size(r: YearReport) -> tuple[int, int]:
    """Width and height of the picture, in pixels."""
    weeks = (date(r.year, 12, 31) - _grid_start(r.year, r.week_starts)).days // 7 + 1
    return LEFT + weeks * STEP + 24, TOP + len(r.habits) * BLOCK + 40


def _figures(r: YearReport, y: YearHabit) -> str:
    parts = ["archived"] if y.habit.archived else []
    parts.append(f"done {_plural(y.done, 'time')}")
    if r.show_streaks:
        if y.streak is not None:
            parts.append(f"streak now {y.streak} {period_noun(y.habit, y.streak)}")
        if y.best.first and y.best.last:
            noun = period_noun(y.habit, y.best.length)
            parts.append(f"best streak {y.best.length} {noun} ({y.best.first:%d %b} – {y.best.last:%d %b})")
    parts.append(_plural(y.notes, "note"))
    return " · ".join(parts)


def svg(r: YearReport) -> str:
    width, height = size(r)
    start = _grid_start(r.year, r.week_starts)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" role="img">',
        f"<title>{r.year} at a glance: {len(r.habits)} habits</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="24" y="36" font-size="22" font-weight="bold" fill="#222222">{r.year} at a glance</text>',
    ]
    done, notes = sum(y.done for y in r.habits), sum(y.notes for y in r.habits)
    totals = f"{_plural(len(r.habits), 'habit')} · done {_plural(done, 'time')} · {_plural(notes, 'note')}"
    out.append(f'<text x="{width - 24}" y="36" font-size="13" text-anchor="end" fill="#555555">{totals}</text>')
    x = 24
    for state, label in LEGEND:
        edge = OUTLINE.get(state, "")
        out.append(f'<rect x="{x}" y="54" width="{CELL}" height="{CELL}" rx="2" fill="{COLORS[state]}"{edge}/>')
        out.append(f'<text x="{x + CELL + 5}" y="64" font-size="12" fill="#555555">{esc(label)}</text>')
        x += CELL + 14 + 7 * len(label)
    for n, y in enumerate(r.habits):
        top = TOP + n * BLOCK
        title = esc(_cut(y.habit.title, 80))
        out.append(f'<g class="habit" id="habit-{esc(y.habit.id)}">')
        out.append(f'<text x="24" y="{top + 18}" font-size="15" font-weight="bold" fill="#222222">{title}</text>')
        out.append(f'<text x="24" y="{top + 36}" font-size="12" fill="#555555">{esc(_figures(r, y))}</text>')
        cells_top = top + 58
        for m in range(12):
            first = date(r.year, m + 1, 1)
            col = (first - start).days // 7
            out.append(
                f'<text x="{LEFT + col * STEP}" y="{cells_top - 6}" font-size="10" fill="#777777">{MONTHS[m]}</text>'
            )
        for row in (0, 2, 4):
            wd = WEEKDAYS[(r.week_starts + row) % 7].capitalize()
            out.append(f'<text x="24" y="{cells_top + row * STEP + 9}" font-size="10" fill="#777777">{wd}</text>')
        for day, mark in y.marks.items():
            offset = (day - start).days
            cx, cy = LEFT + offset // 7 * STEP, cells_top + offset % 7 * STEP
            edge = ' stroke="#333333" stroke-width="1.5"' if day == r.today else OUTLINE.get(mark, "")
            out.append(f'<rect x="{cx}" y="{cy}" width="{CELL}" height="{CELL}" rx="2" fill="{COLORS[mark]}"{edge}/>')
        out.append("</g>")
    out.append(
        f'<text x="24" y="{height - 16}" font-size="11" fill="#999999">made with habitd on {r.today.isoformat()}</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def html(r: YearReport) -> str:
    """A page holding the SVG; its policy forbids anything from the network and any script."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<title>{r.year} at a glance</title>\n"
        "<style>body { margin: 0; background: #ffffff; } svg { display: block; }</style>\n"
        "</head>\n<body>\n" + svg(r) + "</body>\n</html>\n"
    )
