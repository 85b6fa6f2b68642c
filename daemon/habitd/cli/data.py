"""Your data in and out: ``habitd export``, ``habitd import``, ``habitd ical``."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

import click

from habitd.cli.context import App, Command, pass_app
from habitd.cli.output import out, out_bytes, say_after_save

if TYPE_CHECKING:
    from habitd.habits.config import Config
    from habitd.habits.state import State
    from habitd.history.merge import Merged


def _write_or_print(data: bytes, output: str | None) -> None:
    """To the file, or to stdout as UTF-8 bytes whatever the terminal's encoding (it is data)."""
    from habitd.history import files

    if output and output != "-":
        files.write_output(output, data)
    else:
        out_bytes(data)


@click.command("export", cls=Command, short_help="Your whole history in a documented format (notes: --notes).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True, help="File format."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (private, 0600).")
@click.option(
    "--notes",
    is_flag=True,
    help="Include your notes and the reasons you gave for skips. They are intimate: share the file with care.",
)
@pass_app
def export(app: App, fmt: str, output: str | None, notes: bool) -> None:
    """Every habit's completions, skips and pauses, in a documented, versioned format.

    Notes stay out unless you ask with --notes. `habitd import` reads the file
    back; docs/data.md describes the format.
    """
    from habitd.errors import ConfigError
    from habitd.exchange import document as exchange
    from habitd.history import files

    try:
        timezone = app.config.settings.timezone
        moment = app.now().astimezone(app.config.settings.tz)
    except ConfigError:  # your data is yours even while the config has a problem
        timezone = files.system_timezone()
        moment = app.now().astimezone(UTC)  # the moment, in no zone a config did not choose
    state = app.store.read()
    doc = exchange.export_doc(state, timezone, moment, notes)
    text = exchange.to_json(doc) if fmt == "json" else exchange.to_csv(doc)
    _write_or_print(text.encode("utf-8"), output)
    if output and output != "-":
        n = sum(len(h["completions"]) for h in doc["habits"].values())
        out(f"Wrote {output}: {len(doc['habits'])} habit(s), {n} day(s) with completions.", err=True)
    left = 0 if notes else sum(len(log.notes) + sum(1 for s in log.skips if s.text) for log in state.habits.values())
    if left:  # a backup without them would lose them without a word
        out(f"note: {left} note(s) and reason(s) for skips left out; `habitd export --notes` includes them", err=True)


def _summary(merged: Merged, read: State, file: str) -> str:
    if all(log.empty() for log in read.habits.values()) and not read.pauses:
        return f"Nothing to import: {file} holds no completions, skips, notes or pauses of your habits."
    if merged.total == 0:
        return "Nothing new: all of it was here already."
    parts = [
        f"{n} {word}"
        for n, word in (
            (merged.completions, "completion(s)"),
            (merged.skips, "skip(s)"),
            (merged.notes, "note(s)"),
            (merged.pauses, "pause(s)"),
        )
        if n
    ]
    return "Imported " + ", ".join(parts) + "."


def _orphans(config: Config, ids: list[str]) -> list[str]:
    return [
        f"history for '{hid}' is kept, but no habit in the config has that id;"
        f" `habitd rename {hid} NEW` attaches it to one"
        for hid in sorted(ids)
        if config.habit(hid) is None
    ]


@click.command("import", cls=Command, short_help="Add an export or a Loop backup to your history, never twice.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--from", "source", type=click.Choice(["habitd", "loop"]), default="habitd", show_default=True,
    help="habitd: a `habitd export` file (JSON or CSV); loop: a Loop Habit Tracker backup (.db).",
)  # fmt: skip
@click.option(
    "--map", "mappings", multiple=True, metavar='"NAME=HABIT"',
    help="With --from loop: the Loop habit NAME becomes HABIT (repeatable). Default: same title or id.",
)  # fmt: skip
@pass_app
def import_(app: App, file: str, source: str, mappings: tuple[str, ...]) -> None:
    """Add the history in FILE to yours; what is there already is not added twice."""
    from habitd.errors import UsageError
    from habitd.history import record
    from habitd.history.files import imported

    config = app.config
    if source == "habitd":
        from habitd.exchange import document as exchange

        if mappings:
            raise UsageError("--map is for --from loop")
        with imported.open_import(file, "the export") as lines:
            incoming = exchange.read_export(lines, file, app.today())
        notes = []
    else:
        from habitd.exchange import loop

        tables = imported.read_sqlite_tables(file, loop.TABLES, "a Loop Habit Tracker backup")
        plan = loop.plan_import(tables, file, config, mappings, app.today())
        if not plan.mapped:
            raise UsageError(
                f"{file}: none of the backup's habits has the title of one of yours;"
                ' say which is which with --map "Loop name=habit-id"; nothing was imported'
            )
        for name, hid in plan.mapped.items():
            out(f"Loop's {name!r} -> {hid}")
        incoming, notes = plan.state, plan.unmapped
    merged = record.merge_history(app.store, incoming)
    said = [(_summary(merged, incoming, file), False)]
    said += [(f"note: {line}", True) for line in [*notes, *_orphans(config, list(incoming.habits))]]
    if merged.total:
        say_after_save(said)
    else:  # nothing was saved: output that fails is an error, as for any command
        for text, err in said:
            out(text, err=err)


@click.command("ical", cls=Command, short_help="The reminders as an iCalendar feed for a calendar app.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of printing.")
@pass_app
def ical(app: App, output: str | None) -> None:
    """The reminders as an iCalendar feed, for a calendar app (no alarms: habitd reminds).

    Set `ical_path` in [settings] to keep such a file current whenever the
    config changes.
    """
    from habitd.exchange import ical as ical_mod

    _write_or_print(ical_mod.calendar(app.config, app.now()), output)
    if output and output != "-":
        out(f"Wrote {output}.", err=True)
