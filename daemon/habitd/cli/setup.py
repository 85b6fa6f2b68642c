"""Setting up and checking: ``habitd init`` writes the config, ``habitd check`` validates it.

``init --join DIR`` sets this machine up on a shared folder instead (see
``devices.join``); ``check`` shows each habit's next reminder and says what
stops recording or sharing, with exit status 1 when something does.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TYPE_CHECKING

import click

from habitd.cli.context import App, Command, pass_app
from habitd.cli.devices import check_sharing, join
from habitd.cli.output import inert_lines, out
from habitd.errors import EXIT_RUNTIME, HabitdError, UsageError

if TYPE_CHECKING:
    from habitd.habits.config import Config
    from habitd.habits.state import State


@click.command(cls=Command)
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
@click.option(
    "--join", "join_dir", metavar="DIR", type=click.Path(file_okay=False),
    help="Set this machine up on a shared folder your partner uses already.",
)  # fmt: skip
@click.option("--name", help="With --join: your name, shown to your partner.")
@click.option("--new", is_flag=True, help="With --join: start a new shared folder in DIR.")
@pass_app
def init(app: App, force: bool, join_dir: str | None, name: str | None, new: bool) -> None:
    """Write the example config to the config path (or --join a shared folder)."""
    if join_dir is not None:
        join(app, join_dir, name, force, new)
        return
    from habitd.history import files

    if name is not None or new:
        raise UsageError(f"{'--name' if name is not None else '--new'} goes with --join DIR")
    target = files.dangling_link(app.config_path)
    if target is not None and not force:
        raise UsageError(
            f"{app.config_path} is a link to {os.path.normpath(target)}, which is not there (the shared folder"
            " not mounted or not synced yet?); nothing was written. --force replaces the link"
        )
    if os.path.exists(app.config_path) and not force:
        raise UsageError(f"{app.config_path} exists already; use --force to replace it")
    files.atomic_write(app.config_path, files.example_config().encode("utf-8"))
    out(f"Wrote {app.config_path}. Edit it, then run `habitd check`.")


@click.command(cls=Command)
@pass_app
def check(app: App) -> None:
    """Validate the config and show each habit's next reminder."""
    from habitd.history import eventlog
    from habitd.views import render
    from habitd.views import rows as views

    try:
        config = app.config
    except eventlog.SharedFolderMissing as e:
        click.echo(f"habitd: problem: {e}", err=True)
        sys.exit(EXIT_RUNTIME)
    try:
        state = app.store.read()
    except eventlog.SharedFolderMissing:  # said below with the other sharing problems
        from habitd.habits.state import State

        state = State()
    now = app.now()
    nexts = [views.next_reminder(config, state, h, now) for h in config.habits]
    out("\n".join(render.check_lines(config, nexts, now)))
    for line in render.quiet_lines(config, now):
        out(line)
    for advice in _advice(app, config, state):
        out("\n".join(textwrap.wrap(f"note: {advice}", 80, subsequent_indent="  ")))
    stop = False
    if config.phone is not None:
        from habitd.service.phone import check_lines

        lines, stop = check_lines(config, app.store, now)
        for line in lines:
            out("\n".join(textwrap.wrap(line, 80, subsequent_indent="  ")))
    today = config.today(now)
    for line in render.future_lines(views.future_completions(config, state, today), today, config.settings.name):
        click.echo(line, err=True)
    for notice in config.notices:  # the shared habits: a conflict copy, a file left out, a key ignored
        lines = textwrap.wrap(f"habitd: problem: {notice}", 100, subsequent_indent="  ", break_on_hyphens=False)
        out(inert_lines("\n".join(lines)), err=True)  # a partner's text in it is shown, never obeyed
    if check_sharing(app) or config.notices or stop:
        sys.exit(EXIT_RUNTIME)


def _advice(app: App, config: Config, state: State) -> list[str]:
    """What ``check`` notes below the reminders: histories kept without a habit, personal habits without a name."""
    from habitd.history.rename import orphan_advice, orphans

    said = []
    if orphans(config, state):  # who wrote it tells what to do
        try:
            me = app.store.log.local_device()
        except HabitdError:  # said below with the other sharing problems
            me = None
        said += [orphan.advice for orphan in orphan_advice(config, state, app.store.events(), me.id if me else None)]
    personal = [h.id for h in config.habits if h.each]
    if personal and not config.settings.name and config.settings.shared_dir:  # alone, every habit is yours
        said.append(
            f"{', '.join(personal)}: `each = true` keeps a habit per person; without"
            " [settings] name it counts everyone's completions as yours"
        )
    return said
