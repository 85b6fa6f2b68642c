"""Changing habits themselves: ``habitd rename`` and ``habitd edit``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from habitd.cli.context import App, Command, complete_habit, pass_app
from habitd.cli.output import inert_lines, out, say_after_save
from habitd.errors import HabitdError, UsageError

if TYPE_CHECKING:
    from habitd.habits.config import Config
    from habitd.history.rename import ConfigEdit


def _did_you_mean(name: str, known: list[str]) -> str:
    import difflib  # only on this error path

    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _refresh_feed(app: App) -> list[str]:
    """The calendar feed after a change of the config; what to say (on stderr) when it failed."""
    from habitd.service import feeds

    try:
        feeds.write_ical(app.config, app.now())
    except HabitdError as e:
        return [f"habitd: the calendar feed was not updated: {e}"]
    return []


def _partners_follow(app: App, old: str, new: str) -> list[str]:
    """What to say when a partner's config must change too (their habits in a config of their own,
    not yet shared habit files), unless this rename follows the partner's."""
    import textwrap

    from habitd.history.rename import device_names, started_elsewhere

    if app.sharing()[0] is None:
        return []  # no partner
    try:
        me = app.store.log.local_device()
        events = app.store.events()
        if started_elsewhere(events, old, new, me.id if me else None):
            return []  # this follows a partner's rename: theirs is done already
        others = sorted({n for d, n in device_names(events).items() if me is None or d != me.id})
    except HabitdError:  # the rename is saved: this is advice, `habitd check` says what is wrong
        return []
    if not others:
        return []
    text = (
        f"note: {' and '.join(others)} write{'s' if len(others) == 1 else ''} to the shared folder too:"
        f" the config there must say [habits.{new}] as well; there, `habitd rename {old} {new}`"
        " follows this rename"
    )
    return ["\n".join(textwrap.wrap(text, 80, subsequent_indent="  "))]


@click.command(cls=Command)
@click.argument("old", shell_complete=complete_habit)
@click.argument("new")
@pass_app
def rename(app: App, old: str, new: str) -> None:
    """Give habit OLD the id NEW, keeping its whole history.

    With a shared folder, the shared habits/OLD.toml becomes habits/NEW.toml,
    for both of you. Otherwise the config's [habits.OLD] line becomes
    [habits.NEW] when habitd can edit the file safely, or it tells you which
    line to change. OLD may also be an id whose history is kept without a
    habit (see `habitd check`).
    """
    from habitd.habits.config import is_id
    from habitd.history import files, habitfiles, record
    from habitd.history.rename import history_ids, rename_in_config

    config = app.config
    if not is_id(new):
        raise UsageError(f"{new!r} cannot be a habit id: only lowercase letters, digits and '-'")
    if old == new:
        raise UsageError(f"{old} is already called {new}")
    in_config = config.habit(old) is not None
    kept = history_ids(app.store.read())
    if not in_config and old not in kept:
        known = sorted({h.id for h in config.habits} | kept)
        raise UsageError(f"no habit or history called {old!r}{_did_you_mean(old, known)}")
    if in_config and config.habit(new) is not None:
        raise UsageError(f"{old} and {new} are both habits in the config; remove one first, then rename")
    shared = app.sharing()[0] if config.habit_files is not None else None
    edit, habit_text = None, None
    if in_config and shared is None:
        edit = rename_in_config(files.read_config_text(app.config_path), old, new)
    elif in_config and shared is not None:  # read before anything moves: one that cannot be read stops here
        habit_text = habitfiles.read_habit(shared, old) or ""
    moved = record.rename(app.store, old, new)  # the history first: a daemon never sees the new id without it
    what = f"{moved.completions} completion(s), {moved.skips} skip(s), {moved.notes} note(s)"
    said = [(f"Moved the history of {old} to {new}: {what}.", False)]  # (text, on stderr)
    try:  # every part is done before anything is shown: output that fails stops none of them
        _finish_rename(app, config, old, new, shared, edit, habit_text, said)
    except Exception:
        for text, err in said:  # what was done, before what stopped the rest
            with contextlib.suppress(Exception):
                out(text, err=err)
        raise
    say_after_save(said)


