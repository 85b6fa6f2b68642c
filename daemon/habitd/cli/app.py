"""The ``habitd`` command line: the group, its global options, and ``main`` with its one error handler.

Only the ``habitd.cli`` package knows Click. Errors of the core (``HabitdError``)
become a message on stderr and their exit code in one place,
``HabitdGroup.invoke``; Click's own usage errors in ``HabitdGroup.main``; a bug
in ``main``. A family of commands is loaded only when one of its commands runs
(``HabitdGroup.LAZY``), and what a command needs is imported inside it.
``done`` runs once per completion, from scripts and status bars, and pays for
what it uses only.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import click

from habitd import __version__, paths
from habitd.cli.context import App, Group, decoded
from habitd.cli.output import drop_stdout, fail, forgiving_output, leave
from habitd.errors import EXIT_RUNTIME, HabitdError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


class HabitdGroup(Group):
    """Translates HabitdError into a message and exit code; loads command families on demand.

    A family of commands lives in a module of its own (``habitd/cli/*.py``) and is
    named in ``LAZY`` as ``"module:attribute"``: it is imported only when one of its
    commands runs (or ``--help`` lists them), so ``habitd done`` never pays for it.
    """

    LAZY: ClassVar[dict[str, str]] = {
        "done": "habitd.cli.recording:done",
        "undo": "habitd.cli.recording:undo",
        "skip": "habitd.cli.recording:skip",
        "note": "habitd.cli.recording:note",
        "pause": "habitd.cli.recording:pause",
        "resume": "habitd.cli.recording:resume",
        "init": "habitd.cli.setup:init",
        "check": "habitd.cli.setup:check",
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
        "resolve": "habitd.cli.habits:resolve",
        "devices": "habitd.cli.devices:devices",
        "try": "habitd.cli.trying:try_",
        "demo": "habitd.cli.trying:demo",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.LAZY)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Click suggests only from commands already loaded: here the suggestion is from all of them."""
        name = args[0]
        if not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            from difflib import get_close_matches

            close = get_close_matches(name, self.LAZY, n=1)
            guess = f" Did you mean {close[0]!r}?" if close else ""
            raise click.UsageError(f"No such command {name!r}.{guess}", ctx)
        return super().resolve_command(ctx, args)

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
            fail(f"{message[:1].lower()}{message[1:]}{dash}; try `{where} --help`", e.exit_code)
        except click.ClickException as e:
            fail(e.format_message(), e.exit_code)
        except click.Abort:
            fail("aborted", EXIT_RUNTIME)
        sys.exit(rv if isinstance(rv, int) else 0)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, [decoded(a) for a in args])  # every argument, options' values too

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
            fail(str(e), e.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            sys.exit(EXIT_RUNTIME)


def _warn_unread(app: object, refused: str = "") -> None:
    """Say which files of the shared history could not be read (the rest was used); not those
    the error ``refused`` names (it says what is wrong with them)."""
    shared = getattr(app, "__dict__", {}).get("store")  # only when the command used the store
    refused += getattr(app, "said", "")
    for problem in _summarised(getattr(shared, "problems", [])):
        if not (refused and problem.split(": ", 1)[0] in refused):
            click.echo(f"habitd: warning: {problem}", err=True)


EVENTS_SHOWN = 3  # of one file's events left out, those named on every command; `habitd devices` lists all
_EVENT_PROBLEM = r"^(.*): event \d+: "  # compiled when a problem is said (the re module caches it)


def _summarised(problems: list[str]) -> list[str]:
    """The problems, of one file's events left out only the first few, then how many more."""
    out, more = [], dict[str, int]()
    for problem in problems:
        found = re.match(_EVENT_PROBLEM, problem)
        if found:
            more[found[1]] = more.get(found[1], 0) + 1
            if more[found[1]] > EVENTS_SHOWN:
                continue
        out.append(problem)
    out += [
        f"{path}: {n - EVENTS_SHOWN} more events left out too; `habitd devices` lists them"
        for path, n in more.items()
        if n > EVENTS_SHOWN
    ]
    return out


# The group's own options, without click.Path and click.version_option: both look up the
# translation of their words on every run (see ``Command``). Their checks and completion are these.
def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"habitd, version {__version__}")
        ctx.exit()


def _no_folder(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and os.path.isdir(value):
        raise click.BadParameter(f"File {value!r} is a directory.")
    return value


def _a_folder(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and os.path.isfile(value):
        raise click.BadParameter(f"Directory {value!r} is a file.")
    return value


def _complete_path(_ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="dir" if param.name == "state_dir" else "file")]


@click.group(cls=HabitdGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
    help="Show the version and exit.",
)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    callback=_no_folder,
    shell_complete=_complete_path,
    envvar="HABITD_CONFIG",
    help="Config file.  [default: $XDG_CONFIG_HOME/habitd/config.toml; env: HABITD_CONFIG]",
)
@click.option(
    "--state-dir",
    metavar="DIRECTORY",
    callback=_a_folder,
    shell_complete=_complete_path,
    envvar="HABITD_STATE_DIR",
    help=(
        "Folder of this machine's own files (device.toml, private notes, cache, state.toml; the history"
        " unless shared_dir is set).  [default: $XDG_STATE_HOME/habitd; env: HABITD_STATE_DIR]"
    ),
)  # fmt: skip
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, state_dir: str | None) -> None:
    """Reminders and streaks for the habits that keep the two of you close.

    Habits live in a config file (`habitd init` writes an example), the
    reminder daemon runs as a systemd user service (`habitd run`), and you
    mark a habit done from here: `habitd done date-night`. `habitd` alone
    says what is due today and where to start.
    """
    if ctx.obj is None:
        ctx.obj = App(config_path or paths.config_path(), state_dir or paths.state_dir())
    else:  # tests hand in an App with an injected clock
        if config_path:
            ctx.obj.config_path = config_path
        if state_dir:
            ctx.obj.state_dir = state_dir
    if ctx.invoked_subcommand is None:
        from habitd.cli.show import overview

        overview(ctx.obj)


def _output_failed(e: BaseException) -> bool:
    """Whether ``e`` came from writing a result to stdout (a full disk, a device gone): not a bug."""
    tb = e.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "echo" and frame.f_globals.get("__name__") == "click.utils":
            return not frame.f_locals.get("err")
        tb = tb.tb_next
    return False


def script() -> NoReturn:
    """The ``habitd`` console script: ``main``, and then the process ends at once (``leave``)."""
    try:
        main()
    except SystemExit as e:
        leave(e.code)
    leave(0)


def main() -> None:
    """The command line: the group, with a bug said in one line instead of a traceback; it ends in
    ``SystemExit``, as Click's commands do.

    A command lives for a fraction of a second and leaves next to no reference cycles, so the
    cyclic garbage collector is off: its passes over the objects of the modules a command
    imports cost about a twentieth of its time. The daemon (``habitd run``) turns it on again.
    """
    gc.disable()
    forgiving_output()
    try:
        cli(prog_name="habitd")
    except Exception as e:  # a bug: say so in one line; HABITD_DEBUG=1 shows the traceback
        if isinstance(e, OSError) and _output_failed(e):
            drop_stdout()  # what is left for stdout cannot be written either
            fail(f"could not write the output: {e.strerror or e}", EXIT_RUNTIME)
        if os.environ.get("HABITD_DEBUG"):
            raise
        fail(
            f"internal error ({type(e).__name__}: {e}); please report it with `habitd --version`,"
            " what you ran, and its output with HABITD_DEBUG=1",
            EXIT_RUNTIME,
        )
