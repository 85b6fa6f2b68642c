"""The notification's buttons end to end: the real daemon, dunst, and a button pressed in dunst's menu.

dunst lists a notification's actions in its context menu, which it hands to
the program its ``dmenu`` setting names; here that is a small script that
picks the line the test asked for. ``dunstctl context`` opens the menu.
"""

from __future__ import annotations

import itertools
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ready
from tests.desktop import Daemon, Desktop, FakeServer, backend_env, wait_for

pytestmark = pytest.mark.e2e

MENU = """#!/bin/sh
# dunst's context menu: the actions on stdin, the choice on stdout.
cat > {folder}/menu.in
grep -m1 -F "#$(cat {folder}/choice)" {folder}/menu.in
"""

THANKS = """
[settings]
timezone = "Europe/Berlin"
day_starts = "04:00"
notify_timeout = 0
snooze = "10m"
{settings}

[habits.thanks]
title = "Thanks"
message = "Say thank you for one small thing."
at = "{at}"
{extra}
"""


@pytest.fixture(scope="module")
def menu_desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    folder = tmp_path_factory.mktemp("menu-desktop")
    script = folder / "menu.sh"
    script.write_text(MENU.format(folder=folder))
    script.chmod(0o755)
    d = Desktop(folder, dunstrc=f"[global]\n    dmenu = {script}\n")
    yield d
    d.close()


@pytest.fixture
def menu(menu_desktop: Desktop) -> Desktop:
    """Its dunst running, nothing on screen (``clear`` closes all), what earlier tests showed forgotten."""
    (menu_desktop.folder / "menu.in").unlink(missing_ok=True)
    return ready(menu_desktop)


def press(desktop: Desktop, label: str, summary: str = "Thanks") -> None:
    """Open dunst's context menu and pick ``label`` on ``summary``'s notification."""
    (desktop.folder / "choice").write_text(f"{label} ({summary})")
    desktop.dunstctl("context")


def config(at: str = "19:00", settings: str = "", extra: str = "") -> str:
    return THANKS.format(at=at, settings=settings, extra=extra)


def completions(daemon: Daemon) -> list[str]:
    out = daemon.cli("history", "thanks", "--weeks", "2", "--json")
    assert out.returncode == 0, out.stderr
    return [c["date"] for p in json.loads(out.stdout)["periods"] for c in p["completions"]]


def test_done_records_the_day_the_reminder_was_for(menu: Desktop, daemons: Callable[..., Daemon]) -> None:
    """03:30 with day_starts 04:00 reminds about Friday; pressed on Saturday at 04:10, it still marks Friday."""
    daemon = daemons(menu.env, config(at="03:30"), "2026-11-28 03:29:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-28 03:30 shown")
        daemon.set_clock("2026-11-28 04:10:00")
        daemon.wait_log("the wall clock jumped")
        press(menu, "Done")
        daemon.wait_log("thanks: done for 2026-11-27 (from the notification)")
        assert completions(daemon) == ["2026-11-27"]
        assert menu.displayed() == 0
    finally:
        assert daemon.stop() == 0
    assert "Done (Thanks)" in (menu.folder / "menu.in").read_text()
    assert "notifications over the session bus, with buttons" in daemon.log


