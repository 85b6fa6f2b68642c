"""The README's "Sharing with a partner", followed step by step by a couple on two fresh machines.

Sam and Alex each have a home of their own (``HOME``, no ``XDG_*`` set, no ``--config`` or
``--state-dir``: habitd finds its files as it does for a user) and a Syncthing of their own
on 127.0.0.1 that knows nobody yet. The habitd commands are read out of README.md, so the
guide and this test cannot drift apart; what the guide says to do in Syncthing's web page
is done through its REST API, as the page itself does. The clock is faked (libfaketime).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desktop import LIBFAKETIME, ROOT, require
from tests.desktop import wait_for as poll
from tests.syncthing import FOLDER_OPTIONS, Instance, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("syncthing")]

README = (ROOT / "README.md").read_text()
SHARED = "~/Sync/habitd"  # the folder the guide names on both machines


def section(title: str) -> str:
    """The README's section ``## title``, up to the next one."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert found, f"README.md has no section {title!r}"
    return found.group(1)


def commands(text: str) -> list[str]:
    """The habitd and ``systemctl --user`` commands of ``text``, in their order: the lines of its
    ```sh blocks (comments dropped, ``&&`` apart) and its `habitd ...` spans."""
    found = []
    for block, span in re.findall(r"```sh\n(.*?)```|`((?:habitd|systemctl)\s[^`]*)`", text, re.S):
        lines = [line.split("#")[0] for line in block.splitlines()] if block else [span]
        found += [" ".join(c.split()) for line in lines for c in line.split("&&")]
    return [c for c in found if c.startswith(("habitd ", "systemctl --user "))]


def steps() -> list[tuple[str, str, list[str]]]:
    """The guide's numbered steps: who, what the step is (its bold title, else its text), its habitd commands."""
    text = section("Sharing with a partner")
    found = re.findall(r"^\d+\. \*\*(Both|Sam|Alex):? ?(.*?)\*\*(.*?)(?=^\d+\. \*\*|^\S)", text, re.S | re.M)
    assert len(found) >= 5, text
    return [(who, (title or body).strip(" .:").lower(), commands(body)) for who, title, body in found]


