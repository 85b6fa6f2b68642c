"""The overview commands: ``grid``, ``stats`` and ``report``."""

from __future__ import annotations

import os
import shutil
import sys

import click

from habitd.cli.context import ALL_HELP, App, Command, find_habit, pass_app
from habitd.cli.output import emit_json, out, out_bytes, style
from habitd.errors import UsageError

JSON_HELP = "Machine-readable output (stable)."


@click.command(cls=Command)
@click.option("--days", type=click.IntRange(1, 366), help="How many days.  [default: 14, or what fits the terminal]")
@click.option("--all", "everything", is_flag=True, help=ALL_HELP)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def grid(app: App, days: int | None, everything: bool, as_json: bool) -> None:
    """Every habit over the last days: one row a habit, one column a day."""
    from habitd.views import grid as grid_mod
    from habitd.views import overview as render_views

    config = app.config
    columns = shutil.get_terminal_size((80, 24)).columns
    fit = render_views.grid_days_that_fit(config, columns, everything)
    if as_json:
        shown = days or 14
    elif days is None:
        shown = min(14, fit)
    else:
        shown = min(days, fit)
    g = grid_mod.grid(config, app.store.read(), app.now(), shown, everything)
    if as_json:
        emit_json(grid_mod.grid_json(g))
        return
    lines = render_views.grid_lines(config, g, style(), columns)
    if days is not None and days > shown:
        lines.append(f"(the last {shown} of {days} days: that is what fits this terminal's width)")
    out("\n".join(lines))


@click.command(cls=Command)
@click.argument("habit", required=False)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def stats(app: App, habit: str | None, as_json: bool) -> None:
    """Completion rates, strength and its trend, the best streak (of HABIT, or a table of all)."""
    from habitd.views import overview as render_views
    from habitd.views import stats as stats_mod

    config = app.config
    today = app.today()
    state = app.store.read()
    if habit:
        rows = [stats_mod.habit_stats(config, state, find_habit(app, habit), today)]
    else:
        rows = stats_mod.stats(config, state, today)
    if as_json:
        emit_json(stats_mod.stats_json(today, rows))
    elif habit:
        out("\n".join(render_views.stats_lines(config, rows[0], style())))
    else:
        out("\n".join(render_views.stats_table_lines(config, rows, style())))


@click.command(cls=Command)
@click.option("--year", type=int, help="Which year.  [default: this one]")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False),
    help="Write the picture to FILE.svg or FILE.html (default: the SVG on stdout, when it is not a terminal).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_app
def report(app: App, year: int | None, output: str | None, as_json: bool) -> None:
    """A picture of the year: a calendar per habit, the streaks, the notes count.

    A self-contained SVG (or an HTML page holding it) that loads nothing and
    runs nothing; it shows how many notes you wrote, never what they say.
    """
    from habitd.exchange import report as report_mod
    from habitd.history import files

    today = app.today()
    year = today.year if year is None else year
    if not 1970 <= year <= today.year:
        raise UsageError(f"--year {year}: choose a year from 1970 to {today.year}")
    kind = None
    if output is not None and as_json:
        raise UsageError("--json prints the report's data on stdout; use either --json or -o FILE")
    if output is not None:
        kind = os.path.splitext(output)[1].lower()
        if kind not in (".svg", ".html", ".htm"):
            raise UsageError(f"-o {output}: the name must end in .svg or .html")
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):
            raise UsageError(f"-o {output}: there is no folder {folder}")
    elif not as_json and sys.stdout.isatty():
        raise UsageError("the report is a picture: give -o FILE.svg or -o FILE.html, or redirect it to a file")
    data = report_mod.year_report(app.config, app.store.read(), year, app.now())
    if as_json:
        emit_json(report_mod.report_json(data))
        return
    text = report_mod.html(data) if kind in (".html", ".htm") else report_mod.svg(data)
    if output is None:  # UTF-8 whatever the terminal's encoding: the file says nothing else
        out_bytes(text.encode("utf-8"))
        return
    files.write_output(output, text.encode("utf-8"))
    width, height = report_mod.size(data)
    out(f"Wrote {output} ({width} x {height} pixels). Enjoy looking back together.")
