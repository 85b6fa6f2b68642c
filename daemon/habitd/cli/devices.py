"""Sharing with a partner: ``habitd devices``, ``habitd init --join DIR`` and what ``check`` says of it.

Read-only but for ``init --join``, which writes this machine's config (or links it
to the config in the shared folder), its device file, and moves this machine's own
history files into the shared folder; it never touches another device's files.
"""

from __future__ import annotations

import os
import sys
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from habitd.cli.context import App, pass_app
from habitd.cli.output import emit_json, out
from habitd.errors import EXIT_RUNTIME, HabitdError, StateError, UsageError

if TYPE_CHECKING:  # imported where used: `habitd --help` lists this family's command without loading the store
    from habitd.history import store

SHARED_CONFIG = "config.toml"  # a config both partners use, kept in the shared folder
NOT_THERE = "is not there (not mounted or not synced yet?)"


def _why(reason: str) -> str:
    from habitd.history import store

    return {
        store.NOT_SYNCED: "not fully synced yet (or damaged, if it stays so)",
        store.NEWER: "from a newer habitd",
        store.DAMAGED: "damaged",
        store.UNREADABLE: "unreadable",
    }[reason]


class Seen(NamedTuple):
    """What ``habitd devices`` and ``habitd check`` know of the shared folder."""

    folder: str
    shared: bool  # a shared folder is set (else: the state folder holds the history)
    survey: store.Survey
    me: store.LocalDevice | None  # this machine's device (None: it has not written yet)
    me_problem: str  # why this machine's device file could not be read ("" when it could)
    clash: bool  # this machine's folder holds events it did not write: another machine uses its id
    left_behind: list[str]  # history files in the state folder, outside the shared folder
    device_file: str  # this machine's device.toml


def seen(app: App) -> Seen:
    from habitd.history import store

    shared_dir, _name = app.sharing()
    folder = shared_dir or app.state_dir
    log = store.EventLog(folder, app.state_dir)
    me, problem = None, ""
    try:
        me = log.local_device()
        if me is not None:
            log.check_home(me, "Nothing can be recorded here until then")
    except HabitdError as e:
        problem = str(e)
    survey = log.survey(me.id if me else None)
    clash = me is not None and clashes(survey, me)
    left = store.local_leftovers(app.state_dir) if shared_dir else []
    return Seen(folder, shared_dir is not None, survey, me, problem, clash, left, log.device_path)


def clashes(survey: store.Survey, me: store.LocalDevice) -> bool:
    """Whether this device's files hold events this machine did not write (another uses its id)."""
    own = survey.devices.get(me.id)
    latest = max((e.stamp for e in own.events), default=None) if own else None
    return latest is not None and (me.last is None or latest > me.last)


def _zone(app: App) -> tzinfo:
    from habitd.history import store

    try:
        return app.config.settings.tz
    except HabitdError:  # a config with an error elsewhere: the machine's zone
        from zoneinfo import ZoneInfo

        return ZoneInfo(store.system_timezone())


def _name(device: store.DeviceFiles) -> str:
    """The name its person's latest event carries."""
    return next((e.by for e in reversed(device.events) if e.by), "")