class Machine:
    """One partner's computer: a home, habitd on the PATH, and Syncthing as just installed."""

    def __init__(self, base: Path, name: str) -> None:
        self.name, self.home = name, base / name.lower()
        run = self.home / "run"
        run.mkdir(parents=True, mode=0o700)
        bin_dir = self.home / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "habitd"  # the `habitd` a pipx install puts on the PATH
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m habitd "$@"\n')
        shim.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "HABITD_", "DBUS_", "FAKETIME"))}
        self.env = env | {
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(run),  # what a login session sets
            "PATH": f"{bin_dir}:{env['PATH']}",
            "TZ": "Europe/Berlin",
            "LD_PRELOAD": LIBFAKETIME,
            "FAKETIME": "@2026-11-20 12:00:00",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }
        self.shared = Path(SHARED.replace("~", str(self.home), 1))
        self.syncthing = Instance(self.home / ".config" / "syncthing", None, name.lower())
        self.syncthing.configure(None)
        self.said: list[str] = []
        self.daemon: subprocess.Popen[bytes] | None = None

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """``command`` in a shell of this machine's user, as typed."""
        done = subprocess.run(
            ["/bin/sh", "-c", command], env=self.env, cwd=self.home, capture_output=True, text=True, timeout=120
        )
        self.said.append(f"{self.name}$ {command}\n{done.stdout}{done.stderr}(exit {done.returncode})")
        return done

    def ok(self, command: str) -> str:
        done = self.run(command)
        assert done.returncode == 0, "\n".join(self.said)
        return done.stdout

    def follow(self, command: str) -> None:
        """Do what the guide says: a habitd command as typed; systemd's part as systemd would (its
        Syncthing runs already: the test started it)."""
        if command.startswith("habitd "):
            self.ok(command)
        elif command in ("systemctl --user enable --now habitd", "systemctl --user restart habitd"):
            self.stop_daemon()
            self.start_daemon()
        elif command not in ("systemctl --user daemon-reload", "systemctl --user enable --now syncthing"):
            raise AssertionError(f"the guide says {command!r}, which this test cannot follow")

    def start_daemon(self) -> None:
        """What the unit `habitd service install` wrote starts, as its user's systemd would."""
        unit = (self.home / ".config" / "systemd" / "user" / "habitd.service").read_text()
        (start,) = re.findall(r"^ExecStart=(.*)$", unit, re.M)
        log = self.home / "journal.log"
        with log.open("wb") as journal:
            self.daemon = subprocess.Popen(shlex.split(start), env=self.env, cwd=self.home, stderr=journal)
        started = poll(lambda: "running:" in log.read_text(), 60)
        assert started, f"{self.name}'s daemon did not start:\n{log.read_text()}"

    def stop_daemon(self) -> None:
        if self.daemon is not None:
            self.daemon.terminate()
            self.daemon.wait(20)
            self.daemon = None

    def status_bar(self) -> dict[str, object]:
        """What the running daemon last wrote for status bars (`$XDG_RUNTIME_DIR/habitd/today.json`)."""
        path = Path(self.env["XDG_RUNTIME_DIR"]) / "habitd" / "today.json"
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}  # not yet, or being replaced
        assert isinstance(found, dict)
        return found

    def add_device(self, other: Machine) -> None:
        """Syncthing's *Add Remote Device* with the other's ID (and its address: no discovery here)."""
        peer = other.syncthing
        body = {"deviceID": peer.device_id, "name": other.name, "addresses": [f"tcp://127.0.0.1:{peer.listen_port}"]}
        self.syncthing.api("/rest/config/devices", "POST", body)

    def add_folder(self, folder_id: str, other: Machine) -> None:
        """Syncthing's *Add Folder* at ``~/Sync/habitd``, shared with the other's device."""
        me, peer = self.syncthing.device_id, other.syncthing.device_id
        body = {"id": folder_id, "label": "habitd", "path": str(self.shared), "type": "sendreceive"}
        body |= {"devices": [{"deviceID": me}, {"deviceID": peer}], **FOLDER_OPTIONS}
        self.syncthing.api("/rest/config/folders", "POST", body)

    def folder_status(self, folder_id: str) -> dict[str, object]:
        status = self.syncthing.api(f"/rest/db/status?folder={folder_id}")
        assert isinstance(status, dict)
        return status


@pytest.fixture
def couple(tmp_path: Path) -> Iterator[tuple[Machine, Machine]]:
    require("syncthing", "libfaketime")  # under CI=true a failure, never a skip
    sam, alex = Machine(tmp_path, "Sam"), Machine(tmp_path, "Alex")
    try:
        for m in (sam, alex):
            m.syncthing.start(tmp_path / f"syncthing-{m.name}.log")
        wait_for(lambda: sam.syncthing.up() and alex.syncthing.up(), 60, "both Syncthing instances to answer")
        yield sam, alex
    finally:
        for m in (sam, alex):
            m.stop_daemon()
            m.syncthing.stop()


