"""Human-readable text for the commands' results. Plain strings, no Click."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from daemon import views
from daemon.clock import WEEKDAYS
from daemon.config import Config, Habit
from daemon.streaks import MET, SKIPPED
from daemon.views import StatusRow, Upcoming

_CODES = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}


class Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *names: str) -> str:
        if not self.color or not names:
            return text
        codes = ";".join(_CODES[n] for n in names)
        return f"\x1b[{codes}m{text}\x1b[0m"


def when(config: Config, moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "no reminder"
    local = moment.astimezone(config.settings.tz)
    days = (local.date() - now.astimezone(config.settings.tz).date()).days
    if days == 0:
        return f"today {local:%H:%M}"
    if days == 1:
        return f"tomorrow {local:%H:%M}"
    if 1 < days < 7:
        return f"{local:%a %H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def target(habit: Habit) -> str:
    return f"{habit.times}x per {habit.every}" if habit.times > 1 else f"every {habit.every}"


def check_lines(config: Config, nexts: list[datetime | None], now: datetime) -> list[str]:
    width = max((len(h.id) for h in config.habits), default=0)
    lines = [
        f"{h.id:<{width}}  {target(h):<16}  next: {when(config, n, now)}"
        for h, n in zip(config.habits, nexts, strict=False)
    ]
    lines.append(f"config is valid: {len(config.habits)} habit(s), timezone {config.settings.timezone}")
    return lines


def status_lines(config: Config, rows: list[StatusRow], now: datetime, style: Style) -> list[str]:
    if not rows:
        return ["No habits yet: add some to the config (`habitd init` writes an example)."]
    width = max(len(r.habit.id) for r in rows)
    lines = []
    for r in rows:
        if r.period.state == MET:
            word, color = "done", "green"
        elif r.paused:
            word, color = "paused", "dim"
        elif r.period.state == SKIPPED:
            word, color = "skipped", "dim"
        else:
            word, color = f"{r.period.done}/{r.habit.times}", ""
        mark = style(f"{word:<8}", color) if color else f"{word:<8}"  # pad before colouring
        parts = [f"{r.habit.id:<{width}}", mark, f"{target(r.habit):<16}"]
        if config.settings.show_streaks:
            parts.append(f"streak {r.streak:>3} (best {r.best_streak})  strength {r.strength:.0%}")
        parts.append(f"next: {when(config, r.next_reminder, now)}")
        if r.pending:
            parts.append(style("reminder waiting for a notification server", "yellow"))
        lines.append("  ".join(parts))
    return lines


def upcoming_lines(config: Config, items: list[Upcoming], now: datetime) -> list[str]:
    if not items:
        return ["Nothing coming up: no habit has an open reminder."]
    width = max(len(u.habit.id) for u in items)
    return [
        f"{when(config, u.at, now):<18} {u.habit.id:<{width}}  {u.habit.title}{' (again)' if u.followup else ''}"
        for u in items
    ]


HEAT = {
    views.DONE: ("#", "green"),
    views.MISSED_DAY: ("x", "red"),
    views.SKIPPED_DAY: ("s", "cyan"),
    views.PAUSED_DAY: ("p", "cyan"),
    views.NOT_DUE_DAY: ("-", "dim"),
    views.QUIET_DAY: (".", "dim"),
    views.FUTURE: (" ", ""),
}
LEGEND = "# done  . no completion needed yet  x missed  s skipped  p paused  - not due"


def heatmap_lines(
    config: Config, habit: Habit, marks: dict[date, str], first: date, summary: StatusRow, style: Style
) -> list[str]:
    """A contributions-style calendar: one column a week, one row a weekday."""
    ws = config.settings.week_starts
    start = first - timedelta(days=(first.weekday() - ws) % 7)
    last = max(marks) if marks else first
    weeks = (last - start).days // 7 + 1
    header = [" "] * (weeks * 2)
    previous = None
    for w in range(weeks):
        month = (start + timedelta(days=7 * w)).strftime("%b")
        if month != previous and w * 2 + 3 <= len(header):
            header[w * 2 : w * 2 + 3] = list(month)
            previous = month
    lines = [f"{habit.title} ({target(habit)})", "     " + "".join(header).rstrip()]
    for row in range(7):
        weekday = (ws + row) % 7
        cells = []
        for w in range(weeks):
            d = start + timedelta(days=7 * w + row)
            char, color = HEAT.get(marks.get(d, views.FUTURE), (" ", ""))
            cells.append(style(char, color) if color else char)
        lines.append(f"{WEEKDAYS[weekday].capitalize():<4} " + " ".join(cells).rstrip())
    lines.append(LEGEND)
    p = summary.period
    period = "today" if habit.every.unit == "day" and habit.every.n == 1 else f"this {habit.every}"
    progress = f"{period}: {p.done}/{habit.times}" if p.state != "met" else f"{period}: done"
    if config.settings.show_streaks:
        s = summary
        lines.append(f"{progress} · streak {s.streak} · best {s.best_streak} · strength {s.strength:.0%}")
    else:
        lines.append(progress)
    return lines


def today_lines(config: Config, view: views.TodayView, style: Style) -> list[str]:
    lines: list[str] = []
    if view.due:
        lines.append(style(f"Due today ({view.day:%a %d %b})", "bold"))
        for item in view.due:
            r = item.row
            when_ = item.at.astimezone(config.settings.tz).strftime("%H:%M") if item.at else "     "
            progress = f"{r.period.done}/{r.habit.times}" if r.habit.times > 1 else ""
            last = " (last day)" if item.ends_today and r.habit.every.unit != "day" else ""
            lines.append(f"  {when_}  {r.habit.id:<18} {_cut(r.habit.title, 34):<34} {progress}{last}".rstrip())
    else:
        lines.append(style(f"Nothing due today ({view.day:%a %d %b}).", "bold"))
    if view.open:
        lines.append("Open this period: " + _cut(", ".join(r.habit.id for r in view.open), 62))
    if view.done:
        lines.append(style("Done", "bold"))
        for r in view.done:
            streak = f"streak {r.streak}" if config.settings.show_streaks else ""
            lines.append(f"  {style('✓', 'green')}  {r.habit.id:<18} {_cut(r.habit.title, 34):<34} {streak}".rstrip())
    return lines


def today_line(view: views.TodayView) -> str:
    """One short line for a status bar."""
    if view.due:
        return f"{len(view.due)} due: " + ", ".join(i.row.habit.id for i in view.due)
    return "all done" if view.done else "nothing due"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def journal_lines(config: Config, entries: list[views.JournalEntry]) -> list[str]:
    if not entries:
        return ["No notes yet. Add one with: habitd done HABIT --note '...'"]
    lines = []
    for e in entries:
        lines.append(f"{e.day.isoformat()}  {e.habit}{'  (skipped)' if e.kind == 'skip' else ''}")
        lines.extend(f"    {line}" for line in e.text.splitlines() or [""])
    return lines
