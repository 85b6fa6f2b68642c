"""The commands that record: ``done``, ``undo``, ``skip``, ``note``, ``pause`` and ``resume``.

Each parses its arguments, asks ``history.record`` for the change, and says
what was saved. Like every family they are loaded only when one of them runs,
and import what they use inside, so ``habitd done`` pays for recording only.
"""

from __future__ import annotations

from datetime import date

import click

from habitd.cli.context import (
    ARCHIVED_NOTE,
    DAY_HELP,
    UNTIL_HELP,
    App,
    Command,
    complete_day,
    complete_habit,
    find_habit,
    pass_app,
    typed,
)
from habitd.cli.output import after_save, inert_lines, out
from habitd.errors import UsageError

NOTE_KEPT = "\nYour note is kept as the day's own note; `habitd journal` shows it."
PRIVATE_HELP = "Keep the note on this machine only (the completion is shared)."


@click.command(cls=Command)
@click.argument("habit", shell_complete=complete_habit)
@click.option("--date", "day_text", default="today", show_default=True, help=DAY_HELP, shell_complete=complete_day)
@click.option("--note", callback=typed, help="A note to keep with it (never shown in notifications or logs).")
@click.option("--private", is_flag=True, help=PRIVATE_HELP)
@pass_app
def done(app: App, habit: str, day_text: str, note: str | None, private: bool) -> None:
    """Mark HABIT done (id or unique prefix)."""
    from habitd.habits.periods import is_due_day
    from habitd.habits.streaks import summarize
    from habitd.history import record

    h = find_habit(app, habit)
    if private and note is None:
        raise UsageError("--private keeps a note on this machine only; give the note with --note")
    day = app.day(day_text)
    result = record.done(app.store, app.config, h, day, app.now(), note, private)
    with after_save():
        before = result.before
        current = before.first <= app.today() <= before.last
        if not result.recorded:
            partners = [n for n in result.by if n != app.store.by]  # a shared habit met by a partner says so
            by = f" by {' and '.join(partners)}" if partners else ""
            if before.first == before.last:
                what = f"already done{by} for {day.isoformat()}"
            else:
                what = f"already done{by} for {h.every.this(current)} ({before.first} .. {before.last})"
            kept = NOTE_KEPT if result.note_kept else " Nothing changed."
            out(f"{h.title}: {what}.{kept}")
            if h.archived:
                out(ARCHIVED_NOTE.format(id=h.id))
            return
        progress = "" if h.times == 1 else f" ({before.done + 1}/{h.times} {h.every.this(current)})"
        settings = app.config.settings
        off = "" if is_due_day(h, day, settings.day_starts) else " (not one of its due days; it counts all the same)"
        streak = ""
        if settings.show_streaks:
            after = summarize(h, result.state, app.today(), settings.week_starts, settings.day_starts).streak
            streak = f" Streak: {after}." if after > 1 else ""
        kept = " Your note stays on this machine only." if private else " Note kept." if note else ""
        out(f"{h.title}: done for {day.isoformat()}{off}{progress}.{streak}{kept}")
        if h.archived:
            out(ARCHIVED_NOTE.format(id=h.id))


@click.command(cls=Command)
@click.argument("habit", shell_complete=complete_habit)
@click.option("--date", "day_text", default="today", show_default=True, help=DAY_HELP, shell_complete=complete_day)
@pass_app
def undo(app: App, habit: str, day_text: str) -> None:
    """Remove your latest entry of HABIT on a day: a completion or a skip."""
    from habitd.history import record

    h = find_habit(app, habit)
    day = app.day(day_text, future_dates=True)
    result = record.undo(app.store, app.config, h, day, app.now())
    if not result.kind:
        raise UsageError(f"{h.id} has no completion or skip on {day.isoformat()} to undo")
    with after_save():
        me = app.store.by
        whose = f"{result.by}'s" if result.by and result.by != me else ""  # a partner's, when I had none
        if result.kind == record.COMPLETION:
            what = f"{whose} completion" if whose else "one completion"
        else:
            what = f"{whose} skip" if whose else "the skip"
        kept = ""
        if result.note and result.note_by not in ("", me):
            kept = f"\nIts note, {result.note_by}'s, stays as the day's own note."
        elif result.note:
            kept = (
                "\nIts note stays as the day's own note; to remove it:"
                f"\n  habitd note {h.id} --delete --date {day.isoformat()}"
            )
        click.echo(f"{h.title}: removed {what} on {day.isoformat()}.{kept}")


@click.command(cls=Command)
@click.argument("habit", shell_complete=complete_habit)
@click.option("--date", "day_text", default="today", show_default=True, help=DAY_HELP, shell_complete=complete_day)
@click.option("--note", default="", callback=typed, help="Why, for your own record.")
@pass_app
def skip(app: App, habit: str, day_text: str, note: str) -> None:
    """Skip HABIT's period containing a day: it neither breaks nor extends the streak."""
    from habitd.habits.streaks import MET
    from habitd.history import record

    h = find_habit(app, habit)
    day = app.day(day_text)
    result = record.skip(app.store, app.config, h, day, app.now(), note)
    with after_save():
        first, last = result.first, result.last
        span = day.isoformat() if first == last else f"{first} .. {last}"
        kept = NOTE_KEPT if result.note_kept else " Nothing changed."
        if result.why == MET:
            click.echo(f"{h.title}: {span} is done already, so skipping it changes nothing.{kept}")
        elif result.why:
            click.echo(f"{h.title}: {span} is skipped already.{kept}")
        else:
            click.echo(f"{h.title}: skipped {span}; your streak is safe.")


