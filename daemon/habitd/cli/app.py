"""The ``habitd`` command line: parse arguments, call the core, format the answer.

Only this module and the command families beside it (``cli_*.py``) know Click.
Errors of the core (``HabitdError``) are turned into a message on stderr and
their exit code in one place, ``HabitdGroup.invoke``. Here live the group, the
output helpers and the commands that record; every other family is loaded
only when one of its commands runs (``HabitdGroup.LAZY``), and what a command
needs is imported inside it. ``done`` runs once per completion, from scripts
and status bars, and pays for what it uses only.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import click

from habitd import __version__, paths
from habitd.errors import EXIT_RUNTIME, HabitdError, UsageError

if TYPE_CHECKING:
    from habitd.habits.config import Config
    from habitd.history.store import Store
    from habitd.views.render import Style


def _utcnow() -> datetime:
    return datetime.now(UTC)


class App:
    """What every command needs: paths, the config, the store and the clock."""

    def __init__(
        self,
        config_path: str | os.PathLike[str],
        state_dir: str | os.PathLike[str],
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.config_path = os.fspath(config_path)
        self.state_dir = os.fspath(state_dir)
        self._now = now
        self.said = ""  # problems the command has reported: not repeated as warnings after it

    def now(self) -> datetime:
        return self._now()

    @cached_property
    def config(self) -> Config:
        from habitd.habits.config import parse_config
        from habitd.history import files

        if not os.path.lexists(self.config_path):
            raise UsageError(f"no config at {self.config_path}; `habitd init` writes one")
        text = files.read_config_text(self.config_path)
        return parse_config(text, str(self.config_path), files.system_timezone()).named(self._device_name)

    @cached_property
    def _device_name(self) -> str:
        """The name this machine's ``device.toml`` keeps (``init --join --name`` with a shared config)."""
        from habitd.history import identity

        return identity.device_name(self.state_dir)

    @cached_property
    def store(self) -> Store:
        """The history of every device sharing the folder (here: the state folder), and this machine's own."""
        # the config's other parts only when a change is written: export and friends read with a broken config
        from habitd.history.store import Store

        shared_dir, name = self.sharing()
        return Store(
            self.state_dir,
            shared_dir,
            clock=self.now,
            today=lambda m: self.config.today(m),
            zone=lambda: self.config.settings.tz,
            by=name,
        )

    def sharing(self) -> tuple[str | None, str]:
        """The shared folder (expanded; None: the state folder) and this device's person's name.

        The name in this machine's ``device.toml`` (``init --join --name`` with a shared config)
        wins over the config's: one config file can serve both partners.
        """
        try:
            settings = self.config.settings
            shared_dir, name = settings.shared_dir, settings.name
        except HabitdError:  # a config with an error elsewhere still says where the history is
            from habitd.history import configfile

            found = configfile.sharing_settings(self.config_path)
            if found is None:
                raise
            shared_dir, name = found
        return (os.path.expanduser(shared_dir) if shared_dir else None), self._device_name or name

    def today(self) -> date:
        return self.config.today(self.now())