def _finish_rename(
    app: App, config: Config, old: str, new: str, shared: str | None, edit: ConfigEdit | None,
    habit_text: str | None, said: list[tuple[str, bool]],
) -> None:  # fmt: skip
    """``rename`` once the history is moved: the shared habit file, or the config's line, and the
    calendar feed; what to say goes to ``said``."""
    from habitd.history import files, habitfiles

    if shared is not None:
        if habit_text is not None:
            habitfiles.write_habit(shared, new, habit_text)
            habitfiles.remove_habit_file(shared, f"{old}.toml")
            moved_file = f"Renamed the shared habits/{old}.toml to habits/{new}.toml"
            said.append((f"{moved_file}: your partner's habitd follows.", False))
            app.__dict__.pop("config", None)
            said.extend((text, True) for text in _refresh_feed(app))
        return
    said.extend((text, True) for text in _partners_follow(app, old, new))
    if edit is None:
        if config.habit(new) is None:
            said.append((f"note: no habit in the config is called {new} yet; add [habits.{new}] to use it.", True))
        return
    if edit.text is not None:
        try:
            files.replace_config_text(app.config_path, edit.text)
        except HabitdError as e:
            edit = edit._replace(text=None, why=str(e))
    if edit.text is None:
        where = f"line {edit.line} of {app.config_path}" if edit.line else app.config_path
        change = f"Now change [habits.{old}] to [habits.{new}] in {where} ({edit.why});"
        said.append((f"{change} until then {old} starts afresh.", True))
        return
    said.append((f"Renamed [habits.{old}] to [habits.{new}] on line {edit.line} of {app.config_path}.", False))
    app.__dict__.pop("config", None)  # re-read: the feed follows the new config
    said.extend((text, True) for text in _refresh_feed(app))


NEW_HABIT = """\
# A new shared habit: each key is described in the config reference (docs/config.md).
title = "{title}"
message = "A small moment for: {lower}."
every = "week"
# at = "19:00"
"""


@click.command(cls=Command)
@click.argument("habit", required=False, shell_complete=complete_habit)
@click.pass_context
def edit(ctx: click.Context, habit: str | None) -> None:
    """Open the config in $VISUAL or $EDITOR; it is saved only once it is valid.

    You edit a copy: the file is replaced only when the copy has no problems
    (otherwise you may edit it again, or leave the file as it was), and a link
    is followed, never replaced. With a shared folder, HABIT opens that shared
    habit's file (a new id starts a new habit); without HABIT, this machine's
    config. The daemon picks up the saved file by itself.
    """
    import os

    from habitd.cli.setup import check
    from habitd.history import files

    app = ctx.find_object(App)
    assert app is not None
    if not os.path.lexists(app.config_path):
        raise UsageError(f"no config at {app.config_path} yet; `habitd init` writes one to start from")
    target, text, problems_of, save = _edit_target(app, habit)
    while True:
        try:
            edited = click.edit(text, extension=".toml", require_save=True)
        except click.ClickException as e:
            raise HabitdError(f"{e.format_message()}; set $VISUAL or $EDITOR to your editor") from None
        if edited is None or (edited == text and not problems_of(text)):
            out(f"No change: {target} is as it was.")
            return
        text = edited
        problems = problems_of(text)
        if not problems:
            break
        out(f"habitd: {target} was not saved: {len(problems)} problem(s):", err=True)
        for p in problems:
            out(f"  {p}", err=True)
        if not click.confirm("Edit it again?", default=True, err=True):
            raise UsageError(f"nothing was saved; {target} is as it was")
    save(text)
    out(f"Saved {target}.")
    app.__dict__.pop("config", None)  # read the saved file
    if files.signature(app.config_path) is not None:
        ctx.invoke(check)
    for warning in _refresh_feed(app):
        out(warning, err=True)


