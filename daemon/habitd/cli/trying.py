"""Seeing habitd work at once: ``habitd try`` (one sample bubble now) and ``habitd demo`` (``make run``).

``try`` shows a sample reminder with its buttons and says what this desktop's
notification server can do and how its buttons are pressed; without a server it
says what to install. ``demo`` runs the daemon on a demo folder of its own,
emptied at each start, with a habit due at the next minute: never your own
config or history.
"""

from __future__ import annotations

import os
import sys
import time

import click

from habitd.cli.context import App, Command
from habitd.cli.output import emit_json, out
from habitd.errors import EXIT_RUNTIME, HabitdError, UsageError

DEMO_MARK = ".habitd-demo"  # the file that makes a folder one `habitd demo` may empty


def _program() -> str:
    """How to run this habitd from another terminal: ``habitd`` when that name on the PATH is this
    program, else its full path (``make run`` runs the checkout's .venv/bin/habitd, on no PATH)."""
    import shlex
    import shutil

    me = os.path.abspath(sys.argv[0])
    found = shutil.which("habitd")
    if found and os.path.realpath(found) == os.path.realpath(me):
        return "habitd"
    if os.path.basename(me) == "habitd" and os.access(me, os.X_OK):
        return shlex.quote(me)
    return f"{shlex.quote(sys.executable)} -m habitd"


@click.command("try", cls=Command)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable).")
@click.option(
    "--wait", type=click.IntRange(0, 600), default=None,
    help="Seconds to wait for a button press.  [default: 30 on a terminal, else 0]",
)  # fmt: skip
def try_(as_json: bool, wait: int | None) -> None:
    """Show a sample reminder now and say what this desktop's notifications can do.

    Names the notification server, whether it shows the reminder's buttons and
    how to press them here; without a server, what to install.
    """
    from habitd.service import trial
    from habitd.service.notify import DeliveryError, Note
    from habitd.service.notify_dbus import DBusNotifier

    if wait is None:
        wait = 30 if sys.stdin.isatty() and sys.stdout.isatty() and not as_json else 0
    try:
        server = trial.probe()
    except DeliveryError as e:
        if as_json:
            emit_json(trial.no_server_json(f"{e}"))
            sys.exit(EXIT_RUNTIME)
        raise HabitdError(f"{trial.NO_SERVER} ({e})") from None
    how = trial.advice(server)
    notifier = DBusNotifier(timeout=max(wait, 10))
    note = Note(
        trial.DEMO_HABIT, "habitd: a sample reminder",
        "This is how a reminder looks. Its buttons do nothing here but say they were pressed.",
        None, (("done", "Done"), ("snooze", "Snooze 1h"), ("skip", "Skip today")),
    )  # fmt: skip
    try:
        notifier.send(note)
        shown = True
    except DeliveryError as e:
        shown = False
        out(f"habitd: the sample could not be shown: {e}", err=True)
    if as_json:
        emit_json(trial.as_json(server, how, shown))
    else:
        caps = ", ".join(server.capabilities) or "none"
        out(f"Notification server: {server.name} {server.version} ({server.vendor}), spec {server.spec}")
        out(f"Capabilities: {caps}")
        out(f"Buttons: {'yes' if server.buttons else 'no'}. {how}")
        if shown:
            out("A sample reminder is on screen now.")
    try:
        if shown and wait and server.buttons:
            out(f"Press one of its buttons to see that it works (waiting {wait} s; Ctrl-C stops).")
            pressed = _wait_press(notifier, wait)
            out(f"You pressed {pressed}: the buttons work." if pressed else "No button was pressed.")
    finally:
        notifier.stop()
    if not shown:
        sys.exit(EXIT_RUNTIME)


def _wait_press(notifier: object, seconds: int) -> str:
    """The label of the first button pressed within ``seconds``; "" if none was."""
    from habitd.service.notify_dbus import DBusNotifier

    assert isinstance(notifier, DBusNotifier)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for pressed in notifier.events():
            if pressed.key != "default":
                return dict(pressed.note.buttons).get(pressed.key, pressed.key)
        time.sleep(0.1)
    return ""


@click.command(cls=Command)
@click.option(
    "--dir", "folder", type=click.Path(file_okay=False),
    help="The demo's folder (its config and history; emptied at each start).  [default: $XDG_CACHE_HOME/habitd-demo]",
)  # fmt: skip
@click.option("--tick", default=60.0, hidden=True, type=click.FloatRange(0.05, 3600), help="Periodic check, seconds.")
@click.pass_context
def demo(ctx: click.Context, folder: str | None, tick: float) -> None:
    """Run the reminder daemon on a demo: a reminder with its buttons within a minute.

    The example's habits and one more, due at the next minute, in a folder of
    its own that starts empty each time: never your own config or history.
    `make run` in a checkout runs this. Ctrl-C stops it.
    """
    from zoneinfo import ZoneInfo

    from habitd.cli.service import run
    from habitd.history import files
    from habitd.service import trial
    from habitd.service.notify import DeliveryError

    app = ctx.find_object(App)
    assert app is not None
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.abspath(folder or os.path.join(home, "habitd-demo"))
    if not files.empty_demo_folder(folder, DEMO_MARK):
        raise UsageError(f"{folder} holds files but is not a habitd demo folder (no {DEMO_MARK}); give another --dir")
    files.write_text(os.path.join(folder, DEMO_MARK), "A folder `habitd demo` empties at each start.\n", 0o600)
    zone = files.system_timezone()
    now = app.now()
    at = trial.next_minute(now, ZoneInfo(zone))
    config_path = os.path.join(folder, "config.toml")
    files.write_text(config_path, trial.demo_config(files.example_config(), zone, at))
    app.config_path, app.state_dir = config_path, os.path.join(folder, "state")
    for cached in ("config", "store", "_device_name"):
        app.__dict__.pop(cached, None)
    wait = int((at - now).total_seconds() + 0.999)
    import shlex

    own = f"{_program()} --config {shlex.quote(config_path)} --state-dir {shlex.quote(app.state_dir)}"
    out(
        f"habitd demo in {folder} (emptied at each start): the example habits and one more.\n"
        f"Its reminder comes at {at:%H:%M} (in {wait} s), with the buttons Done, Snooze 1m and Skip today;\n"
        f"`habitd try` says how to press them here. In another terminal: `{own} status`.\n"
        "Ctrl-C stops it."
    )
    try:
        trial.probe()
    except DeliveryError as e:
        out(f"habitd: warning: {trial.NO_SERVER} ({e}); the reminder waits for one", err=True)
    ctx.invoke(run, verbose=0, quiet=0, tick=tick)