def _clash_text(s: Seen) -> str:
    from habitd.history import store

    me = s.me.id if s.me else "?"
    return (
        f"another machine writes as this one: {os.path.join(s.folder, store.DEVICES, me)} holds events this"
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


def _own_unread(s: Seen) -> list[store.Unread]:
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
        if last is not None and not last.by:
            mine = s.me is not None and d.id == s.me.id
            said.append(
                f"device {d.id}{' (this machine)' if mine else ''} writes without a name ([settings] name"
                f" on {'this' if mine else 'that'} machine): its completions of personal habits"
                " (`each = true`) count for everyone"
            )
    return said


def _when(device: store.DeviceFiles, zone: tzinfo) -> str | None:
    if not device.events:
        return None
    return device.events[-1].at.astimezone(zone).isoformat(timespec="minutes")


def devices_json(s: Seen, zone: tzinfo, me_name: str) -> dict[str, Any]:
    me = s.me.id if s.me else None
    return {
        "folder": s.folder,
        "shared": s.shared,
        "this_device": me,
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
        ],
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

    if not s.survey.devices:
        return ["No device has written here yet."]
    me = s.me.id if s.me else None
    lines = [f"{'DEVICE':<10}  {'NAME':<16}  {'FILES':>5}  LAST WROTE"]
    for d in s.survey.devices.values():
        when = _when(d, zone)
        shown = when.replace("T", " ")[:16] if when else "-"
        name = inert(_name(d) or (me_name if d.id == me else "") or "-")[:16]  # from a partner's file
        mark = "  (this machine)" if d.id == me else ""
        lines.append(f"{d.id:<10}  {name:<16}  {len(d.files):>5}  {shown}{mark}")
    return lines


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
    if me is None or me not in s.survey.devices:
        lines.append("This machine has not written here yet." if not s.me_problem else "")
    for p in problems(s):
        lines.extend(_wrap(f"problem: {p}", ""))
    lines.extend(_unread_lines(s))
    for w in warnings(s)[1 if s.survey.unread else 0 :]:
        lines.extend(_wrap(f"note: {w}", ""))
    return [line for line in lines if line]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable).")
@click.option(
    "--new-id", is_flag=True, help="Give this machine a new device id (after copying a home folder), keeping its name."
)
@pass_app
def devices(app: App, as_json: bool, new_id: bool) -> None:
    """The devices writing to the shared folder, and any file that could not be read."""
    from habitd.history import store

    if new_id:
        old, new = store.EventLog(app.sharing()[0] or app.state_dir, app.state_dir).new_id()
        was = f" (it was {old.id}; what it wrote as {old.id} stays in the history)" if old else ""
        out(f"This machine now writes as device {new.id}{was}.")
        return
    s = seen(app)
    missing = s.shared and not s.survey.exists
    name, tz = app.sharing()[1], _zone(app)
    if as_json:
        emit_json(devices_json(s, tz, name))
        if missing:  # said in its problems
            sys.exit(EXIT_RUNTIME)
    elif missing:
        raise HabitdError(f"the shared folder {s.folder} {NOT_THERE}")
    else:
        out("\n".join(devices_lines(s, tz, name)))


# --- init --join ------------------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    return os.path.realpath(os.path.expanduser(a)) == os.path.realpath(os.path.expanduser(b))


def _joined_config(folder: str, name: str | None) -> str:
    """The example config with ``shared_dir`` (and ``name``) set in its [settings]."""
    import re

    import tomli_w

    from habitd.history import store

    text = store.example_config()
    values = {"shared_dir": folder} | ({"name": name} if name else {})
    for key, value in values.items():
        line = tomli_w.dumps({key: value}).strip()
        text, n = re.subn(rf"^# {key} = [^\n]*$", line, text, count=1, flags=re.MULTILINE)
        if not n:
            text = re.sub(r"^\[settings\]\n", f"[settings]\n{line}\n", text, count=1, flags=re.MULTILINE)
    return text


def _toml(key: str, value: str) -> str:
    import tomli_w

    return tomli_w.dumps({key: value}).strip()


def _refuse_clash(folder: str, state_dir: str) -> None:
    """Refuse to join while another machine writes under this machine's device id (a copied home)."""
    from habitd.history import store

    log = store.EventLog(folder, state_dir)
    try:
        me = log.local_device()
    except HabitdError:
        return  # `habitd check` says what is wrong with the device file
    if me is not None:
        log.check_home(me, "Nothing was changed")
    if me is not None and clashes(log.survey(me.id), me):
        raise StateError(
            f"another machine writes as this one: {os.path.join(folder, store.DEVICES, me.id)} holds events this"
            f" machine did not write (was this home folder copied from another machine?). Nothing was changed."
            f" Move {log.device_path} away, then join again: this machine gets a new device id, and nothing is lost"
        )