def test_a_couple_follows_the_readme_to_done_by_alex(couple: tuple[Machine, Machine]) -> None:
    sam, alex = couple
    machines = {"Sam": [sam], "Alex": [alex], "Both": [sam, alex]}
    folder_id = "habitd-share"  # the web page makes up an id like it; Alex's side is offered the same
    first_block = re.search(r"```sh\n.*?```", section("Install"), re.S)
    assert first_block, "the Install section starts with its commands"
    install = [c for c in commands(first_block.group(0)) if c != "habitd try"]  # `try` needs a desktop
    assert install == [
        "habitd init",
        "habitd check",
        "habitd service install",
        "systemctl --user daemon-reload",
        "systemctl --user enable --now habitd",
    ]
    for who, title, said in steps():
        if title.startswith("install habitd"):
            for m in machines[who]:  # install habitd "as above"; Syncthing is running already
                for command in install:
                    m.follow(command)
        elif "introduce" in title:
            sam.add_device(alex)
            alex.add_device(sam)
            wait_for(lambda: sam.syncthing.connected_to(alex.syncthing), 60, "the two machines to connect")
        elif "share the folder" in title:
            sam.add_folder(folder_id, alex)
        elif "accept" in title:
            wait_for(lambda: offered(alex, folder_id), 60, "Alex's Syncthing to be offered Sam's folder")
            config = alex.home / ".config" / "habitd" / "config.toml"
            before = config.read_bytes()
            refused = alex.run(f"habitd init --join {SHARED} --name Alex")  # too early: the folder is not there
            assert refused.returncode != 0 and not alex.shared.exists(), "\n".join(alex.said)
            assert config.read_bytes() == before  # when it refuses, it has written nothing
            alex.add_folder(folder_id, sam)
            wait_for(lambda: up_to_date(sam, alex, folder_id), 60, "Alex's folder to be Up to Date")
            assert (alex.shared / "devices").is_dir()  # as the guide says
        elif not said:
            raise AssertionError(f"README step {who}: {title!r} is not one this test knows how to follow")
        for m in machines[who]:
            for command in said:
                m.follow(command)
    assert [s[2] for s in steps() if s[2]] == [
        ["systemctl --user enable --now syncthing"],
        [f"habitd init --join {SHARED} --name Sam --new"],
        [f"habitd init --join {SHARED} --name Alex"],
        ["habitd devices", "habitd check"],
    ]
    for m in (sam, alex):  # your own machine shows as joined at once
        assert re.search(rf"^-\s+{m.name}\b.*joined", m.ok("habitd devices"), re.M), "\n".join(m.said)

    done_by = re.search(r"`([a-z-]+): done by Alex`", section("Sharing with a partner"))
    assert done_by, "the guide shows what Sam sees once Alex has done a habit"
    habit = done_by.group(1)
    alex.ok(f"habitd done {habit}")
    (log,) = (alex.shared / "devices").glob("*/*.toml")
    there = sam.shared / log.relative_to(alex.shared)

    def arrived() -> bool:
        alex.syncthing.scan(folder_id)  # at once, rather than when its watcher notices
        return there.exists() and there.read_bytes() == log.read_bytes()

    wait_for(arrived, 60, "Alex's entry on Sam's machine")
    assert f"{habit}: done by Alex" in sam.ok("habitd status"), "\n".join(sam.said)

    def quiet() -> bool:  # Sam's daemon counts it too: no reminder of it for Sam
        done = sam.status_bar().get("done")
        return isinstance(done, list) and any(h["id"] == habit and h["by"] == ["Alex"] for h in done)

    assert poll(quiet, 30), f"Sam's daemon does not count Alex's {habit}: {sam.status_bar()}"
    assert re.search(r"^\S+\s+Alex\s+1\b", sam.ok("habitd devices"), re.M), "\n".join(sam.said)
    sam.ok("habitd check")


def up_to_date(sam: Machine, alex: Machine, folder_id: str) -> bool:
    """What Syncthing's page shows as *Up to Date* on Alex's side, once Alex has all Sam has."""
    mine, theirs = alex.folder_status(folder_id), sam.folder_status(folder_id)
    return (
        mine["state"] == theirs["state"] == "idle"
        and mine["needTotalItems"] == 0
        and mine["localTotalItems"] == mine["globalTotalItems"] == theirs["localTotalItems"]
    )


def offered(machine: Machine, folder_id: str) -> bool:
    """Whether Syncthing asks ``machine``'s user to add the folder (its page's "wants to share")."""
    pending = machine.syncthing.api("/rest/cluster/pending/folders")
    return isinstance(pending, dict) and folder_id in pending
