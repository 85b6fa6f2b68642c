"""Moving a config of before into today's two parts: this machine's settings, the shared habits.

Two layouts of before share habits through one whole config, and both move by
themselves the first time a command or the daemon reads them:

- a config that is a link to ``config.toml`` in the shared folder ("one config
  for both"): the link becomes this machine's own file with that config's
  settings, and its habits become the shared habit files;
- a config of this machine's own with ``shared_dir`` and habits in it: its
  habits become the shared habit files, and it keeps its settings (a copy of
  it as it was is kept beside it, ``config.toml.before-sharing``).

Nothing is lost: a habit file already there that says something else is kept,
and the one moved over is written beside it as ``ID.from-NAME.toml``, a
conflict copy that ``habitd check`` reports until ``habitd resolve`` keeps one.
A habit's lines move with their comments where the file's layout allows.
"""

from __future__ import annotations

import os
import re
from typing import Any

import tomli_w

from habitd.habits.config import is_id
from habitd.history import files, habitfiles
from habitd.history.logformat import DEVICES
from habitd.limits import toml_loads

_HEADER = re.compile(r"^\s*\[\s*(?P<key>[^\[\]]+?)\s*\]\s*(#.*)?$")
BEFORE = ".before-sharing"


def split_habits(text: str) -> tuple[str, dict[str, str]]:
    """The config's text without its ``[habits.ID]`` tables, and each table's lines (header
    dropped, comments kept) by id. ValueError when the layout does not allow it: the caller
    then writes the values instead."""
    rest: list[str] = []
    bodies: dict[str, list[str]] = {}
    current: list[str] | None = None
    pending: list[str] = []  # comment lines: they belong to the table that follows
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header is None:
            if line.lstrip().startswith("#") or not line.strip():
                pending.append(line)
            else:
                (current if current is not None else rest).extend([*pending, line])
                pending = []
            continue
        key = header["key"]
        if key.startswith("habits.") and is_id(key.removeprefix("habits.")):
            current = bodies.setdefault(key.removeprefix("habits."), [])
            current.extend(_drop_blank(pending))
        elif key.startswith("habits"):
            raise ValueError(f"a [{key}] table")
        else:
            current = None
            rest.extend([*pending, line])
        pending = []
    (current if current is not None else rest).extend(pending)
    return "".join(rest), {k: "".join(v).strip("\n") + "\n" for k, v in bodies.items()}


def _drop_blank(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    return lines


def parts(text: str, doc: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The settings part and each habit's text of a whole config, the text's own lines where
    they say exactly the same as the values, else the values written afresh."""
    found = doc.get("habits")
    habits: dict[str, Any] = found if isinstance(found, dict) else {}
    try:
        rest, bodies = split_habits(text)
        ok = {k: v for k, v in toml_loads(rest).items() if k != "habits"} == {
            k: v for k, v in doc.items() if k != "habits"
        } and bodies.keys() == habits.keys()
        ok = ok and all(toml_loads(bodies[k]) == habits[k] for k in bodies)
    except ValueError:
        ok = False
    if ok:
        return rest.rstrip("\n") + "\n", bodies
    settings = {k: v for k, v in doc.items() if k != "habits"}
    bodies = {k: tomli_w.dumps(v) for k, v in habits.items() if isinstance(v, dict) and is_id(k)}
    return tomli_w.dumps(settings), bodies


def _who(name: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:30] or fallback


def move_config(path: str, text: str, doc: dict[str, Any], name: str) -> list[str]:
    """Move an older layout at the config ``path`` (its ``text``, parsed as ``doc``; see above);
    what was done, a line each ([] when there was nothing to move). ``name``: this machine's
    person, for a copy's name."""
    linked = os.path.islink(path)
    table = doc.get("settings")
    settings: dict[str, Any] = table if isinstance(table, dict) else {}
    shared_dir = settings.get("shared_dir")
    if not isinstance(shared_dir, str) or not shared_dir.startswith(("/", "~/")):
        return []
    shared = os.path.expanduser(shared_dir)
    if not os.path.isdir(os.path.join(shared, DEVICES)):
        return []  # the shared folder away, or not synced yet: moved once it is here
    target = os.path.realpath(path)
    if linked and os.path.dirname(target) != os.path.realpath(shared):
        return []  # a link elsewhere (a dotfiles folder): this machine's own config
    habits = doc.get("habits")
    if not linked and not habits:
        return []
    rest, bodies = parts(text, doc)
    own = settings.get("name")
    said = share_habits(shared, bodies, name or (own if isinstance(own, str) else ""))
    said.extend(share_settings(shared, settings))
    if linked:
        kept, left = own_settings(settings)
        files.write_text(path, tomli_w.dumps({"settings": kept}))  # replaces the link: this machine's own file
        said.insert(0, f"{path} was a link to the shared {target}; it is now this machine's own config with the"
                       f" settings it had ({', '.join(kept)}: check them with `habitd edit`), and the habits are"
                       f" shared one file each in {habitfiles.habits_dir(shared)}. {target} is no longer read:"
                       " remove it once your partner's habitd has moved too.")  # fmt: skip
        if left or "phone" in doc:
            what = ", ".join([*left, *(["[phone]"] if "phone" in doc else [])])
            said.append(f"Not taken from the shared file: {what} (a path or a person from the shared folder is never"
                        " used on this machine); set them in your config if they are yours.")  # fmt: skip
    else:
        copy = files.keep_copy(path, BEFORE)
        files.replace_config_text(path, rest)
        said.insert(0, f"The habits of {path} are now shared, one file each in {habitfiles.habits_dir(shared)};"
                       f" the config keeps this machine's settings (as it was: {copy}).")  # fmt: skip
    return said


FOREIGN_SETTINGS = ("ical_path", "name")  # a path or a person: never taken from a shared file


def own_settings(settings: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The settings of a config both shared before that this machine takes as its own, and the keys
    it leaves (paths and the person: never from the shared folder; keys habitd does not know)."""
    from habitd.habits.schema import SETTINGS_KEYS

    kept = {k: v for k, v in settings.items() if k in SETTINGS_KEYS and k not in FOREIGN_SETTINGS}
    return kept, [k for k in settings if k not in kept]


def share_settings(shared: str, settings: dict[str, Any]) -> list[str]:
    """Write the shared settings (``week_starts``) unless the shared folder has them already."""
    week = settings.get("week_starts")
    if week is None or os.path.exists(os.path.join(shared, habitfiles.SETTINGS)):
        return []
    habitfiles.write_settings(shared, tomli_w.dumps({"week_starts": week}))
    return [f"Shared week_starts = {week!r} in {os.path.join(shared, habitfiles.SETTINGS)}."]


def share_habits(shared: str, bodies: dict[str, str], name: str) -> list[str]:
    """Write each habit's file unless the shared folder has one that says the same; a differing
    one there is kept and this one is written beside it as a conflict copy (named for ``name``)."""
    said, who = [], _who(name, "this-machine")
    for habit_id, body in bodies.items():
        there = habitfiles.read_habit(shared, habit_id)
        if there is None:
            habitfiles.write_habit(shared, habit_id, body)
            continue
        if habitfiles.same_toml(there, body):
            continue
        name = f"{habit_id}.from-{who}.toml"
        habitfiles.write_copy(shared, name, body)
        said.append(
            f"The shared {habit_id}.toml says something else than this machine's [habits.{habit_id}], which is"
            f" kept as {name}: `habitd resolve {habit_id}` keeps one."
        )
    return said
