"""The console script ends a command's process at once, skipping Python's teardown, and loses
nothing by it: every byte of output, the exit status and what the command saved are the same as
with Python's usual exit. Work that waits for the end (an ``atexit`` function, another thread)
still gets the usual exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.desktop import LIBFAKETIME

HABITD = Path(sys.executable).parent / "habitd"  # the console script of this installation
# Python's usual exit: the command line as a function, ended by the SystemExit it raises
USUAL = [sys.executable, "-c", "import sys; from habitd.cli.app import main; sys.argv[0] = 'habitd'; main()"]
HABITS = 400  # `status --json` is then about 150 KB: many pipe buffers' worth

pytestmark = pytest.mark.skipif(not LIBFAKETIME, reason="needs libfaketime (Debian: faketime)")


def env_for(folder: Path) -> dict[str, str]:
    """One frozen moment for every process (libfaketime), so that two runs' outputs compare."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHON", "FAKETIME"))}
    return {
        **base,
        "HABITD_CONFIG": str(folder / "config.toml"),
        "HABITD_STATE_DIR": str(folder / "state"),
        "NO_COLOR": "1",
        "TZ": "Europe/Berlin",
        "LD_PRELOAD": LIBFAKETIME,
        "FAKETIME": "2026-06-03 12:00:00",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def folder_with_habits(folder: Path) -> Path:
    folder.mkdir()
    habits = "".join(f'[habits.h{i:03}]\ntitle = "Habit number {i}"\nat = "20:30"\n\n' for i in range(HABITS))
    (folder / "config.toml").write_text(habits)
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--json"],
        ["status"],
        ["history", "h007", "--weeks", "520", "--json"],
        ["export", "--notes"],
        ["done", "no-such-habit"],
        ["status", "--no-such-option"],
    ],
)
def test_the_script_prints_and_exits_as_pythons_usual_exit_does(tmp_path: Path, args: list[str]) -> None:
    runs = {}
    for name, start in (("script", [str(HABITD)]), ("usual", USUAL)):
        folder = folder_with_habits(tmp_path / name)
        note = [*start, "done", "h007", "--note", "one of many"]
        subprocess.run(note, env=env_for(folder), capture_output=True, check=True)
        runs[name] = subprocess.run([*start, *args], capture_output=True, env=env_for(folder), timeout=60)
    script, usual = runs["script"], runs["usual"]
    assert (script.returncode, script.stderr) == (usual.returncode, usual.stderr)
    assert script.stdout == usual.stdout
    if args[:2] == ["status", "--json"]:
        assert len(script.stdout) > 100_000  # it did cross many pipe buffers
        assert len(json.loads(script.stdout)["habits"]) == HABITS


def test_what_the_script_saved_is_there_for_the_next_command(tmp_path: Path) -> None:
    env = env_for(folder_with_habits(tmp_path / "home"))
    for habit in ("h001", "h002", "h399"):
        assert subprocess.run([HABITD, "done", habit], capture_output=True, env=env).returncode == 0
    shown = json.loads(subprocess.run([HABITD, "status", "--json"], capture_output=True, env=env, check=True).stdout)
    done = sorted(h["id"] for h in shown["habits"] if h["done"] == 1)
    assert done == ["h001", "h002", "h399"]


def test_work_waiting_for_the_end_still_runs(tmp_path: Path) -> None:
    """An atexit function and a thread that waits for the main thread both finish."""
    code = (
        "import atexit, sys, threading\n"
        "from pathlib import Path\n"
        "by_atexit, by_thread = map(Path, sys.argv[1:])\n"
        "atexit.register(by_atexit.write_text, 'atexit ran')\n"
        "def after_main():\n"
        "    threading.main_thread().join()\n"  # returns when Python's usual exit begins
        "    by_thread.write_text('thread ran')\n"
        "threading.Thread(target=after_main).start()\n"
        "from habitd.cli.app import script\n"
        "sys.argv = ['habitd', 'status']\n"
        "script()\n"
    )
    env = env_for(folder_with_habits(tmp_path / "home"))
    marks = tmp_path / "atexit", tmp_path / "thread"
    command = [sys.executable, "-c", code, *map(str, marks)]
    ran = subprocess.run(command, capture_output=True, env=env, cwd=ROOT, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert [m.read_text() for m in marks] == ["atexit ran", "thread ran"]


@pytest.mark.parametrize(
    ("tool", "stdin", "said"),
    [
        (["-m", "cProfile"], "", "function calls"),  # the profile, printed at the end
        (["-m", "pdb"], "c\nq\n", "The program exited via sys.exit()"),
        (["-i"], "print('still here')\n", "still here"),  # the prompt after the program
    ],
)
def test_a_developers_tools_still_get_the_end(tmp_path: Path, tool: list[str], stdin: str, said: str) -> None:
    env = env_for(folder_with_habits(tmp_path / "home"))
    command = [sys.executable, *tool, "-m", "habitd", "--version"]
    ran = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert "habitd, version" in ran.stdout and said in ran.stdout + ran.stderr, ran.stdout + ran.stderr
