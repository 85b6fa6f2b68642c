"""What the history needs of a config that may not parse: where the shared folder is, and whose device this is."""

from __future__ import annotations

import os
import tomllib

from habitd.errors import HabitdError
from habitd.history.files import read_config_text
from habitd.limits import toml_loads


def sharing_settings(path: str) -> tuple[str | None, str] | None:
    """``settings.shared_dir`` and ``settings.name`` of a config with an error elsewhere (the
    history must still be found); None when they cannot be told."""
    if not os.path.lexists(path):
        return None, ""  # no config yet: the state folder
    try:
        doc = toml_loads(read_config_text(path))
    except (HabitdError, tomllib.TOMLDecodeError):
        return None
    settings = doc.get("settings")
    settings = settings if isinstance(settings, dict) else {}
    shared_dir, name = settings.get("shared_dir"), settings.get("name")
    if shared_dir is not None and not (isinstance(shared_dir, str) and shared_dir.startswith(("/", "~/"))):
        return None
    return shared_dir, name if isinstance(name, str) else ""
