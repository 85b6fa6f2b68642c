"""The everyday views: today, the history heatmap, journal, prompts, pause and resume."""

from __future__ import annotations

import re

from habitd.habits.config import parse_config
from habitd.habits.prompts import current_prompt, next_prompt
from habitd.habits.state import State
from habitd.habits.state_toml import from_doc, to_doc
from tests.conftest import Habitd

PROMPTS = """
[settings]
timezone = "Europe/Berlin"
[habits.checkin]
every = "week"
on = "sun"
at = "19:00"
prompts = ["one", "two", "three", "four", "five"]
"""


def test_prompts_never_repeat_within_a_round_and_the_deck_persists() -> None:
    habit = parse_config(PROMPTS, "c").habits[0]
    state = State()
    dealt = []
    for i in range(15):
        dealt.append(next_prompt(state, habit, seed=i))
        state = from_doc(to_doc(state), "s")  # through the file format, as between two reminders
    for start in (0, 5, 10):
        assert sorted(dealt[start : start + 5]) == sorted(habit.prompts)  # type: ignore[type-var]
    assert dealt[4] != dealt[5] and dealt[9] != dealt[10]  # a new round never opens with the last one
    assert current_prompt(state, habit) == dealt[-1]


def test_prompt_command_shows_the_current_and_moves_on_with_next(habitd: Habitd) -> None:
    habitd.write_config(PROMPTS)
    first = habitd("prompt", "checkin").stdout.strip()
    assert first in ("one", "two", "three", "four", "five")
    assert habitd("prompt", "check").stdout.strip() == first
    seen = {first} | {habitd("prompt", "checkin", "--next").stdout.strip() for _ in range(4)}
    assert seen == {"one", "two", "three", "four", "five"}
    habitd.write_config('[habits.walk]\nat = "10:00"\n')
    result = habitd("prompt", "walk")
    assert result.exit_code == 2 and "has no prompts" in result.stderr


def test_journal_lists_notes_newest_first(habitd: Habitd) -> None:
    habitd("done", "date-night", "--date", "2026-11-13", "--note", "ramen and the river")
    habitd("done", "thanks", "--date", "2026-11-20", "--note", "thanked her for the soup")
    habitd("done", "thanks", "--date", "2026-11-21")
    data = habitd.json("journal")
    assert [(n["habit"], n["date"], n["text"]) for n in data["notes"]] == [
        ("thanks", "2026-11-20", "thanked her for the soup"),
        ("date-night", "2026-11-13", "ramen and the river"),
    ]
    assert data["notes"][0]["written"].startswith("2026-11-25T12:00:00+01:00")
    assert [n["habit"] for n in habitd.json("journal", "date")["notes"]] == ["date-night"]
    assert [n["habit"] for n in habitd.json("journal", "--since", "2026-11-15")["notes"]] == ["thanks"]
    text = habitd("journal").stdout
    assert text.index("thanked her") < text.index("ramen")


def test_today_shows_due_in_reminder_order_then_done(habitd: Habitd) -> None:
    habitd.at("2026-11-27T09:00")  # a Friday
    habitd("done", "listen", "--date", "mon")
    habitd("done", "thanks")
    data = habitd.json("today")
    assert [(d["id"], d["at"]) for d in data["due"]] == [
        ("date-night", "2026-11-27T18:00:00+01:00"),
        ("listen", "2026-11-27T19:00:00+01:00"),
    ]
    assert [(d["id"], d["streak"]) for d in data["done"]] == [("thanks", 1)]
    text = habitd("today").stdout
    assert text.index("date-night") < text.index("listen") < text.index("Done") < text.index("thanks")
    assert all(len(line) <= 80 for line in text.splitlines())
    assert habitd("today", "--format", "line").stdout == "2 due: date-night, listen\n"
    habitd("done", "date-night")
    for _ in range(2):
        habitd("done", "listen")
    assert habitd("today", "--format", "line").stdout == "all done\n"


def test_history_heatmap_marks_each_kind_of_day(habitd: Habitd) -> None:
    habitd.write_config(
        '[settings]\ntimezone = "Europe/Berlin"\n[habits.talk]\non = ["mon", "tue", "wed", "thu", "fri", "sat"]\n'
    )
    # Week of Nov 16: Mon done, Tue missed, Wed skipped, Thu/Fri/Sat done, Sun not due; then Mon, Tue done.
    for day in ("2026-11-16", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-23", "2026-11-24"):
        habitd("done", "talk", "--date", day)
    habitd("skip", "talk", "--date", "2026-11-18")
    habitd("pause", "talk", "--until", "2026-11-25")
    out = habitd("history", "talk", "--weeks", "2").stdout
    assert "\x1b[" not in out  # no colour when not a terminal
    rows = {line[:3]: line[5:] for line in out.splitlines() if line[:3] in ("Mon", "Tue", "Wed", "Thu", "Sun")}
    assert rows["Mon"].split() == ["#", "#"]
    assert rows["Tue"].split() == ["x", "#"]
    assert rows["Wed"].split() == ["s", "p"]  # today, paused
    assert rows["Sun"].split() == ["~", "-"]  # the 15th, before the first entry: not tracked
    assert re.search(r"streak 5 · best 5", out)


def test_pause_is_neutral_and_resume_ends_it(habitd: Habitd) -> None:
    habitd("done", "thanks", "--date", "2026-11-20")
    habitd.at("2026-11-21T12:00")
    assert habitd("pause", "--until", "2026-11-24").exit_code == 0
    habitd.at("2026-11-25T12:00")
    habitd("done", "thanks")
    row = next(h for h in habitd.json("status")["habits"] if h["id"] == "thanks")
    assert row["streak"] == 2  # the 20th and the 25th, the pause in between neutral
    past = habitd("pause", "thanks", "--until", "2026-11-20")
    assert past.exit_code == 2 and "in the past" in past.stderr
    assert habitd("pause", "thanks", "--until", "fri").exit_code == 0
    status = habitd.json("status")["habits"]
    assert [h["paused"] for h in status] == [False, True, False]
    assert next(h for h in status if h["id"] == "thanks")["next_reminder"] == "2026-11-28T20:30:00+01:00"
    assert habitd("resume", "thanks").exit_code == 0
    assert habitd.json("status")["habits"][1]["paused"] is False
    again = habitd("resume")
    assert again.exit_code == 2 and "nothing is paused" in again.stderr