def test_done_stops_the_follow_ups(menu: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(menu.env, config(extra='remind_again = "5m"'), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
        press(menu, "Done")
        daemon.wait_log("thanks: done for 2026-11-27 (from the notification)")
        daemon.set_clock("2026-11-27 19:20:00")  # past three follow-ups
        daemon.wait_log("the wall clock jumped")
        daemon.settled()
        assert menu.displayed() == 0
    finally:
        assert daemon.stop() == 0
    assert completions(daemon) == ["2026-11-27"]
    assert [n["summary"] for n in menu.notifications()] == ["Thanks"]
    assert "reminder of 2026-11-27 19:05" not in daemon.log


def test_a_snooze_comes_back_once_after_its_time_even_across_a_restart(
    menu: Desktop, daemons: Callable[..., Daemon]
) -> None:
    daemon = daemons(menu.env, config(), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
        press(menu, "Snooze 10m")
        daemon.wait_log("thanks: snoozed until 2026-11-27 19:1")
        assert wait_for(lambda: menu.displayed() == 0, 5)
    finally:
        assert daemon.stop() == 0
    status = json.loads(daemon.cli("status", "--json").stdout)["habits"][0]
    # ten minutes to the second after the press (the clock ran on from 18:59:58), never rounded down
    until = daemon.log.split("thanks: snoozed until ")[1][:19]
    assert "2026-11-27 19:10:00" <= until < "2026-11-27 19:10:30"
    assert status["next_reminder"] == until.replace(" ", "T") + "+01:00"
    assert "[reminders.thanks.snooze]" in (daemon.state_dir / "state.toml").read_text()
    daemon.set_clock("2026-11-27 19:09:57")  # a new daemon, three seconds before the snooze ends
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:10 shown")
        assert menu.displayed() == 1
        daemon.set_clock("2026-11-27 19:40:00")
        daemon.wait_log("the wall clock jumped")
        daemon.settled()
    finally:
        assert daemon.stop() == 0
    assert [n["summary"] for n in menu.notifications()] == ["Thanks", "Thanks"]
    assert daemon.log.count("shown") == 1
    assert completions(daemon) == []


def test_skip_today_skips_the_day(menu: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(menu.env, config(), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
        press(menu, "Skip today")
        daemon.wait_log("thanks: skipped 2026-11-27 (from the notification)")
    finally:
        assert daemon.stop() == 0
    out = json.loads(daemon.cli("history", "thanks", "--weeks", "1", "--json").stdout)
    assert [p["state"] for p in out["periods"] if p["first"] == "2026-11-27"] == ["skipped"]


def test_a_done_from_the_terminal_closes_the_bubble(menu: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(menu.env, config(), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
        assert menu.displayed() == 1  # notify_timeout = 0: it never expires, only a close takes it away
        assert daemon.cli("done", "thanks").returncode == 0
        assert wait_for(lambda: menu.displayed() == 0, 2), daemon.log
    finally:
        assert daemon.stop() == 0
    assert "the state changed; checking reminders\n" in daemon.log  # noticed, not found at a periodic check
    assert "thanks: notification closed: its period is met" in daemon.log


def test_a_bubble_left_on_screen_is_shown_again_after_a_restart_unless_done(
    menu: Desktop, daemons: Callable[..., Daemon]
) -> None:
    daemon = daemons(menu.env, config(), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
    finally:
        assert daemon.stop() == 0
    assert "on_screen = " in (daemon.state_dir / "state.toml").read_text()
    daemon.set_clock("2026-11-27 19:20:00")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: its reminder was on screen when habitd stopped; shown again")
        assert menu.displayed() == 1  # dunst kept it: the same id replaced it, no second bubble
    finally:
        assert daemon.stop() == 0
    # Done while the daemon is away: the next run closes the bubble instead of showing it again.
    assert daemon.cli("done", "thanks").returncode == 0
    daemon.start(env=backend_env())
    try:
        assert wait_for(lambda: menu.displayed() == 0, 5), daemon.log
    finally:
        assert daemon.stop() == 0
    assert "shown again" not in daemon.log
    assert "thanks: notification closed: its period is met" in daemon.log
    assert "on_screen" not in (daemon.state_dir / "state.toml").read_text()


def test_a_weekly_habit_has_no_skip_today(menu: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(menu.env, config(extra='every = "week"\non = "fri"'), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
        press(menu, "nothing")
        listed = menu.folder / "menu.in"
        assert wait_for(lambda: listed.exists() and "Thanks" in listed.read_text())
    finally:
        assert daemon.stop() == 0
    listed = (menu.folder / "menu.in").read_text()
    assert "#Done (Thanks)" in listed and "#Snooze 10m (Thanks)" in listed and "Skip" not in listed


# --- servers that misbehave (tests/fake_server.py) ---------------------------------------


def test_a_server_without_actions_gets_plain_notifications(bare: Desktop, daemons: Callable[..., Daemon]) -> None:
    server = FakeServer(bare, "plain")
    daemon = daemons(bare.env, config(), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
    finally:
        assert daemon.stop() == 0
        server.stop()
    (call,) = server.calls()
    assert call["actions"] == []
    assert call["app"] == "habitd"
    assert call["hints"] == {"urgency": 1, "category": "x-habitd.reminder", "desktop-entry": "habitd"}
    assert "without buttons" in daemon.log


def test_a_click_on_the_body_changes_nothing(bare: Desktop, daemons: Callable[..., Daemon]) -> None:
    server = FakeServer(bare, "actions")
    daemon = daemons(bare.env, config(), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
        (call,) = server.calls()
        assert call["actions"] == ["done", "Done", "snooze", "Snooze 10m", "skip", "Skip today"]
        server.invoke(call["id"], "default")
        daemon.wait_log("thanks: notification clicked; nothing to do")
    finally:
        assert daemon.stop() == 0
        server.stop()
    assert completions(daemon) == []


class Watchdog:
    """systemd's notify socket: when each WATCHDOG=1 came."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.pets: list[float] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            if b"WATCHDOG=1" in self.sock.recv(4096).split(b"\n"):
                self.pets.append(time.monotonic())

    def longest_gap(self) -> float:
        times = [*self.pets, time.monotonic()]
        return max(b - a for a, b in itertools.pairwise(times))


MANY = '[settings]\ntimezone = "Europe/Berlin"\n' + "".join(f'[habits.h{i}]\nat = "19:00"\n' for i in range(8))


def test_a_server_that_never_answers_stalls_nothing(
    bare: Desktop, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    """It takes Notify and never replies: one call, not one per reminder per check; the watchdog
    is petted; SIGTERM still ends the daemon promptly; a server that answers again gets each
    reminder exactly once."""
    mute = FakeServer(bare, "mute")
    watchdog = Watchdog(tmp_path / "notify")
    daemon = daemons(bare.env, MANY, "2026-11-27 18:59:58")
    daemon.start(env={**backend_env(), "NOTIFY_SOCKET": str(watchdog.path)})
    try:
        daemon.wait_log("did not answer within 3 s")
        # several periodic checks, each retrying the eight pending reminders (they say so at -v)
        assert wait_for(lambda: daemon.log.count("h7: reminder of 2026-11-27 19:00 not shown yet") >= 4, 20)
        assert len(mute.calls()) == 1
        assert daemon.log.count("did not answer within") == 1
        assert wait_for(lambda: watchdog.pets, 10)
        assert watchdog.longest_gap() < 5  # the wait was 3 s; the dead server's 25 s would show here
        mute.stop()
        good = FakeServer(bare, "actions")  # a new server (its name changes owner): tried again at once
        assert wait_for(lambda: len(good.calls()) >= 8, 8), daemon.log
        daemon.settled()
        assert sorted(c["summary"] for c in good.calls()) == [f"H{i}" for i in range(8)]
        good.stop()
        # SIGTERM while the daemon waits on a silent server
        again = FakeServer(bare, "mute")
        daemon.set_clock("2026-11-28 18:59:58")
        assert wait_for(lambda: again.calls(), 8)
        start = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.stop(timeout=10, terminate=False) == 0
        # It stops waiting at once; what is left is saving the reminders as pending (durable
        # writes), well within 2 s on a quiet machine. The bound leaves room for a busy one
        # and is still far from systemd's 10 s, or the 150 s a silent server used to cost.
        assert time.monotonic() - start < 5
        again.stop()
    finally:
        daemon.stop()


def test_a_late_answer_is_not_shown_twice(bare: Desktop, daemons: Callable[..., Daemon]) -> None:
    """A reply that comes after the wait gave up: the retry counts that bubble as shown, no second call."""
    server = FakeServer(bare, "late")
    daemon = daemons(bare.env, config(), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 not shown yet")
        daemon.wait_log("the notification server answered late")
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
    finally:
        assert daemon.stop() == 0
        server.stop()
    assert len(server.calls()) == 1


def test_a_follow_up_replaces_the_bubble_before_it(bare: Desktop, daemons: Callable[..., Daemon]) -> None:
    server = FakeServer(bare, "actions")
    daemon = daemons(bare.env, config(extra='remind_again = "5m"'), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
        daemon.set_clock("2026-11-27 19:04:58")
        daemon.wait_log("thanks: reminder of 2026-11-27 19:05 shown")
    finally:
        assert daemon.stop() == 0
        server.stop()
    first, follow_up = server.calls()
    assert (first["replaces"], follow_up["replaces"]) == (0, first["id"])


def test_a_bubble_is_shown_again_after_a_restart_only_while_its_day_is_open(
    menu: Desktop, daemons: Callable[..., Daemon]
) -> None:
    walk = '\n[habits.walk]\ntitle = "Walk"\nmessage = "A short walk together."\nat = "23:30"\n'
    two = config(at="20:30", extra=walk)
    daemon = daemons(menu.env, two, "2026-12-09 20:29:55")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-12-09 20:30 shown")
        daemon.set_clock("2026-12-09 23:29:58")
        daemon.wait_log("walk: reminder of 2026-12-09 23:30 shown")
    finally:
        assert daemon.stop() == 0
    # After midnight, before the day ends at 04:00 and within max_late: both come back, once each.
    daemon.set_clock("2026-12-10 01:00:00")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("walk: its reminder was on screen when habitd stopped; shown again")
        daemon.wait_log("thanks: its reminder was on screen when habitd stopped; shown again")
        assert menu.displayed() == 2  # replaced, not doubled
    finally:
        assert daemon.stop() == 0
    assert daemon.log.count("shown again") == 2
    # The next morning 12-09 has ended (at 12-10 04:00): nothing of it comes back, and nothing is kept.
    daemon.set_clock("2026-12-10 11:00:00")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("walk: not shown again: ")
        daemon.wait_log("thanks: not shown again: ")
    finally:
        assert daemon.stop() == 0
    assert "shown again;" not in daemon.log
    assert "thanks: not shown again: its day 2026-12-09 is over" in daemon.log
    assert "on_screen" not in (daemon.state_dir / "state.toml").read_text()


def test_a_press_on_a_bubble_the_server_kept_after_a_done_says_why_nothing_changed(
    bare: Desktop, daemons: Callable[..., Daemon]
) -> None:
    """A server that leaves a closed bubble on screen (notification-daemon 3.20 does) still sends its
    buttons: Done pressed there after `habitd done` from the terminal is answered, and the log says why
    nothing changed."""
    server = FakeServer(bare, "actions")
    daemon = daemons(bare.env, config(), "2026-11-27 18:59:58")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("thanks: reminder of 2026-11-27 19:00 shown")
        (call,) = server.calls()
        assert daemon.cli("done", "thanks").returncode == 0
        daemon.wait_log("thanks: notification closed: its period is met")
        assert [c["id"] for c in server.calls("CloseNotification")] == [call["id"]]
        server.invoke(call["id"], "done")
        daemon.wait_log("thanks: Done pressed, but the period 2026-11-27 is met already; nothing changed")
    finally:
        assert daemon.stop() == 0
        server.stop()
    assert completions(daemon) == ["2026-11-27"]
