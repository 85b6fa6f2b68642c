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
