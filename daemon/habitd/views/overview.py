"""Text for the overview commands (grid, stats). Plain strings, no Click."""

from __future__ import annotations

from habitd.habits.config import Config, Habit
from habitd.views import rows as views
from habitd.views.grid import Grid
from habitd.views.render import HEAT, NOT_TRACKED, PLAIN, Style, cut, inert, legend_lines, ljust, target
from habitd.views.stats import HabitStats, Rate, top_weekday

NAME_WIDTH = 20  # longer habit ids are cut
STREAK_WIDTH = 8  # "  streak" at the end of a grid row
ARCHIVED = "archived"  # the word that marks an archived habit's row, at its end
SPARKS = "▁▂▃▄▅▆▇█"
PLAIN_SPARKS = "_.-:=+*#"  # for a terminal whose encoding lacks the blocks
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _name_width(config: Config) -> int:
    return min(NAME_WIDTH, max((len(h.id) for h in config.habits), default=0))


def grid_days_that_fit(config: Config, columns: int, archived: bool = False) -> int:
    """How many days a grid row can show in ``columns`` (two columns a day, at least 7); with
    ``archived`` (``--all``), room is kept for the word that marks an archived habit's row."""
    used = _name_width(config) + 2 + (STREAK_WIDTH if config.settings.show_streaks else 0)
    if archived and any(h.archived for h in config.habits):
        used += len(ARCHIVED) + 2
    return max(7, (columns - used) // 2)


def wrap_legend(columns: int, not_tracked: bool = False) -> list[str]:
    """The heatmap's legend and "[ ] today", on as many lines as ``columns`` need."""
    lines = [*legend_lines(columns), "[ ] today"]
    if not_tracked:
        import textwrap

        lines += textwrap.wrap(NOT_TRACKED, columns)
    return lines


def grid_lines(config: Config, g: Grid, style: Style, columns: int = 80) -> list[str]:
    """One row a habit, two columns a day (a mark and a space), today's in brackets."""
    if not g.rows and config.habits:
        return ["Every habit is archived: `habitd grid --all` shows them."]
    if not g.rows:
        return ["No habits yet: add some to the config (`habitd init` writes an example)."]
    width = _name_width(config)
    pad = " " * (width + 1)
    ws = config.settings.week_starts
    initials = "".join(f" {d.strftime('%a')[0]}" for d in g.days)
    numbers = [" "] * (2 * len(g.days))
    taken = [False] * len(numbers)
    # Day numbers where they fit: today's first, then the first column and each week's first day.
    label_at = [len(g.days) - 1, 0, *(i for i, d in enumerate(g.days) if d.weekday() == ws)]
    for i in label_at:
        text = str(g.days[i].day)
        lo = 2 * i + 2 - len(text)
        span = range(max(lo - 1, 0), min(lo + len(text) + 1, len(numbers)))
        if any(taken[k] for k in span):
            continue
        for k, ch in enumerate(text):
            numbers[lo + k] = ch
        for k in span:
            taken[k] = True
    first, last = g.days[0], g.days[-1]
    lines = [f"{first:%a %d %b} .. {last:%a %d %b}", pad + initials, pad + "".join(numbers)]
    if config.settings.show_streaks:
        lines[-1] = f"{lines[-1]:<{width + 1 + 2 * len(g.days) + 1}} streak"
    for row in g.rows:
        cells = []
        for i, mark in enumerate(row.marks):
            char, color = HEAT[mark]
            cell = style(char, color) if color else char
            cells.append(("[" + cell + "]") if i == len(row.marks) - 1 else " " + cell)
        label = f"  {inert(row.person)}" if row.person else row.habit.id  # a partner's row of a personal habit
        line = ljust(cut(label, width, style), width) + " " + "".join(cells)
        if config.settings.show_streaks:
            line += f"{row.streak:>{STREAK_WIDTH - 1}}"
        if row.habit.archived:
            line += f"  {ARCHIVED}"
        lines.append(line.rstrip())
    not_tracked = any(views.NOT_TRACKED_DAY in row.marks for row in g.rows)
    return lines + wrap_legend(columns, not_tracked)


def sparkline(values: tuple[float | None, ...], style: Style = PLAIN) -> str:
    """One character a value in 0..1 (a space for None)."""
    bars = style.mark(SPARKS, PLAIN_SPARKS)
    return "".join(" " if v is None else bars[min(len(bars) - 1, int(v * len(bars)))] for v in values)


def _percent(r: Rate, style: Style) -> str:
    return style.mark("–", "-") if r.ratio is None else f"{r.ratio:.0%}"


def period_noun(habit: Habit, n: int) -> str:
    """ "weeks" for a weekly habit (or "periods" for one of every 2 weeks), singular for 1."""
    if habit.every.n == 1:
        return f"{habit.every.unit}{'' if n == 1 else 's'}"
    return "period" if n == 1 else "periods"


def stats_table_lines(config: Config, rows: list[HabitStats], style: Style = PLAIN) -> list[str]:
    if not rows:
        return ["No habits yet: add some to the config (`habitd init` writes an example)."]
    width = _name_width(config)
    streaks = config.settings.show_streaks
    head = f"{'':<{width}}  {'4 wk':>5} {'3 mo':>5} {'12 mo':>5} {'all':>5}"
    if streaks:
        head += f"  {'strength':>8}  {'last 12 months':<14} {'best':>4}"
    lines = [head]
    for s in rows:
        line = f"{cut(s.habit.id, width, style):<{width}}  " + " ".join(f"{_percent(r, style):>5}" for r in s.rates)
        if streaks:
            line += f"  {s.strength:>8.0%}  {sparkline(s.trend, style):<14} {s.best.length:>4}"
        if s.habit.archived:
            line += f"  {ARCHIVED}"
        lines.append(line.rstrip())
    lines.append("Met periods of those that counted (skipped, paused and not-due ones do not).")
    if streaks:
        lines.append("Strength at each month's end; best: the longest streak.")
    return lines


def stats_lines(config: Config, s: HabitStats, style: Style = PLAIN) -> list[str]:
    h = s.habit
    lines = [f"{inert(h.title)} ({target(h)}{', ' + ARCHIVED if h.archived else ''})"]
    labels = ("last 4 weeks", "last 3 months", "last 12 months", "all time")
    for label, r in zip(labels, s.rates, strict=True):
        head = "done" if label == labels[0] else ""
        counted = f"{r.met} of {r.counted} {period_noun(h, r.counted)}"
        lines.append(f"{head:<10}{label:<16}{counted:<22}{_percent(r, style):>5}")
    lines.append(f"{'':<10}(skipped, paused and not-due {period_noun(h, 2)} do not count)")
    if config.settings.show_streaks:
        lines.append(f"{'strength':<10}{s.strength:.0%} today, {s.strength_month_ago:.0%} a month ago")
        months = f"{s.trend_days[0]:%b %Y} .. {s.trend_days[-1]:%b %Y}"
        lines.append(f"{'':<10}{sparkline(s.trend, style)}  {months}, at each month's end")
        streak = f"{s.streak} {period_noun(h, s.streak)} now"
        if s.best.first and s.best.last:
            streak += f"; best {s.best.length} {period_noun(h, s.best.length)}, {s.best.first} .. {s.best.last}"
        lines.append(f"{'streak':<10}{streak}")
    top = top_weekday(s)
    if top is not None:
        lines.append(f"{'most on':<10}{_DAY_NAMES[top]} ({s.weekdays[top]} of {s.completions} completions)")
    else:
        lines.append(f"{'most on':<10}no completions yet")
    return lines
