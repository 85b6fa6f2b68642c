"""Reading the config: this machine's file, the shared habits, and what the history needs of a
config that may not parse (where the shared folder is, whose device this is).

The file is parsed once: its TOML document is kept in ``config.bin`` in the state folder
(``parsed``). What only a config that shares a folder needs (moving a layout of before, the
shared habit files) is imported only for one: every command reads the config.
"""

from __future__ import annotations

import os
from typing import Any

from habitd.errors import HabitdError
from habitd.habits.config import Config, parse_config
from habitd.history import parsed
from habitd.history.eventlog import NOT_THERE, SharedFolderMissing
from habitd.history.files import read_config_text
from habitd.history.identity import device_name
from habitd.limits import TomlError
from habitd.records import Record


def sharing_settings(path: str) -> tuple[str | None, str] | None:
    """``settings.shared_dir`` and ``settings.name`` of a config with an error elsewhere (the
    history must still be found); None when they cannot be told."""
    if not os.path.lexists(path):
        return None, ""  # no config yet: the state folder
    try:
        text = read_config_text(path)
    except HabitdError:
        return None
    return _sharing(_parsed(text))


CONFIG_CACHE = "config.bin"  # the config's document, with the text it was parsed from


def _parsed(text: str, state_dir: str | None = None, keep: bool = True) -> dict[str, Any] | None:
    """The config's document; None when it does not parse (``parse_config`` says why).

    With ``state_dir`` (when it exists) the document of the same text parsed before is taken
    from ``config.bin`` there, and (``keep``) a text parsed anew is kept there for the next.
    """
    kept = os.path.join(state_dir, CONFIG_CACHE) if state_dir and os.path.isdir(state_dir) else None
    try:
        return parsed.loads(text, kept, "habitd config 2", keep)
    except TomlError:
        return None


def _sharing(doc: dict[str, Any] | None) -> tuple[str | None, str] | None:
    """``sharing_settings`` of a parsed config (None: it did not parse)."""
    if doc is None:
        return None
    settings = doc.get("settings")
    settings = settings if isinstance(settings, dict) else {}
    shared_dir, name = settings.get("shared_dir"), settings.get("name")
    if shared_dir is not None and not (isinstance(shared_dir, str) and shared_dir.startswith(("/", "~/"))):
        return None
    return shared_dir, name if isinstance(name, str) else ""


class Loaded(Record):
    config: Config
    said: list[str]  # what moving a config of before did (said once, when it happened)


def load_config(path: str, state_dir: str, system_tz: str, move: bool = True, missing_ok: bool = False) -> Loaded:
    """The config in use: this machine's file and, when it shares a folder, the habits there.

    A config of before is moved first (``configmove``; not when ``move`` is False, for a
    reader that must not write, like shell completion). ``device.toml``'s name wins over the
    config's. While the shared folder is away, its habits are unknown: SharedFolderMissing,
    or (``missing_ok``, the daemon, which waits for it) no habits, with a notice.
    """
    name = device_name(state_dir)
    said: list[str] = []
    text = read_config_text(path)
    doc = _parsed(text, state_dir, keep=move)
    shared_dir = _shared_dir(doc)
    if move and doc is not None and shared_dir is not None:  # only a config sharing a folder has one to move
        from habitd.history.configmove import move_config

        try:
            said = move_config(path, text, doc, name)
        except (HabitdError, OSError, ValueError) as e:
            why = getattr(e, "strerror", None) or e
            said = [f"could not move the habits of {path} into the shared folder: {why}"]
        if said:  # moved: read what it is now
            text = read_config_text(path)
            doc = _parsed(text, state_dir, keep=move)
            shared_dir = _shared_dir(doc)
    if shared_dir is None:
        return Loaded(parse_config(text, path, system_tz, doc).named(name), said)
    from habitd.habits.shared import SharedHabits, parse_shared
    from habitd.history import habitfiles

    shared = os.path.expanduser(shared_dir)
    read = habitfiles.read_shared(shared, merge=move) if os.path.isdir(shared) else None
    if read is None:
        if doc is None or doc.get("habits"):  # not moved yet (the folder away or not synced): its own habits
            return Loaded(parse_config(text, path, system_tz, doc).named(name), said)
        folder = habitfiles.habits_dir(shared)
        if not os.path.isdir(shared) and not missing_ok:
            raise SharedFolderMissing(
                f"the shared folder {shared} {NOT_THERE}; nothing can be shown or recorded until it is back"
            )
        why = NOT_THERE if not os.path.isdir(shared) else "has no habits yet (`habitd edit ID` adds one)"
        read = SharedHabits(folder, notices=(f"the shared folder {shared} {why}: no habits are known",))
    return Loaded(parse_shared(text, path, read, system_tz, doc).named(name), said)


def _shared_dir(doc: dict[str, Any] | None) -> str | None:
    """``settings.shared_dir`` when it is a valid one (else None: ``parse_config`` says what is wrong)."""
    found = _sharing(doc)
    return found[0] if found else None
