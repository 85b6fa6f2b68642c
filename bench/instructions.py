"""The commands' cost counted in instructions, the figure a busy machine cannot move.

    python bench/instructions.py [--against REV]

Counts the instructions (user space, by valgrind's callgrind) of the floor and of
``done`` and ``status`` on the example config (with the state file a running daemon
leaves), each version started as a user starts it (``run.installed``), and gives each
as a ratio to the floor's. Wall
time is what users feel, and ``run.py`` measures it; on a shared machine its ratios
move by a tenth between runs, where these stay within a few thousandths. What they
leave out is the kernel's part: opening and reading files, and the durable writes
of ``done`` (four fsyncs), which wall time counts.

Needs valgrind (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from run import PY, ROOT, floor_cmd, installed, with_bookkeeping


def count(cmd: list[str], env: dict[str, str]) -> int:
    """Instructions of one run of ``cmd``."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", run.stderr)
    if found is None:
        raise SystemExit(f"valgrind said no count:\n{run.stderr[-2000:]}")
    return int(found[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", metavar="REV", help="REV's code beside this checkout's")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    env = {**os.environ, "NO_COLOR": "1", "PYTHONHASHSEED": "0"}  # one hash seed: the same work each run
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        versions = {"this": ROOT / "daemon"}
        if args.against:
            wanted = [args.against, "daemon", "pyproject.toml"]  # pyproject.toml names the console script's function
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", *wanted], check=True, capture_output=True)
            (folder / "old").mkdir()
            subprocess.run(["tar", "-x", "-C", str(folder / "old")], input=archive.stdout, check=True)
            versions = {args.against: folder / "old" / "daemon", **versions}
        subprocess.run([PY, "-m", "compileall", "-q", *map(str, versions.values())], check=True)
        floor = count(floor_cmd(), env)
        print(f"floor: {floor / 1e6:.1f} million instructions")
        example = str(ROOT / "config.example.toml")
        for name, path in versions.items():
            base = [*installed(path), "--config", example, "--state-dir", str(folder / f"state-{name}")]
            with_bookkeeping(folder / f"state-{name}")  # as beside a running daemon
            for _ in range(2):  # the state folder and its caches made, as they are after the first command
                subprocess.run([*base, "status"], env=env, capture_output=True, check=True)
            status = count([*base, "status"], env)
            done = count([*base, "done", "thanks"], env)
            print(f"{name}: done {done / 1e6:.1f} M ({done / floor:.3f} x), status {status / 1e6:.1f} M"
                  f" ({status / floor:.3f} x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
