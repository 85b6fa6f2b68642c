"""Nothing a person typed is lost: notes through done, undo, skip and `habitd note`."""

from __future__ import annotations

from tests.conftest import Habitd


def journal(habitd: Habitd, *args: str) -> list[tuple[str, str, str, str]]:
    return [(n["habit"], n["date"], n["kind"], n["text"]) for n in habitd.json("journal", *args)["notes"]]


def test_done_with_a_note_on_a_met_period_keeps_the_note_and_says_so(habitd: Habitd) -> None:
    assert habitd("done", "date-night", "--note", "ramen").exit_code == 0
    again = habitd("done", "date-night", "--note", "and the river walk after")
    assert again.exit_code == 0
    assert again.stdout.splitlines() == [
        "Date night: already done for this week (2026-11-23 .. 2026-11-29).",
        "Your note is kept as the day's own note; `habitd journal` shows it.",
    ]
    assert sorted(journal(habitd)) == [
        ("date-night", "2026-11-25", "note", "and the river walk after"),
        ("date-night", "2026-11-25", "note", "ramen"),
    ]
    period = habitd.json("history", "date-night", "--weeks", "1")["periods"][-1]
    assert period["completions"] == [{"date": "2026-11-25", "note": "ramen", "by": None}]
    assert period["notes"] == [{"date": "2026-11-25", "text": "and the river walk after", "by": None}]
    # Without a note, nothing is kept and the words say nothing changed.
    assert "Nothing changed" in habitd("done", "date-night").stdout


def test_undo_of_a_completion_keeps_its_note_as_the_days_note(habitd: Habitd) -> None:
    habitd("done", "date-night", "--note", "the tiny ramen place")
    result = habitd("undo", "date-night")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Date night: removed one completion on 2026-11-25.",
        "Its note stays as the day's own note; to remove it:",
        "  habitd note date-night --delete --date 2026-11-25",
    ]
    assert journal(habitd) == [("date-night", "2026-11-25", "note", "the tiny ramen place")]
    period = habitd.json("history", "date-night", "--weeks", "1")["periods"][-1]
    assert period["state"] == "open" and period["completions"] == []
    assert period["notes"] == [{"date": "2026-11-25", "text": "the tiny ramen place", "by": None}]


def test_note_writes_replaces_and_deletes_the_days_note_saying_what_it_removed(habitd: Habitd) -> None:
    habitd("done", "thanks", "--date", "2026-11-24")
    assert habitd("note", "thanks", "for the soup", "--date", "2026-11-24").exit_code == 0
    data = habitd.json("history", "thanks", "--weeks", "1")
    day = next(p for p in data["periods"] if p["first"] == "2026-11-24")
    assert day["completions"] == [{"date": "2026-11-24", "note": "for the soup", "by": None}]  # on the day's completion
    replaced = habitd("note", "thanks", "for the soup, and the kind words", "--date", "2026-11-24")
    assert replaced.exit_code == 0 and "It replaces:\n    for the soup\n" in replaced.stdout
    assert journal(habitd) == [("thanks", "2026-11-24", "note", "for the soup, and the kind words")]
    removed = habitd("note", "thanks", "--delete", "--date", "2026-11-24")
    assert removed.exit_code == 0
    assert removed.stdout == "Thanks: removed the note of 2026-11-24:\n    for the soup, and the kind words\n"
    assert journal(habitd) == []
    nothing = habitd("note", "thanks", "--delete", "--date", "2026-11-24")
    assert nothing.exit_code == 2 and "no note on 2026-11-24" in nothing.stderr
    # A day without a completion can have a note of its own.
    assert habitd("note", "thanks", "too tired, but we hugged").exit_code == 0
    assert journal(habitd) == [("thanks", "2026-11-25", "note", "too tired, but we hugged")]


def test_note_needs_text_or_delete_and_not_both(habitd: Habitd) -> None:
    for args in ([], ["x", "--delete"], ["  "]):
        result = habitd("note", "thanks", *args)
        assert result.exit_code == 2 and result.stderr.startswith("habitd: "), (args, result.output)


def test_undo_removes_the_days_latest_entry_a_skip_or_a_completion_and_says_which(habitd: Habitd) -> None:
    habitd("done", "listen")  # 1/3 this week
    assert habitd("skip", "listen", "--note", "a hard week").exit_code == 0
    result = habitd("undo", "listen")
    assert result.exit_code == 0 and "removed the skip on 2026-11-25" in result.stdout
    assert "note stays" in result.stdout
    period = habitd.json("history", "listen", "--weeks", "1")["periods"][-1]
    assert (period["state"], period["skips"]) == ("open", [])
    assert period["completions"] == [{"date": "2026-11-25", "note": None, "by": None}]
    assert period["notes"] == [{"date": "2026-11-25", "text": "a hard week", "by": None}]
    # A completion recorded after a skip is the latest entry: it goes first.
    habitd("skip", "listen")
    habitd("done", "listen")
    assert "removed one completion" in habitd("undo", "listen").stdout
    assert "removed the skip" in habitd("undo", "listen").stdout
    assert "removed one completion" in habitd("undo", "listen").stdout
    empty = habitd("undo", "listen")
    assert empty.exit_code == 2 and "no completion or skip on 2026-11-25" in empty.stderr


def test_skip_notes_show_in_the_journal_and_in_history_json(habitd: Habitd) -> None:
    assert habitd("skip", "date-night", "--date", "2026-11-20", "--note", "she had the flu").exit_code == 0
    habitd("skip", "thanks", "--date", "2026-11-24")  # no note: nothing to show in the journal
    assert journal(habitd) == [("date-night", "2026-11-20", "skip", "she had the flu")]
    text = habitd("journal").stdout
    assert "2026-11-20  date-night  (skipped)\n    she had the flu" in text
    period = habitd.json("history", "date-night", "--weeks", "2")["periods"][0]
    assert period["state"] == "skipped"
    assert period["skips"] == [{"date": "2026-11-20", "note": "she had the flu", "by": None}]


def test_skip_on_a_met_or_skipped_period_says_it_changes_nothing_and_keeps_the_note(habitd: Habitd) -> None:
    habitd("done", "date-night")
    met = habitd("skip", "date-night", "--note", "busy anyway")
    assert met.exit_code == 0
    assert "done already, so skipping it changes nothing" in met.stdout and "note is kept" in met.stdout
    period = habitd.json("history", "date-night", "--weeks", "1")["periods"][-1]
    assert (period["state"], period["skips"]) == ("met", [])
    assert journal(habitd) == [("date-night", "2026-11-25", "note", "busy anyway")]
    habitd("skip", "thanks")
    again = habitd("skip", "thanks")
    assert again.exit_code == 0 and "skipped already. Nothing changed." in again.stdout