@click.command(cls=Command)
@click.argument("habit", shell_complete=complete_habit)
@click.argument("text", required=False, callback=typed)
@click.option("--date", "day_text", default="today", show_default=True, help=DAY_HELP, shell_complete=complete_day)
@click.option("--delete", is_flag=True, help="Remove your note of the day (the one you wrote last) and show it.")
@click.option(
    "--private", is_flag=True,
    help="A note kept on this machine only; replaces (or deletes) the day's private note written last.",
)  # fmt: skip
@pass_app
def note(app: App, habit: str, text: str | None, day_text: str, delete: bool, private: bool) -> None:
    """Write your note of HABIT for a day, replacing the one you wrote last (or --delete it)."""
    from habitd.history import record

    h = find_habit(app, habit)
    day = app.day(day_text, future_dates=True)  # a note a wrong clock dated ahead can be mended
    if day > app.today() and text is not None and not _has_note(app, h.id, day):
        app.day(day_text)  # a new note is for a day that has come: says it is in the future
    if delete == (text is not None):
        raise UsageError("give either the note's TEXT or --delete")
    if text is not None and not text.strip():
        raise UsageError("the note is empty; to remove a note, use --delete")
    if text is None:
        change = record.delete_note(app.store, h, day, private)
        if change.old is None and change.others and not private:  # a partner's private note is not here at all
            theirs = " and ".join(change.others)
            raise UsageError(f"{h.id}: the note of {day.isoformat()} is {theirs}'s; only {theirs} can delete it")
        if change.old is None:
            raise UsageError(f"{h.id} has no {'private ' if private else ''}note on {day.isoformat()} to delete")
    else:
        change = record.write_note(app.store, app.config, h, day, app.now(), text, private)
    with after_save():
        what = "private note" if change.private else "note"
        if change.new is None:
            click.echo(f"{h.title}: removed the {what} of {day.isoformat()}:")
        elif change.old is None:
            click.echo(f"{h.title}: {what} written for {day.isoformat()}.")
            return
        else:
            click.echo(f"{h.title}: {what} written for {day.isoformat()}. It replaces:")
        click.echo("\n".join(f"    {inert_lines(line)}" for line in (change.old or "").splitlines() or [""]))


def _has_note(app: App, habit_id: str, day: date) -> bool:
    """Whether the day holds a note of this person's (or, with no name set, anyone's)."""
    log = app.store.read().habits.get(habit_id)
    me = app.store.by
    return log is not None and any(n.day == day and (not me or n.by in (me, "")) for n in log.notes)


@click.command(cls=Command)
@click.argument("habit", required=False, shell_complete=complete_habit)
@click.option(
    "--until", "until_text", required=True, shell_complete=complete_day,
    help="Last day of the pause (included): " + UNTIL_HELP,
)  # fmt: skip
@pass_app
def pause(app: App, habit: str | None, until_text: str) -> None:
    """Pause HABIT (or all habits) until a day: no reminders, streaks untouched."""
    from habitd.habits.clock import parse_day
    from habitd.habits.state import ALL
    from habitd.history import record

    h = find_habit(app, habit) if habit else None
    hid = h.id if h else ALL
    day = app.today()
    until = parse_day(until_text, day, ahead=True)
    record.pause(app.store, hid, day, until)
    with after_save():
        who = "All habits" if h is None else h.title
        care = "yourself" if h and h.each else "yourselves"  # a personal habit's pause is one person's
        click.echo(f"{who} paused until {until.isoformat()} (included). Take care of {care}.")


@click.command(cls=Command)
@click.argument("habit", required=False, shell_complete=complete_habit)
@pass_app
def resume(app: App, habit: str | None) -> None:
    """End the pause of HABIT (or of everything) today."""
    from habitd.habits.state import ALL
    from habitd.history import record

    hid = find_habit(app, habit).id if habit else None
    day = app.today()
    personal = frozenset(h.id for h in app.config.habits if h.each)
    ended = record.resume(app.store, hid, day, personal)
    if not ended:
        raise UsageError(f"{hid} is not paused" if hid else "nothing is paused")
    with after_save():
        theirs = sorted({p.by for p in ended if p.by and p.by != app.store.by})  # a partner's pause ended too
        whose = f", ending {' and '.join(theirs)}'s pause" if theirs else ""
        titles = {h.id: h.title for h in app.config.habits}
        names = sorted({f"{'every habit' if p.habit == ALL else titles.get(p.habit, p.habit)}"
                        f" (paused until {p.until})" for p in ended})  # fmt: skip
        click.echo(f"Resumed {', '.join(names)}{whose}. Welcome back.")
