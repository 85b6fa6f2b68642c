"""Two partners on one shared folder, as a couple uses it: whose notes, whose undo, whose pause, whose clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Habitd

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """
[settings]
timezone = "Europe/Berlin"
{shared}
{name}

[habits.thanks]
title = "Say thank you"
every = "day"
at = "20:30"

[habits.date-night]
title = "Date night"
every = "week"
on = ["fri"]
at = "18:00"

[habits.talk]
title = "A long talk"
every = "week"
times = 2

[habits.walk]
title = "A walk of my own"
every = "day"
times = 2
at = "08:00"
each = true
"""
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)  # a Wednesday


def device(tmp_path: Path, who: str, name: str | None, shared: bool = True) -> Habitd:
    home = tmp_path / who
    home.mkdir()
    config = home / "config.toml"
    folder = tmp_path / "shared"
    folder.mkdir(exist_ok=True)
    config.write_text(
        CONFIG.format(
            shared=f'shared_dir = "{folder}"' if shared else "",
            name=f"name = {json.dumps(name)}" if name else "",
        )
    )
    return Habitd(config, home / "state", NOW)


@pytest.fixture
def sam(tmp_path: Path) -> Habitd:
    return device(tmp_path, "sam", "Sam")


@pytest.fixture
def alex(tmp_path: Path) -> Habitd:
    return device(tmp_path, "alex", "Alex")


def ok(h: Habitd, *args: str) -> str:
    result = h(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def row(h: Habitd, hid: str) -> dict:
    return next(r for r in h.json("status")["habits"] if r["id"] == hid)


def journal(h: Habitd) -> list[tuple[str, str, str | None]]:
    return [(n["habit"], n["text"], n["by"]) for n in h.json("journal")["notes"]]


def later(*hs: Habitd, minutes: int = 5) -> None:
    for h in hs:
        h.now += timedelta(minutes=minutes)


# --- notes: each person's are their own, on a shared habit too ---------------------------------


def test_my_note_on_a_shared_habit_never_replaces_my_partners(sam: Habitd, alex: Habitd) -> None:
    assert "note written" in ok(alex, "note", "thanks", "alex day note")
    later(sam, alex)
    out = ok(sam, "note", "thanks", "sam day note")
    assert "replaces" not in out and "alex day note" not in out
    assert sorted(journal(alex)) == [("thanks", "alex day note", "Alex"), ("thanks", "sam day note", "Sam")]
    # correcting mine replaces mine only, and shows mine back
    later(sam, alex)
    out = ok(sam, "note", "thanks", "sam, corrected")
    assert "It replaces:" in out and "sam day note" in out
    assert sorted(journal(sam)) == [("thanks", "alex day note", "Alex"), ("thanks", "sam, corrected", "Sam")]
    # and Alex's correction replaces Alex's
    later(sam, alex)
    assert "alex day note" in ok(alex, "note", "thanks", "alex, corrected")
    assert sorted(journal(sam)) == [("thanks", "alex, corrected", "Alex"), ("thanks", "sam, corrected", "Sam")]


def test_note_delete_removes_mine_and_refuses_my_partners(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "done", "date-night", "--note", "the little place by the canal")
    refused = sam("note", "date-night", "--delete")
    assert refused.exit_code == 2
    assert "Alex" in refused.stderr and "\n" not in refused.stderr.strip()
    assert journal(alex) == [("date-night", "the little place by the canal", "Alex")]
    later(sam, alex)
    ok(sam, "note", "date-night", "we laughed a lot")
    out = ok(sam, "note", "date-night", "--delete")
    assert "we laughed a lot" in out and "canal" not in out
    assert journal(sam) == [("date-night", "the little place by the canal", "Alex")]
    assert sam("note", "date-night", "--delete").exit_code == 2
    assert journal(alex) == [("date-night", "the little place by the canal", "Alex")]


def test_my_note_goes_with_my_completion_not_my_partners(sam: Habitd, alex: Habitd) -> None:
    ok(sam, "done", "walk")
    later(sam, alex)
    ok(alex, "done", "walk")
    later(sam, alex)
    ok(sam, "note", "walk", "the river path")  # my completion came first; Alex's is the day's latest
    alex_day = alex.json("history", "walk", "--weeks", "1")["periods"][-1]
    assert [(c["by"], c["note"]) for c in alex_day["completions"]] == [("Alex", None)]
    sam_day = sam.json("history", "walk", "--weeks", "1")["periods"][-1]
    assert [(c["by"], c["note"]) for c in sam_day["completions"]] == [("Sam", "the river path")]


# --- undo: mine first ----------------------------------------------------------------------------


def test_undo_on_a_shared_habit_takes_back_mine_before_my_partners(sam: Habitd, alex: Habitd) -> None:
    ok(sam, "done", "talk", "--note", "sam note")
    later(sam, alex)
    ok(alex, "done", "talk", "--note", "alex note")  # Alex's came later
    later(sam, alex)
    out = ok(sam, "undo", "talk")
    assert "removed one completion" in out and "Alex" not in out
    assert "habitd note talk --delete" in out  # the note kept is mine: mine to remove
    day = alex.json("history", "talk", "--weeks", "1")["periods"][-1]
    assert [(c["by"], c["note"]) for c in day["completions"]] == [("Alex", "alex note")]
    assert day["notes"] == [{"date": "2026-11-25", "text": "sam note", "by": "Sam"}]
    # now I have none that day: the undo takes Alex's, and says so
    out = ok(sam, "undo", "talk")
    assert "removed Alex's completion" in out
    assert "Alex's, stays as the day's own note" in out and "--delete" not in out
    assert row(alex, "talk")["done"] == 0
    assert sorted(journal(alex)) == [("talk", "alex note", "Alex"), ("talk", "sam note", "Sam")]
    assert sam("undo", "talk").exit_code == 2


def test_undo_when_only_my_partner_completed_the_day_says_whose(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "done", "thanks")
    later(sam, alex)
    ok(sam, "done", "thanks")  # a second completion of a met day is not recorded
    assert row(sam, "thanks")["done"] == 1
    out = ok(sam, "undo", "thanks")
    assert "removed Alex's completion" in out


# --- pauses ----------------------------------------------------------------------------------------


def test_a_personal_pause_is_for_yourself_and_resume_names_whose_pause_it_ended(sam: Habitd, alex: Habitd) -> None:
    assert "Take care of yourself." in ok(sam, "pause", "walk", "--until", "2026-11-30")
    assert "Take care of yourselves." in ok(sam, "pause", "thanks", "--until", "2026-11-27")
    ok(sam, "resume", "thanks")
    ok(sam, "pause", "--until", "2026-11-30")
    later(sam, alex)
    out = ok(alex, "resume")
    assert "ending Sam's pause" in out
    assert row(sam, "date-night")["paused"] is False
    assert row(sam, "walk")["paused"] is True  # my own pause of my personal habit stays
    ok(alex, "pause", "--until", "2026-11-30")
    assert "pause" not in ok(alex, "resume").replace("paused", "")  # my own: nobody to name


# --- status: a row for every partner -------------------------------------------------------------------


def test_a_personal_habit_shows_a_row_for_each_partner_before_they_have_done_it(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "done", "thanks")  # Alex is seen in the history, not yet on the walk
    walk = row(sam, "walk")
    assert [(o["name"], o["done"], o["met"]) for o in walk["others"]] == [("Alex", 0, False)]
    lines = ok(sam, "status").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("walk"))
    assert lines[at + 1].split()[:2] == ["Alex", "0/2"]
    grid = sam.json("grid", "--days", "7")
    assert [r.get("person") for r in grid["habits"] if r["id"] == "walk"] == [None, "Alex"]


# --- a partner's clock ran ahead -----------------------------------------------------------------------


@pytest.mark.parametrize("habit", ["walk", "talk"])
def test_a_partners_future_completion_is_named_with_no_command_that_would_fail_or_take_theirs(
    sam: Habitd, alex: Habitd, habit: str
) -> None:
    alex.now = datetime(2026, 12, 12, 9, 0, tzinfo=BERLIN)  # Alex's clock ran ahead
    ok(alex, "done", habit)
    sam.now = datetime(2026, 12, 10, 9, 0, tzinfo=BERLIN)
    result = sam("status")
    assert result.exit_code == 0
    warning = " ".join(result.stderr.split())
    assert f"{habit}: a completion by Alex is dated 2026-12-12" in warning
    assert "Alex's device wrote it: its clock may be ahead" in warning
    assert "habitd undo" not in result.stderr
    assert max(len(line) for line in result.stderr.splitlines()) <= 80
    assert "habitd undo" not in sam("check").stderr
    # my own completion dated ahead still gets the way to remove it, and that removes mine
    sam.now = datetime(2026, 12, 12, 10, 0, tzinfo=BERLIN)
    ok(sam, "done", habit)
    sam.now = datetime(2026, 12, 10, 9, 0, tzinfo=BERLIN)
    stderr = sam("status").stderr
    assert f"habitd undo {habit} --date 2026-12-12" in stderr and "Alex's device" in stderr
    assert "removed one completion" in ok(sam, "undo", habit, "--date", "2026-12-12")
    stderr = sam("status").stderr
    assert "habitd undo" not in stderr and "a completion by Alex is dated 2026-12-12" in stderr
