"""A real desktop notification stack for tests: a private D-Bus session bus, Xvfb and dunst.

Also runs ``habitd run`` as a real subprocess at a chosen wall clock with
libfaketime (the monotonic clock stays real, as APScheduler needs); the fake
time lives in a file, so a test can make the clock jump while it runs.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The thread-safe build (a lock around its clock code). The plain one re-reads the clock file at
# every read into buffers shared by all threads: a read racing another thread's (the daemon has
# several, and Python's GIL hand-over reads the clock too) can find an empty file name, fall back
# to "+0", return the real date, and restart the fake clock from the file's "@" moment after it.
LIBFAKETIME = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))), "")

# A session bus that starts nothing by itself: a notification server is there only when a test runs one.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def require(*programs: str) -> None:
    """Skip when a program is missing; under CI=true that is a failure instead."""
    missing = [p for p in programs if not shutil.which(p)]
    if "libfaketime" in programs and not LIBFAKETIME:
        missing = [m for m in missing if m != "libfaketime"]
        missing.append("libfaketime (Debian: faketime)")
    else:
        missing = [m for m in missing if m != "libfaketime"]
    if missing:
        reason = "needs " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI must install it (.ci/run)")
        pytest.skip(reason)


def wait_for(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class Desktop:
    def __init__(self, folder: Path, dunstrc: str | None = None) -> None:
        require("dbus-daemon", "Xvfb", "dunst", "dunstctl")
        self.folder = folder
        self.dunstrc = None
        if dunstrc is not None:
            self.dunstrc = folder / "dunstrc"
            self.dunstrc.write_text(dunstrc)
        runtime = folder / "run"
        runtime.mkdir(mode=0o700)
        conf = folder / "bus.conf"
        conf.write_text(BUS_CONFIG.format(socket=folder / "bus"))
        self.bus = subprocess.Popen(
            ["dbus-daemon", "--config-file", str(conf), "--nofork", "--print-address"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.bus.stdout is not None
        address = self.bus.stdout.readline().strip()
        read_fd, write_fd = os.pipe()
        self.xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-nolisten", "tcp", "-screen", "0", "640x480x24"],
            pass_fds=(write_fd,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as f:
            display = f.readline().strip()
        self.env = {
            **os.environ,
            "DBUS_SESSION_BUS_ADDRESS": address,
            "DISPLAY": f":{display}",
            "XDG_RUNTIME_DIR": str(runtime),
        }
        self.dunst: subprocess.Popen[bytes] | None = None
        self.seen = 0
        self.start_dunst()

    def start_dunst(self) -> None:
        self.seen = 0  # a new dunst counts ids from 1
        config = ["-config", str(self.dunstrc)] if self.dunstrc else []
        self.dunst = subprocess.Popen(
            ["dunst", *config], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.folder
        )
        assert wait_for(self.server_up, 10), "dunst did not take the notification bus name"

    def stop_dunst(self) -> None:
        if self.dunst:
            self.dunst.terminate()
            self.dunst.wait(5)
            self.dunst = None
        assert wait_for(lambda: not self.server_up(), 5)

    def server_up(self) -> bool:
        out = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.Notifications",
            ],
            env=self.env,
            capture_output=True,
            text=True,
        )
        return "true" in out.stdout

    def dunstctl(self, *args: str) -> str:
        return subprocess.run(["dunstctl", *args], env=self.env, capture_output=True, text=True, check=True).stdout

    def displayed(self) -> int:
        """How many notifications are on screen now."""
        out = self.dunstctl("count", "displayed")
        return int(out.strip() or 0)

    def _history(self) -> list[dict[str, Any]]:
        self.dunstctl("close-all")  # dunst keeps only closed notifications in its history
        time.sleep(0.2)
        data = json.loads(self.dunstctl("history"))["data"][0]
        items = [{k: n[k]["data"] for k in ("id", "summary", "body", "appname")} for n in data]
        return sorted(items, key=lambda n: n["id"])

    def notifications(self) -> list[dict[str, Any]]:
        """What was shown since the last ``clear()``, oldest first: summary, body, appname."""
        return [n for n in self._history() if n["id"] > self.seen]

    def clear(self) -> None:
        """Forget what was shown so far (this dunst has no history-clear)."""
        self.seen = max((n["id"] for n in self._history()), default=self.seen)

    def close(self) -> None:
        for proc in (self.dunst, self.xvfb, self.bus):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()


class Daemon:
    """``habitd run`` in a subprocess with a fake wall clock that the test can move."""

    def __init__(self, folder: Path, env: dict[str, str], config: str, start: str, tz: str = "Europe/Berlin") -> None:
        require("libfaketime")
        self.folder = folder
        self.config = folder / "config.toml"
        self.config.write_text(config)
        self.state_dir = folder / "state"
        self.clock_file = folder / "faketime"
        self.set_clock(start)
        self.env = {
            **env,
            "TZ": tz,
            "LD_PRELOAD": LIBFAKETIME,
            "FAKETIME_TIMESTAMP_FILE": str(self.clock_file),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "PYTHONPATH": str(ROOT),
        }
        self.env.pop("FAKETIME", None)
        self.proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._reader: threading.Thread | None = None

    @property
    def log(self) -> str:
        """Its stderr so far, read as it comes."""
        return "".join(self._lines)

    def wait_log(self, text: str, timeout: float = 8.0) -> None:
        """Wait until ``text`` appears in its log; fail with the log if it does not."""
        assert wait_for(lambda: text in self.log, timeout), f"no {text!r} within {timeout}s in:\n{self.log}"

    def settled(self, after: str | datetime | None = None, timeout: float = 20.0) -> None:
        """Have it plan afresh now and wait until it has: what a later moment would show, it shows.

        For a test that proves nothing (more) happens: rather than sleeping, it waits for the next
        thing the daemon does. A SIGHUP makes it reload the config and check every habit at its
        clock's now, and it says so ("SIGHUP: config reloaded", then the "next: ..." of the check,
        at ``-v``). With ``after`` (a local "YYYY-MM-DD HH:MM:SS" as its log stamps show, or an
        aware datetime) it asks again until that check's stamp is at or past it: the daemon's
        faked clock has passed that moment, and nothing due then went unshown.
        """
        deadline = time.monotonic() + timeout
        while True:
            seen = len(self._lines)
            self.signal(signal.SIGHUP)
            at = self._wait_after(seen, "SIGHUP: config reloaded", deadline)
            self._wait_after(at + 1, ("next: ", "no reminders ahead"), deadline)  # its check, done
            line = self._lines[at]
            if after is None or _stamp_reached(line, after):
                return
            assert time.monotonic() < deadline, f"its clock did not reach {after} within {timeout}s:\n{self.log}"
            time.sleep(0.2)

    def _wait_after(self, start: int, texts: str | tuple[str, ...], deadline: float) -> int:
        """The index of the first line from ``start`` on with one of ``texts``; fail with the log if none comes."""
        texts = (texts,) if isinstance(texts, str) else texts

        def found() -> int | None:
            lines = self._lines[start:]
            return next((start + i + 1 for i, line in enumerate(lines) if any(t in line for t in texts)), None)

        at = wait_for(found, max(0.0, deadline - time.monotonic()))
        assert at, f"no {texts!r} in time in:\n{self.log}"
        return int(at) - 1

    def set_clock(self, moment: str) -> None:
        """Jump the wall clock to ``moment`` (local time); it runs on from there.

        Atomically: libfaketime re-reads the file at every clock call, and a half-written
        file reads as no fake time at all, a jump to the real date.
        """
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(f"@{moment}\n")
        os.replace(tmp, self.clock_file)

    def args(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "habitd", "--config", str(self.config), "--state-dir", str(self.state_dir), *args]

    def start(self, *extra: str, tick: float = 0.3, env: dict[str, str] | None = None, ready: bool = True) -> None:
        """Start it and (unless ``ready`` is false) wait until it runs: a loaded machine is slow to start."""
        self.proc = subprocess.Popen(
            self.args("run", "-v", "--tick", str(tick), *extra),
            env={**self.env, **(env or {})},
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            cwd=self.folder,
        )
        self._lines = []
        self._reader = threading.Thread(target=self._read, args=(self.proc.stderr,), daemon=True)
        self._reader.start()
        if ready:
            self.wait_log("running:", 20)

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.append(line)

    def write_config(self, text: str) -> None:
        """Save the config as careful editors do: a new file renamed over the old one."""
        tmp = self.config.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.args(*args), env=self.env, capture_output=True, text=True, cwd=self.folder)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 5.0, terminate: bool = True) -> int:
        """SIGTERM it (unless ``terminate`` is false: then wait for it to end) and collect its log."""
        assert self.proc is not None
        if terminate and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self._reader:
            self._reader.join(5)
        return self.proc.returncode


def _stamp_reached(line: str, moment: str | datetime) -> bool:
    """Whether the log line's time stamp ("YYYY-MM-DD HH:MM:SS+0100 ...") is at or past ``moment``."""
    if isinstance(moment, str):
        return line[:19] >= moment
    return datetime.strptime(line[:24], "%Y-%m-%d %H:%M:%S%z") >= moment


def backend_env() -> dict[str, str]:
    """The environment that makes habitd use its own session-bus notifier."""
    return {"HABITD_NOTIFIER": "dbus"}


class FakeServer:
    """tests/fake_server.py on the desktop's bus in place of dunst (see its docstring for the modes)."""

    def __init__(self, desktop: Desktop, mode: str) -> None:
        desktop.stop_dunst()
        self.record = desktop.folder / f"fake-{mode}-{time.monotonic_ns()}.jsonl"
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "fake_server.py"), str(self.record), mode],
            env={**desktop.env, "PYTHONPATH": str(ROOT)},
        )
        assert wait_for(lambda: self.record.exists() and self.record.read_text(), 10), "the fake server did not start"

    def calls(self, member: str = "Notify") -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.record.read_text().splitlines() if line]
        return [c for c in lines if c.get("call") == member]

    def invoke(self, notification_id: int, key: str) -> None:
        """Press a button of a notification it showed."""
        tmp = self.record.with_suffix(".tmp")
        tmp.write_text(f"{notification_id} {key}\n")
        os.replace(tmp, str(self.record) + ".invoke")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
