"""What ``habitd try`` and ``habitd demo`` need: the server's own account of itself, and a demo config.

``probe`` asks the notification server on the session bus who it is
(``GetServerInformation``) and what it can do (``GetCapabilities``); ``advice``
says, for that server, whether a reminder's buttons show and how to press
them; ``demo_config`` is the example's habits under settings for a demo, with
one habit due at the next minute. Time is a parameter.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta, tzinfo

from jeepney import new_method_call

from habitd.records import Record
from habitd.service.notify_dbus import REPLY_TIMEOUT, SERVER, _Link

DEMO_HABIT = "demo"
NO_SERVER = (
    "no notification server answers on the session bus, so reminders cannot be shown. A desktop (GNOME, KDE,"
    " Xfce, MATE, LXQt) brings one; on a bare window manager install one, e.g. `sudo apt install dunst dmenu`"
    " (X11; dmenu is the picker for dunst's buttons) or `sudo apt install mako-notifier` (Wayland), and log in"
    " again or start it"
)


class Server(Record):
    name: str
    vendor: str
    version: str
    spec: str  # the notification spec version it follows
    capabilities: tuple[str, ...]

    @property
    def buttons(self) -> bool:
        return "actions" in self.capabilities


def probe() -> Server:
    """The notification server on the session bus; DeliveryError when there is none (or no bus)."""
    import queue

    link = _Link(queue.SimpleQueue(), lambda: None)
    try:
        deadline = time.monotonic() + REPLY_TIMEOUT
        info = link.wait(link.call(new_method_call(SERVER, "GetServerInformation")), deadline)
        caps = link.wait(link.call(new_method_call(SERVER, "GetCapabilities")), deadline)[0]
    finally:
        link.close()
    name, vendor, version, spec = (str(v) for v in info)
    return Server(name, vendor, version, spec, tuple(sorted(str(c) for c in caps)))


def advice(server: Server, which: dict[str, str | None] | None = None) -> str:
    """How to press a reminder's buttons on ``server`` (``which``: where programs are, for tests)."""
    found = which if which is not None else {p: shutil.which(p) for p in ("dmenu", "rofi", "wofi")}
    name = server.name.lower()
    if not server.buttons:
        return (
            "This server shows no buttons: mark a habit done with `habitd done HABIT`; the bubble then goes by itself."
        )
    if name == "dunst":
        pickers = [p for p in ("dmenu", "rofi") if found.get(p)]
        has = (
            f"{pickers[0]} is installed"
            if pickers
            else "dmenu is not installed (`sudo apt install dmenu`), so unless your dunstrc names another picker,"
            " the menu cannot open"
        )
        return (
            "dunst keeps the buttons in a context menu: run `dunstctl context` (bind it to a key) or"
            " middle-click the bubble (dunst's default mouse_middle_click), then pick one. dunst shows that"
            f" menu with the program its `dmenu` setting names (dmenu by default; rofi -dmenu works too):"
            f" {has}."
        )
    if name == "mako":
        has = "wofi is installed" if found.get("wofi") else "install a picker: `sudo apt install wofi`"
        return f"mako keeps the buttons in a menu: `makoctl menu wofi -d` opens it ({has})."
    if name == "notification daemon":  # GNOME's stand-alone server
        return (
            "Click a button on the bubble. This server shows one bubble at a time and keeps one habitd has"
            " closed (after `habitd done`, say) on screen, hiding the next: click it away."
        )
    if name in ("gnome-shell", "gnome shell") or name == "plasma" or "kde" in server.vendor.lower() or "knotif" in name:
        return "Click a button on the bubble; a missed bubble waits in the notification list."
    return "Click a button on the bubble."


def as_json(server: Server, how: str, shown: bool) -> dict[str, object]:
    return {
        "server": {"name": server.name, "vendor": server.vendor, "version": server.version, "spec": server.spec},
        "capabilities": list(server.capabilities),
        "buttons": server.buttons,
        "how_to_press": how,
        "shown": shown,
    }


def no_server_json(why: str) -> dict[str, object]:
    return {"server": None, "capabilities": [], "buttons": False, "how_to_press": "", "shown": False, "error": why}


def next_minute(now: datetime, tz: tzinfo) -> datetime:
    """The first whole minute after ``now``, in ``tz``: at most a minute away."""
    local = now.astimezone(tz)
    return (local + timedelta(minutes=1)).replace(second=0, microsecond=0)


def demo_config(example: str, zone: str, at: datetime) -> str:
    """A demo's config: settings for trying (no quiet hours, a 1-minute snooze, bubbles that stay),
    the demo habit due at ``at`` (local), then the habits of the ``example`` config."""
    habits = example[example.index("\n[habits.") + 1 :] if "\n[habits." in example else ""
    return f"""# A demo of habitd, written by `habitd demo`; the folder is emptied at each start.
[settings]
timezone = "{zone}"
day_starts = "04:00"
max_per_day = 50
max_late = "1m"              # the example's earlier reminders today are not all shown at once
notify_timeout = 0           # the bubble stays until you answer it
snooze = "1m"

[habits.{DEMO_HABIT}]
title = "habitd demo"
message = "This is a reminder. Press Done, Snooze 1m or Skip today; `habitd try` says how on this desktop."
every = "day"
at = "{at:%H:%M}"

{habits}"""
