"""Sharing with a partner: ``habitd devices``, ``habitd init --join DIR`` and what ``check`` says of it.

Read-only but for ``init --join``, which writes this machine's config (or links it
to the config in the shared folder), its device file, and moves this machine's own
history files into the shared folder; it never touches another device's files.
"""

from __future__ import annotations

import os
import sys
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

import click

from habitd.cli.context import App, Command, pass_app
from habitd.cli.output import emit_json, out
from habitd.errors import EXIT_RUNTIME, HabitdError, StateError
from habitd.records import Record

if TYPE_CHECKING:  # imported where used: `habitd --help` lists this family's command without loading the store
    from habitd.history import eventlog, identity

NOT_THERE = "is not there (not mounted or not synced yet?)"


def _why(reason: str) -> str:
    from habitd.history import eventlog

    return {
        eventlog.NOT_SYNCED: "not fully synced yet (or damaged, if it stays so)",
        eventlog.NEWER: "from a newer habitd",
        eventlog.DAMAGED: "damaged",
        eventlog.UNREADABLE: "unreadable",
    }[reason]


class Seen(Record):
    """What ``habitd devices`` and ``habitd check`` know of the shared folder."""

    folder: str
    shared: bool  # a shared folder is set (else: the state folder holds the history)
    survey: eventlog.Survey
    me: identity.LocalDevice | None  # this machine's device (None: it has not written yet)
    me_problem: str  # why this machine's device file could not be read ("" when it could)
    clash: bool  # this machine's folder holds events it did not write: another machine uses its id
    left_behind: list[str]  # history files in the state folder, outside the shared folder
    device_file: str  # this machine's device.toml
    named: bool = False  # this machine's person has a name now (what it writes from now on carries it)


def seen(app: App) -> Seen:
    from habitd.history.eventlog import EventLog, clashes
    from habitd.history.join import local_leftovers

    shared_dir, name = app.sharing()
    folder = shared_dir or app.state_dir
    log = EventLog(folder, app.state_dir)
    me, problem = None, ""
    try:
        me = log.local_device()
        if me is not None:
            log.device.check_home(me, "Nothing can be recorded here until then")
    except HabitdError as e:
        problem = str(e)
    survey = log.survey(me.id if me else None)
    clash = me is not None and clashes(survey, me)
    left = local_leftovers(app.state_dir) if shared_dir else []
    return Seen(folder, shared_dir is not None, survey, me, problem, clash, left, log.device_path, bool(name))


def _zone(app: App) -> tzinfo:
    from habitd.history.files import system_timezone

    try:
        return app.config.settings.tz
    except HabitdError:  # a config with an error elsewhere: the machine's zone
        from zoneinfo import ZoneInfo

        return ZoneInfo(system_timezone())


def _name(device: eventlog.DeviceFiles) -> str:
    """The name its person's latest event carries."""
    return next((e.by for e in reversed(device.events) if e.by), "")


def _clash_text(s: Seen) -> str:
    from habitd.history.logformat import DEVICES

    me = s.me.id if s.me else "?"
    return (
        f"another machine writes as this one: {os.path.join(s.folder, DEVICES, me)} holds events this"
        f" machine did not write (a copied home folder?). On one of the two machines, run `habitd devices"
        f" --new-id` (or move {s.device_file} away): that machine then writes under a new device id, keeping"
        " its name, and nothing is lost"
    )


def problems(s: Seen) -> list[str]:
    """The sharing problems that stop writes (a missing folder, a device id clash, an unreadable device file)."""
    said = []
    if s.shared and not s.survey.exists:
        said.append(f"the shared folder {s.folder} {NOT_THERE}; nothing can be recorded until it is back")
    if s.me_problem:
        said.append(s.me_problem)
    if s.clash:
        said.append(_clash_text(s))
    for u in _own_unread(s):
        said.append(
            f"this machine's own file {u.path} cannot be read ({u.detail}); nothing can be recorded for its"
            " month until it is repaired, put back from a backup, or moved away"
        )
    return said


def _own_unread(s: Seen) -> list[eventlog.Unread]:
    """This machine's own month files that cannot be read whole: a change to their month is refused."""
    me = s.me.id if s.me else None
    return [
        u
        for u in s.survey.unread
        if u.device == me and not u.detail.startswith("event ") and u.path in s.survey.devices[u.device].files
    ]


