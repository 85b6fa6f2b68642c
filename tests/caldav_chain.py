"""A phone's task list for end-to-end tests: Radicale on 127.0.0.1, vdirsyncer, and the phone played by ``caldav``.

Radicale runs with a password file of its own (one user, alex), no web interface, its
collections in the test's folder. vdirsyncer keeps the vdir habitd writes in step with
the one task collection, its password fetched by a command as docs/phone.md advises.
The phone changes tasks on the server with the ``caldav`` library, as DAVx5 would.
All three come from the package index with the test extras; ``require()`` skips without
them (under ``CI=true`` that is a failure).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

USER, PASSWORD = "alex", "a-test-password"


def require() -> None:
    missing = [m for m in ("radicale", "caldav") if importlib.util.find_spec(m) is None]
    if not shutil.which("vdirsyncer", path=os.path.dirname(sys.executable)):
        missing.append("vdirsyncer")
    if missing:
        reason = f"needs {', '.join(missing)} (pip install -e '.[test]')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI must install it")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Chain:
    """Radicale serving ``alex``'s task collection, and vdirsyncer between it and ``vdir``."""

    def __init__(self, folder: Path, vdir: Path) -> None:
        require()
        import caldav

        self.folder, self.vdir = folder, vdir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "users").write_text(f"{USER}:{PASSWORD}\n")
        self.port = _free_port()
        self.server = subprocess.Popen(
            [
                sys.executable, "-m", "radicale", "--config", "", "--server-hosts", f"127.0.0.1:{self.port}",
                "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(folder / "users"),
                "--auth-htpasswd-encryption", "plain", "--storage-filesystem-folder", str(folder / "collections"),
                "--web-type", "none", "--logging-level", "error",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                break
            except OSError:
                assert self.server.poll() is None and time.monotonic() < deadline, "Radicale did not start"
                time.sleep(0.05)
        url = f"http://127.0.0.1:{self.port}/{USER}/"
        self.client = caldav.DAVClient(url=url, username=USER, password=PASSWORD)
        self.tasks = self.client.principal().make_calendar(
            name="Habits", cal_id="habits", supported_calendar_component_set=["VTODO"]
        )
        (folder / "vdirsyncer.conf").write_text(
            f"""
[general]
status_path = "{folder / "status"}/"

[pair phone]
a = "phone_local"
b = "phone_server"
collections = null
conflict_resolution = "b wins"

[storage phone_local]
type = "filesystem"
path = "{vdir}"
fileext = ".ics"

[storage phone_server]
type = "caldav"
url = "{self.tasks.url}"
username = "{USER}"
password.fetch = ["command", "cat", "{folder / "password"}"]
"""
        )
        (folder / "password").write_text(PASSWORD + "\n")
        self.vdirsyncer("discover", "phone")

    def vdirsyncer(self, *args: str) -> float:
        """Run vdirsyncer; how long it took (seconds)."""
        exe = os.path.join(os.path.dirname(sys.executable), "vdirsyncer")
        start = time.monotonic()
        done = subprocess.run(
            [exe, "-c", str(self.folder / "vdirsyncer.conf"), *args], capture_output=True, text=True, input="",
            timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return time.monotonic() - start

    def sync(self) -> float:
        return self.vdirsyncer("sync")

    def todo(self, uid: str) -> Any:
        return self.tasks.todo_by_uid(uid)

    def uids(self) -> set[str]:
        return {str(t.icalendar_component["uid"]) for t in self.tasks.todos(include_completed=True)}

    def close(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(10)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
