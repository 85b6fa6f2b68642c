"""Draw docs/notification-example.png, the README's picture of a reminder, on a real notification stack.

    python docs/make_notification.py
    # Debian: apt-get install xvfb dbus dunst suckless-tools scrot fonts-dejavu-core

A private session bus, Xvfb (white, off screen) and dunst with the settings
below; habitd's own notifier shows the date-night reminder of
config.example.toml, its first prompt and its buttons. dunst keeps those in
its context menu (it marks the bubble "(A)"), which `dunstctl context` opens
with dmenu (Debian's suckless-tools) at the top of the screen; scrot takes
the picture of both.
Nothing of the desktop you run it from is used or changed. The report's
picture is drawn by make_example.py, with headless Chromium.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

OUT = ROOT / "docs" / "notification-example.png"
WIDTH, HEIGHT = 460, 210  # the screen: dmenu's list on top, the bubble (420 wide) below, margins of 20
SCREEN = f"{WIDTH}x{HEIGHT}x24"
DUNSTRC = """
[global]
    font = DejaVu Sans 10
    width = 420
    origin = top-left
    offset = 20x77
    padding = 12
    horizontal_padding = 14
    frame_width = 1
    frame_color = "#8a8f98"
    separator_height = 0
    corner_radius = 6
    format = "<b>%s</b>  <span foreground='#6b7280'>%a</span>\\n%b"
    show_indicators = yes
    word_wrap = yes
    icon_position = off
    dmenu = dmenu -l 2 -p "Date night" -fn "DejaVu Sans-10" -nb gray90 -nf gray10 -sb royalblue

[urgency_normal]
    background = "#f7f7f8"
    foreground = "#1f2328"
    timeout = 0
"""
BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path={socket}</listen>
<policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>
"""


def wait(check: object, what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"make_notification: {what} did not happen within {seconds:g} s")
        time.sleep(0.1)


def main() -> int:
    from habitd.habits.config import parse_config
    from habitd.history import files
    from habitd.service import buttons
    from habitd.service.notify import Note
    from habitd.service.notify_dbus import DBusNotifier

    config = parse_config(files.example_config(), "config.example.toml", "Europe/Berlin")
    habit = config.habit("date-night")
    assert habit is not None
    note = Note(habit.id, habit.title, f"{habit.message}\n\n{habit.prompts[0]}", None, buttons.buttons(config, habit))
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bus.conf").write_text(BUS.format(socket=folder / "bus"))
        (folder / "dunstrc").write_text(DUNSTRC)
        try:
            bus = subprocess.Popen(
                ["dbus-daemon", "--config-file", str(folder / "bus.conf"), "--nofork", "--print-address"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            procs.append(bus)
            assert bus.stdout is not None
            address = bus.stdout.readline().decode().strip()
            read_fd, write_fd = os.pipe()
            xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-nolisten", "tcp", "-wr", "-screen", "0", SCREEN],
                pass_fds=(write_fd,),
                stderr=subprocess.DEVNULL,
            )
            procs.append(xvfb)
            os.close(write_fd)
            with os.fdopen(read_fd) as f:
                display = f":{f.readline().strip()}"
            env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "DISPLAY": display}
            env |= {"XDG_RUNTIME_DIR": tmp, "LANG": "C.UTF-8"}
            procs.append(subprocess.Popen(["dunst", "-config", str(folder / "dunstrc")], env=env, cwd=tmp))
            os.environ.update(DBUS_SESSION_BUS_ADDRESS=address)

            def shown() -> bool:
                out = subprocess.run(["dunstctl", "count", "displayed"], env=env, capture_output=True, text=True)
                return out.stdout.strip() == "1"

            notifier = DBusNotifier(timeout=0)
            wait(lambda: _sent(notifier, note), "dunst taking the notification")
            wait(shown, "the bubble on screen")
            menu = subprocess.Popen(["dunstctl", "context"], env=env)  # until dmenu is closed
            procs.append(menu)
            wait(lambda: _running("dmenu"), "dmenu showing the buttons")
            time.sleep(1)  # both are drawn just after they are up
            subprocess.run(["scrot", "--overwrite", str(OUT)], env=env, check=True)
            notifier.stop()
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(5)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")
    return 0


def _running(program: str) -> bool:
    return subprocess.run(["pgrep", "-x", program], capture_output=True).returncode == 0


def _sent(notifier: object, note: object) -> bool:
    from habitd.service.notify import DeliveryError

    try:
        notifier.send(note)  # type: ignore[attr-defined]
    except DeliveryError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
