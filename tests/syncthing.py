"""Two real Syncthing instances on 127.0.0.1 sharing one folder, for end-to-end tests.

Each has its own home, a GUI/REST address on 127.0.0.1 with an API key set here,
a listening address on 127.0.0.1 and the other one as its only, static peer: no
relays, no global or local discovery, no NAT traversal, no usage reporting, no
upgrades. Their folders keep conflict copies as Syncthing's own default does
(``maxConflicts`` 10), so a test sees what a couple's two edits at once leave.
``available()`` says why they cannot run; under ``CI=true`` the tests fail
instead of skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

FOLDER_ID = "habitd"
# A shared folder's options: look at it every second, and keep up to 10 conflict copies of a file,
# as a folder added in Syncthing's web page does (a folder written in config.xml without it keeps none).
FOLDER_OPTIONS = {"rescanIntervalS": 1, "fsWatcherEnabled": True, "fsWatcherDelayS": 1, "maxConflicts": 10}


def available() -> str | None:
    """None when Syncthing can run here, else why not."""
    if shutil.which("syncthing") is None:
        return "syncthing is not installed (apt-get install syncthing)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.1)


class Instance:
    """One Syncthing; without a ``folder`` it shares nothing yet, as just after installing it."""

    def __init__(self, home: Path, folder: Path | None, name: str) -> None:
        self.home, self.name = home, name
        self.gui_port, self.listen_port = _free_port(), _free_port()
        self.api_key = f"habitd-test-{name}-{os.urandom(6).hex()}"
        self.proc: subprocess.Popen[bytes] | None = None
        home.mkdir(parents=True)
        if folder is not None:
            self.folder = folder
            folder.mkdir(parents=True, exist_ok=True)
            (folder / ".stfolder").mkdir(exist_ok=True)
        subprocess.run(
            ["syncthing", "generate", f"--home={home}", "--no-default-folder", "--skip-port-probing"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.device_id = ET.parse(home / "config.xml").getroot().find("device").get("id")  # type: ignore[union-attr]

    def configure(self, peer: Instance | None) -> None:
        """Its addresses and options; with a ``peer``, that device and the folder shared with it."""
        tree = ET.parse(self.home / "config.xml")
        root = tree.getroot()
        me = root.find("device")
        assert me is not None
        me.find("address").text = f"tcp://127.0.0.1:{self.listen_port}"  # type: ignore[union-attr]
        gui = root.find("gui")
        assert gui is not None
        gui.find("address").text = f"127.0.0.1:{self.gui_port}"  # type: ignore[union-attr]
        gui.find("apikey").text = self.api_key  # type: ignore[union-attr]
        options = root.find("options")
        assert options is not None
        for key, value in {
            "listenAddress": f"tcp://127.0.0.1:{self.listen_port}",
            "globalAnnounceEnabled": "false",
            "localAnnounceEnabled": "false",
            "relaysEnabled": "false",
            "natEnabled": "false",
            "urAccepted": "-1",
            "autoUpgradeIntervalH": "0",
            "startBrowser": "false",
            "crashReportingEnabled": "false",
            "reconnectionIntervalS": "1",
            "stunKeepaliveStartS": "0",
            "setLowPriority": "false",
        }.items():
            node = options.find(key)
            if node is None:
                node = ET.SubElement(options, key)
            node.text = value
        if peer is not None:
            other = ET.SubElement(root, "device", id=peer.device_id, name=peer.name, compression="metadata")
            ET.SubElement(other, "address").text = f"tcp://127.0.0.1:{peer.listen_port}"
            attributes = {k: str(v).lower() for k, v in FOLDER_OPTIONS.items() if k != "maxConflicts"}
            folder = ET.SubElement(
                root, "folder", id=FOLDER_ID, label=FOLDER_ID, path=str(self.folder), type="sendreceive", **attributes
            )
            ET.SubElement(folder, "maxConflicts").text = str(FOLDER_OPTIONS["maxConflicts"])
            ET.SubElement(folder, "device", id=self.device_id)
            ET.SubElement(folder, "device", id=peer.device_id)
        tree.write(self.home / "config.xml")

    def start(self, log: Path) -> None:
        env = dict(os.environ, STNOUPGRADE="1", STNODEFAULTFOLDER="1", STNORESTART="1")
        self.log = log
        self.proc = subprocess.Popen(
            ["syncthing", "serve", f"--home={self.home}", "--no-browser", "--no-restart", "--no-upgrade"],
            stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,  # noqa: SIM115
        )  # fmt: skip

    def api(self, path: str, method: str = "GET", body: object = None) -> object:
        """A call of its REST API (what its web page does), with ``body`` as JSON if given."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.gui_port}{path}",
            method=method,
            headers={"X-API-Key": self.api_key, "Content-Type": "application/json"},
            data=None if body is None else json.dumps(body).encode(),
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body.strip() else None

    def up(self) -> bool:
        try:
            return self.api("/rest/system/ping") == {"ping": "pong"}
        except OSError:
            return False

    def connected_to(self, peer: Instance) -> bool:
        connections = self.api("/rest/system/connections")
        assert isinstance(connections, dict)
        return bool(connections["connections"].get(peer.device_id, {}).get("connected"))

    def scan(self, folder: str = FOLDER_ID) -> None:
        """Look at the folder now (the watcher would, within a second or so); returns once it has."""
        self.api(f"/rest/db/scan?folder={folder}", method="POST")

    def pause(self, peer: Instance) -> None:
        """Stop talking to ``peer`` (its web page's *Pause* on that device)."""
        self.api(f"/rest/system/pause?device={peer.device_id}", method="POST")

    def resume(self, peer: Instance) -> None:
        self.api(f"/rest/system/resume?device={peer.device_id}", method="POST")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Pair:
    """Two instances, A and B, each syncing its own copy of the shared folder with the other."""

    def __init__(self, base: Path) -> None:
        self.a = Instance(base / "st-a", base / "a" / "Sync", "a")
        self.b = Instance(base / "st-b", base / "b" / "Sync", "b")
        self.a.configure(self.b)
        self.b.configure(self.a)
        try:
            self.a.start(base / "st-a.log")
            self.b.start(base / "st-b.log")
            wait_for(lambda: self.a.up() and self.b.up(), 60, "both Syncthing instances to answer")
            wait_for(lambda: self.a.connected_to(self.b) and self.b.connected_to(self.a), 60, "them to connect")
        except BaseException:
            self.close()
            raise

    def settle(self, paths: Callable[[], list[tuple[Path, Path]]], timeout: float = 60) -> None:
        """Scan both sides until every (here, there) pair of files has the same bytes on both."""

        def same() -> bool:
            self.a.scan()
            self.b.scan()
            pairs = paths()
            return bool(pairs) and all(
                there.exists() and here.read_bytes() == there.read_bytes() for here, there in pairs
            )

        wait_for(same, timeout, "the two folders to hold the same files")

    @contextmanager
    def apart(self) -> Iterator[None]:
        """The two disconnected (each pauses the other) for the ``with`` block, then together again."""
        self.a.pause(self.b)
        self.b.pause(self.a)
        try:
            wait_for(lambda: not self.a.connected_to(self.b) and not self.b.connected_to(self.a), 30, "them to part")
            yield
        finally:
            self.a.resume(self.b)
            self.b.resume(self.a)
        wait_for(lambda: self.a.connected_to(self.b) and self.b.connected_to(self.a), 60, "them to reconnect")

    def close(self) -> None:
        self.a.stop()
        self.b.stop()