def warnings(s: Seen) -> list[str]:
    said = []
    n = len(s.survey.unread) - len(_own_unread(s))  # those are problems
    if n > 0:
        said.append(f"{n} file{'s' if n > 1 else ''} of the history could not be read; `habitd devices` lists them")
    if s.left_behind:
        n = len(s.left_behind)
        said.append(
            f"{n} history file{'s' if n > 1 else ''} of this machine {'are' if n > 1 else 'is'} in"
            f" {os.path.dirname(os.path.dirname(s.left_behind[0]))}, outside the shared folder, and"
            f" not read; `habitd init --join {s.folder}` moves {'them' if n > 1 else 'it'} there"
        )
    for d in s.survey.devices.values() if s.shared and len(s.survey.devices) > 1 else ():
        last = next((e for e in reversed(d.events) if not e.moved), None)  # a moved history has no name
        mine = s.me is not None and d.id == s.me.id
        if last is not None and not last.by and not (mine and s.named):  # named since: its next entry says so
            said.append(
                f"device {d.id}{' (this machine)' if mine else ''} writes without a name ([settings] name"
                f" on {'this' if mine else 'that'} machine): its completions of personal habits"
                " (`each = true`) count for everyone"
            )
    return said


def _when(device: eventlog.DeviceFiles, zone: tzinfo) -> str | None:
    if not device.events:
        return None
    return device.events[-1].at.astimezone(zone).isoformat(timespec="minutes")


def devices_json(s: Seen, zone: tzinfo, me_name: str) -> dict[str, Any]:
    me = s.me.id if s.me else None
    return {
        "folder": s.folder,
        "shared": s.shared,
        "this_device": me,
        "joined": s.shared,  # this machine shares the folder, whether or not it has written there yet
        "devices": [
            {
                "id": d.id,
                "name": _name(d) or (me_name if d.id == me else "") or None,
                "files": len(d.files),
                "events": len(d.events),
                "last_wrote": _when(d, zone),
                "this_machine": d.id == me,
                "conflict_copies": d.conflicts,
            }
            for d in s.survey.devices.values()
        ]
        + _joined_row(s, me_name),
        "unread": [
            {"path": u.path, "device": u.device, "why": u.why.replace(" ", "_"), "detail": u.detail}
            for u in s.survey.unread
        ],
        "problems": problems(s),
        "left_behind": s.left_behind,
    }


def _wrap(text: str, indent: str) -> list[str]:
    import textwrap

    wrapped = textwrap.wrap(
        text, 80, initial_indent=indent, subsequent_indent=indent + "  ", break_long_words=False, break_on_hyphens=False
    )  # a path stays whole, to be copied
    return wrapped or [indent]


def _device_table(s: Seen, zone: tzinfo, me_name: str) -> list[str]:
    """One row a device: its id, its person's name, its files, when it last wrote."""
    from habitd.views.render import inert

    me = s.me.id if s.me else None
    if not s.survey.devices and not _joined_unwritten(s):
        return ["No device has written here yet."]
    lines = [f"{'DEVICE':<10}  {'NAME':<16}  {'FILES':>5}  LAST WROTE"]
    for d in s.survey.devices.values():
        when = _when(d, zone)
        shown = when.replace("T", " ")[:16] if when else "-"
        name = inert(_name(d) or (me_name if d.id == me else "") or "-")[:16]  # from a partner's file
        mark = "  (this machine)" if d.id == me else ""
        lines.append(f"{d.id:<10}  {name:<16}  {len(d.files):>5}  {shown}{mark}")
    if _joined_unwritten(s):  # joined: it is one of the devices before its first record
        name = inert(me_name or "-")[:16]
        lines.append(f"{me or '-':<10}  {name:<16}  {0:>5}  {'-':<16}  (this machine: joined, nothing recorded yet)")
    return lines


def _joined_row(s: Seen, me_name: str) -> list[dict[str, Any]]:
    """This machine in ``devices --json`` before its first record (``id`` null: not made yet)."""
    if not _joined_unwritten(s):
        return []
    me = s.me.id if s.me else None
    row = {"id": me, "name": me_name or None, "files": 0, "events": 0, "last_wrote": None, "this_machine": True}
    return [row | {"conflict_copies": []}]


def _joined_unwritten(s: Seen) -> bool:
    """This machine shares the folder (``init --join``) but has no files in it yet."""
    return s.shared and s.survey.exists and not s.me_problem and (s.me is None or s.me.id not in s.survey.devices)


def _unread_lines(s: Seen) -> list[str]:
    """The files not read and why, then the conflict copies (which are read)."""
    from habitd.views.render import inert

    lines = []
    if s.survey.unread:
        lines.append("Not read (the rest of the history is used, these files are left as they are):")
        for u in s.survey.unread:
            lines.extend(_wrap(os.path.relpath(u.path, s.folder), "  "))
            lines.extend(_wrap(inert(f"{_why(u.why)}: {u.detail}"), "    "))
    copies = [c for d in s.survey.devices.values() for c in d.conflicts]
    if copies:
        lines.append("Conflict copies (read; their device folds them in with its next change):")
        lines.extend(line for c in copies for line in _wrap(os.path.relpath(c, s.folder), "  "))
    return lines


