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

import tomli_w

from habitd.errors import HabitdError, StateError, StoreWriteError, UsageError
from habitd.history import files, habitfiles
from habitd.history.configfile import sharing_settings
from habitd.history.eventlog import NOT_THERE, EventLog, clashes
from habitd.history.events import merge
from habitd.history.files import STATE_MAX_BYTES
from habitd.history.identity import LocalDevice, device_name
from habitd.history.logformat import DEVICES, log_header, parse_log, with_events
from habitd.records import Record

SHARED_CONFIG = "config.toml"  # a whole config both partners used, kept in the shared folder (before)


class JoinPlan(Record):
    """What ``habitd init --join`` is to do, everything that could refuse checked."""

    folder: str  # the shared folder (absolute)
    start: bool  # a new shared folder: its devices/ folder is made
    config: str  # this machine's config path
    text: str  # this machine's config as it is to be: its settings, sharing the folder
    keep: bool  # the file at the config path is kept beside first
    shared_habits: bool  # the folder shares habits already: the config's own are left out
    old_config: str | None  # a whole config both used before, in the folder: its habits move
    name: str | None  # this machine's person, as given
    state_dir: str | None  # the state folder whose history files move (None: it is the shared folder)
    said: list[str]  # what is said of it before anything is written


class Joined(Record):
    said: list[str]  # what was done, a line each
    left: list[tuple[str, str]]  # (path, why) of each history file left where it was


def same_path(a: str, b: str) -> bool:
    return os.path.realpath(os.path.expanduser(a)) == os.path.realpath(os.path.expanduser(b))


def toml_line(key: str, value: str) -> str:
    return tomli_w.dumps({key: value}).strip()


def with_settings(text: str, values: dict[str, str]) -> str:
    """``text`` with each of ``values`` set in its [settings]: a line of it (or its commented
    example) replaced, else added under the header (a header added when there is none)."""
    for key, value in values.items():
        line = toml_line(key, value)
        found = re.search(rf"^#? ?{key} = [^\n]*$", text, flags=re.MULTILINE)
        if found:
            text = text[: found.start()] + line + text[found.end() :]
            continue
        found = re.search(r"^\[settings\][^\n]*\n", text, flags=re.MULTILINE)
        text = text[: found.end()] + line + "\n" + text[found.end() :] if found else f"[settings]\n{line}\n\n{text}"
    return text


def joined_config(folder: str, name: str | None, text: str | None = None) -> str:
    """``text`` (the example config when None) with ``shared_dir`` (and ``name``) in its [settings]."""
    values = {"shared_dir": folder} | ({"name": name} if name else {})
    return with_settings(files.example_config() if text is None else text, values)


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
    shared_habits = os.path.isdir(habitfiles.habits_dir(folder))
    old_config = os.path.join(folder, SHARED_CONFIG)
    old = old_config if not shared_habits and os.path.isfile(old_config) else None
    text, keep = _config_text(folder, name, force, config)
    said = [f"{config} uses {folder} already."] if not keep and os.path.lexists(config) else []
    _check_settings(text, config)  # a bad name is said before anything is written
    moves = None if same_path(folder, state_dir) else state_dir
    return JoinPlan(folder, start, config, text, keep, shared_habits, old, name, moves, said)


def _check_settings(text: str, config: str) -> None:
    """ConfigError for a problem in the [settings] the config is to have."""
    from habitd.errors import ConfigError, describe_toml_error
    from habitd.habits.config import parse_settings
    from habitd.limits import TomlError, toml_loads

    try:
        doc = toml_loads(text)
    except TomlError as e:
        raise ConfigError(config, [f"not valid TOML: {describe_toml_error(e, text)}"]) from None
    problems: list[str] = []
    parse_settings(doc.get("settings", {}), "UTC", problems)
    if problems:
        raise ConfigError(config, problems)


def _config_text(folder: str, name: str | None, force: bool, config: str) -> tuple[str, bool]:
    """This machine's config once joined (its own, else the example's settings, with ``shared_dir``
    and ``name`` set; never a path or person from a file in the shared folder), and whether the
    file there is kept first."""
    there = os.path.lexists(config)
    base: str | None = None
    found = sharing_settings(config) if there and not force else None
    if found is not None and found[0] is not None and same_path(found[0], folder) and not os.path.islink(config):
        text = files.read_config_text(config)
        return (text if not name else joined_config(folder, name, text)), False
    if there and not force:
        if os.path.islink(config) and not os.path.exists(config):
            raise UsageError(f"{config} is a link to {os.readlink(config)}, which is not there; --force replaces it")
        base = files.read_config_text(config)
        if os.path.islink(config) and same_path(os.path.dirname(os.path.realpath(config)), folder):
            base = _settings_of_shared(base)  # one config for both, of before: what may become this machine's
        elif os.path.islink(config):
            base = _without_habits(base)
    return joined_config(folder, name, base), there


