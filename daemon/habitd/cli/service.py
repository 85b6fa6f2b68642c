"""The daemon and its systemd user unit: run, service install and service uninstall."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from habitd import paths
from habitd.cli.context import App, Command, Group, pass_app
from habitd.cli.output import out
from habitd.errors import UsageError


@click.command(cls=Command)
@click.option("-v", "--verbose", count=True, help="More detail in the log (twice: the scheduler's too).")
@click.option("-q", "--quiet", count=True, help="Only warnings (twice: only errors).")
@click.option("--tick", default=60.0, hidden=True, type=click.FloatRange(0.05, 3600), help="Periodic check, seconds.")
@pass_app
def run(app: App, verbose: int, quiet: int, tick: float) -> None:
    """Run the reminder daemon in the foreground (systemd runs it for you).

    Shows a desktop notification when a habit falls due and is not done yet.
    SIGHUP (or saving the config) reloads the config; SIGTERM stops it.
    """
    import gc

    gc.enable()  # `main` turns it off for a command's short life; the daemon lives for days
    from habitd.history import eventlog, files
    from habitd.service.logs import setup_logging
    from habitd.service.notifiers import backend_from_env, make_notifier
    from habitd.service.runner import Runner

    seen = files.signature(app.config_path)  # before reading: a change after it is reloaded
    app.waits = True  # a shared folder away: waited for
    with contextlib.suppress(eventlog.SharedFolderMissing):  # waited for; a file there is a mistake in the config
        app.store.log.require_root("")
    setup_logging(verbose - quiet, journal=bool(os.environ.get("JOURNAL_STREAM")), tz=app.config.settings.tz)
    notifier = make_notifier(backend_from_env(), app.config.settings.notify_timeout)
    runner = Runner(app.config_path, app.store, notifier, tick=tick, clock=app.now, config_read=(seen, app.config))
    code = runner.run()
    if runner.again:  # a new shared_dir: everything is read afresh, as at a start (the same process)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "habitd", *sys.argv[1:]])
    sys.exit(code)


@click.group(cls=Group)
def service() -> None:
    """Install or remove the systemd user unit."""


def _unit_path() -> str:
    from habitd.service.unit import UNIT_NAME

    return os.path.join(paths.user_unit_dir(), UNIT_NAME)


@service.command("install")
@click.option("--print", "print_only", is_flag=True, help="Print the unit instead of writing it.")
@click.pass_context
def service_install(ctx: click.Context, print_only: bool) -> None:
    """Write the user unit, with ExecStart for this installation."""
    from habitd.history import files
    from habitd.service import unit as service_mod

    root = ctx.find_root()
    extra: list[str] = []
    for name, flag in (("config_path", "--config"), ("state_dir", "--state-dir")):
        value = root.params.get(name)
        if value is not None:
            extra += [flag, os.path.abspath(value)]
    text = service_mod.unit_text(extra)
    if print_only:
        out(text, nl=False)
        return
    target = _unit_path()
    files.atomic_write(target, text.encode("utf-8"))
    entry = os.path.join(paths.applications_dir(), service_mod.DESKTOP_NAME)  # a name and icon for the bubbles
    files.atomic_write(entry, service_mod.desktop_entry().encode("utf-8"), mode=0o644)
    out(f"Wrote {target} and {entry}. Next:\n  systemctl --user daemon-reload && systemctl --user enable --now habitd")


@service.command("uninstall")
def service_uninstall() -> None:
    """Remove the user unit (stop it first: systemctl --user disable --now habitd)."""
    from habitd.history import files
    from habitd.service.unit import DESKTOP_NAME

    target = _unit_path()
    if not os.path.exists(target):
        raise UsageError(f"no unit at {target}; nothing to remove")
    files.remove(target)
    files.remove(os.path.join(paths.applications_dir(), DESKTOP_NAME))
    out(f"Removed {target}. Run: systemctl --user daemon-reload")
