"""The session-bus notifier in-process: a bus that goes away and comes back, never a crash or a busy loop."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from habitd.service import notify_dbus
from habitd.service.notify import DeliveryError, Note
from habitd.service.notify_dbus import DBusNotifier
from tests.conftest import ROOT
from tests.desktop import BUS_CONFIG, require, wait_for

pytestmark = pytest.mark.e2e


class Bus:
    """A private session bus at a fixed socket path, with the small test server on it."""

    def __init__(self, folder: Path, activate: bool = False) -> None:
        """``activate``: no server runs; the bus starts one for the first call to it, as desktops often do."""
        self.folder = folder
        self.socket = folder / "bus"
        self.address = f"unix:path={self.socket}"
        config = BUS_CONFIG.format(socket=self.socket)
        self.activate = activate
        if activate:
            services = folder / "services"
            services.mkdir()
            command = f"{sys.executable} {ROOT / 'tests' / 'fake_server.py'} {folder / 'activated.jsonl'} actions"
            (services / "org.freedesktop.Notifications.service").write_text(
                f"[D-BUS Service]\nName=org.freedesktop.Notifications\nExec={command}\n"
            )
            config = config.replace("</busconfig>", f"  <servicedir>{services}</servicedir>\n</busconfig>")
        (folder / "bus.conf").write_text(config)
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        bus = subprocess.Popen(
            ["dbus-daemon", "--config-file", str(self.folder / "bus.conf"), "--nofork"],
            env={"DBUS_SESSION_BUS_ADDRESS": self.address, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )
        assert wait_for(self.socket.exists, 10)
        self.procs = [bus]
        if self.activate:
            return
        record = self.folder / f"calls-{time.monotonic_ns()}.jsonl"
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "fake_server.py"), str(record), "actions"],
            env={"DBUS_SESSION_BUS_ADDRESS": self.address, "PYTHONPATH": str(ROOT)},
        )
        self.procs = [server, bus]
        assert wait_for(lambda: record.exists() and record.read_text(), 10)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
            proc.wait(5)


NOTE = Note("thanks", "Thanks", "Say thank you.")


def test_a_lost_bus_is_reconnected_with_back_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require("dbus-daemon")
    bus = Bus(tmp_path)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    monkeypatch.setattr(notify_dbus, "BACKOFF_FIRST", 1.0)
    woken: list[int] = []
    notifier = DBusNotifier(0)
    notifier.wake = lambda: woken.append(1)
    bus.start()
    try:
        notifier.send(NOTE)
        assert list(notifier.showing()) == ["thanks"]
        bus.stop()  # the bus goes away: the reading thread sees it and tells the main loop
        assert wait_for(lambda: notifier._link is not None and not notifier._link.alive, 5)
        assert woken
        assert notifier.events() == []
        assert notifier.showing() == {}  # those bubbles died with the connection
        with pytest.raises(DeliveryError, match="cannot connect to the session bus"):
            notifier.send(NOTE)
        start = time.monotonic()
        tries = 0
        while time.monotonic() - start < 0.5:  # a caller retrying in a loop does not make it retry in a loop
            with pytest.raises(DeliveryError, match="trying again in"):
                notifier.send(NOTE)
            tries += 1
        assert tries > 10
        bus.start()
        with pytest.raises(DeliveryError, match="trying again in"):
            notifier.send(NOTE)  # still inside the pause
        time.sleep(1.1)
        notifier.send(NOTE)  # connected afresh, capabilities asked again
        assert list(notifier.showing()) == ["thanks"]
    finally:
        notifier.stop()
        bus.stop()


def test_no_session_bus_is_a_failed_delivery(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    notifier = DBusNotifier(0)
    with pytest.raises(DeliveryError, match="no session bus"):
        notifier.send(NOTE)


def test_a_server_started_for_the_first_notification_keeps_its_bubble(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bus announces the server's arrival (NameOwnerChanged) while it answers our first call:
    that is the server we talk to, not a restart that would void the bubble's id."""
    require("dbus-daemon")
    bus = Bus(tmp_path, activate=True)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    notifier = DBusNotifier(0)
    bus.start()
    try:
        notifier.send(NOTE)
        time.sleep(0.3)  # the announcement reaches the reading thread
        assert notifier.events() == []
        assert list(notifier.bubble_ids()) == ["thanks"] and notifier.bubble_ids()["thanks"].endswith(" 1")
    finally:
        notifier.stop()
        bus.stop()  # the server it started ends with its connection


def test_a_bubble_is_taken_over_only_from_the_same_server_on_the_same_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids count from 1 again after a reboot or a new server: an old id could be another program's bubble."""
    require("dbus-daemon")
    bus = Bus(tmp_path)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    notifier = DBusNotifier(0)
    bus.start()
    try:
        notifier.send(NOTE)
        (kept,) = notifier.bubble_ids().values()
        other = Note("walk", "Walk", "A walk together.")
        assert not notifier.adopt(other, "0123456789abcdef " + kept.split(" ", 1)[1])  # another bus
        assert not notifier.adopt(other, kept.rsplit(" ", 2)[0] + " :1.999 7")  # another server
        assert notifier.adopt(other, kept.rsplit(" ", 1)[0] + " 7")
        assert notifier.bubble_ids()["walk"].endswith(" 7")
    finally:
        notifier.stop()
        bus.stop()
