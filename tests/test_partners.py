"""Two partners on one shared folder, as a couple uses it: whose notes, whose undo, whose pause, whose clock."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habitd.exchange.document import export_doc, parse_export, to_csv, to_json
from habitd.habits.state import HabitLog, Note, State
from habitd.history.merge import merge_state
from tests.conftest import Habitd, ok

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """
[settings]
timezone = "Europe/Berlin"

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


@pytest.fixture
def partner_config() -> str:
    return CONFIG


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
    # and once mine is gone, undo does not take Alex's instead: it is Alex's to undo
    r = sam("undo", habit, "--date", "2026-12-12")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.stderr.startswith("habitd: 2026-12-12 is after today: its entry is Alex's")
    assert "nothing changed" in r.stderr
    assert "a completion by Alex is dated 2026-12-12" in sam("status").stderr  # still there


# --- export and import keep who did what ----------------------------------------------------------------


def _our_history(sam: Habitd, alex: Habitd) -> None:
    """A few days of two people's walks (personal) and talks (shared), with notes, a skip and a pause."""
    steps = [
        (sam, "done", "walk", "--date", "2026-11-23"),
        (alex, "done", "walk", "--date", "2026-11-23"),
        (sam, "done", "walk", "--date", "2026-11-23"),
        (alex, "done", "walk", "--date", "2026-11-24", "--note", "alex alone, by the lake"),
        (alex, "done", "walk", "--date", "2026-11-24"),
        (sam, "skip", "walk", "--date", "2026-11-22", "--note", "rain all day"),
        (alex, "done", "talk", "--date", "2026-11-23", "--note", "about the move"),
        (sam, "done", "talk", "--date", "2026-11-24"),
        (sam, "done", "walk", "--note", "sam walk"),
        (alex, "done", "walk", "--note", "alex walk"),
        (sam, "note", "thanks", "for the coffee"),
        (alex, "pause", "walk", "--until", "2026-11-27"),
    ]
    for h, *args in steps:
        later(sam, alex, minutes=1)
        ok(h, *args)


def _by_id(doc: object) -> object:
    """``doc`` with each list of habits in id order: shared habits are listed by id, a config's own in its order."""
    if isinstance(doc, dict):
        return {k: _by_id(v) for k, v in doc.items()}
    if isinstance(doc, list):
        items = [_by_id(v) for v in doc]
        if items and all(isinstance(v, dict) and "id" in v for v in items):
            items.sort(key=lambda v: str(v["id"]))  # type: ignore[index]
        return items
    return doc


def _views(h: Habitd) -> list[object]:
    return [_by_id(view) for view in [
        h.json("status"),
        h.json("history", "walk", "--weeks", "2"),
        h.json("history", "talk", "--weeks", "2"),
        h.json("journal"),
        h.json("grid", "--days", "7"),
        h.json("stats", "walk"),
    ]]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_export_restores_each_persons_own_part(
    tmp_path: Path, partners: Callable[..., Habitd], sam: Habitd, alex: Habitd, fmt: str
) -> None:
    _our_history(sam, alex)
    out = tmp_path / f"ours.{fmt}"
    ok(sam, "export", "--notes", "--format", fmt, "-o", str(out))
    for name, original in (("Sam", sam), ("Alex", alex)):
        restored = partners(f"restored-{name}-{fmt}", name, shared=False)
        restored.now = original.now
        assert "Imported 9 completion(s), 1 skip(s), 5 note(s), 1 pause(s)." in ok(restored, "import", str(out))
        assert _views(restored) == _views(original)
        files = restored.history_files()
        assert "Nothing new" in ok(restored, "import", str(out))
        assert restored.history_files() == files


def test_the_export_holds_the_couples_whole_history_with_who_did_what(sam: Habitd, alex: Habitd) -> None:
    _our_history(sam, alex)
    doc = json.loads(ok(sam, "export", "--notes"))
    walk = doc["habits"]["walk"]
    assert walk["completions"] == [
        {"date": "2026-11-23", "count": 3, "by": ["Sam", "Alex", "Sam"]},
        {"date": "2026-11-24", "count": 2, "by": ["Alex", "Alex"]},
        {"date": "2026-11-25", "count": 2, "by": ["Sam", "Alex"]},
    ]
    assert [(n["text"], n["by"]) for n in walk["notes"]] == [
        ("alex alone, by the lake", "Alex"), ("sam walk", "Sam"), ("alex walk", "Alex"),
    ]  # fmt: skip
    assert [(s["note"], s["by"]) for s in walk["skips"]] == [("rain all day", "Sam")]
    assert doc["pauses"] == [{"habit": "walk", "from": "2026-11-25", "until": "2026-11-27", "by": "Alex"}]
    rows = list(csv.reader(io.StringIO(ok(sam, "export", "--format", "csv"))))
    assert rows[0][-2:] == ["by", "private"]
    assert ["done", "walk", "2026-11-23", "", "3", "", "", "Sam\nAlex\nSam", ""] in rows