def join(app: App, folder: str, name: str | None, force: bool, new: bool) -> None:
    """Set this machine up on a shared folder: config, device, this machine's history moved there.

    Everything that could refuse is checked before anything is written.
    """
    from habitd.habits.config import parse_config
    from habitd.history import store

    folder = os.path.abspath(os.path.expanduser(folder))
    if not os.path.isdir(folder) and not new:
        raise UsageError(f"{folder} {NOT_THERE}; to start a new shared folder there, add --new")
    start = not os.path.isdir(os.path.join(folder, store.DEVICES))
    if start and not new:
        raise UsageError(
            f"{folder} does not look like a shared habitd folder (it has no {store.DEVICES}/ folder). If it"
            " is the right folder, wait until it is synced; to start a new shared folder there, add --new"
        )
    if not start:
        _refuse_clash(folder, app.state_dir)
    shared_config = os.path.join(folder, SHARED_CONFIG)
    config = app.config_path
    said = []
    if name is not None:  # a bad name is said before anything is written
        parse_config(_joined_config(folder, name), config, store.system_timezone())
    mine = store.sharing_settings(config) if os.path.exists(config) else None
    there = os.path.lexists(config)
    if mine is not None and mine[0] is not None and _same(mine[0], folder) and not force:
        write = None
        said.append(f"{config} uses {folder} already.")
    elif os.path.exists(shared_config):
        found = store.sharing_settings(shared_config)
        if found is None:
            raise UsageError(
                f"{shared_config} cannot be read as a config; `habitd --config {shared_config} check` says why"
            )
        if found[0] is None or not _same(found[0], folder):
            where = "no shared_dir" if found[0] is None else _toml("shared_dir", found[0])
            raise UsageError(
                f"{shared_config} has {where}, which is not {folder} on this machine. A config both of you use"
                ' needs a shared_dir that names the shared folder on both machines (like "~/Sync/habitd")'
            )
        if there and not force:
            raise UsageError(
                f"{config} exists already; --force replaces it with a link to the shared config {shared_config}"
            )
        write = "link"
        mine = found
    else:
        if there and not force:
            values = " and ".join(_toml(k, v) for k, v in (("shared_dir", folder), ("name", name or "")) if v)
            raise UsageError(
                f"{config} exists already; to keep it, add to its [settings]: {values}, then run this again;"
                " --force replaces it (keeping a copy)"
            )
        write = "config"
        mine = (folder, name or "")
    # nothing refused: now write
    if start:
        store.ensure_shared_root(folder)
    if write is not None and there:
        kept = store.keep_copy(config, ".before-join")
        if kept:
            said.append(f"Kept the config you had as {kept}.")
    if write == "link":
        store.link_config(config, shared_config)
        said.append(f"{config} now links to the shared config {shared_config}.")
    elif write == "config":
        store.atomic_write(config, _joined_config(folder, name).encode("utf-8"))
        said.append(f"Wrote {config}, sharing {folder}.")
    assert mine is not None
    shared = os.path.exists(config) and _same(config, shared_config)
    if name and shared:
        store.EventLog(folder, app.state_dir).name_device(name)
        said.append(f"This machine's person is {name} (kept in its device.toml: the config is shared).")
    elif name and name != mine[1]:
        said.append(f"Its name is {mine[1]!r}: to name this machine's person {name}, edit its [settings].")
    elif shared and mine[1] and not store.device_name(app.state_dir):
        said.append(f"The shared config names {mine[1]}; to name this machine's person, add --name.")
    left: list[tuple[str, str]] = []
    if not _same(folder, app.state_dir):
        moved, merged, left = store.move_history(app.state_dir, folder)
        if moved:
            said.append(f"Moved {len(moved)} history file(s) of this machine into {folder}.")
        for path in merged:
            said.append(f"Merged this machine's {os.path.basename(path)} with the one in the shared folder.")
    for line in said:
        out(line)
    for path, why in left:
        click.echo(f"habitd: problem: {path} was not moved: {why}", err=True)
    if left:
        raise HabitdError(f"{len(left)} history file(s) left in {os.path.join(app.state_dir, store.DEVICES)}")
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
