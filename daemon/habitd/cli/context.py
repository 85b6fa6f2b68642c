"""What every command is handed: the ``App`` (paths, config, history, clock) and the shared options.

``App`` reads the config and opens the history only when a command asks for
them, so a command pays for what it uses. Here too: ``Command``, the class of
every command, text as typed (arguments the locale could not decode), the
``--date``/``--since``/``--until`` help, shell completion of habit ids and day
words, and finding a habit by its id (or the id it was renamed from).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from habitd import paths
from habitd.cli.output import out
from habitd.errors import HabitdError, UsageError

if TYPE_CHECKING:
    from habitd.habits.config import Config, Habit
    from habitd.history.store import Store

HELP_TEXT = "Show this message and exit."


def _show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


class Command(click.Command):
    """A habitd command: Click's, with its ``--help`` option made here.

    Click makes its own with a lookup of the help text's translation, on every run: that
    imports ``locale`` and searches for message catalogues, about a fortieth of what a
    command costs. habitd speaks English only, so the text is given as it is.
    """

    _help: click.Option | None = None

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        names = self.get_help_option_names(ctx)
        if not names or not self.add_help_option:
            return None
        if self._help is None:  # made once: Click tells the eager options apart by identity
            self._help = click.Option(
                names, is_flag=True, is_eager=True, expose_value=False, callback=_show_help, help=HELP_TEXT
            )
        return self._help


class Group(Command, click.Group):
    """A habitd group of commands: its commands are habitd's too (see ``Command``)."""

    command_class = Command


DAY_HELP = "today, yesterday, YYYY-MM-DD or a weekday (the latest one, today included)"  # looking back
UNTIL_HELP = "today, tomorrow, YYYY-MM-DD or a weekday (the next one, today included)"  # looking ahead
ALL_HELP = "Archived habits too."
ARCHIVED_NOTE = (
    "{id} is archived (archived = true in the config): it has no reminders, and status lists it only with --all."
)


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
        self.waits = False  # the daemon: it waits for a shared folder that is away (no habits meanwhile)

    def now(self) -> datetime:
        return self._now()

    @cached_property
    def config(self) -> Config:
        from habitd.history import files
        from habitd.history.configfile import load_config

        if not os.path.lexists(self.config_path):
            raise UsageError(f"no config at {self.config_path}; `habitd init` writes one")
        loaded = load_config(self.config_path, self.state_dir, files.system_timezone(), missing_ok=self.waits)
        for line in loaded.said:
            out(f"habitd: {line}", err=True)
        return loaded.config

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
            personal=self._personal(),
        )

    def _personal(self) -> frozenset[str]:
        """The personal (``each``) habits, whose entries only their person takes back; none with a
        config that does not read (the history is still shown)."""
        try:
            return frozenset(h.id for h in self.config.habits if h.each)
        except HabitdError:
            return frozenset()

    def sharing(self) -> tuple[str | None, str]:
        """The shared folder (expanded; None: the state folder) and this device's person's name.

        The name in this machine's ``device.toml`` (``init --join --name`` with a shared config)
        wins over the config's: one config file can serve both partners.
        """
        try:
            settings = self.config.settings  # its name is device.toml's already, when that has one
            shared_dir, name = settings.shared_dir, settings.name
        except HabitdError:  # a config with an error elsewhere still says where the history is
            from habitd.history import configfile

            found = configfile.sharing_settings(self.config_path)
            if found is None:
                raise
            shared_dir, name = found[0], self._device_name or found[1]
        return (os.path.expanduser(shared_dir) if shared_dir else None), name

    def today(self) -> date:
        return self.config.today(self.now())

    def day(self, text: str, future_dates: bool = False) -> date:
        """The day a ``--date`` or ``--since`` names (see DAY_HELP; ``--until``: UNTIL_HELP).

        ``future_dates``: a YYYY-MM-DD after today is taken too (undo a completion a wrong clock dated).
        """
        from habitd.habits.clock import parse_day

        if future_dates:
            with contextlib.suppress(ValueError):
                return date.fromisoformat(text.strip())
        return parse_day(text, self.today())


pass_app = click.make_pass_decorator(App)

_REPLACED: set[str] = set()  # texts typed with bytes that are not UTF-8, now holding U+FFFD


def decoded(text: str) -> str:
    """Text as typed: what the locale could not decode (a C locale, a stray byte) is read as UTF-8, or U+FFFD.

    Python hands such bytes over as lone surrogates, which no file can store and
    no terminal can show; ``$'bad \\xff byte'`` becomes ``bad \ufffd byte``.
    """
    if text.isascii() or not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    raw = os.fsencode(text)
    text = raw.decode("utf-8", "replace")
    if text != raw.decode("utf-8", "ignore"):
        _REPLACED.add(text)
    return text


def typed(ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    """An option's callback: text as typed (see ``decoded``), with a warning when bytes were replaced.

    ``HabitdGroup.parse_args`` decodes the command line already; this warns of what it replaced.
    """
    if text is None:
        return None
    text = decoded(text)
    if text in _REPLACED:
        out("habitd: warning: the note held bytes that are not UTF-8; each is kept as \ufffd (U+FFFD)", err=True)
    return text


def complete_habit(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of habit ids, from the config the command would read (never raises)."""
    from click.shell_completion import CompletionItem

    from habitd.history.configfile import load_config

    try:
        root = ctx.find_root()
        app = root.obj if isinstance(root.obj, App) else None
        path = app.config_path if app else root.params.get("config_path") or paths.config_path()
        state = app.state_dir if app else root.params.get("state_dir") or paths.state_dir()
        config = load_config(path, state, "UTC", move=False).config
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


def find_habit(app: App, name: str) -> Habit:
    """A habit of the config by its id or a unique prefix; an id renamed away says its new id."""
    try:
        return app.config.find(name)
    except UsageError:
        new = renamed_to(app, name)
        if new is None:
            raise
        command = click.get_current_context().info_name
        raise UsageError(f"'{name.lower()}' is now '{new}' (renamed); `habitd {command} {new}`") from None


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