def _printable(text: str, stream: Any) -> str:
    """``text`` as ``stream`` can encode it: what it cannot (a lone surrogate, ✓ in ASCII) becomes ``?``."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        return text.encode(encoding, "replace").decode(encoding, "replace")


def _out(text: str, err: bool = False, nl: bool = True) -> None:
    """Print a result (or, with ``err``, a message): never fails on a character the terminal lacks."""
    stream = sys.stderr if err else sys.stdout
    click.echo(_printable(text, stream), err=err, nl=nl)


def _inert_lines(text: str) -> str:
    from habitd.views.render import inert

    return "\n".join(inert(line) for line in text.split("\n"))


def _fail(message: str, code: int) -> NoReturn:
    _out(f"habitd: {_inert_lines(message)}", err=True)
    sys.exit(code)


def _decoded(text: str) -> str:
    """Text as typed: what the locale could not decode (a C locale, a stray byte) is read as UTF-8, or U+FFFD.

    Python hands such bytes over as lone surrogates, which no file can store and
    no terminal can show; ``$'bad \\xff byte'`` becomes ``bad \ufffd byte``.
    """
    if text.isascii() or not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    raw = os.fsencode(text)
    decoded = raw.decode("utf-8", "replace")
    if decoded != raw.decode("utf-8", "ignore"):
        _REPLACED.add(decoded)
    return decoded


_REPLACED: set[str] = set()  # texts typed with bytes that are not UTF-8, now holding U+FFFD


class HabitdGroup(click.Group):
    """Translates HabitdError into a message and exit code; loads command families on demand.

    A family of commands lives in a module of its own (``cli_*.py``) and is named in
    ``LAZY`` as ``"module:attribute"``: it is imported only when one of its commands
    runs (or ``--help`` lists them), so ``habitd done`` never pays for it.
    """

    LAZY: ClassVar[dict[str, str]] = {
        "status": "habitd.cli.show:status",
        "history": "habitd.cli.show:history",
        "next": "habitd.cli.show:next_",
        "today": "habitd.cli.show:today",
        "journal": "habitd.cli.show:journal",
        "prompt": "habitd.cli.show:prompt",
        "run": "habitd.cli.service:run",
        "service": "habitd.cli.service:service",
        "grid": "habitd.cli.overview:grid",
        "report": "habitd.cli.overview:report",
        "stats": "habitd.cli.overview:stats",
        "export": "habitd.cli.data:export",
        "import": "habitd.cli.data:import_",
        "ical": "habitd.cli.data:ical",
        "rename": "habitd.cli.habits:rename",
        "edit": "habitd.cli.habits:edit",
        "devices": "habitd.cli.devices:devices",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            import importlib

            module, attr = self.LAZY[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's errors as one line with the hint (``habitd: missing argument 'HABIT'; try ...``)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            message = e.format_message().rstrip(".").replace(". Did you mean ", " (did you mean ")
            if "(did you mean " in message:  # Click's "No such command 'x'. Did you mean 'y'?"
                message += ")"
            where = e.ctx.command_path if e.ctx else "habitd"
            dash = ""
            if isinstance(e, click.NoSuchOption) and e.ctx and e.ctx.command.name == "note":
                dash = f'; text that starts with a dash goes after `--`: `{where} HABIT -- "{e.option_name} ..."`'
            _fail(f"{message[:1].lower()}{message[1:]}{dash}; try `{where} --help`", e.exit_code)
        except click.ClickException as e:
            _fail(e.format_message(), e.exit_code)
        except click.Abort:
            _fail("aborted", EXIT_RUNTIME)
        sys.exit(rv if isinstance(rv, int) else 0)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, [_decoded(a) for a in args])  # every argument, options' values too

    def invoke(self, ctx: click.Context) -> Any:
        refused = ""
        try:
            try:
                return super().invoke(ctx)
            except HabitdError as e:
                refused = str(e)
                raise
            finally:
                _warn_unread(ctx.obj, refused)
        except HabitdError as e:
            _fail(str(e), e.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except BrokenPipeError:
            sys.exit(EXIT_RUNTIME)


@contextlib.contextmanager
def _after_save() -> Iterator[None]:
    """Around what a command shows once its change is saved: a failure there is a warning, exit 0.

    Reported as a failure, it would tell the user to try again and count twice.
    """
    try:
        yield
    except Exception as e:  # anything at all: the change is saved whatever went wrong here
        with contextlib.suppress(Exception):  # drain what is left for stdout: it cannot be written
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, sys.stdout.fileno())
            os.close(fd)
        with contextlib.suppress(Exception):
            click.echo(
                f"habitd: warning: the change was saved, but showing it failed ({type(e).__name__}: {e});"
                " no need to run it again",
                err=True,
            )


def _forgiving_output() -> None:
    """Characters the terminal's encoding lacks become '?' instead of an error: one place for all output."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)  # stderr replaces them already
    if reconfigure is not None:
        with contextlib.suppress(Exception):
            reconfigure(errors="replace")


def _warn_unread(app: object, refused: str = "") -> None:
    """Say which files of the shared history could not be read (the rest was used); not those
    the error ``refused`` names (it says what is wrong with them)."""
    shared = getattr(app, "__dict__", {}).get("store")  # only when the command used the store
    refused += getattr(app, "said", "")
    for problem in getattr(shared, "problems", []):
        if not (refused and problem.split(": ", 1)[0] in refused):
            click.echo(f"habitd: warning: {problem}", err=True)


