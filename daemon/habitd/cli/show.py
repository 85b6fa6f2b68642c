"""The views: ``status``, ``history``, ``next``, ``today``, ``journal`` and ``prompt``.

Each reads the config and the history and shows them, as text or ``--json``;
only ``prompt --next`` changes something (it moves the habit's prompt deck on).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from habitd.cli.context import (
    ALL_HELP,
    ARCHIVED_NOTE,
    DAY_HELP,
    App,
    Command,
    complete_day,
    complete_habit,
    find_habit,
    pass_app,
)
from habitd.cli.output import emit_json, inert_lines, out, style
from habitd.errors import HabitdError, UsageError

if TYPE_CHECKING:
    from habitd.habits.state import State


@click.command(cls=Command)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable).")
@click.option("--all", "everything", is_flag=True, help=ALL_HELP)
@pass_app
def status(app: App, as_json: bool, everything: bool) -> None:
    """Every habit: this period's progress, streaks, strength, next reminder."""
    from habitd.views import render
    from habitd.views import rows as views

    config, now = app.config, app.now()
    state = app.store.read()
    rows = views.status(config, state, now, everything)
    if as_json:
        emit_json(views.status_json(config, rows, config.today(now)))
    else:
        out("\n".join(render.status_lines(config, rows, now, style())))
    _follow_hints(app, state)
    today = config.today(now)
    for line in render.future_lines(views.future_completions(config, state, today), today, config.settings.name, False):
        click.echo(line, err=True)


def _follow_hints(app: App, state: State) -> None:
    """One line per partner's rename not followed here: its habit's history moved away."""
    if all(app.config.habit(hid) is not None for hid in state.habits):
        return  # every history has its habit: no orphan, nothing to follow (and no more to import)
    import textwrap

    from habitd.history.rename import rename_months, to_follow

    months = rename_months(app.config, state)
    if not months:
        return
    try:
        me = app.store.log.local_device()
        follow = to_follow(app.config, state, app.store.partners_events(months, me and me.id), me and me.id)
    except HabitdError:  # advice only: `habitd check` says what is wrong
        return
    for old, new, who in follow:
        text = f"note: {who} renamed '{old}' to '{new}': see `habitd check`"
        click.echo("\n".join(textwrap.wrap(text, 80, subsequent_indent="  ")), err=True)


@click.command(cls=Command)
@click.argument("habit", shell_complete=complete_habit)
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(1, 520), help="How far back.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable).")
@pass_app
def history(app: App, habit: str, weeks: int, as_json: bool) -> None:
    """HABIT's last weeks as a calendar heatmap (--json: its periods and completions)."""
    from habitd.views import render
    from habitd.views import rows as views

    h = find_habit(app, habit)
    state, now = app.store.read(), app.now()
    if as_json:
        rows = views.history(app.config, state, h, now, weeks)
        emit_json(views.history_json(app.config, state, h, rows))
        return
    first = app.today() - timedelta(days=weeks * 7 - 1)
    marks = views.day_marks(app.config, state, h, first, now)
    row = next(r for r in views.status(app.config, state, now, archived=True) if r.habit.id == h.id)
    out("\n".join(render.heatmap_lines(app.config, h, marks, first, row, style())))
    if h.archived:
        out(ARCHIVED_NOTE.format(id=h.id))


@click.command("next", cls=Command)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable).")
@pass_app
def next_(app: App, limit: int, as_json: bool) -> None:
    """The upcoming reminders across habits, in time order."""
    from habitd.views import render
    from habitd.views import rows as views

    config, now = app.config, app.now()
    items = views.upcoming(config, app.store.read(), now, limit)
    if as_json:
        emit_json(
            {
                "reminders": [
                    {
                        "habit": u.habit.id,
                        "title": u.habit.title,
                        "at": views.iso(config, u.at),
                        "followup": u.followup,
                        "planned": views.iso(config, u.planned or u.at),
                        "reason": views.quiet_reason(config, u.planned, u.at).strip(" ()") or None,
                    }
                    for u in items
                ]
            }
        )
    else:
        out("\n".join(render.upcoming_lines(config, items, now)))


def overview(app: App) -> None:
    """``habitd`` alone: what is due today, or what to do first, and where the rest is (exit 0)."""
    import os

    from habitd.errors import HabitdError
    from habitd.views import render
    from habitd.views import rows as views

    if not os.path.lexists(app.config_path):
        out(f"habitd: no config at {app.config_path} yet; `habitd init` writes one from the example.")
    else:
        try:
            out(f"habitd: {render.today_line(views.today_view(app.config, app.store.read(), app.now(), False))}")
        except HabitdError as e:
            out(f"habitd: {str(e).splitlines()[0].rstrip(':')}; `habitd check` says which.")
    out("Start with `habitd done HABIT`, `habitd status` or `habitd next`; `habitd --help` lists every command.")


@click.command(cls=Command)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "line"]), default="text", show_default=True,
    help="line: one short line for a status bar (waybar, polybar, tmux).",
)  # fmt: skip
@click.option("--all", "everything", is_flag=True, help=ALL_HELP)
@pass_app
def today(app: App, as_json: bool, fmt: str, everything: bool) -> None:
    """What is due today and not done yet, then what is done."""
    from habitd.views import render
    from habitd.views import rows as views

    view = views.today_view(app.config, app.store.read(), app.now(), everything)
    if as_json:
        emit_json(views.today_json(app.config, view))
    elif fmt == "line":
        out(render.today_line(view))
    else:
        out("\n".join(render.today_lines(app.config, view, style())))


@click.command(cls=Command)
@click.argument("habit", required=False, shell_complete=complete_habit)
@click.option("--since", help=DAY_HELP, shell_complete=complete_day)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable).")
@pass_app
def journal(app: App, habit: str | None, since: str | None, as_json: bool) -> None:
    """Your notes, newest first (of one HABIT, or all)."""
    from habitd.views import render
    from habitd.views import rows as views

    hid = find_habit(app, habit).id if habit else None
    since_day = app.day(since) if since else None
    entries = views.journal(app.store.read(), hid, since_day)
    if as_json:
        emit_json(
            {
                "notes": [
                    {
                        "habit": e.habit,
                        "archived": _archived(app, e.habit),
                        "date": e.day.isoformat(),
                        "written": e.written.isoformat() if e.written else None,
                        "text": e.text,
                        "by": e.by or None,
                        "kind": e.kind,
                        "private": e.private,
                    }
                    for e in entries
                ]
            }
        )
    else:
        out("\n".join(render.journal_lines(app.config, entries)))


def _archived(app: App, hid: str) -> bool:
    habit = app.config.habit(hid)
    return habit is not None and habit.archived


@click.command(cls=Command)
@click.argument("habit", shell_complete=complete_habit)
@click.option("--next", "advance", is_flag=True, help="Move on to the next prompt.")
@pass_app
def prompt(app: App, habit: str, advance: bool) -> None:
    """The current conversation prompt of HABIT, for when you sit down together."""
    from habitd.habits import prompts as prompts_mod

    h = find_habit(app, habit)
    if not h.prompts:
        raise UsageError(f"{h.id} has no prompts; add `prompts = [...]` to it in the config")
    current = prompts_mod.current_prompt(app.store.read(), h)
    if advance or current is None:
        with app.store.update() as state:
            current = prompts_mod.next_prompt(state, h, int(app.now().timestamp() * 1000))
    out(inert_lines(current or ""))
