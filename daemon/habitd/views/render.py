"""Human-readable text for the commands' results. Plain strings, no Click.

Text a person wrote (titles, notes, prompts) passes through ``inert`` before it
reaches a terminal, so a control character in it shows as ``^[`` instead of
acting. ``Style`` knows whether the terminal takes colour and which marks
(``✓``, ``…``, ``·``) its encoding can show; without them it uses ASCII.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from habitd.habits.clock import WEEKDAYS
from habitd.habits.config import Config, Habit
from habitd.habits.streaks import MET, NOT_DUE, SKIPPED
from habitd.views import rows as views
from habitd.views.rows import StatusRow, Upcoming

_CODES = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}


_CONTROL = "[\x00-\x08\x0a-\x1f\x7f-\x9f]"  # compiled on first use; all of them unprintable


def _show_control(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code < 0x20:
        return "^" + chr(code + 0x40)  # ESC -> ^[, like cat -v
    if code == 0x7F:
        return "^?"
    return f"<U+{code:04X}>"  # the C1 controls, CSI (U+009B) among them


def inert(text: str) -> str:
    """User text made safe to print: control characters are shown, never obeyed.

    A tab stays a tab; every other C0 control (newlines too: callers split lines
    first), DEL and the C1 controls show as ``^[``, ``^?`` or ``<U+009B>``.
    """
    return text if text.isprintable() else re.sub(_CONTROL, _show_control, text)


def cols(text: str) -> int:
    """The terminal columns ``text`` takes: two for a wide character (an emoji, CJK), none for a combining mark."""
    if text.isascii():
        return len(text)
    import unicodedata

    n = 0
    for c in text:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        n += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return n


def ljust(text: str, width: int) -> str:
    """``text`` padded on the right to ``width`` columns (as the terminal shows it, wide characters too)."""
    return text + " " * (width - cols(text))


def rjust(text: str, width: int) -> str:
    return " " * (width - cols(text)) + text


class Style:
    """Colour (on a terminal, without NO_COLOR) and the marks the output's encoding can show."""

    def __init__(self, color: bool, unicode: bool = True) -> None:
        self.color = color
        self.unicode = unicode

    def __call__(self, text: str, *names: str) -> str:
        if not self.color or not names:
            return text
        codes = ";".join(_CODES[n] for n in names)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def mark(self, fancy: str, plain: str) -> str:
        return fancy if self.unicode else plain


PLAIN = Style(False)


ARCHIVED = "archived, no reminders"  # in place of an archived habit's next reminder


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


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def held(config: Config, habit: Habit, moment: datetime | None) -> str:
    """`` (quiet hours until 07:30)`` when quiet hours hold the habit's reminder to ``moment``; else ""."""
    return views.quiet_reason(config, views.held_from(config, habit, moment), moment) if moment else ""


def check_lines(config: Config, nexts: list[datetime | None], now: datetime) -> list[str]:
    width = max((len(h.id) for h in config.habits), default=0)
    lines = [
        f"{h.id:<{width}}  {target(h):<16}  next: "
        + (ARCHIVED if h.archived else f"{when(config, n, now)}{held(config, h, n)}")
        for h, n in zip(config.habits, nexts, strict=False)
    ]
    lines.append(f"config is valid: {plural(len(config.habits), 'habit')}, timezone {config.settings.timezone}")
    return lines


def quiet_lines(config: Config, now: datetime) -> list[str]:
    """A warning for each habit with a reminder that quiet hours hold until its period is over."""
    import textwrap

    from habitd.habits.schedule import lost_in_quiet_hours

    settings, out = config.settings, list[str]()
    if settings.quiet_hours is None:
        return out
    start, end = (f"{t:%H:%M}" for t in settings.quiet_hours)
    for h in config.habits:
        slot = lost_in_quiet_hours(h, settings, now) if h.reminds else None
        if slot is not None:
            at = slot.due.astimezone(settings.tz)
            span = "day" if h.every.unit == "day" and h.every.n == 1 else "period"
            text = (
                f"warning: {h.id}: its {at:%H:%M} reminder falls in the quiet hours ({start}-{end}) and its"
                f" {span} is over before they end, so it can never be shown; move it out of {start}-{end}"
                " (`at`), or end quiet_hours earlier"
            )
            out.extend(textwrap.wrap(text, 80, subsequent_indent="  ", break_on_hyphens=False))
    return out


def _pad(rows: list[list[str]], right: set[int]) -> list[list[str]]:
    """Each cell padded to its column's widest; ``right``: the right-aligned columns."""
    widths = [max(cols(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        [rjust(c, w) if i in right else ljust(c, w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        for r in rows
    ]


def status_lines(config: Config, rows: list[StatusRow], now: datetime, style: Style) -> list[str]:
    """One row a habit under a header, at most 80 columns: a long id (then period) is cut, with an ellipsis."""
    if not rows:
        return ["No habits yet: add some to the config (`habitd init` writes an example)."]
    streaks = config.settings.show_streaks
    table = [["habit", "now", "every", *(["streak", "best", "strength"] if streaks else []), "next"]]
    colors = [""]
    shown: list[StatusRow] = []  # the table's rows: a personal habit's are followed by the others'
    for r in rows:
        shown += [r, *r.others]
    for r in shown:
        if r.period.state == MET:
            word, color = "done", "green"
        elif r.paused:
            word, color = "paused", "dim"
        elif r.period.state == SKIPPED:
            word, color = "skipped", "dim"
        elif r.period.state == NOT_DUE:
            word, color = "not due", "dim"
        else:
            word, color = f"{r.period.done}/{r.habit.times}", ""
        cells = [f"  {inert(r.person)}" if r.person else r.habit.id, word, str(r.habit.every)]
        if streaks:
            cells += [str(r.streak), str(r.best_streak), f"{r.strength:.0%}"]
        next_ = "" if r.person else when(config, r.next_reminder, now)  # theirs ring on their device
        if next_ and r.next_reminder and views.held_from(config, r.habit, r.next_reminder):
            next_ += " (quiet hours)"  # until the time shown: the whole reason is in `check` and `next`
        table.append([*cells, ARCHIVED if r.habit.archived and not r.person else next_])
        colors.append(color)
    _fit(table, 80, [(0, 10), (2, 6)], style)
    lines = []
    for i, cells in enumerate(_pad(table, {3, 4, 5} if streaks else set())):
        if colors[i]:  # coloured after padding, so the columns stay aligned
            cells[1] = style(cells[1], colors[i])
        lines.append("  ".join(cells).rstrip())
        if i and shown[i - 1].pending:
            waits = cut(f"{shown[i - 1].habit.id}: a reminder waits for a notification server", 78, style)
            lines.append("  " + style(waits, "yellow"))
        by = done_by(config, shown[i - 1]) if i else ""
        if by:
            lines.append("  " + style(cut(f"{shown[i - 1].habit.id}: {by}", 78, style), "dim"))
    return lines


def names(config: Config, by: tuple[str, ...] | list[str]) -> str:
    """Names as a person reads them: "Alex", "Alex and you"; this device's person is "you"."""
    me = config.settings.name
    words = [inert(n) for n in by if n != me] + (["you"] if me and me in by else [])
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1] if words else ""


def done_by(config: Config, r: StatusRow) -> str:
    """Who did a shared habit this period, when a partner had a hand in it ("done by Alex"); else ""."""
    me = config.settings.name
    if r.person or r.habit.each or not any(n != me for n in r.by):
        return ""
    return ("done by " if r.period.state == MET else "so far by ") + names(config, r.by)


def _fit(table: list[list[str]], width: int, shrink: list[tuple[int, int]], style: Style) -> None:
    """Cut the cells of the ``shrink`` columns (index, narrowest) until a row fits ``width``."""
    widths = [max(cols(r[i]) for r in table) for i in range(len(table[0]))]
    over = sum(widths) + 2 * (len(widths) - 1) - width
    for column, narrowest in shrink:
        less = min(over, widths[column] - narrowest)
        if less <= 0:
            continue
        for r in table:
            r[column] = cut(r[column], widths[column] - less, style)
        over -= less


def upcoming_lines(config: Config, items: list[Upcoming], now: datetime) -> list[str]:
    if not items:
        return ["Nothing coming up: no habit has an open reminder."]
    width = max(len(u.habit.id) for u in items)
    return [
        f"{when(config, u.at, now):<18} {u.habit.id:<{width}}  {inert(u.habit.title)}{' (again)' if u.followup else ''}"
        + views.quiet_reason(config, u.planned, u.at)
        for u in items
    ]


HEAT = {
    views.DONE: ("#", "green"),
    views.MISSED_DAY: ("x", "red"),
    views.SKIPPED_DAY: ("s", "cyan"),
    views.PAUSED_DAY: ("p", "cyan"),
    views.NOT_DUE_DAY: ("-", "dim"),
    views.QUIET_DAY: (".", "dim"),
    views.NOT_TRACKED_DAY: ("~", "dim"),
    views.FUTURE: (" ", ""),
}
LEGEND = "# done  . no completion needed yet  x missed  s skipped  p paused  - not due  ~ not tracked  blank: to come"
NOT_TRACKED = "not tracked: before habitd knew the habit (its first completion or skip)"


def legend_lines(columns: int, more: tuple[str, ...] = ()) -> list[str]:
    """The heatmap's legend (and ``more`` items), on as many lines as ``columns`` need."""
    items = [*LEGEND.split("  "), *more]
    lines = [items[0]]
    for item in items[1:]:
        if len(lines[-1]) + 2 + len(item) <= columns:
            lines[-1] += "  " + item
        else:
            lines.append(item)
    return lines


def _month_header(start: date, weeks: int) -> str:
    """Month names over the weeks their first day falls in; a label never runs into the next one."""
    header = [" "] * (weeks * 2 + 1)  # the last week's label may reach one column past its cell
    placed: list[int] = []  # columns of the labels placed so far
    previous = None
    for w in range(weeks):
        month = (start + timedelta(days=7 * w + 6)).strftime("%b")  # the week's last day: a month's 1st is in it
        if month == previous:
            continue
        previous = month
        col = w * 2
        if col + 3 > len(header):
            break
        if placed and col < placed[-1] + 4:  # too close: the earlier month shows one week only
            header[placed[-1] : placed[-1] + 3] = [" "] * 3
            placed.pop()
        header[col : col + 3] = list(month)
        placed.append(col)
    return "".join(header).rstrip()


def heatmap_lines(
    config: Config, habit: Habit, marks: dict[date, str], first: date, summary: StatusRow, style: Style
) -> list[str]:
    """A contributions-style calendar: one column a week, one row a weekday."""
    ws = config.settings.week_starts
    start = first - timedelta(days=(first.weekday() - ws) % 7)
    last = max(marks) if marks else first
    weeks = (last - start).days // 7 + 1
    lines = [f"{inert(habit.title)} ({target(habit)})", "     " + _month_header(start, weeks)]
    for row in range(7):
        weekday = (ws + row) % 7
        cells = []
        for w in range(weeks):
            d = start + timedelta(days=7 * w + row)
            char, color = HEAT.get(marks.get(d, views.FUTURE), (" ", ""))
            cells.append(style(char, color) if color else char)
        lines.append((f"{WEEKDAYS[weekday].capitalize():<4} " + " ".join(cells)).rstrip())
    lines.extend(legend_lines(80))
    if views.NOT_TRACKED_DAY in marks.values():
        lines.append(NOT_TRACKED)
    p = summary.period
    period = habit.every.this()
    progress = f"{period}: {p.done}/{habit.times}" if p.state != "met" else f"{period}: done"
    if config.settings.show_streaks:
        s = summary
        dot = style.mark(" · ", ", ")
        lines.append(f"{progress}{dot}streak {s.streak}{dot}best {s.best_streak}{dot}strength {s.strength:.0%}")
    else:
        lines.append(progress)
    by = done_by(config, summary)
    if by:
        lines[-1] += style.mark(" · ", ", ") + by
    for o in summary.others:  # a personal habit: the others' own periods
        theirs = f"{period}: done" if o.period.state == "met" else f"{period}: {o.period.done}/{habit.times}"
        streak = f"{style.mark(' · ', ', ')}streak {o.streak}" if config.settings.show_streaks else ""
        lines.append(cut(f"{inert(o.person)}: {theirs}{streak}", 80, style))
    return lines


def today_lines(config: Config, view: views.TodayView, style: Style) -> list[str]:
    lines: list[str] = []
    if view.due:
        lines.append(style(f"Due today ({view.day:%a %d %b})", "bold"))
        for item in view.due:
            r = item.row
            when_ = item.at.astimezone(config.settings.tz).strftime("%H:%M") if item.at else "     "
            progress = f"{r.period.done}/{r.habit.times}" if r.habit.times > 1 else ""
            if progress and done_by(config, r):
                progress += " (" + cut(names(config, r.by), 12, style) + ")"
            last = " (last day)" if item.ends_today and r.habit.every.unit != "day" else ""
            last += " (archived)" if r.habit.archived else ""
            title = cut(inert(r.habit.title), 34, style)
            lines.append(f"  {when_}  {r.habit.id:<18} {ljust(title, 34)} {progress}{last}".rstrip())
    else:
        lines.append(style(f"Nothing due today ({view.day:%a %d %b}).", "bold"))
    if view.open:
        lines.extend(_wrap("Open this period: ", [_marked(r.habit) for r in view.open]))
    if view.paused:
        lines.extend(_wrap("Paused: ", [_marked(r.habit) for r in view.paused]))
    if view.done:
        lines.append(style("Done", "bold"))
        tick = style(style.mark("✓", "+"), "green")
        for r in view.done:
            streak = f"streak {r.streak}" if config.settings.show_streaks else ""
            by = done_by(config, r)
            title = cut(inert(r.habit.title), 34 if not by else 22, style)
            if by:
                title = f"{ljust(title, 22)} {cut(by[5:], 11, style)}"  # "by Alex"
            archived = " (archived)" if r.habit.archived else ""
            lines.append(f"  {tick}  {r.habit.id:<18} {ljust(title, 34)} {streak}{archived}".rstrip())
    return lines


def _marked(habit: Habit) -> str:
    """A habit's id, with "(archived)" after an archived one's."""
    return f"{habit.id} (archived)" if habit.archived else habit.id


def _wrap(label: str, ids: list[str], width: int = 80) -> list[str]:
    """``label`` then the ids, comma-separated, on as many lines as they need."""
    lines, line = [], label
    for i, hid in enumerate(ids):
        word = hid + ("," if i < len(ids) - 1 else "")
        if len(line) + len(word) > width and line.strip() and line != label:
            lines.append(line.rstrip())
            line = " " * len(label)
        line += word + " "
    lines.append(line.rstrip())
    return lines


def today_line(view: views.TodayView) -> str:
    """One short line for a status bar."""
    if view.due:
        return f"{len(view.due)} due: " + ", ".join(i.row.habit.id for i in view.due)
    if view.done:
        return "all done" + (f", {len(view.paused)} paused" if view.paused else "")
    if view.paused and not view.open:
        return "all paused"
    return "nothing due"


def cut(text: str, width: int, style: Style = PLAIN) -> str:
    """``text`` cut to ``width`` columns, with an ellipsis where it was cut."""
    if cols(text) <= width:
        return text
    kept = ""
    for c in text:
        if cols(kept + c) > width - 1:
            break
        kept += c
    return kept + style.mark("…", "~")


def journal_lines(config: Config, entries: list[views.JournalEntry]) -> list[str]:
    if not entries:
        return ["No notes yet. Add one with: habitd done HABIT --note '...'"]
    lines = []
    for e in entries:
        by = f"  by {inert(e.by)}" if e.by and e.by != config.settings.name else ""
        marks = ("  (skipped)" if e.kind == "skip" else "") + by + ("  (private)" if e.private else "")
        habit = config.habit(e.habit)
        marks += "  (archived)" if habit is not None and habit.archived else ""
        lines.append(f"{e.day.isoformat()}  {e.habit}{marks}")
        lines.extend(f"    {inert(line)}" for line in e.text.splitlines() or [""])
    return lines


SUMMARY_OVER = 3  # more days dated ahead than this, of one person's (or of this one's): one line for them all


def future_lines(future: list[views.Ahead], today: date, me: str = "", every: bool = True) -> list[str]:
    """A word about completions dated after today, and how to remove this person's own.

    A partner's are theirs: named, with no command (an undo here cannot take them back
    from a personal habit, and must not take them from a shared one). Without ``every``
    (``status``), more than a few of one person's are one line, pointing at ``habitd check``,
    which lists each.
    """
    mine: list[tuple[views.Ahead, int]] = []
    theirs: dict[str, list[tuple[views.Ahead, int]]] = {}
    for ahead in future:
        own = sum(1 for n in ahead.by if not me or n in ("", me))
        if own:
            mine.append((ahead, own))
        for name in sorted({n for n in ahead.by if n and n != me}) if me else []:
            theirs.setdefault(name, []).append((ahead, sum(1 for n in ahead.by if n == name)))
    out: list[str] = []
    if every or len(mine) <= SUMMARY_OVER:
        for (h, d, _by), _n in mine:
            out.append(f"{h.id}: a completion is dated {d.isoformat()}, after today ({today.isoformat()}).")
            out.append(f"  If the clock ran ahead then: habitd undo {h.id} --date {d.isoformat()}")
    else:
        n, last = sum(k for _a, k in mine), max(a.day for a, _k in mine)
        out.append(
            f"{n} completions are dated after today ({today.isoformat()}), up to {last.isoformat()}:"
            " `habitd check` lists them, with the undo that removes each."
        )
    for whose, found in theirs.items():
        if every or len(found) <= SUMMARY_OVER:
            for (h, d, _by), _n in found:
                out.append(
                    f"{h.id}: a completion by {whose} is dated {d.isoformat()}, after today ({today.isoformat()})."
                )
                out.append(f"  {whose}'s device wrote it: its clock may be ahead.")
        else:
            n, last = sum(k for _a, k in found), max(a.day for a, _k in found)
            out.append(
                f"{n} completions dated ahead by {whose}'s device (up to {last.isoformat()});"
                " `habitd check` lists them."
            )
    return out
