"""Commands say what they did with a renamed id or an archived habit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import Habitd


def test_a_renamed_id_names_its_new_name(habitd: Habitd) -> None:
    """`done thanks` after `rename thanks appreciation` points at the new id (and does nothing): the old
    id may come back as another habit, and a script that still says 'thanks' is told rather than
    quietly recording elsewhere."""
    assert habitd("done", "thanks", "--date", "yesterday").exit_code == 0
    assert habitd("rename", "thanks", "appreciation").exit_code == 0
    before = habitd.history_files()
    for args in (("done", "thanks"), ("history", "thanks"), ("skip", "thanks"), ("stats", "thanks")):
        r = habitd(*args)
        assert r.exit_code == 2, r.output
        assert f"'thanks' is now 'appreciation' (renamed); `habitd {args[0]} appreciation`" in r.stderr
    assert habitd.history_files() == before  # nothing recorded under either id
    habitd.now += timedelta(minutes=1)  # a rename is known by its moment: a later one is another
    assert habitd("rename", "appreciation", "kudos").exit_code == 0  # a rename of the rename
    assert "'thanks' is now 'kudos'" in habitd("done", "THANKS").stderr
    r = habitd("done", "nothing-like-it")
    assert r.exit_code == 2 and "no habit 'nothing-like-it'" in r.stderr  # never renamed: as before


def test_an_id_of_the_config_is_never_taken_for_a_renamed_one(habitd: Habitd) -> None:
    assert habitd("done", "thanks").exit_code == 0
    assert habitd("rename", "thanks", "appreciation").exit_code == 0
    habitd.config.write_text(habitd.config.read_text() + '\n[habits.thanks]\ntitle = "Thanks again"\n')
    r = habitd("done", "thanks")
    assert r.exit_code == 0 and r.stdout.startswith("Thanks again: done for 2026-11-25")


@pytest.fixture
def archived(habitd: Habitd) -> Habitd:
    habitd.config.write_text(
        habitd.config.read_text().replace("[habits.thanks]\n", "[habits.thanks]\narchived = true\n")
    )
    return habitd


def test_an_archived_habit_is_marked_where_it_appears(archived: Habitd) -> None:
    line = next(x for x in archived("status", "--all").stdout.splitlines() if x.startswith("thanks"))
    assert line.endswith("archived, no reminders")
    assert "thanks" not in archived("status").stdout
    check = archived("check")
    assert check.exit_code == 0
    line = next(x for x in check.stdout.splitlines() if x.startswith("thanks"))
    assert line.endswith("next: archived, no reminders")
    done = archived("done", "thanks")
    assert done.exit_code == 0
    assert done.stdout.splitlines()[1].startswith("thanks is archived (archived = true in the config)")
    again = archived("done", "thanks")  # nothing changed: said too
    assert "already done" in again.stdout and "thanks is archived" in again.stdout
    assert "thanks is archived" in archived("history", "thanks").stdout
    done = archived("done", "listen")
    assert done.exit_code == 0 and "archived" not in done.stdout


def test_an_archived_habit_is_marked_in_every_view_that_shows_it(archived: Habitd) -> None:
    """The same word, ``archived``, wherever an archived habit's row, note or figures appear."""
    assert archived("done", "thanks", "--date", "yesterday", "--note", "a quiet evening").exit_code == 0
    assert archived("done", "listen", "--note", "a walk").exit_code == 0

    def row(args: tuple[str, ...], start: str) -> str:
        return next(x for x in archived(*args).stdout.splitlines() if start in x.split())

    assert row(("grid", "--all"), "thanks").endswith("archived")
    assert row(("stats",), "thanks").endswith("archived")
    assert archived("stats", "thanks").stdout.splitlines()[0] == "Thanks (every day, archived)"
    assert row(("today", "--all"), "thanks").endswith("(archived)")
    assert "thanks" not in archived("today").stdout
    assert row(("journal",), "2026-11-24").endswith("thanks  (archived)")
    for args in (("grid", "--all"), ("stats",), ("today",), ("journal",)):  # a habit in use: no word
        assert "archived" not in row(args, "listen" if args[0] != "journal" else "2026-11-25"), args
    assert "archived" not in archived("grid").stdout  # without --all, not there at all

    def flags(doc: dict, key: str = "habits") -> dict[str, bool]:
        return {h.get("id", h.get("habit")): h["archived"] for h in doc[key]}

    assert flags(archived.json("grid", "--all")) == {"date-night": False, "thanks": True, "listen": False}
    assert flags(archived.json("stats")) == {"date-night": False, "thanks": True, "listen": False}
    assert flags(archived.json("report")) == {"date-night": False, "thanks": True, "listen": False}
    assert flags(archived.json("journal"), "notes") == {"thanks": True, "listen": False}
    today = archived.json("today", "--all")
    assert {h["id"]: h["archived"] for key in ("due", "open", "done") for h in today[key]}["thanks"] is True
    assert "thanks" not in [h["id"] for h in today["due"]]  # shown, but never due: it reminds of nothing

    svg = archived("report", "--year", "2026").stdout
    thanks = svg[svg.index('id="habit-thanks"') :].split("</g>")[0]
    assert ">archived · done 1 time" in thanks
    listen = svg[svg.index('id="habit-listen"') :].split("</g>")[0]
    assert "archived" not in listen
