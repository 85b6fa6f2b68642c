"""Joining a shared folder (``habitd init --join DIR``): planned first, then applied.

``plan_join`` checks everything that could refuse and returns the plan as data (the
config to write or link, the copy kept of the one there, whether the shared folder
is started, whose history moves); nothing is written until ``apply_join`` carries it
out. Applying writes this machine's config (or links it to the config in the shared
folder), its device file, and moves this machine's own history files into the shared
folder; it never touches another device's files.
"""

from __future__ import annotations

import os
import re
import stat
from typing import NamedTuple

import tomli_w

from habitd.errors import HabitdError, StateError, StoreWriteError, UsageError
from habitd.history import files
from habitd.history.configfile import sharing_settings
from habitd.history.eventlog import NOT_THERE, EventLog, clashes
from habitd.history.events import merge
from habitd.history.files import CONFIG_MAX_BYTES, STATE_MAX_BYTES
from habitd.history.identity import LocalDevice, device_name
from habitd.history.logformat import DEVICES, log_header, parse_log, with_events

SHARED_CONFIG = "config.toml"  # a config both partners use, kept in the shared folder
LINK, CONFIG = "link", "config"  # what a join writes at the config path


class JoinPlan(NamedTuple):
    """What ``habitd init --join`` is to do, everything that could refuse checked."""

    folder: str  # the shared folder (absolute)
    start: bool  # a new shared folder: its devices/ folder is made
    config: str  # this machine's config path
    write: str | None  # LINK (to the shared config), CONFIG (the example, sharing the folder) or None
    keep: bool  # the file at the config path is kept beside first
    shared_config: str  # the config in the shared folder
    name: str | None  # this machine's person, as given
    settings: tuple[str | None, str]  # shared_dir and name of the config in use once joined
    state_dir: str | None  # the state folder whose history files move (None: it is the shared folder)
    said: list[str]  # what is said of it before anything is written


class Joined(NamedTuple):
    said: list[str]  # what was done, a line each
    left: list[tuple[str, str]]  # (path, why) of each history file left where it was


def same_path(a: str, b: str) -> bool:
    return os.path.realpath(os.path.expanduser(a)) == os.path.realpath(os.path.expanduser(b))


def toml_line(key: str, value: str) -> str:
    return tomli_w.dumps({key: value}).strip()


def joined_config(folder: str, name: str | None) -> str:
    """The example config with ``shared_dir`` (and ``name``) set in its [settings]."""
    text = files.example_config()
    values = {"shared_dir": folder} | ({"name": name} if name else {})
    for key, value in values.items():
        line = toml_line(key, value)
        text, n = re.subn(rf"^# {key} = [^\n]*$", line, text, count=1, flags=re.MULTILINE)
        if not n:
            text = re.sub(r"^\[settings\]\n", f"[settings]\n{line}\n", text, count=1, flags=re.MULTILINE)
    return text


def refuse_clash(folder: str, state_dir: str) -> None:
    """Refuse to join while another machine writes under this machine's device id (a copied home)."""
    log = EventLog(folder, state_dir)
    try:
        me = log.local_device()
    except HabitdError:
        return  # `habitd check` says what is wrong with the device file
    if me is not None:
        log.device.check_home(me, "Nothing was changed")
    if me is not None and clashes(log.survey(me.id), me):
        raise StateError(
            f"another machine writes as this one: {os.path.join(folder, DEVICES, me.id)} holds events this"
            f" machine did not write (was this home folder copied from another machine?). Nothing was changed."
            f" Move {log.device_path} away, then join again: this machine gets a new device id, and nothing is lost"
        )