def test_an_export_without_names_adds_nothing_twice_to_a_named_history(tmp_path: Path, sam: Habitd) -> None:
    ok(sam, "done", "walk", "--date", "2026-11-24")
    ok(sam, "done", "talk", "--date", "2026-11-24")
    old = tmp_path / "old.csv"  # a file of the days before names, as an older habitd wrote it
    old.write_text(
        "kind,habit,date,until,count,written,text\r\nversion,,,,1,,habitd-export\r\n"
        "done,walk,2026-11-24,,1,,\r\ndone,talk,2026-11-24,,2,,\r\n"
    )
    assert "Imported 1 completion(s)." in ok(sam, "import", str(old))
    assert row(sam, "talk")["done"] == 2 and row(sam, "talk")["by"] == ["Sam"]
    walk = sam.json("history", "walk", "--weeks", "1")["periods"]
    assert [c["by"] for p in walk for c in p["completions"]] == ["Sam"]


@settings(max_examples=80, deadline=None)
@given(
    days=st.dictionaries(
        st.dates(date(2025, 1, 1), date(2026, 11, 25)),
        st.lists(st.sampled_from(["", "Sam", "Alex"]), min_size=1, max_size=4),
        max_size=30,
    ),
    split=st.integers(0, 30),
)
def test_any_named_history_survives_both_formats_and_merges_once(days: dict[date, list[str]], split: int) -> None:
    state = State()
    log = state.log("h")
    for day, names in sorted(days.items()):
        for name in names:
            log.add(day, name)
        log.notes.append(Note(day, datetime(2026, 1, 1, 12, tzinfo=UTC), f"of {day}", len(names), by=names[-1]))
    doc = export_doc(state, "UTC", datetime(2026, 11, 25, 12, tzinfo=UTC), notes=True)
    for text in (to_json(doc), to_csv(doc)):
        back = parse_export(text, "x", date(2026, 11, 25))
        got = back.habits.get("h") or HabitLog()
        assert [(d, got.bys(d)) for d in got.days()] == [(d, log.bys(d)) for d in log.days()]
        assert {n: p.days() for n, p in got.people.items()} == {n: p.days() for n, p in log.people.items()}
        # merged into a part of it (one device's days), then again: each completion once, notes on theirs
        part = State()
        for day in sorted(days)[:split]:
            for name in days[day]:
                part.log("h").add(day, name)
        merge_state(part, back)
        merged = part.habits.get("h") or HabitLog()
        assert [(d, merged.bys(d)) for d in merged.days()] == [(d, log.bys(d)) for d in log.days()]
        assert merge_state(part, back).total == 0
        for note in merged.notes:
            assert merged.bys(note.day)[note.nth - 1] == note.by


# --- names as people write them ---------------------------------------------------------------------------


def test_a_name_with_a_wide_character_keeps_the_columns_aligned(partners: Callable[..., Habitd], sam: Habitd) -> None:
    from habitd.views.render import cols

    zoe = partners("zoe", "Zoë 💖")
    ok(zoe, "done", "walk")
    lines = ok(sam, "status").splitlines()
    walk = next(i for i, line in enumerate(lines) if line.startswith("walk"))
    assert lines[walk + 1].startswith("  Zoë 💖")
    every = cols(lines[0][: lines[0].index("every")])  # the header's column
    assert [cols(line[: line.index(" day ") + 1]) for line in lines[walk : walk + 2]] == [every, every]
    grid = [line for line in ok(sam, "grid", "--days", "7").splitlines() if "[" in line[1:]]
    assert any(line.startswith("  Zoë 💖") for line in grid)
    assert len({cols(line[: line.index("[")]) for line in grid}) == 1  # today's column, on every row
    ok(zoe, "done", "thanks")
    ok(sam, "done", "date-night")
    done = [line for line in ok(sam, "today").splitlines() if "streak" in line]
    assert any("thanks" in line and "by Zoë 💖" in line for line in done)
    assert len({cols(line[: line.index("streak")]) for line in done}) == 1


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Sam\u202eevil", "text-direction control (U+202E)"),
        ("\u2066Sam\u2069", "text-direction control (U+2066)"),
        ("Sam\nAlex", '"Sam\\nAlex" must be one line'),
    ],
)
def test_a_name_that_would_garble_the_output_is_refused_clearly(
    partners: Callable[..., Habitd], name: str, says: str
) -> None:
    h = partners("odd", name)
    result = h("check")
    assert result.exit_code == 2
    assert says in result.stderr and "settings.name" in result.stderr
    assert "Sam\nAlex" not in result.stderr
