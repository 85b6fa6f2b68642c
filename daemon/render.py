"""Human-readable text for the commands' results. Plain strings, no Click."""

from __future__ import annotations

import re
from datetime import datetime

from daemon.config import Config, Habit
from daemon.streaks import MET, MISSED, OPEN, PAUSED, SKIPPED, Period
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
            mark = style("done", "green")
        elif r.paused:
            mark = style("paused", "dim")
        elif r.period.state == SKIPPED:
            mark = style("skipped", "dim")
        else:
            mark = f"{r.period.count}/{r.habit.times}"
        parts = [f"{r.habit.id:<{width}}", f"{mark:<{8 + (len(mark) - len(_plain(mark)))}}", f"{target(r.habit):<16}"]
        if config.settings.show_streaks:
            parts.append(f"streak {r.streak:>3} (best {r.best_streak})  strength {r.strength:.0%}")
        parts.append(f"next: {when(config, r.next_reminder, now)}")
        if r.pending:
            parts.append(style("reminder waiting for a notification server", "yellow"))
        lines.append("  ".join(parts))
    return lines


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


_MARKS = {MET: "#", MISSED: "x", SKIPPED: "s", PAUSED: "p", OPEN: "."}


def history_lines(config: Config, habit: Habit, rows: list[Period], style: Style) -> list[str]:
    lines = [f"{habit.title} ({target(habit)})"]
    for p in reversed(rows):
        span = p.first.isoformat() if p.first == p.last else f"{p.first.isoformat()} .. {p.last.isoformat()}"
        color = {MET: "green", MISSED: "red", OPEN: "cyan"}.get(p.state, "dim")
        lines.append(f"  {span:<24} {style(p.state, color)}  {p.count}/{habit.times}")
    return lines


def upcoming_lines(config: Config, items: list[Upcoming], now: datetime) -> list[str]:
    if not items:
        return ["Nothing coming up: no habit has an open reminder."]
    width = max(len(u.habit.id) for u in items)
    return [
        f"{when(config, u.at, now):<18} {u.habit.id:<{width}}  {u.habit.title}{' (again)' if u.followup else ''}"
        for u in items
    ]