def plan_join(folder: str, name: str | None, force: bool, new: bool, config: str, state_dir: str) -> JoinPlan:
    """What joining ``folder`` is to do; UsageError (or StateError) when it is refused."""
    from habitd.habits.config import parse_config

    folder = os.path.abspath(os.path.expanduser(folder))
    if not os.path.isdir(folder) and not new:
        raise UsageError(f"{folder} {NOT_THERE}; to start a new shared folder there, add --new")
    start = not os.path.isdir(os.path.join(folder, DEVICES))
    if start and not new:
        raise UsageError(
            f"{folder} does not look like a shared habitd folder (it has no {DEVICES}/ folder). If it"
            " is the right folder, wait until it is synced; to start a new shared folder there, add --new"
        )
    if not start:
        refuse_clash(folder, state_dir)
    if name is not None:  # a bad name is said before anything is written
        parse_config(joined_config(folder, name), config, files.system_timezone())
    shared_config = os.path.join(folder, SHARED_CONFIG)
    write, settings, said = _config_plan(folder, name, force, config, shared_config)
    keep = write is not None and os.path.lexists(config)
    moves = None if same_path(folder, state_dir) else state_dir
    return JoinPlan(folder, start, config, write, keep, shared_config, name, settings, moves, said)


def _config_plan(
    folder: str, name: str | None, force: bool, config: str, shared_config: str
) -> tuple[str | None, tuple[str | None, str], list[str]]:
    """What to write at the config path, the settings in use once joined, and what is said of it."""
    mine = sharing_settings(config) if os.path.exists(config) else None
    there = os.path.lexists(config)
    if mine is not None and mine[0] is not None and same_path(mine[0], folder) and not force:
        return None, mine, [f"{config} uses {folder} already."]
    if os.path.exists(shared_config):
        found = sharing_settings(shared_config)
        if found is None:
            raise UsageError(
                f"{shared_config} cannot be read as a config; `habitd --config {shared_config} check` says why"
            )
        if found[0] is None or not same_path(found[0], folder):
            where = "no shared_dir" if found[0] is None else toml_line("shared_dir", found[0])
            raise UsageError(
                f"{shared_config} has {where}, which is not {folder} on this machine. A config both of you use"
                ' needs a shared_dir that names the shared folder on both machines (like "~/Sync/habitd")'
            )
        if there and not force:
            raise UsageError(
                f"{config} exists already; --force replaces it with a link to the shared config {shared_config}"
            )
        return LINK, found, []
    if there and not force:
        values = " and ".join(toml_line(k, v) for k, v in (("shared_dir", folder), ("name", name or "")) if v)
        raise UsageError(
            f"{config} exists already; to keep it, add to its [settings]: {values}, then run this again;"
            " --force replaces it (keeping a copy)"
        )
    return CONFIG, (folder, name or ""), []


def apply_join(plan: JoinPlan, state_dir: str) -> Joined:
    """Carry out a plan of ``plan_join``: the config, the device's name, the history files moved."""
    said = list(plan.said)
    if plan.start:
        ensure_shared_root(plan.folder)
    if plan.keep:
        kept = keep_copy(plan.config, ".before-join")
        if kept:
            said.append(f"Kept the config you had as {kept}.")
    if plan.write == LINK:
        files.link_to(plan.config, plan.shared_config)
        said.append(f"{plan.config} now links to the shared config {plan.shared_config}.")
    elif plan.write == CONFIG:
        files.write_text(plan.config, joined_config(plan.folder, plan.name))
        said.append(f"Wrote {plan.config}, sharing {plan.folder}.")
    said.extend(_name_said(plan, state_dir))
    left: list[tuple[str, str]] = []
    if plan.state_dir is not None:
        moved, merged, left = move_history(plan.state_dir, plan.folder)
        if moved:
            said.append(f"Moved {len(moved)} history file(s) of this machine into {plan.folder}.")
        for path in merged:
            said.append(f"Merged this machine's {os.path.basename(path)} with the one in the shared folder.")
    return Joined(said, left)


def _name_said(plan: JoinPlan, state_dir: str) -> list[str]:
    """Keep this machine's person in its device file when the config is shared; what is said of the name."""
    name, named = plan.name, plan.settings[1]
    shared = os.path.exists(plan.config) and same_path(plan.config, plan.shared_config)
    if name and shared:
        EventLog(plan.folder, state_dir).device.set_name(name)
        return [f"This machine's person is {name} (kept in its device.toml: the config is shared)."]
    if name and name != named:
        return [f"Its name is {named!r}: to name this machine's person {name}, edit its [settings]."]
    if shared and named and not device_name(state_dir):
        return [f"The shared config names {named}; to name this machine's person, add --name."]
    return []


