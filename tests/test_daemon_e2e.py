"""`habitd run` end to end: a real subprocess, a real notification server, a fake wall clock."""

from __future__ import annotations

import html
import json
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.desktop import Daemon, Desktop, backend_env, require, wait_for

pytestmark = pytest.mark.e2e

DATE_NIGHT = """
[settings]
timezone = "Europe/Berlin"
{settings}

[habits.date-night]
title = "Date night"
message = "Pick a place neither of you has been."
every = "week"
on = ["fri"]
at = "19:00"
"""


def summaries(desktop: Desktop) -> list[tuple[str, str]]:
    return [(n["summary"], n["body"]) for n in desktop.notifications()]


def test_a_reminder_is_shown_at_its_time(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(screen.env, DATE_NIGHT.format(settings=""), "2026-11-27 18:59:57")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("date-night: reminder of 2026-11-27 19:00 shown", 15)
        daemon.settled()
        assert [(n["summary"], n["body"], n["appname"]) for n in screen.notifications()] == [
            ("Date night", "Pick a place neither of you has been.", "habitd")
        ]
    finally:
        assert daemon.stop() == 0
    assert "notifications via dbus" in daemon.log
    # Not before its time, by the daemon's own (faked) clock: a loaded machine may take seconds to
    # start it, so a wait of ours says nothing about what its clock read.
    (line,) = [x for x in daemon.log.splitlines() if "date-night: reminder of 2026-11-27 19:00 shown" in x]
    assert line[:19] >= "2026-11-27 19:00:00", daemon.log


def test_no_notification_for_a_habit_done_before_its_time(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(screen.env, DATE_NIGHT.format(settings=""), "2026-11-27 18:59:58")
    assert daemon.cli("done", "date-night").returncode == 0
    daemon.start()
    try:
        daemon.settled(after="2026-11-27 19:00:01")  # past 19:00
        assert screen.notifications() == []
    finally:
        assert daemon.stop() == 0


CATCH_UP = """
[settings]
timezone = "Europe/Berlin"
max_late = "6h"

[habits.date-night]
every = "week"
on = ["fri"]
at = "19:00"

[habits.thanks]
at = "19:15"
remind_again = "5m"

[habits.checkin]
every = "week"
on = ["mon"]
at = "19:00"
"""


def test_one_catch_up_per_open_habit_after_a_forward_jump(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    daemon = daemons(screen.env, CATCH_UP, "2026-11-27 18:30:00")
    daemon.start()
    try:
        daemon.settled()
        assert screen.notifications() == []
        daemon.set_clock("2026-11-30 19:30:00")  # three days later, like a long suspend
        wait_for(lambda: len(screen.notifications()) >= 2, 8)
        daemon.wait_log("the wall clock jumped")
        daemon.settled()
        # Friday's date night belongs to a week that is over; thanks and checkin are still open today.
        assert sorted(s for s, _ in summaries(screen)) == ["Checkin", "Thanks"]
    finally:
        assert daemon.stop() == 0
    assert "the wall clock jumped" in daemon.log


def test_quiet_hours_hold_the_reminder_until_they_end(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    config = DATE_NIGHT.format(settings='quiet_hours = "19:00-19:30"')
    daemon = daemons(screen.env, config, "2026-11-27 18:59:58")
    daemon.start()
    try:
        daemon.settled(after="2026-11-27 19:00:01")
        assert screen.notifications() == []  # 19:00:01, inside the quiet hours
        daemon.set_clock("2026-11-27 19:29:58")
        wait_for(screen.notifications, 8)
        daemon.settled()
        assert summaries(screen) == [("Date night", "Pick a place neither of you has been.")]
    finally:
        assert daemon.stop() == 0


def test_a_server_that_appears_late_still_gets_the_reminder(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    screen.stop_dunst()
    daemon = daemons(screen.env, DATE_NIGHT.format(settings=""), "2026-11-27 18:59:59")
    daemon.start(env=backend_env())
    try:

        def pending() -> object:
            out = daemon.cli("status", "--json")
            return out.returncode == 0 and json.loads(out.stdout)["habits"][0]["pending_reminder"]

        assert wait_for(pending, 8) == "2026-11-27T19:00:00+01:00"
        assert daemon.proc is not None and daemon.proc.poll() is None  # no crash
        screen.start_dunst()
        wait_for(screen.notifications, 8)
        daemon.settled()
        assert summaries(screen) == [("Date night", "Pick a place neither of you has been.")]
        assert wait_for(lambda: not pending(), 5)
    finally:
        assert daemon.stop() == 0
    assert "not shown yet" in daemon.log


HOSTILE_TITLE = "Us \"two\" & 'you' $(touch pwned) `touch pwned2` <b>bold</b> שלום 🎉"
HOSTILE_BODY = "Line one\nline \"two\" $(touch pwned) `touch pwned2` <b>bold</b> <a href='x'>l</a> &amp; مرحبا 💞"


def test_hostile_text_arrives_as_written(screen: Desktop, tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    config = (
        '[settings]\ntimezone = "Europe/Berlin"\n[habits.x]\n'
        f"title = {json.dumps(HOSTILE_TITLE, ensure_ascii=False)}\n"
        f"message = {json.dumps(HOSTILE_BODY, ensure_ascii=False)}\n"
        'at = "19:00"\n'
    )
    daemon = daemons(screen.env, config, "2026-11-27 18:59:59")
    daemon.start(env=backend_env())
    try:
        wait_for(screen.notifications, 8)
    finally:
        assert daemon.stop() == 0
    assert summaries(screen) == [(HOSTILE_TITLE, html.escape(HOSTILE_BODY, quote=False))]
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_text_that_starts_with_a_dash_is_shown_as_written(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    """A program with options would read "-1 sugar" as one; the bus takes it as the string it is."""
    config = '[settings]\ntimezone = "Europe/Berlin"\n[habits.sugar]\ntitle = "-1 sugar"\nmessage = "- phone away"\n'
    daemon = daemons(screen.env, config + 'at = "19:00"\n', "2026-11-27 18:59:59")
    daemon.start(env=backend_env())
    try:
        daemon.wait_log("sugar: reminder of 2026-11-27 19:00 shown")
    finally:
        assert daemon.stop() == 0
    assert summaries(screen) == [("-1 sugar", "- phone away")]


# --- systemd's notify protocol, reload and stop ------------------------------------------


class NotifySocket:
    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.2)

    def messages(self, until: str, timeout: float = 8.0) -> list[str]:
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
            if until in seen[-1].splitlines():
                return seen
        raise AssertionError(f"no {until} within {timeout}s; got {seen}")


@pytest.mark.parametrize("abstract", [False, True])
def test_ready_watchdog_reload_and_stopping(tmp_path: Path, daemons: Callable[..., Daemon], abstract: bool) -> None:
    require("libfaketime")
    name = f"habitd-test-{os.getpid()}-{time.monotonic_ns()}"
    address = "\0" + name if abstract else str(tmp_path / "notify")
    sock = NotifySocket(address)
    daemon = daemons(dict(os.environ), DATE_NIGHT.format(settings=""), "2026-11-27 12:00:00")
    daemon.start(env={"NOTIFY_SOCKET": "@" + name if abstract else address, "HABITD_NOTIFIER": "dbus"})
    try:
        got = sock.messages("READY=1")
        assert any(m.startswith("STATUS=next: date-night at 2026-11-27 19:00") for m in got)
        sock.messages("WATCHDOG=1")
        # A new habit and SIGHUP: reloaded, the new habit scheduled. (Saving the file alone
        # reloads it too, at the next periodic check: either way, one reload reads it whole.)
        daemon.write_config(daemon.config.read_text() + '\n[habits.thanks]\nat = "12:30"\n')
        daemon.signal(signal.SIGHUP)
        got = sock.messages("READY=1")
        assert "RELOADING=1" in got
        assert any(m == "STATUS=next: thanks at 2026-11-27 12:30" for m in got)
        daemon.wait_log("SIGHUP: config reloaded (2 habits")
        # An invalid config: logged, the old one stays.
        daemon.write_config('[habits.thanks]\nat = "25:00"\n')
        daemon.signal(signal.SIGHUP)
        assert "RELOADING=1" in sock.messages("READY=1")
        daemon.wait_log("SIGHUP; the config was not reloaded, the previous one stays in force")
        start = time.monotonic()
        daemon.signal(signal.SIGTERM)
        sock.messages("STOPPING=1")
        assert daemon.stop(timeout=2) == 0
        assert time.monotonic() - start < 2
    finally:
        daemon.stop()
        sock.sock.close()
    assert 'habits.thanks.at: "25:00" is not a time (HH:MM)' in daemon.log
    assert "the previous one stays in force" in daemon.log


def test_a_changed_config_file_is_reloaded_without_a_signal(tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    require("libfaketime")
    address = str(tmp_path / "notify")
    sock = NotifySocket(address)
    daemon = daemons(dict(os.environ), DATE_NIGHT.format(settings=""), "2026-11-27 12:00:00")
    daemon.start(env={"NOTIFY_SOCKET": address, "HABITD_NOTIFIER": "dbus"})
    try:
        sock.messages("READY=1")
        time.sleep(0.05)
        daemon.config.write_text(daemon.config.read_text() + '\n[habits.thanks]\nat = "12:30"\n')
        got = sock.messages("STATUS=next: thanks at 2026-11-27 12:30")
        assert "RELOADING=1" in got
    finally:
        assert daemon.stop() == 0
        sock.sock.close()
    assert "the config changed: config reloaded" in daemon.log


def test_an_invalid_config_at_start_exits_2_with_the_problems(daemons: Callable[..., Daemon]) -> None:
    require("libfaketime")
    daemon = daemons(dict(os.environ), '[habits.a]\nat = "7pm"\n', "2026-11-27 12:00:00")
    daemon.start(ready=False)
    assert daemon.stop(terminate=False) == 2
    assert 'habits.a.at: "7pm" is not a time (HH:MM)' in daemon.log
    assert "Traceback" not in daemon.log


def test_journal_logging_has_priorities_and_no_timestamps(daemons: Callable[..., Daemon]) -> None:
    require("libfaketime")
    daemon = daemons(dict(os.environ), DATE_NIGHT.format(settings=""), "2026-11-27 12:00:00")
    daemon.start(env={"JOURNAL_STREAM": "8:12345", "HABITD_NOTIFIER": "dbus"})
    daemon.settled()
    assert daemon.stop() == 0
    lines = [line for line in daemon.log.splitlines() if line]
    assert lines and all(line[:3] in ("<6>", "<7>", "<4>", "<3>") for line in lines), lines
    assert any(line.startswith("<6>running: 1 habit,") for line in lines)


def test_reminders_carry_the_next_prompt_and_never_a_note(screen: Desktop, daemons: Callable[..., Daemon]) -> None:
    config = DATE_NIGHT.format(settings="") + 'prompts = ["Where did we first kiss?", "What made you laugh today?"]\n'
    daemon = daemons(screen.env, config, "2026-11-20 18:59:59")
    assert daemon.cli("done", "date-night", "--date", "2026-11-13", "--note", "SECRET-NOTE ramen").returncode == 0
    daemon.start()
    try:
        wait_for(screen.notifications, 8)
        daemon.set_clock("2026-11-27 18:59:59")  # a week later, the next Friday
        wait_for(lambda: len(screen.notifications()) >= 2, 8)
    finally:
        assert daemon.stop() == 0
    bodies = [body for _, body in summaries(screen)]
    prompts = sorted(body.split("\n\n", 1)[1] for body in bodies)
    assert prompts == ["What made you laugh today?", "Where did we first kiss?"], daemon.log
    assert all(body.startswith("Pick a place neither of you has been.\n\n") for body in bodies)
    assert "SECRET" not in daemon.log and not any("SECRET" in body for body in bodies)


def test_the_daily_cap_drops_and_logs_and_a_restart_repeats_nothing(
    screen: Desktop, daemons: Callable[..., Daemon]
) -> None:
    config = '[settings]\ntimezone = "Europe/Berlin"\nmax_per_day = 2\n' + "".join(
        f'[habits.h{i}]\ntitle = "H{i}"\nat = "19:00"\n' for i in range(4)
    )
    daemon = daemons(screen.env, config, "2026-11-27 18:59:59")
    daemon.start()
    try:
        wait_for(lambda: len(screen.notifications()) >= 2, 8)
        daemon.settled()
    finally:
        assert daemon.stop() == 0
    assert sorted(s for s, _ in summaries(screen)) == ["H0", "H1"]
    assert daemon.log.count("dropped, 2 shown today already (max_per_day)") == 2
    # A restart a little later shows none of them again, neither the shown nor the dropped.
    daemon.set_clock("2026-11-27 19:00:30")
    daemon.start()
    try:
        daemon.settled()
    finally:
        assert daemon.stop() == 0
    assert sorted(s for s, _ in summaries(screen)) == ["H0", "H1"]