def devices_lines(s: Seen, zone: tzinfo, me_name: str) -> list[str]:
    where = "Shared folder" if s.shared else "History folder (no shared_dir set)"
    lines = _wrap(f"{where}: {s.folder}", "")
    lines.extend(_device_table(s, zone, me_name))
    me = s.me.id if s.me else None
    if _joined_unwritten(s):
        lines.append("This machine's files appear in the shared folder with its first record (`habitd done`).")
    elif not s.shared and (me is None or me not in s.survey.devices):
        lines.append("This machine has not written here yet." if not s.me_problem else "")
    for p in problems(s):
        lines.extend(_wrap(f"problem: {p}", ""))
    lines.extend(_unread_lines(s))
    for w in warnings(s)[1 if s.survey.unread else 0 :]:
        lines.extend(_wrap(f"note: {w}", ""))
    return [line for line in lines if line]


@click.command(cls=Command)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable).")
@click.option(
    "--new-id",
    is_flag=True,
    help="Give this machine (and each phone it keeps) a new device id, after copying a home folder; names stay.",
)
@pass_app
def devices(app: App, as_json: bool, new_id: bool) -> None:
    """The devices writing to the shared folder, and any file that could not be read."""
    from habitd.history.identity import DeviceFile

    if new_id:
        from habitd.history.phonelog import phone_device_dirs

        old, new = DeviceFile(app.state_dir).new_id()
        was = f" (it was {old.id}; what it wrote as {old.id} stays in the history)" if old else ""
        out(f"This machine now writes as device {new.id}{was}.")
        for folder in phone_device_dirs(app.state_dir):  # a phone's device kept here was copied with it
            old, new = DeviceFile(folder).new_id()
            who = f"{old.name}'s phone" if old and old.name else "The phone"
            was = f" (it was {old.id})" if old else ""
            out(f"{who} kept here now writes as device {new.id}{was}.")
        return
    s = seen(app)
    missing = s.shared and not s.survey.exists
    name, tz = app.sharing()[1], _zone(app)
    conflicts = _conflicts(app)
    if as_json:
        emit_json(devices_json(s, tz, name) | {"conflicts": [{"habit": h, "copy": c} for h, c in conflicts]})
        if missing:  # said in its problems
            sys.exit(EXIT_RUNTIME)
    elif missing:
        raise HabitdError(f"the shared folder {s.folder} {NOT_THERE}")
    else:
        out("\n".join(devices_lines(s, tz, name)))
        for habit_id, copy in conflicts:
            out(f"conflict: habits/{habit_id}.toml and {copy} (two edits at once); `habitd resolve {habit_id}`")


def _conflicts(app: App) -> tuple[tuple[str, str], ...]:
    """The shared habit files with a conflict copy (none when the config cannot be read: check says why)."""
    try:
        return app.config.conflicts
    except HabitdError:
        return ()


# --- init --join ------------------------------------------------------------------------


def join(app: App, folder: str, name: str | None, force: bool, new: bool) -> None:
    """Set this machine up on a shared folder: config, device, this machine's history moved there.

    Everything that could refuse is checked (the plan) before anything is written.
    """
    from habitd.history.join import apply_join, plan_join
    from habitd.history.logformat import DEVICES

    plan = plan_join(folder, name, force, new, app.config_path, app.state_dir)
    joined = apply_join(plan, app.state_dir)
    for line in joined.said:
        out(line)
    for path, why in joined.left:
        click.echo(f"habitd: problem: {path} was not moved: {why}", err=True)
    if joined.left:
        raise HabitdError(f"{len(joined.left)} history file(s) left in {os.path.join(app.state_dir, DEVICES)}")
    out("Run `habitd check`, then `habitd devices` to see both of you.")


def check_sharing(app: App) -> int:
    """What ``habitd check`` says of sharing (on stderr); 1 when something stops writes, else 0."""
    try:
        s = seen(app)
    except StateError as e:
        click.echo(f"habitd: problem: {e}", err=True)
        return 1
    for w in warnings(s):
        click.echo(f"habitd: warning: {w}", err=True)
    found = problems(s)
    for p in found:
        click.echo(f"habitd: problem: {p}", err=True)
    app.said += "\n".join(found)  # a file named there is not a warning too
    return 1 if found else 0