def _style() -> Style:
    """Colour on a terminal unless NO_COLOR is set to something (no-color.org); marks it can encode."""
    from habitd.views.render import Style

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓…·".encode(encoding)
        unicode = True
    except (UnicodeEncodeError, LookupError):
        unicode = False
    return Style(sys.stdout.isatty() and not os.environ.get("NO_COLOR"), unicode)


def _emit_json(data: object) -> None:
    import json  # only for --json: it is not free to import

    text = json.dumps(data, indent=2, ensure_ascii=False)
    if _printable(text, sys.stdout) != text:  # a terminal without UTF-8: \u escapes lose nothing
        text = json.dumps(data, indent=2)
    _out(text)


pass_app = click.make_pass_decorator(App)

DAY_HELP = "today, yesterday, tomorrow, YYYY-MM-DD or a weekday (the latest one; for --until the next one)"


def complete_habit(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of habit ids, from the config the command would read (never raises)."""
    from click.shell_completion import CompletionItem

    from habitd.habits.config import parse_config
    from habitd.history import files

    try:
        root = ctx.find_root()
        app = root.obj if isinstance(root.obj, App) else None
        path = app.config_path if app else root.params.get("config_path") or paths.config_path()
        config = parse_config(files.read_config_text(path), path)
    except Exception:  # completion must never print a traceback into the shell
        return []
    low = incomplete.lower()
    return [CompletionItem(h.id, help=h.title) for h in config.habits if h.id.startswith(low)]


def complete_day(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of the day words --date, --since and --until take."""
    from click.shell_completion import CompletionItem

    words = ["tomorrow"] if param.name == "until_text" else ["today", "yesterday"]
    words += ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    return [CompletionItem(w) for w in words if w.startswith(incomplete.lower())]


@click.group(cls=HabitdGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="habitd")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="HABITD_CONFIG",
    help="Config file.  [default: $XDG_CONFIG_HOME/habitd/config.toml; env: HABITD_CONFIG]",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, readable=False),
    envvar="HABITD_STATE_DIR",
    help=(
        "This machine's state folder: its bookkeeping, device id, caches and lock, and the history"
        " unless settings.shared_dir is set.  [default: $XDG_STATE_HOME/habitd; env: HABITD_STATE_DIR]"
    ),
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, state_dir: str | None) -> None:
    """Reminders and streaks for the habits that keep the two of you close.

    Habits live in a config file (`habitd init` writes an example), the
    reminder daemon runs as a systemd user service (`habitd run`), and you
    mark a habit done from here: `habitd done date-night`.
    """
    if ctx.obj is None:
        ctx.obj = App(config_path or paths.config_path(), state_dir or paths.state_dir())
    else:  # tests hand in an App with an injected clock
        if config_path:
            ctx.obj.config_path = config_path
        if state_dir:
            ctx.obj.state_dir = state_dir


@cli.command()
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
        from habitd.cli.devices import join

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
    _out(f"Wrote {app.config_path}. Edit it, then run `habitd check`.")


@cli.command()
@pass_app
def check(app: App) -> None:
    """Validate the config and show each habit's next reminder."""
    from habitd.history import eventlog
    from habitd.views import render
    from habitd.views import rows as views

    config = app.config
    try:
        state = app.store.read()
    except eventlog.SharedFolderMissing:  # said below with the other sharing problems
        from habitd.habits.state import State

        state = State()
    now = app.now()
    nexts = [views.next_reminder(config, state, h, now) for h in config.habits]
    _out("\n".join(render.check_lines(config, nexts, now)))
    for line in render.quiet_lines(config, now):
        _out(line)
    from habitd.history.rename import orphan_advice, orphans

    if orphans(config, state):  # who wrote it tells what to do
        import textwrap

        try:
            me = app.store.log.local_device()
        except HabitdError:  # said below with the other sharing problems
            me = None
        for orphan in orphan_advice(config, state, app.store.events(), me.id if me else None):
            _out("\n".join(textwrap.wrap(f"note: {orphan.advice}", 80, subsequent_indent="  ")))
    personal = [h.id for h in config.habits if h.each]
    if personal and not config.settings.name:
        import textwrap

        text = (
            f"note: {', '.join(personal)}: `each = true` keeps a habit per person; without"
            " [settings] name it counts everyone's completions as yours"
        )
        _out("\n".join(textwrap.wrap(text, 80, subsequent_indent="  ")))
    today = config.today(now)
    for line in render.future_lines(views.future_completions(config, state, today), today, config.settings.name):
        click.echo(line, err=True)
    from habitd.cli.devices import check_sharing

    if check_sharing(app):
        sys.exit(EXIT_RUNTIME)


