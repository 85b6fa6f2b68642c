"""Two partners sharing habits through a real sync engine: two Syncthing instances on 127.0.0.1.

Each side is a habitd installation of its own (a config with ``shared_dir`` on its
Syncthing folder and its own ``name``, its own state folder), used as people use
it: the command line and ``habitd run`` as real subprocesses, the wall clock set
with libfaketime, the notifications on a real server (dunst). One pair of
Syncthing instances serves the whole module; each test shares a folder of its own
inside theirs.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tomli_w

from tests.conftest import share_habits
from tests.desktop import Daemon, Desktop, backend_env, require
from tests.syncthing import Pair, wait_for

# One Syncthing pair for the module: its tests stay on one xdist worker (make test uses --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("syncthing")]

CONFIG = """
[settings]
timezone = "Europe/Berlin"
day_starts = "04:00"
notify_timeout = 0
shared_dir = "{shared}"
name = "{name}"

[habits.walk]
title = "Walk"
at = "19:00"

[habits.thanks]
title = "Thanks"
at = "19:00"

[habits.talk]
title = "Talk"
every = "week"
times = 2
at = "21:00"
"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    require("syncthing", "libfaketime")  # under CI=true a failure, never a skip
    p = Pair(tmp_path_factory.mktemp("syncthing"))
    yield p
    p.close()


class Partners:
    """Sam on Syncthing instance A, Alex on B, sharing the folder ``name`` inside theirs."""

    def __init__(
        self, pair: Pair, base: Path, name: str, env: dict[str, str], start: str, *, shared: bool = False
    ) -> None:
        """``shared``: the habits already in the folder, one file each (Sam's, synced to Alex), as after
        both ran `init --join`; else in each config, where habitd moves them once the folder has a log."""
        self.pair = pair
        self.folders = pair.a.folder / name, pair.b.folder / name
        sides = []
        for who, folder in zip(("Sam", "Alex"), self.folders, strict=True):
            folder.mkdir()
            (base / who).mkdir()
            config = CONFIG.format(shared=folder, name=who)
            if shared:
                (folder / "devices").mkdir()
                own = {"settings": tomllib.loads(config)["settings"]}
                config = share_habits(folder, config) if who == "Sam" else tomli_w.dumps(own)
            sides.append(Daemon(base / who, env, config, start))
        self.sam, self.alex = sides
        if shared:
            self.settle("habits/*.toml")

    def settle(self, files: str = "devices/*/*.toml") -> None:
        """Wait until every file of either side that ``files`` matches (the logs) is on the other, byte for byte."""
        a, b = self.folders

        def pairs() -> list[tuple[Path, Path]]:
            out = []
            for here, there in ((a, b), (b, a)):
                out += [(p, there / p.relative_to(here)) for p in here.glob(files)]
            return out

        self.pair.settle(pairs, timeout=120)

    def same_habits(self, until: Callable[[dict[str, bytes]], bool], what: str) -> dict[str, bytes]:
        """Wait until both sides hold the same shared habit files, ``until`` true of them; those files."""

        def same() -> dict[str, bytes] | None:
            self.pair.a.scan()
            self.pair.b.scan()
            here, there = (habit_files(folder) for folder in self.folders)
            return here if here == there and until(here) else None

        found = wait_for(same, 60, f"the same habit files on both sides, {what}")
        assert isinstance(found, dict)
        return found


def ok(side: Daemon, *args: str) -> subprocess.CompletedProcess[str]:
    done = side.cli(*args)
    assert done.returncode == 0, done.stderr
    return done


def seen(side: Daemon) -> tuple[object, object]:
    """What `status --json` and `export --notes` say on one side (the export's own moment aside)."""
    status = json.loads(ok(side, "status", "--json").stdout)
    export = json.loads(ok(side, "export", "--notes").stdout)
    export.pop("exported")
    return status, export


def habit(status: object, habit_id: str) -> dict[str, object]:
    assert isinstance(status, dict)
    (found,) = [h for h in status["habits"] if h["id"] == habit_id]
    return found  # type: ignore[no-any-return]


def test_done_on_one_machine_is_met_in_status_on_the_other(pair: Pair, tmp_path: Path) -> None:
    both = Partners(pair, tmp_path, "met", dict(os.environ), "2026-11-20 12:00:00")
    status = json.loads(ok(both.alex, "status", "--json").stdout)
    assert habit(status, "walk")["met"] is False
    ok(both.sam, "done", "walk", "--note", "by the river")
    both.settle()
    status, export = seen(both.alex)
    assert habit(status, "walk")["met"] is True and habit(status, "walk")["done"] == 1
    assert "by the river" in json.dumps(export)
    assert seen(both.sam) == (status, export)


@pytest.mark.e2e
def test_the_partners_machine_keeps_quiet_about_what_was_done(pair: Pair, screen: Desktop, tmp_path: Path) -> None:
    """Sam walks before 19:00; on Alex's machine, where `habitd run` is running, the 19:00
    reminder of the walk is not shown, and the one of what nobody did yet still is."""
    both = Partners(pair, tmp_path, "quiet", screen.env, "2026-11-27 18:50:00")
    both.alex.start(env=backend_env())
    try:
        ok(both.sam, "done", "walk")
        both.settle()
        both.alex.wait_log("the state changed", 30)  # Sam's file arrived while it ran
        both.alex.set_clock("2026-11-27 18:59:58")
        both.alex.wait_log("thanks: reminder of 2026-11-27 19:00 shown", 30)
        assert [n["summary"] for n in screen.notifications()] == ["Thanks"], both.alex.log
    finally:
        assert both.alex.stop() == 0
    assert "walk: reminder" not in both.alex.log


