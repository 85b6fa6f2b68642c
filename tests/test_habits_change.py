"""Habits change, history stays: rename, archived, check's note on kept history, edit."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import icalendar
import pytest

from tests.conftest import BASIC, Habitd


def _some_history(habitd: Habitd) -> None:
    for day in ("2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"):
        assert habitd("done", "thanks", "--date", day).exit_code == 0
    assert habitd("done", "thanks", "--note", "for the tea").exit_code == 0
    assert habitd("skip", "thanks", "--date", "2026-11-19").exit_code == 0
    assert habitd("pause", "thanks", "--until", "2026-11-30").exit_code == 0


def _status(habitd: Habitd, hid: str, *extra: str) -> dict[str, object] | None:
    return next((h for h in habitd.json("status", *extra)["habits"] if h["id"] == hid), None)


def test_rename_moves_history_and_rewrites_the_config_key(habitd: Habitd) -> None:
    text = BASIC.replace("[habits.thanks]", "# say it out loud\n[habits.thanks]   # daily")
    habitd.write_config(text)
    habitd.config.chmod(0o640)
    _some_history(habitd)
    before = _status(habitd, "thanks")
    journal = habitd.json("journal")["notes"]
    result = habitd("rename", "thanks", "gratitude")
    assert result.exit_code == 0, result.output
    assert "Moved the history of thanks to gratitude: 6 completion(s), 1 skip(s), 1 note(s)." in result.stdout
    assert "[habits.gratitude]   # daily" in habitd.config.read_text()
    assert habitd.config.read_text() == text.replace("[habits.thanks]", "[habits.gratitude]")
    assert stat.S_IMODE(habitd.config.stat().st_mode) == 0o640
    after = _status(habitd, "gratitude")
    assert before is not None and after is not None
    assert {**before, "id": "gratitude", "title": "Gratitude"} == after
    assert after["streak"] == 6 and after["paused"] is True
    assert [{**n, "habit": "thanks"} for n in habitd.json("journal")["notes"]] == journal
    assert "history for" not in habitd("check").stdout


def test_rename_keeps_the_prompt_deck_where_it_was(habitd: Habitd) -> None:
    habitd.write_config(BASIC.replace('title = "Date night"', 'title = "Date night"\nprompts = ["a", "b", "c", "d"]'))
    first = habitd("prompt", "date-night").stdout
    second = habitd("prompt", "date-night", "--next").stdout
    assert habitd("rename", "date-night", "evening").exit_code == 0
    assert habitd("prompt", "evening").stdout == second != first
    assert habitd("prompt", "evening", "--next").stdout not in (first, second)


def test_a_config_it_cannot_edit_safely_is_left_alone_with_the_line_to_change(habitd: Habitd, tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text(BASIC)
    habitd.config.unlink()
    habitd.config.symlink_to(real)
    _some_history(habitd)
    result = habitd("rename", "thanks", "gratitude")
    assert result.exit_code == 0
    line = BASIC.split("\n").index("[habits.thanks]") + 1
    assert f"Now change [habits.thanks] to [habits.gratitude] in line {line} of {habitd.config}" in result.stderr
    assert real.read_text() == BASIC and habitd.config.is_symlink()
    check = " ".join(habitd("check").stdout.split())  # wrapped at 80 columns
    assert "history for 'gratitude' is kept; `habitd rename gratitude NEW` attaches it to a habit" in check
    # The person does it by hand; the history is there.
    real.write_text(BASIC.replace("[habits.thanks]", "[habits.gratitude]"))
    assert _status(habitd, "gratitude")["streak"] == 6  # type: ignore[index]


def test_a_habit_written_as_dotted_keys_is_left_for_the_person_to_rename(habitd: Habitd) -> None:
    text = '[settings]\ntimezone = "Europe/Berlin"\n\n[habits]\nthanks.at = "20:30"\nlisten.every = "week"\n'
    habitd.write_config(text)
    habitd("done", "thanks")
    result = habitd("rename", "thanks", "gratitude")
    assert result.exit_code == 0 and "the config has no single [habits.thanks] line" in result.stderr
    assert habitd.config.read_text() == text


def test_kept_history_is_noted_by_check_and_attached_by_rename(habitd: Habitd) -> None:
    _some_history(habitd)
    habitd.write_config(BASIC.replace("[habits.thanks]", "[habits.appreciate]"))
    result = habitd("check")
    assert result.exit_code == 0
    assert "history for 'thanks' is kept; `habitd rename thanks NEW` attaches it to a habit" in " ".join(
        result.stdout.split()
    )
    attach = habitd("rename", "thanks", "appreciate")
    assert attach.exit_code == 0 and "6 completion(s)" in attach.stdout
    assert _status(habitd, "appreciate")["streak"] == 6  # type: ignore[index]
    assert "history for" not in habitd("check").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["thnks", "x"], "no habit or history called 'thnks'; did you mean 'thanks'?"),
        (["thanks", "Bad Id"], "'Bad Id' cannot be a habit id"),
        (["thanks", "listen"], "thanks and listen are both habits in the config"),
    ],
)
def test_rename_refuses_what_cannot_be_and_changes_nothing(habitd: Habitd, args: list[str], message: str) -> None:
    _some_history(habitd)
    state = habitd.history_files()
    result = habitd("rename", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert habitd.config.read_text() == BASIC
    assert habitd.history_files() == state


def test_an_archived_habit_is_quiet_and_hidden_but_keeps_its_history(habitd: Habitd) -> None:
    _some_history(habitd)
    habitd("resume", "thanks")
    habitd.write_config(BASIC.replace("[habits.thanks]", "[habits.thanks]\narchived = true"))
    assert _status(habitd, "thanks") is None
    kept = _status(habitd, "thanks", "--all")
    assert kept is not None and kept["archived"] is True and kept["streak"] == 6 and kept["next_reminder"] is None
    assert _status(habitd, "listen", "--all")["archived"] is False  # type: ignore[index]
    today = habitd.json("today")
    assert "thanks" not in json.dumps(today)
    assert "thanks" in json.dumps(habitd.json("today", "--all"))
    assert all(r["habit"] != "thanks" for r in habitd.json("next", "--limit", "50")["reminders"])
    assert "thanks" not in habitd("status").stdout and "thanks" not in habitd("today", "--format", "line").stdout
    history = habitd("history", "thanks")
    assert history.exit_code == 0 and "streak 6" in history.stdout


EDITOR = """
import sys
from pathlib import Path
count = Path(__file__).with_name("edits.count")
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
texts = [{bad!r}, {good!r}]
Path(sys.argv[1]).write_text(texts[min(n, 1)])
"""


def test_edit_opens_the_editor_checks_and_offers_another_go(
    habitd: Habitd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = BASIC + '\n[habits.walk]\nevery = "day"\nat = "17:00"\n'
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(bad=BASIC.replace('at = "20:30"', 'at = "25:30"'), good=good))
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    feed = tmp_path / "feed.ics"
    good = good.replace("[settings]", f'[settings]\nical_path = "{feed}"')
    script.write_text(EDITOR.format(bad=BASIC.replace('at = "20:30"', 'at = "25:30"'), good=good))
    result = habitd("edit", input="y\n")
    assert result.exit_code == 0, result.output
    assert 'habits.thanks.at: "25:30" is not a time' in result.stderr and "Edit it again?" in result.stderr
    assert "walk" in result.stdout and "config is valid: 4 habits" in result.stdout
    assert (tmp_path / "edits.count").read_text() == "2"
    assert habitd.config.read_text() == good
    events = icalendar.Calendar.from_ical(feed.read_bytes()).walk("VEVENT")
    assert "walk@habitd" in [str(e["uid"]) for e in events]

    (tmp_path / "edits.count").unlink()
    declined = habitd("edit", input="n\n")  # as visudo: an invalid edit is never saved
    assert declined.exit_code == 2
    assert f"nothing was saved; {habitd.config} is as it was" in declined.stderr
    assert habitd.config.read_text() == good
    assert "Traceback" not in declined.output

    monkeypatch.setenv("VISUAL", "false")
    failed = habitd("edit")
    assert failed.exit_code == 1 and "Editing failed" in failed.stderr and "Traceback" not in failed.output
    assert os.path.exists(habitd.config)


def test_edit_follows_a_link_and_saves_only_a_valid_copy(
    habitd: Habitd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "dotfiles" / "habitd.toml"
    real.parent.mkdir()
    real.write_text(BASIC)
    habitd.config.unlink()
    habitd.config.symlink_to(real)  # a dotfiles folder: the link stays, the file it names is edited
    good = BASIC + '\n[habits.walk]\nevery = "day"\n'
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(bad=good, good=good))
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    r = habitd("edit")
    assert r.exit_code == 0, r.output
    assert habitd.config.is_symlink() and real.read_text() == good
