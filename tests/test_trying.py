"""Seeing it work at once: `make run` (habitd demo) and `habitd try`, on the real notification stack."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from habitd.habits.config import parse_config
from habitd.history import files
from habitd.service import trial
from tests.desktop import ROOT, Daemon, Desktop, FakeServer, wait_for

BERLIN = ZoneInfo("Europe/Berlin")


def make_run_command() -> list[str]:
    """The command `make run` runs, with this test run's habitd (``make -n`` prints, runs nothing)."""
    printed = subprocess.run(
        ["make", "-n", "-s", "run", f"VENV={sys.prefix}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    (line,) = [line for line in printed.splitlines() if "/habitd " in line]
    return shlex.split(line)


class MakeRun(Daemon):
    """`make run`'s command in ``cwd``, at a faked wall clock, in a home of its own."""

    def __init__(self, folder: Path, env: dict[str, str], start: str) -> None:
        super().__init__(folder, env, "", start)
        self.home = folder / "home"
        self.home.mkdir(exist_ok=True)
        self.env |= {"HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config")}
        self.env |= {"XDG_STATE_HOME": str(self.home / ".local/state"), "XDG_CACHE_HOME": str(self.home / ".cache")}

    def args(self, *args: str) -> list[str]:
        if args[0] != "run":
            return super().args(*args)
        return [*make_run_command(), "--tick", args[3]]  # --tick: the periodic check, as every daemon test


def test_the_demo_habit_is_due_within_a_minute() -> None:
    for now, at in [
        ("2026-11-27T18:59:59.900+01:00", "19:00"),
        ("2026-11-27T19:00:00+01:00", "19:01"),
        ("2026-11-27T23:59:30+01:00", "00:00"),
    ]:
        moment = datetime.fromisoformat(now)
        due = trial.next_minute(moment, BERLIN)
        assert f"{due:%H:%M}" == at and 0 < (due - moment).total_seconds() <= 60
    night = datetime(2026, 11, 27, 3, 0, tzinfo=BERLIN)  # inside the example's quiet hours
    text = trial.demo_config(files.example_config(), "Europe/Berlin", trial.next_minute(night, BERLIN))
    config = parse_config(text, "demo")
    assert config.settings.quiet_hours is None  # at any hour of the day
    demo = config.habit("demo")
    assert demo is not None and demo.reminds and config.habits[0] == demo
    assert len(config.habits) > 10  # the example's habits too, for status, grid and the rest


def test_make_run_runs_the_demo_in_a_folder_of_the_checkout() -> None:
    command = make_run_command()
    assert command[1:] == ["demo", "--dir", ".demo-state"]
    assert ".demo-state/" in (ROOT / ".gitignore").read_text().split()


def test_the_demo_never_empties_a_folder_of_yours(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    out = subprocess.run(
        [sys.executable, "-m", "habitd", "demo", "--dir", str(mine)], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 2
    assert "is not a habitd demo folder" in out.stderr and "Traceback" not in out.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


@pytest.mark.e2e
def test_make_run_shows_a_reminder_with_buttons_each_time(screen: Desktop, tmp_path: Path) -> None:
    """A fresh demo each time: its reminder at the next minute, on the real dunst, twice; the
    person's own config and history folders are never made."""
    for _ in range(2):
        demo = MakeRun(tmp_path, screen.env, "2026-11-27 18:59:57")
        demo.start(env={"HABITD_NOTIFIER": "dbus"})
        try:
            demo.wait_log("demo: reminder of 2026-11-27 19:00 shown", 15)
            assert "notifications over the session bus, with buttons" in demo.log
            assert wait_for(lambda: screen.displayed() >= 1, 5)
        finally:
            assert demo.stop() == 0
        assert [n["summary"] for n in screen.notifications() if n["summary"] == "habitd demo"] == ["habitd demo"]
        screen.clear()
        assert (tmp_path / ".demo-state" / "config.toml").exists()
    home = tmp_path / "home"
    assert not (home / ".config").exists() and not (home / ".local").exists()


@pytest.mark.e2e
def test_make_run_without_a_notification_server_says_what_to_install(bare: Desktop, tmp_path: Path) -> None:
    demo = MakeRun(tmp_path, bare.env, "2026-11-27 18:59:57")
    demo.start(env={"HABITD_NOTIFIER": "dbus"})
    try:
        demo.wait_log("no notification server answers on the session bus")
        assert "sudo apt install dunst dmenu" in demo.log
        demo.wait_log("demo: reminder of 2026-11-27 19:00 not shown yet", 15)  # pending, retried
    finally:
        assert demo.stop() == 0


@pytest.mark.e2e
def test_try_shows_a_sample_and_says_what_the_server_can_do(screen: Desktop) -> None:
    habitd = [sys.executable, "-m", "habitd"]
    out = subprocess.run([*habitd, "try"], env=screen.env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Notification server: dunst ")
    assert "Buttons: yes. dunst keeps the buttons in a context menu: run `dunstctl context`" in out.stdout
    assert "dmenu" in out.stdout
    data = json.loads(subprocess.run([*habitd, "try", "--json"], env=screen.env, capture_output=True).stdout)
    assert data["server"]["name"] == "dunst" and data["buttons"] and "actions" in data["capabilities"]
    assert data["shown"] and "dunstctl context" in data["how_to_press"]
    summaries = [n["summary"] for n in screen.notifications()]  # dunst stacks the two alike bubbles
    assert summaries and set(summaries) == {"habitd: a sample reminder"}


@pytest.mark.e2e
def test_try_without_a_server_says_what_to_install(bare: Desktop) -> None:
    habitd = [sys.executable, "-m", "habitd"]
    out = subprocess.run([*habitd, "try"], env=bare.env, capture_output=True, text=True)
    assert out.returncode == 1
    assert "no notification server" in out.stderr and "sudo apt install dunst dmenu" in out.stderr
    assert "Traceback" not in out.stderr
    out = subprocess.run([*habitd, "try", "--json"], env=bare.env, capture_output=True, text=True)
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert data["server"] is None and not data["buttons"] and "ServiceUnknown" in data["error"]


def test_how_to_press_the_buttons_by_server() -> None:
    def server(name: str, caps: tuple[str, ...] = ("actions", "body")) -> trial.Server:
        return trial.Server(name, "vendor", "1", "1.2", caps)

    assert "sudo apt install dmenu" in trial.advice(server("dunst"), {"dmenu": None, "rofi": None})
    assert "dmenu is installed" in trial.advice(server("dunst"), {"dmenu": "/usr/bin/dmenu"})
    assert "makoctl menu" in trial.advice(server("mako"), {})
    assert "keeps one habitd has closed" in trial.advice(server("Notification Daemon"), {})
    for name in ("xfce4-notifyd", "Notification Daemon", "lxqt-notificationd", "gnome-shell", "Plasma"):
        assert trial.advice(server(name), {}).startswith("Click a button on the bubble")
    assert "shows no buttons" in trial.advice(server("Notification Daemon", ("body",)), {})


@pytest.mark.e2e
def test_try_hears_a_button_pressed_on_its_sample(bare: Desktop) -> None:
    server = FakeServer(bare, "actions")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "habitd", "try", "--wait", "20"], env=bare.env, stdout=subprocess.PIPE, text=True
        )
        assert wait_for(lambda: server.calls(), 10)
        (call,) = server.calls()
        assert call["actions"] == ["done", "Done", "snooze", "Snooze 1h", "skip", "Skip today"]
        server.invoke(call["id"], "snooze")
        stdout, _ = proc.communicate(timeout=15)
    finally:
        server.stop()
    assert proc.returncode == 0
    assert "Notification server: fake 1 (habitd tests), spec 1.2" in stdout
    assert stdout.rstrip().endswith("You pressed Snooze 1h: the buttons work.")


def test_the_manual_says_which_servers_show_buttons_how_to_press_them_and_their_bugs() -> None:
    text = (ROOT / "docs" / "daemon.md").read_text()
    table = text.split("### Which servers show buttons, and how they are pressed")[1].split("###")[0]
    rows = {
        line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ") and "---" not in line
    }
    for server in (
        "GNOME Shell", "KDE Plasma", "xfce4-notifyd", "notification-daemon (GNOME's stand-alone one, 3.20)",
        "mate-notification-daemon", "lxqt-notificationd", "dunst",
    ):  # fmt: skip
        assert server in rows and rows[server].count("|") == 4, server
    assert "`dunstctl context`" in rows["dunst"] and "dmenu" in rows["dunst"]
    bugs = text.split("### Known server bugs")[1].split("\n## ")[0]
    assert "**notification-daemon 3.20**" in bugs and "one bubble at a time" in bugs
    assert "Snooze" in text and "to the second" in text


def test_the_readme_opens_with_the_two_pictures_drawn_by_scripts() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    intro = "\n".join(lines[: next(i for i, line in enumerate(lines) if line == "## Install")])
    for picture, script in (
        ("docs/notification-example.png", "docs/make_notification.py"),
        ("docs/report-example.png", "docs/make_example.py"),
    ):
        assert f"]({picture})" in intro and f"]({script})" in intro
        assert (ROOT / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (ROOT / picture).stat().st_size < 150_000
