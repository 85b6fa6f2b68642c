"""Where habitd keeps its files, following the XDG base directory spec.

Paths are plain strings: pathlib costs the command line several milliseconds to import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

APP = "habitd"


def _xdg(env: Mapping[str, str], var: str, fallback: str) -> str:
    value = env.get(var, "")
    # The spec says relative values are invalid and must be ignored.
    if value and os.path.isabs(value):
        return value
    return os.path.join(env.get("HOME") or os.path.expanduser("~"), fallback)


def config_path(env: Mapping[str, str] = os.environ) -> str:
    return os.path.join(_xdg(env, "XDG_CONFIG_HOME", ".config"), APP, "config.toml")


def state_dir(env: Mapping[str, str] = os.environ) -> str:
    return os.path.join(_xdg(env, "XDG_STATE_HOME", ".local/state"), APP)


def user_unit_dir(env: Mapping[str, str] = os.environ) -> str:
    return os.path.join(_xdg(env, "XDG_CONFIG_HOME", ".config"), "systemd", "user")


def applications_dir(env: Mapping[str, str] = os.environ) -> str:
    """Where desktop entries go: notification servers read a program's name and icon there."""
    return os.path.join(_xdg(env, "XDG_DATA_HOME", ".local/share"), "applications")