def _edit_target(app: App, habit: str | None) -> tuple[str, str, Callable[[str], list[str]], Callable[[str], object]]:
    """What ``edit`` opens: the path, its text, what finds its problems and what saves it."""
    import os

    from habitd.errors import ConfigError
    from habitd.habits.config import humanise, is_id, parse_config
    from habitd.habits.shared import SharedFile, habit_problems, parse_shared
    from habitd.history import files, habitfiles

    shared = app.sharing()[0] if habit is not None else None
    if habit is not None and shared is not None:
        if not is_id(habit):
            raise UsageError(f"{habit!r} cannot be a habit id: only lowercase letters, digits and '-'")
        path = habitfiles.habit_path(shared, habit)
        title = humanise(habit)
        text = habitfiles.read_habit(shared, habit) or NEW_HABIT.format(title=title, lower=title.lower())
        return (
            path,
            text,
            lambda t: habit_problems(habit, SharedFile(f"habits/{habit}.toml", t)),
            lambda t: habitfiles.write_habit(shared, habit, t),
        )
    real = os.path.realpath(app.config_path)  # a link is followed: the file it names is edited
    tz = files.system_timezone()

    def problems_of(text: str) -> list[str]:
        try:
            shared_dir = app.sharing()[0]
            read = habitfiles.read_shared(shared_dir) if shared_dir else None
            if read is None:
                parse_config(text, real, tz)
            else:
                parse_shared(text, real, read, tz)
        except ConfigError as e:
            return e.problems
        return []

    return real, files.read_config_text(real), problems_of, lambda t: files.replace_config_text(real, t)


@click.command(cls=Command)
@click.argument("habit", shell_complete=complete_habit)
@click.option("--keep", metavar="FILE", help="The version to keep: ID.toml (the one in use) or a conflict copy's name.")
@pass_app
def resolve(app: App, habit: str, keep: str | None) -> None:
    """Settle two edits of a shared habit made at once (a sync engine's conflict copy).

    Without --keep, shows the habit's file and how each conflict copy differs
    from it. With --keep, that version becomes the habit's file and the other
    copies are removed.
    """
    import difflib

    from habitd.habits.shared import SharedFile, habit_problems
    from habitd.history import habitfiles

    config = app.config
    shared = app.sharing()[0]
    copies = [c for h, c in config.conflicts if h == habit]
    if shared is None or not copies:
        out(f"{habit} has no conflict copy: nothing to resolve.")
        return
    mine = f"{habit}.toml"
    try:
        current, unread = habitfiles.read_habit(shared, habit) or "", ""
    except habitfiles.SharedFileError as e:  # a copy may still be kept in its place
        current, unread = "", f" ({e})"
    if keep is None:  # shown as text, never obeyed: what a partner wrote may hold a terminal's escapes
        out(f"habits/{mine} (the version in use){unread}:")
        out(inert_lines("\n".join(f"    {line}" for line in current.splitlines())))
        for copy in copies:
            theirs = habitfiles.read_copy(shared, copy)
            diff = difflib.unified_diff(current.splitlines(), theirs.splitlines(), mine, copy, lineterm="")
            out(f"\nhabits/{copy} differs:")
            out(inert_lines("\n".join(f"    {line}" for line in diff)))
        out(f"\nKeep one: `habitd resolve {habit} --keep {mine}` or `habitd resolve {habit} --keep {copies[0]}`.")
        return
    if keep not in (mine, *copies):
        raise UsageError(f"{keep!r} is not a version of {habit}: {', '.join((mine, *copies))}")
    if keep != mine:
        text = habitfiles.read_copy(shared, keep)
        problems = habit_problems(habit, SharedFile(f"habits/{keep}", text))
        if problems:
            raise UsageError(f"{keep} cannot be kept as it is: {'; '.join(problems)}")
        habitfiles.write_habit(shared, habit, text)
    for copy in copies:
        habitfiles.remove_habit_file(shared, copy)
    out(f"Kept {keep} as habits/{mine}; removed {len(copies)} conflict cop{'y' if len(copies) == 1 else 'ies'}.")
