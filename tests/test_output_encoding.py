"""Output never crashes on a terminal's encoding, and a failure after a save is never reported as a
failed save (a user who sees one tries again and counts twice). Real processes of the installed
console script, under the locales and encodings people have."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HABITD = Path(sys.executable).parent / "habitd"

CONFIG = """
[settings]
timezone = "Europe/Berlin"

[habits.listen]
title = "Écoute ❤ sans réparer"
every = "week"
times = 3
at = "19:00"
"""


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    assert HABITD.exists(), f"the console script is not installed at {HABITD}"
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIO", "PYTHONUTF8"))}
    base.update(HABITD_CONFIG=str(config), HABITD_STATE_DIR=str(tmp_path / "state"), NO_COLOR="1")

    def run(*args: str, env: dict[str, str], stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([str(HABITD), *args], env={**base, **env}, stdout=stdout, stderr=subprocess.PIPE)

    return run


def completions(run) -> int:  # type: ignore[no-untyped-def]
    out = run("status", "--json", env={}).stdout
    return int(json.loads(out)["habits"][0]["done"])


@pytest.mark.parametrize(
    "env",
    [
        {"LC_ALL": "C", "PYTHONIOENCODING": "ascii"},
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
        {"PYTHONIOENCODING": "latin-1"},
    ],
    ids=["ascii", "C-locale", "latin-1"],
)
def test_done_under_a_narrow_encoding_records_once_and_exits_0(run, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    result = run("done", "listen", "--note", "à deux ❤", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert b"sans r" in result.stdout and b": done for " in result.stdout  # the rest degraded, not lost
    assert completions(run) == 1
    notes = json.loads(run("journal", "--json", env={}).stdout)["notes"]
    assert [n["text"] for n in notes] == ["à deux ❤"]  # as typed, whatever the locale
    for view in (["status"], ["today"], ["journal"], ["history", "listen"], ["check"]):
        shown = run(*view, env=env)
        assert shown.returncode == 0, (view, shown.stderr)
        assert b"Traceback" not in shown.stderr and b"internal error" not in shown.stderr


def test_a_failure_to_show_after_the_save_is_a_warning_with_exit_0(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with open("/dev/full", "w") as full:  # every write to it fails: No space left on device
        result = run("done", "listen", env={}, stdout=full)
    assert result.returncode == 0, result.stderr
    err = result.stderr.decode()
    assert err.startswith("habitd: warning: the change was saved, but showing it failed (OSError")
    assert "no need to run it again" in err and "Traceback" not in err
    assert completions(run) == 1
    for args in (["skip", "listen"], ["undo", "listen"], ["note", "listen", "x"], ["pause", "--until", "tomorrow"]):
        with open("/dev/full", "w") as full:
            result = run(*args, env={}, stdout=full)
        assert result.returncode == 0 and b"warning: the change was saved" in result.stderr, (args, result.stderr)
    export = tmp_path / "export.json"
    assert run("export", "-o", str(export), env={}).returncode == 0
    shutil.rmtree(tmp_path / "state")  # a history to import it into again
    with open("/dev/full", "w") as full:
        result = run("import", str(export), env={}, stdout=full)
    assert result.returncode == 0 and b"warning: the change was saved" in result.stderr, result.stderr
    with open("/dev/full", "w") as full:  # every part of a rename is done, whatever the output does
        result = run("rename", "listen", "heard", env={}, stdout=full)
    assert result.returncode == 0 and b"warning: the change was saved" in result.stderr, result.stderr
    assert "[habits.heard]" in (tmp_path / "config.toml").read_text()
    assert json.loads(run("status", "--json", env={}).stdout)["habits"][0]["id"] == "heard"


def test_what_a_rename_or_an_import_says_after_its_save_is_not_lost_to_a_full_stdout(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every line is tried on its own: an instruction on stderr comes through when stdout fails,
    and a command that saved nothing says so as an error, not as a saved change."""
    link = tmp_path / "link.toml"  # a config reached through a link: habitd does not edit it, it says how
    link.symlink_to(tmp_path / "config.toml")
    assert run("done", "listen", env={"HABITD_CONFIG": str(link)}).returncode == 0
    with open("/dev/full", "w") as full:
        result = run("rename", "listen", "heard", env={"HABITD_CONFIG": str(link)}, stdout=full)
    assert result.returncode == 0, result.stderr
    err = result.stderr.decode()
    assert "warning: the change was saved" in err
    assert "Now change [habits.listen] to [habits.heard]" in err  # the instruction, after the warning
    export = tmp_path / "export.json"
    assert run("export", "-o", str(export), env={}).returncode == 0
    with open("/dev/full", "w") as full:  # all of it is there already: nothing saved
        again = run("import", str(export), env={}, stdout=full)
    assert again.returncode == 1
    assert again.stderr == b"habitd: could not write the output: No space left on device\n"