# --- the moves ------------------------------------------------------------------------------


def local_leftovers(local_dir: str) -> list[str]:
    """History files in the local folder's ``devices/``, left out while a shared folder is set."""
    return sorted(path for _device, path, _conflict in EventLog(local_dir, local_dir).files())


def move_history(local_dir: str, shared_dir: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Move the history files of the local folder's ``devices/`` into the shared folder's.

    Each file is copied (atomically, fsynced) before the local one is removed, so a crash
    leaves it in one place or both, never in neither. A file of the same name there already
    is this machine's own (the same device, the same month: recorded after ``shared_dir`` was
    set), so the two are merged (the union of their events, written as one file). Returns
    the paths moved, those merged, and (path, why) for each file left where it is.
    """
    moved, merged, left = [], [], []
    log = EventLog(shared_dir, local_dir, create_root=False)
    with log.lock():  # the daemon of this machine appends to the same files
        me = log.local_device()
        for path in local_leftovers(local_dir):
            device, name = os.path.basename(os.path.dirname(path)), os.path.basename(path)
            target = os.path.join(shared_dir, DEVICES, device, name)
            try:
                data = files.read_bytes(path, STATE_MAX_BYTES, follow_symlink=False)
                there = files.read_bytes(target, STATE_MAX_BYTES, follow_symlink=False)
            except (OSError, ValueError) as e:
                left.append((path, f"{getattr(e, 'strerror', None) or e}"))
                continue
            if data is None:
                continue
            if there is None:
                files.atomic_write(target, data)
                moved.append(target)
            elif there == data:
                moved.append(target)
            else:
                why = _merge_into(log, me, device, (path, data), (target, there))
                if why:
                    left.append((path, why))
                    continue
                merged.append(target)
            try:
                files.remove(path)
            except OSError as e:
                raise StoreWriteError(f"moved {path} to {target} but could not remove it: {e.strerror}") from None
    return moved, merged, left


def _merge_into(
    log: EventLog, me: LocalDevice | None, device: str, ours: tuple[str, bytes], theirs: tuple[str, bytes]
) -> str:
    """Write the union of this machine's file ``ours`` and the file of that name in the shared folder
    ``theirs`` (path, content) there; why not ("" when done)."""
    (path, data), (target, there) = ours, theirs
    if me is None or device != me.id:
        return f"{target}, another device's file of that name, is there already"
    try:
        mine = parse_log(files.decode(data), path, device)
    except ValueError as e:
        return f"it cannot be read ({e})"
    try:
        found = parse_log(files.decode(there), target, device)
    except ValueError as e:
        return f"{target} cannot be read ({e}), so the two cannot be merged"
    if mine[1] or found[1]:
        return f"{'; '.join(mine[1] + found[1])}, so the two cannot be merged"
    events = merge(mine[0], found[0])
    log.check_own(me, events)  # never fold in what another machine wrote as this one
    files.write_text(target, with_events(log_header(device), events))
    return ""


def keep_copy(path: str, suffix: str) -> str | None:
    """Keep a plain file's content beside it as ``path`` + ``suffix`` (a free name); None for a link."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        data = files.read_bytes(path, CONFIG_MAX_BYTES * 16, follow_symlink=False)
    except (OSError, ValueError) as e:
        raise StoreWriteError(f"could not keep a copy of {path}: {getattr(e, 'strerror', None) or e}") from None
    copy, n = path + suffix, 1
    while os.path.lexists(copy):
        n += 1
        copy = f"{path}{suffix}.{n}"
    files.atomic_write(copy, data or b"", mode=stat.S_IMODE(st.st_mode))
    return copy


def ensure_shared_root(shared_dir: str) -> None:
    """Start a shared folder: its ``devices/`` folder (0700)."""
    try:
        files.ensure_dir(os.path.join(shared_dir, DEVICES))
    except OSError as e:
        raise StoreWriteError(f"could not make {os.path.join(shared_dir, DEVICES)}: {e.strerror}") from None
