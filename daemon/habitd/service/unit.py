"""The systemd user unit: the shipped template with ExecStart for this installation."""

from __future__ import annotations

import os
import sys

from habitd.history.files import shipped_text

UNIT_NAME = "habitd.service"
DESKTOP_NAME = "habitd.desktop"  # the notifications' `desktop-entry` hint names it

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=habitd
Comment=Gentle reminders for the habits that keep a couple close
Icon=appointment-soon
Exec={exec_} today
Terminal=true
NoDisplay=true
Categories=Utility;
"""


def template() -> str:
    """The unit as shipped (in the package once installed, else in the checkout's ``systemd/``)."""
    return shipped_text(UNIT_NAME, os.path.join("systemd", UNIT_NAME))


def _quote(arg: str) -> str:
    """Quote an argument for systemd's command line (it splits like a shell, expands % and $)."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if not any(c in escaped for c in " \t\"'\\"):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unit_text(extra_args: list[str]) -> str:
    """The unit with ExecStart running this Python's habitd, with ``extra_args`` before ``run``."""
    command = [sys.executable, "-m", "habitd", *extra_args, "run"]
    exec_start = "ExecStart=" + " ".join(_quote(a) for a in command)
    lines = [exec_start if line.startswith("ExecStart=") else line for line in template().splitlines()]
    return "\n".join(lines) + "\n"


def desktop_entry() -> str:
    """The desktop entry: notification servers show its name and icon beside habitd's reminders."""
    return DESKTOP_ENTRY.format(exec_=" ".join(_quote(a) for a in (sys.executable, "-m", "habitd")))
