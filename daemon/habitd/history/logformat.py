"""The event log's files: their names, their header and how one is parsed.

The shared folder holds ``devices/<device>/<YYYY-MM>.toml``: each device appends its
events (see ``events.py``) to its own month files, which a sync engine copies between
machines. Sync engines leave files of their own beside them: conflict copies (read, and
folded in by their device's next write) and files in the making (never read).
"""

from __future__ import annotations

import re

from habitd import __version__
from habitd.errors import describe_toml_error
from habitd.history.events import BadEvent, Event, from_table, to_table
from habitd.limits import TomlError, toml_loads

LOG_FORMAT = 1
DEVICES = "devices"
# Syncthing: NAME.sync-conflict-DATE-TIME-DEVICE.toml; Nextcloud, Dropbox: NAME (... conflicted copy ...).toml
_CONFLICT_COPY = r"^(\d{4})-(\d{2})(?:\.sync-conflict-[^/]*| \([^/]*conflicted copy[^/]*\))\.toml$"
_PARTIAL = (".tmp", ".part", ".partial", ".crdownload", ".download", ".!sync", ".swp", "~")


def is_month_file(name: str) -> bool:
    r"""Whether ``name`` is a month's log file (``2026-11.toml``): what ``^(\d{4})-(\d{2})\.toml$`` matches,
    told without compiling it (``\d`` is a Unicode decimal digit, and ``$`` also matches before a final newline)."""
    name = name.removesuffix("\n")
    return len(name) == 12 and name[4] == "-" and name.endswith(".toml") and (name[:4] + name[5:7]).isdecimal()


def is_conflict_copy(name: str) -> bool:
    """Whether ``name`` is a sync engine's conflict copy of a month's log file."""
    return re.match(_CONFLICT_COPY, name) is not None


def is_sync_temp(name: str) -> bool:
    """A sync engine's or an editor's file in the making (``.syncthing.*``, ``~syncthing~*``, partial downloads)."""
    return name.startswith((".", "~")) or name.endswith(_PARTIAL)


def month_file(event: Event) -> str:
    """The name of the file an event is appended to: the month of the day it is for."""
    return f"{event.day.year:04d}-{event.day.month:02d}.toml"


def log_header(device: str, private: bool = False) -> str:
    who = (
        "# Private notes of this machine: never in the shared folder, never seen by another device.\n"
        if private
        else "# Only that device writes this file; the others read it.\n"
    )
    return (
        f"# habitd's history as written by device {device}: one [[event]] table per change, oldest first.\n"
        + who
        + f'format = {LOG_FORMAT}\nhabitd = "{__version__}"\ndevice = "{device}"\n'
    )


def events_text(events: list[Event]) -> str:
    import tomli_w  # a command that only reads never loads it

    return tomli_w.dumps({"event": [to_table(e) for e in events]})


def with_events(text: str, events: list[Event]) -> str:
    """A log file's text with ``events`` appended."""
    return text.rstrip("\n") + "\n\n" + events_text(events)


class NewerFormat(ValueError):
    """A log file written by a newer habitd, in a format this one does not read."""


def parse_log(text: str, path: str, device: str) -> tuple[list[Event], list[str]]:
    """The events of one log file and a line per problem; ValueError when the file cannot be used at all."""
    try:
        doc = toml_loads(text)
    except TomlError as e:
        raise ValueError(f"not valid TOML: {describe_toml_error(e, text)}") from None
    fmt = doc.get("format")
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise ValueError(f"format: {fmt!r} is not a format version" if "format" in doc else "format: missing")
    if fmt > LOG_FORMAT:
        writer = doc.get("habitd") if isinstance(doc.get("habitd"), str) else "a newer habitd"
        raise NewerFormat(
            f"written by habitd {writer} in log format {fmt}; this habitd ({__version__}) reads format"
            f" {LOG_FORMAT}: update habitd on this machine to {writer} or newer"
        )
    if doc.get("device") != device:
        raise ValueError(f"device: {doc.get('device')!r} is not {device!r}, the folder it is in")
    tables = doc.get("event", [])
    if not isinstance(tables, list):
        raise ValueError("event: is not a list of [[event]] tables")
    events, problems = [], []
    for i, table in enumerate(tables, 1):
        try:
            events.append(from_table(table, device))
        except BadEvent as e:
            problems.append(f"{path}: event {i}: {e}; that event is left out, the file as it is")
    return events, problems