def _day(app: App, text: str, future_dates: bool = False) -> date:
    """``future_dates``: a YYYY-MM-DD after today is taken too (undo a completion a wrong clock dated)."""
    from habitd.habits.clock import parse_day

    if future_dates:
        with contextlib.suppress(ValueError):
            return date.fromisoformat(text.strip())
    return parse_day(text, app.today())


def _typed(ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    """Text as typed (see ``_decoded``; HabitdGroup.parse_args does it already for the command line)."""
    if text is None:
        return None
    text = _decoded(text)
    if text in _REPLACED:
        _out("habitd: warning: the note held bytes that are not UTF-8; each is kept as \ufffd (U+FFFD)", err=True)
    return text


NOTE_KEPT = "\nYour note is kept as the day's own note; `habitd journal` shows it."
PRIVATE_HELP = "Keep the note on this machine only (the completion is shared)."


@cli.command()
@click.argument("habit", shell_complete=complete_habit)
@click.option("--date", "day_text", default="today", show_default=True, help=DAY_HELP, shell_complete=complete_day)
@click.option("--note", callback=_typed, help="A note to keep with it (never shown in notifications or logs).")
@click.option("--private", is_flag=True, help=PRIVATE_HELP)
@pass_app
def done(app: App, habit: str, day_text: str, note: str | None, private: bool) -> None:
    """Mark HABIT done (id or unique prefix)."""
    from habitd.habits.periods import is_due_day
    from habitd.habits.streaks import summarize
    from habitd.history import record

    h = app.config.find(habit)
    if private and note is None:
        raise UsageError("--private keeps a note on this machine only; give the note with --note")
    day = _day(app, day_text)
    result = record.done(app.store, app.config, h, day, app.now(), note, private)
    with _after_save():
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
            _out(f"{h.title}: {what}.{kept}")
            return
        progress = "" if h.times == 1 else f" ({before.done + 1}/{h.times} {h.every.this(current)})"
        off = "" if is_due_day(h, day) else " (not one of its due days; it counts all the same)"
        streak = ""
        if app.config.settings.show_streaks:
            after = summarize(h, result.state, app.today(), app.config.settings.week_starts).streak
            streak = f" Streak: {after}." if after > 1 else ""
        kept = " Your note stays on this machine only." if private else ""
        _out(f"{h.title}: done for {day.isoformat()}{off}{progress}.{streak}{kept}")


@cli.command()
@click.argument("habit", shell_complete=complete_habit)
@click.option("--date", "day_text", default="today", show_default=True, help=DAY_HELP, shell_complete=complete_day)
@pass_app
def undo(app: App, habit: str, day_text: str) -> None:
    """Remove your latest entry of HABIT on a day: a completion or a skip."""
    from habitd.history import record

    h = app.config.find(habit)
    day = _day(app, day_text, future_dates=True)
    result = record.undo(app.store, app.config, h, day, app.now())
    if not result.kind:
        raise UsageError(f"{h.id} has no completion or skip on {day.isoformat()} to undo")
    with _after_save():
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


@cli.command()
@click.argument("habit", shell_complete=complete_habit)
@click.option("--date", "day_text", default="today", show_default=True, help=DAY_HELP, shell_complete=complete_day)
@click.option("--note", default="", callback=_typed, help="Why, for your own record.")
@pass_app
def skip(app: App, habit: str, day_text: str, note: str) -> None:
    """Skip HABIT's period containing a day: it neither breaks nor extends the streak."""
    from habitd.habits.streaks import MET
    from habitd.history import record

    h = app.config.find(habit)
    day = _day(app, day_text)
    result = record.skip(app.store, app.config, h, day, app.now(), note)
    with _after_save():
        first, last = result.first, result.last
        span = day.isoformat() if first == last else f"{first} .. {last}"
        kept = NOTE_KEPT if result.note_kept else " Nothing changed."
        if result.why == MET:
            click.echo(f"{h.title}: {span} is done already, so skipping it changes nothing.{kept}")
        elif result.why:
            click.echo(f"{h.title}: {span} is skipped already.{kept}")
        else:
            click.echo(f"{h.title}: skipped {span}; your streak is safe.")


@cli.command()
@click.argument("habit", shell_complete=complete_habit)
@click.argument("text", required=False, callback=_typed)
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

    h = app.config.find(habit)
    day = _day(app, day_text, future_dates=True)  # a note a wrong clock dated ahead can be mended
    if day > app.today() and text is not None and not _has_note(app, h.id, day):
        _day(app, day_text)  # a new note is for a day that has come: says it is in the future
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
    with _after_save():
        what = "private note" if change.private else "note"
        if change.new is None:
            click.echo(f"{h.title}: removed the {what} of {day.isoformat()}:")
        elif change.old is None:
            click.echo(f"{h.title}: {what} written for {day.isoformat()}.")
            return
        else:
            click.echo(f"{h.title}: {what} written for {day.isoformat()}. It replaces:")
        click.echo("\n".join(f"    {_inert_lines(line)}" for line in (change.old or "").splitlines() or [""]))


def _has_note(app: App, habit_id: str, day: date) -> bool:
    """Whether the day holds a note of this person's (or, with no name set, anyone's)."""
    log = app.store.read().habits.get(habit_id)
    me = app.store.by
    return log is not None and any(n.day == day and (not me or n.by in (me, "")) for n in log.notes)


ALL_HELP = "Archived habits too."


@cli.command()
@click.argument("habit", required=False, shell_complete=complete_habit)
@click.option(
    "--until", "until_text", required=True, shell_complete=complete_day,
    help="Last day of the pause (included): " + DAY_HELP,
)  # fmt: skip
@pass_app
def pause(app: App, habit: str | None, until_text: str) -> None:
    """Pause HABIT (or all habits) until a day: no reminders, streaks untouched."""
    from habitd.habits.clock import parse_day
    from habitd.habits.state import ALL
    from habitd.history import record

    h = app.config.find(habit) if habit else None
    hid = h.id if h else ALL
    day = app.today()
    until = parse_day(until_text, day, ahead=True)
    record.pause(app.store, hid, day, until)
    with _after_save():
        who = "All habits" if hid == ALL else hid
        care = "yourself" if h and h.each else "yourselves"  # a personal habit's pause is one person's
        click.echo(f"{who} paused until {until.isoformat()} (included). Take care of {care}.")


@cli.command()
@click.argument("habit", required=False, shell_complete=complete_habit)
@pass_app
def resume(app: App, habit: str | None) -> None:
    """End the pause of HABIT (or of everything) today."""
    from habitd.history import record

    hid = app.config.find(habit).id if habit else None
    day = app.today()
    personal = frozenset(h.id for h in app.config.habits if h.each)
    ended = record.resume(app.store, hid, day, personal)
    if not ended:
        raise UsageError(f"{hid} is not paused" if hid else "nothing is paused")
    with _after_save():
        theirs = sorted({p.by for p in ended if p.by and p.by != app.store.by})  # a partner's pause ended too
        whose = f", ending {' and '.join(theirs)}'s pause" if theirs else ""
        click.echo(f"Resumed {hid or 'all habits'}{whose}. Welcome back.")


def _output_failed(e: BaseException) -> bool:
    """Whether ``e`` came from writing a result to stdout (a full disk, a device gone): not a bug."""
    tb = e.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "echo" and frame.f_globals.get("__name__") == "click.utils":
            return not frame.f_locals.get("err")
        tb = tb.tb_next
    return False


def main() -> None:
    _forgiving_output()
    try:
        cli(prog_name="habitd")
    except Exception as e:  # a bug: say so in one line; HABITD_DEBUG=1 shows the traceback
        if isinstance(e, OSError) and _output_failed(e):
            with contextlib.suppress(Exception):  # what is left for stdout cannot be written either
                fd = os.open(os.devnull, os.O_WRONLY)
                os.dup2(fd, sys.stdout.fileno())
                os.close(fd)
            _fail(f"could not write the output: {e.strerror or e}", EXIT_RUNTIME)
        if os.environ.get("HABITD_DEBUG"):
            raise
        _fail(
            f"internal error ({type(e).__name__}: {e}); please report it with `habitd --version`,"
            " what you ran, and its output with HABITD_DEBUG=1",
            EXIT_RUNTIME,
        )
