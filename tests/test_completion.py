"""Shell completion of habit ids and days, and "did you mean" for a mistyped habit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASIC, ROOT, Habitd

SCRIPT = Path(sys.executable).parent / "habitd"


def _complete(words: str, tmp_path: Path, shell: str = "bash", **env: str) -> list[str]:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text(BASIC + '\n[habits.dance]\ntitle = "Dance in the kitchen"\n')
    run = subprocess.run(
        [str(SCRIPT)],
        env={
            **os.environ,
            "_HABITD_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
            "HABITD_CONFIG": str(config),
            **env,
        },
        capture_output=True, text=True, cwd=ROOT, timeout=30,
    )  # fmt: skip
    assert run.returncode == 0 and run.stderr == "", run.stderr
    return [line.split(",", 1)[1] for line in run.stdout.splitlines() if line]


@pytest.mark.parametrize(
    "command", ["done", "undo", "skip", "note", "history", "journal", "prompt", "pause", "resume", "rename"]
)
def test_habit_ids_complete_for_every_command_that_takes_one(tmp_path: Path, command: str) -> None:
    assert _complete(f"habitd {command} d", tmp_path) == ["date-night", "dance"]
    assert _complete(f"habitd {command} ", tmp_path) == ["date-night", "thanks", "listen", "dance"]


def test_days_complete_for_date_since_and_until(tmp_path: Path) -> None:
    assert _complete("habitd done thanks --date y", tmp_path) == ["yesterday"]
    assert _complete("habitd done thanks --date t", tmp_path) == ["today", "tuesday", "thursday"]
    assert _complete("habitd journal --since s", tmp_path) == ["saturday", "sunday"]
    assert _complete("habitd pause --until t", tmp_path) == ["tomorrow", "tuesday", "thursday"]


def test_completion_reads_the_config_given_on_the_line_and_is_silent_when_it_cannot(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('[habits.walk]\nevery = "day"\n')
    assert _complete(f"habitd --config {other} done ", tmp_path) == ["walk"]
    broken = tmp_path / "broken.toml"
    broken.write_text("[habits.walk\n")
    assert _complete(f"habitd --config {broken} done ", tmp_path) == []


def test_a_mistyped_habit_gets_did_you_mean(habitd: Habitd) -> None:
    result = habitd("done", "thnaks")
    assert result.exit_code == 2
    assert "no habit 'thnaks'; did you mean 'thanks'? the habits are: date-night, thanks, listen" in result.stderr
    far = habitd("done", "zzz")
    assert "did you mean" not in far.stderr and "the habits are" in far.stderr


def test_the_config_completes_as_a_file_and_the_state_folder_as_a_folder(tmp_path: Path) -> None:
    """The shell is asked to complete file names after --config and folder names after --state-dir."""
    _complete("habitd ", tmp_path)  # writes the config the completion reads
    for words, kind in [("habitd --config co", "file"), ("habitd --state-dir st", "dir")]:
        run = subprocess.run(
            [str(SCRIPT)],
            env={**os.environ, "_HABITD_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": "2",
                 "HABITD_CONFIG": str(tmp_path / "config.toml")},
            capture_output=True, text=True, cwd=ROOT, timeout=30,
        )  # fmt: skip
        assert run.stdout.splitlines() == [f"{kind},{words.split()[-1]}"], run.stdout + run.stderr


def test_the_config_and_state_folder_options_refuse_the_wrong_kind_of_file(tmp_path: Path) -> None:
    folder, file = tmp_path / "folder", tmp_path / "file"
    folder.mkdir()
    file.write_text("")
    for args, said in [
        (["--config", str(folder)], f"invalid value for '--config': File '{folder}' is a directory"),
        (["--state-dir", str(file)], f"invalid value for '--state-dir': Directory '{file}' is a file"),
    ]:
        run = subprocess.run([str(SCRIPT), *args, "status"], capture_output=True, text=True, cwd=ROOT, timeout=30)
        assert run.returncode == 2 and run.stderr == f"habitd: {said}; try `habitd --help`\n"