def _settings_of_shared(text: str) -> str:
    """The settings of a config both used before that this machine may take as its own (none
    from one that does not parse)."""
    from habitd.history.configmove import own_settings
    from habitd.limits import TomlError, toml_loads

    try:
        settings = toml_loads(text).get("settings")
    except (HabitdError, TomlError):
        settings = None
    return tomli_w.dumps({"settings": own_settings(settings if isinstance(settings, dict) else {})[0]})


def _without_habits(text: str) -> str:
    from habitd.history.configmove import split_habits

    try:
        return split_habits(text)[0]
    except ValueError:
        return text


def apply_join(plan: JoinPlan, state_dir: str) -> Joined:
    """Carry out a plan of ``plan_join``: the config, the device's name, the history files moved."""
    from habitd.history.configmove import share_habits, share_settings
    from habitd.limits import toml_loads

    said = list(plan.said)
    if plan.start:
        ensure_shared_root(plan.folder)
    if plan.keep:
        kept = files.keep_copy(plan.config, ".before-join")
        if kept:
            said.append(f"Kept the config you had as {kept}.")
    rest, bodies = _split(plan.text)
    if plan.shared_habits:
        if bodies and plan.keep:
            said.append(f"The shared habits apply; the {len(bodies)} of your config are left out of it.")
    elif plan.old_config is not None:  # the whole config both used before: its habits move
        said.extend(_share_old_config(plan.folder, plan.old_config))
    elif bodies:
        said.extend(share_habits(plan.folder, bodies, plan.name or "this-machine"))
        said.extend(share_settings(plan.folder, toml_loads(plan.text).get("settings", {})))
        said.append(f"The habits of your config are now shared, one file each in {habitfiles.habits_dir(plan.folder)}.")
    files.write_text(plan.config, rest if bodies else plan.text)  # replaces a link of before too
    said.append(f"Wrote {plan.config}: this machine's settings, sharing {plan.folder}.")
    if plan.name:
        device = EventLog(plan.folder, state_dir).device
        if device_name(state_dir):
            device.set_name(plan.name)  # the name kept there before wins over the config's: the same
        said.append(f"This machine's person is {plan.name}.")
    left: list[tuple[str, str]] = []
    if plan.state_dir is not None:
        moved, merged, left = move_history(plan.state_dir, plan.folder)
        if moved:
            said.append(f"Moved {len(moved)} history file(s) of this machine into {plan.folder}.")
        for path in merged:
            said.append(f"Merged this machine's {os.path.basename(path)} with the one in the shared folder.")
    return Joined(said, left)


def _share_old_config(folder: str, path: str) -> list[str]:
    """Share the habits (and week_starts) of the whole config both used before, kept in the shared
    folder: a partner's file, read as foreign input (never through a link; one that does not
    parse is named and left as it is)."""
    from habitd.history.configmove import parts, share_habits, share_settings
    from habitd.limits import toml_loads

    try:
        data = files.read_bytes(path, files.CONFIG_MAX_BYTES, follow_symlink=False)
        text = files.decode(data or b"")
        doc = toml_loads(text)
    except (OSError, ValueError) as e:  # TOMLDecodeError is a ValueError
        return [f"{path} was not read, so its habits are not shared: {getattr(e, 'strerror', None) or e}."]
    settings = doc.get("settings")
    said = share_habits(folder, parts(text, doc)[1], "before")
    said.extend(share_settings(folder, settings if isinstance(settings, dict) else {}))
    return [*said, f"The habits of {path} are now shared, one file each in {habitfiles.habits_dir(folder)}."]


def _split(text: str) -> tuple[str, dict[str, str]]:
    """A config's settings part and each habit's text (see ``configmove.split_habits``)."""
    from habitd.history.configmove import parts
    from habitd.limits import toml_loads

    return parts(text, toml_loads(text))


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


def ensure_shared_root(shared_dir: str) -> None:
    """Start a shared folder: its ``devices/`` folder (0700)."""
    try:
        files.ensure_dir(os.path.join(shared_dir, DEVICES))
    except OSError as e:
        raise StoreWriteError(f"could not make {os.path.join(shared_dir, DEVICES)}: {e.strerror}") from None
