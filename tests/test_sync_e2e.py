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
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desktop import Daemon, Desktop, backend_env, require
from tests.syncthing import Pair

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

    def __init__(self, pair: Pair, base: Path, name: str, env: dict[str, str], start: str) -> None:
        self.pair = pair
        self.folders = pair.a.folder / name, pair.b.folder / name
        sides = []
        for who, shared in zip(("Sam", "Alex"), self.folders, strict=True):
            shared.mkdir()
            (base / who).mkdir()
            sides.append(Daemon(base / who, env, CONFIG.format(shared=shared, name=who), start))
        self.sam, self.alex = sides

    def settle(self) -> None:
        """Wait until every log file of either side is on the other, byte for byte."""
        a, b = self.folders

        def pairs() -> list[tuple[Path, Path]]:
            out = []
            for here, there in ((a, b), (b, a)):
                out += [(p, there / p.relative_to(here)) for p in here.glob("devices/*/*.toml")]
            return out

        self.pair.settle(pairs, timeout=120)


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
