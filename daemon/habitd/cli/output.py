"""How every command writes: results to stdout, messages to stderr, never failing on a character.

A character the terminal's encoding lacks (a lone surrogate, ✓ in ASCII)
becomes ``?``; ``--json`` falls back to ``\\u`` escapes then, losing nothing.
Colour only on a terminal and not under ``NO_COLOR``. Text another program or
person wrote is shown inert (``inert_lines``). What a command shows after its
change is saved cannot make it fail (``after_save``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import click

from habitd.errors import EXIT_RUNTIME

if TYPE_CHECKING:
    from habitd.views.render import Style


def printable(text: str, stream: Any) -> str:
    """``text`` as ``stream`` can encode it: what it cannot (a lone surrogate, ✓ in ASCII) becomes ``?``."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        return text.encode(encoding, "replace").decode(encoding, "replace")


def out(text: str, err: bool = False, nl: bool = True) -> None:
    """Print a result (or, with ``err``, a message): never fails on a character the terminal lacks."""
    stream = sys.stderr if err else sys.stdout
    click.echo(printable(text, stream), err=err, nl=nl)


def inert_lines(text: str) -> str:
    """Each line of ``text`` with what could act on a terminal (escapes, controls) made harmless."""
    from habitd.views.render import inert

    return "\n".join(inert(line) for line in text.split("\n"))


def fail(message: str, code: int) -> NoReturn:
    """Say ``habitd: message`` on stderr and exit with ``code``."""
    out(f"habitd: {inert_lines(message)}", err=True)
    sys.exit(code)


def out_bytes(data: bytes) -> None:
    """Data on stdout as it is (an export, a picture), whatever the terminal's encoding; stdout
    that cannot take it (a full disk, a reader gone) is a clear error, as it is for text."""
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise  # the reader is gone: exit 1 without a word, as text output does (``HabitdGroup.invoke``)
    except OSError as e:
        drop_stdout()  # what is left for stdout cannot be written either
        fail(f"could not write the output: {e.strerror or e}", EXIT_RUNTIME)


def emit_json(data: object) -> None:
    """``data`` as indented JSON on stdout (the stable machine format of ``--json``)."""
    import json  # only for --json: it is not free to import

    text = json.dumps(data, indent=2, ensure_ascii=False)
    if printable(text, sys.stdout) != text:  # a terminal without UTF-8: \u escapes lose nothing
        text = json.dumps(data, indent=2)
    out(text)


def style() -> Style:
    """Colour on a terminal unless NO_COLOR is set to something (no-color.org); marks it can encode."""
    from habitd.views.render import Style

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓…·".encode(encoding)
        unicode = True
    except (UnicodeEncodeError, LookupError):
        unicode = False
    return Style(sys.stdout.isatty() and not os.environ.get("NO_COLOR"), unicode)


def forgiving_output() -> None:
    """Characters the terminal's encoding lacks become '?' instead of an error: one place for all output."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)  # stderr replaces them already
    if reconfigure is not None:
        with contextlib.suppress(Exception):
            reconfigure(errors="replace")


def say_after_save(said: Iterable[tuple[str, bool]]) -> None:
    """What a command says once its change is saved, line by line (text, on stderr): a line that
    cannot be shown is a warning (``after_save``), and the lines after it are still shown, so an
    instruction on stderr is never lost to a full disk under stdout."""
    for text, err in said:
        with after_save():
            out(text, err=err)


def leave(code: str | int | None) -> NoReturn:
    """End the process with exit status ``code`` (as ``sys.exit`` takes it), skipping Python's
    teardown when nothing needs it.

    The teardown frees the objects of every module one by one, which is a tenth of ``status``:
    time the shell waits for. A command needs none of it. By the time it ends, its files are
    written through file descriptors and closed (``history.files``), and stdout and stderr are
    flushed here. Python's usual exit is kept for work waiting for the end: an ``atexit`` function
    (logging's, coverage's), another thread (the daemon's), a status that is not a number, a
    stream that cannot be flushed (Python then says so, as it always has), and a developer's
    tools (a profiler, a tracer, a debugger, ``python -i``), which report or go on at the end.
    """
    import atexit

    code = 0 if code is None else code
    threads = sys.modules.get("threading")
    if (
        not isinstance(code, int)
        or atexit._ncallbacks()
        or (threads is not None and threads.active_count() > 1)
        or sys.gettrace() is not None
        or sys.getprofile() is not None
        or "bdb" in sys.modules  # pdb, which stops tracing while it runs on to a breakpoint
        or sys.flags.inspect
        or os.environ.get("PYTHONINSPECT")
    ):
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        sys.exit(code)
    os._exit(code)


def drop_stdout() -> None:
    """Send what is left for stdout to /dev/null: it cannot be written (a full disk, a device gone)."""
    with contextlib.suppress(Exception):
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)


@contextlib.contextmanager
def after_save() -> Iterator[None]:
    """Around what a command shows once its change is saved: a failure there is a warning, exit 0.

    Reported as a failure, it would tell the user to try again and count twice.
    """
    try:
        yield
    except Exception as e:  # anything at all: the change is saved whatever went wrong here
        drop_stdout()
        with contextlib.suppress(Exception):
            click.echo(
                f"habitd: warning: the change was saved, but showing it failed ({type(e).__name__}: {e});"
                " no need to run it again",
                err=True,
            )
