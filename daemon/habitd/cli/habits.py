"""Changing habits themselves: ``habitd rename`` and ``habitd edit``."""

from __future__ import annotations

import click

from habitd.cli.context import App, complete_habit, pass_app
from habitd.cli.output import out
from habitd.errors import HabitdError, UsageError


def _did_you_mean(name: str, known: list[str]) -> str:
    import difflib  # only on this error path

    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def renamed_to(app: App, name: str) -> str | None:
    """The habit of the config an id was renamed to (following renames of renames), from the
    history's rename records; None when ``name`` is a habit, a prefix of one, or was never renamed."""
    from habitd.history.rename import renames

    config, old = app.config, name.lower()
    if any(h.id.startswith(old) for h in config.habits):
        return None
    try:
        done = renames(app.store.events())
    except HabitdError:  # the history cannot be read: the plain "no habit" error says enough
        return None
    seen = {old}
    while True:
        new = next((n for o, n, _device in reversed(done) if o == old), None)
        if new is None or new in seen:
            return None
        if config.habit(new) is not None:
            return new
        seen.add(new)
        old = new


def _refresh_feed(app: App) -> None:
    from habitd.service import feeds

    try:
        feeds.write_ical(app.config, app.now())
    except HabitdError as e:
        out(f"habitd: the calendar feed was not updated: {e}", err=True)


def _partners_follow(app: App, old: str, new: str) -> None:
    """Say that a partner's config must change too, unless it is this one (the shared config) or
    this rename follows the partner's."""
    import os
    import textwrap

    from habitd.history.rename import device_names, started_elsewhere

    shared_dir = app.sharing()[0]
    if shared_dir is None or os.path.realpath(app.config_path).startswith(os.path.realpath(shared_dir) + os.sep):
        return  # no partner, or one config for both: both see the change
    try:
        me = app.store.log.local_device()
        events = app.store.events()
        if started_elsewhere(events, old, new, me.id if me else None):
            return  # this follows a partner's rename: theirs is done already
        others = sorted({n for d, n in device_names(events).items() if me is None or d != me.id})
    except HabitdError:  # the rename is saved: this is advice, `habitd check` says what is wrong
        return
    if others:
        text = (
            f"note: {' and '.join(others)} write{'s' if len(others) == 1 else ''} to the shared folder too:"
            f" the config there must say [habits.{new}] as well; there, `habitd rename {old} {new}`"
            " follows this rename"
        )
        out("\n".join(textwrap.wrap(text, 80, subsequent_indent="  ")), err=True)


@click.command()
@click.argument("old", shell_complete=complete_habit)
@click.argument("new")
@pass_app
def rename(app: App, old: str, new: str) -> None:
    """Give habit OLD the id NEW, keeping its whole history.

    The config's [habits.OLD] line becomes [habits.NEW] when habitd can edit
    the file safely; otherwise it tells you which line to change. OLD may also
    be an id whose history is kept without a habit (see `habitd check`).
    """
    from habitd.habits.config import is_id
    from habitd.history import files, record
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
    edit = None
    if in_config:
        edit = rename_in_config(files.read_config_text(app.config_path), old, new)
    moved = record.rename(app.store, old, new)
    what = f"{moved.completions} completion(s), {moved.skips} skip(s), {moved.notes} note(s)"
    out(f"Moved the history of {old} to {new}: {what}.")
    _partners_follow(app, old, new)
    if edit is None:
        if config.habit(new) is None:
            out(f"note: no habit in the config is called {new} yet; add [habits.{new}] to use it.", err=True)
        return
    if edit.text is not None:
        try:
            files.replace_config_text(app.config_path, edit.text)
        except HabitdError as e:
            edit = edit._replace(text=None, why=str(e))
    if edit.text is None:
        where = f"line {edit.line} of {app.config_path}" if edit.line else app.config_path
        out(
            f"Now change [habits.{old}] to [habits.{new}] in {where} ({edit.why}); until then {old} starts afresh.",
            err=True,
        )
        return
    out(f"Renamed [habits.{old}] to [habits.{new}] on line {edit.line} of {app.config_path}.")
    app.__dict__.pop("config", None)  # re-read: the feed follows the new config
    _refresh_feed(app)


@click.command()
@click.pass_context
def edit(ctx: click.Context) -> None:
    """Open the config in $VISUAL or $EDITOR, then check it.

    When it has problems you may edit it again. The daemon picks up the saved
    file by itself (an invalid one leaves the previous config in force).
    """
    import os

    from habitd.cli.setup import check
    from habitd.errors import ConfigError
    from habitd.habits.config import parse_config
    from habitd.history import files

    app = ctx.find_object(App)
    assert app is not None
    if not os.path.isfile(app.config_path):
        raise UsageError(f"no config at {app.config_path} yet; `habitd init` writes one to start from")
    while True:
        try:
            click.edit(filename=app.config_path)
        except click.ClickException as e:
            raise HabitdError(f"{e.format_message()}; set $VISUAL or $EDITOR to your editor") from None
        try:
            parse_config(files.read_config_text(app.config_path), app.config_path, files.system_timezone())
            break
        except ConfigError as e:
            out(f"habitd: {e}", err=True)
            if not click.confirm("Edit it again?", default=True, err=True):
                raise UsageError(
                    f"{app.config_path} is saved with these problems; the daemon keeps the previous config"
                    " until they are fixed (`habitd edit` or `habitd check`)"
                ) from None
    app.__dict__.pop("config", None)  # read the saved file
    ctx.invoke(check)
    _refresh_feed(app)