def test_concurrent_done_and_undo_on_both_sides_converge(pair: Pair, tmp_path: Path) -> None:
    both = Partners(pair, tmp_path, "converge", dict(os.environ), "2026-11-20 12:00:00")
    ok(both.sam, "done", "talk")  # twice a week: both partners may each mark it on one day
    both.settle()
    # at once, before either side sees the other's: Sam takes back Sam's completion, Alex marks one
    running = [
        subprocess.Popen(side.args(*args), env=side.env, cwd=side.folder, stderr=subprocess.PIPE, text=True)
        for side, args in (
            (both.sam, ("undo", "talk")),
            (both.alex, ("done", "talk")),
            (both.sam, ("done", "thanks")),
            (both.alex, ("skip", "walk", "--note", "rain")),
        )
    ]
    for proc in running:
        assert proc.wait(60) == 0, proc.stderr.read() if proc.stderr else ""
    both.settle()
    sam, alex = seen(both.sam), seen(both.alex)
    assert sam == alex
    status, export = alex
    assert habit(status, "talk")["done"] == 1  # Alex's completion survives Sam's undo
    assert habit(status, "thanks")["met"] is True
    assert "rain" in json.dumps(export)


def habit_files(folder: Path) -> dict[str, bytes]:
    """The shared habit files of one side, by name (Syncthing's own temporary files aside)."""
    found = (folder / "habits").iterdir()
    return {p.name: p.read_bytes() for p in found if not p.name.startswith((".syncthing.", "~syncthing~"))}


def save_habit(side: Path, habit_id: str, old: str, new: str, mtime: float) -> str:
    """Change a shared habit's file as an editor saves it (a new file renamed over it), modified at ``mtime``."""
    path = side / "habits" / f"{habit_id}.toml"
    text = path.read_text()
    assert old in text, text
    tmp = side.parent / f"{side.name}-{habit_id}.tmp"  # outside the folder, so the engine never sees it
    tmp.write_text(text.replace(old, new))
    os.utime(tmp, (mtime, mtime))
    os.replace(tmp, path)
    return text.replace(old, new)


def titles(side: Daemon) -> dict[str, tuple[str, int]]:
    status = json.loads(ok(side, "status", "--json").stdout)
    return {h["id"]: (h["title"], h["target"]) for h in status["habits"]}


@pytest.mark.e2e
def test_edits_made_apart_merge_by_habit_and_a_conflict_copy_is_named_and_resolved(pair: Pair, tmp_path: Path) -> None:
    """Sam and Alex edit shared habits while their machines cannot reach each other. Different
    habits merge; the walk, which both changed, leaves Syncthing's conflict copy, which both
    machines' `check` and `devices` name until `resolve` on one machine settles it for both."""
    both = Partners(pair, tmp_path, "conflict", dict(os.environ), "2026-11-20 12:00:00", shared=True)
    sam_folder, alex_folder = both.folders
    now = time.time()
    with pair.apart():
        sam_walk = save_habit(sam_folder, "walk", 'title = "Walk"', 'title = "Walk by the river"', now - 60)
        save_habit(sam_folder, "thanks", 'title = "Thanks"', 'title = "Thank you"', now - 60)
        alex_walk = save_habit(alex_folder, "walk", 'title = "Walk"', 'title = "Evening walk"', now)
        save_habit(alex_folder, "talk", "times = 2", "times = 3", now)
        pair.a.scan()  # each machine's engine has taken in its own edits before they meet
        pair.b.scan()
    merged = both.same_habits(lambda files: any(".sync-conflict-" in name for name in files), "a conflict copy")
    (copy,) = [name for name in merged if ".sync-conflict-" in name]
    assert copy.startswith("walk.sync-conflict-") and copy.endswith(".toml"), merged
    assert {merged["walk.toml"], merged[copy]} == {sam_walk.encode(), alex_walk.encode()}
    for side in (both.sam, both.alex):
        assert titles(side)["thanks"] == ("Thank you", 1) and titles(side)["talk"] == ("Talk", 3)
        checked = side.cli("check")
        said = checked.stdout + checked.stderr
        assert checked.returncode == 1, said
        assert "walk" in said and copy in said and "habitd resolve walk" in said, said
        devices = json.loads(ok(side, "devices", "--json").stdout)
        assert devices["conflicts"] == [{"habit": "walk", "copy": copy}], devices

    kept = tomllib.loads(merged[copy].decode())["title"]
    assert kept != titles(both.alex)["walk"][0]  # the copy is the version not in force
    ok(both.sam, "resolve", "walk", "--keep", copy)
    both.same_habits(lambda files: copy not in files, "the copy gone")
    for side in (both.sam, both.alex):
        checked = side.cli("check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert titles(side)["walk"] == (kept, 1)
