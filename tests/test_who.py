"""Who did what: two partners' devices on one shared folder, a shared habit and a personal (``each``) one."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habitd.history.cache import pack_history, unpack_history
from habitd.history.derive import derive
from habitd.history.events import DONE, NOTE, SKIP, UNDO, Event
from habitd.history.hlc import Stamp
from habitd.history.people import own_log
from tests.conftest import Habitd, ok

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """
[settings]
timezone = "Europe/Berlin"

[habits.date-night]
title = "Date night"
every = "week"
on = ["fri"]
at = "18:00"

[habits.talk]
every = "week"
times = 2

[habits.me-time]
title = "Time for yourself"
every = "day"
at = "09:30"
each = true
"""
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)  # a Wednesday


@pytest.fixture
def partner_config() -> str:
    return CONFIG


def row(h: Habitd, hid: str) -> dict:
    return next(r for r in h.json("status")["habits"] if r["id"] == hid)


def test_a_shared_habit_met_by_the_partner_says_who(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "done", "date-night")
    status = ok(sam, "status")
    assert "date-night: done by Alex" in status
    assert max(len(line) for line in status.splitlines()) <= 80
    r = row(sam, "date-night")
    assert r["met"] is True and r["by"] == ["Alex"] and r["each"] is False
    assert "already done by Alex" in ok(sam, "done", "date-night")
    today = sam.json("today")
    assert [(d["id"], d["by"]) for d in today["done"]] == [("date-night", ["Alex"])]
    assert "by Alex" in ok(sam, "today")
    # my own completion is not announced to me as a partner's
    ok(sam, "done", "talk")
    assert "talk:" not in ok(sam, "status") and row(sam, "talk")["by"] == ["Sam"]
    ok(alex, "done", "talk")
    assert row(sam, "talk")["by"] == ["Alex", "Sam"] and "talk: done by Alex and you" in ok(sam, "status")


def test_history_and_journal_name_who_did_it(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "done", "talk", "--note", "the walk by the river")
    ok(sam, "done", "talk")
    week = sam.json("history", "talk", "--weeks", "1")["periods"][-1]
    assert [(c["by"], c["note"]) for c in week["completions"]] == [("Alex", "the walk by the river"), ("Sam", None)]
    assert week["by"] == ["Alex", "Sam"]
    notes = sam.json("journal")["notes"]
    assert [(n["text"], n["by"]) for n in notes] == [("the walk by the river", "Alex")]
    assert "talk  by Alex" in ok(sam, "journal")
    assert "by Alex" not in ok(alex, "journal")  # my own notes are not signed to me


def test_a_personal_habit_is_kept_by_each_person(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "done", "me-time")
    mine = row(sam, "me-time")
    assert mine["each"] is True and mine["met"] is False and mine["done"] == 0
    assert mine["next_reminder"] is not None  # Alex's does not silence mine
    assert [(o["name"], o["met"], o["by"]) for o in mine["others"]] == [("Alex", True, ["Alex"])]
    status = ok(sam, "status").splitlines()
    at = next(i for i, line in enumerate(status) if line.startswith("me-time"))
    assert "done" not in status[at] and status[at + 1].split() == ["Alex", "done", "day", "1", "1", "5%"]
    assert "me-time" in [d["id"] for d in sam.json("today")["due"]]
    # my done is mine: it records, and meets my day
    assert "already" not in ok(sam, "done", "me-time")
    assert row(sam, "me-time")["met"] is True and row(alex, "me-time")["met"] is True


def test_my_undo_of_a_personal_habit_takes_back_mine_only(sam: Habitd, alex: Habitd) -> None:
    ok(sam, "done", "me-time", "--note", "a long bath")
    sam.now = alex.now = NOW + timedelta(minutes=5)
    ok(alex, "done", "me-time", "--note", "the book")  # the partner's came later
    out = ok(sam, "undo", "me-time")
    assert "one completion" in out
    assert row(sam, "me-time")["done"] == 0
    assert row(alex, "me-time")["done"] == 1 and row(alex, "me-time")["met"] is True
    files = b"".join(p.read_bytes() for p in (sam.config.parent.parent / "shared").glob("devices/*/*.toml"))
    undo = [t for t in files.decode().split("[[event]]") if 'kind = "undo"' in t]
    assert len(undo) == 1 and 'by = "Sam"' in undo[0]
    done_ids = [t for t in files.decode().split("[[event]]") if 'kind = "done"' in t and 'by = "Sam"' in t]
    assert done_ids[0].split('id = "')[1].split('"')[0] in undo[0]  # it names my completion
    # the notes stay with their completions: Alex's with Alex's, mine kept as the day's note
    day = alex.json("history", "me-time", "--weeks", "1")["periods"][-1]
    assert [(c["by"], c["note"]) for c in day["completions"]] == [("Alex", "the book")]
    assert sam.json("history", "me-time", "--weeks", "1")["periods"][-1]["notes"] == [
        {"date": "2026-11-25", "text": "a long bath", "by": "Sam"}
    ]
    # and again: nothing of mine left, Alex's stays
    again = sam("undo", "me-time")
    assert again.exit_code == 2 and "no completion or skip" in again.output
    assert row(alex, "me-time")["done"] == 1


def test_streaks_of_a_personal_habit_are_per_person(sam: Habitd, alex: Habitd) -> None:
    for back in range(3, 0, -1):
        day = (NOW - timedelta(days=back)).date().isoformat()
        ok(sam, "done", "me-time", "--date", day)
        if back < 3:
            ok(alex, "done", "me-time", "--date", day)
    ok(alex, "done", "me-time")
    assert row(sam, "me-time")["streak"] == 3
    assert row(alex, "me-time")["streak"] == 3  # two days and today
    assert row(sam, "me-time")["others"][0]["streak"] == 3
    ok(sam, "skip", "me-time", "--date", (NOW - timedelta(days=4)).date().isoformat())
    # a skip of a personal habit is the person's own
    assert row(sam, "me-time")["best_streak"] == 3
    alex_days = alex.json("history", "me-time", "--weeks", "1")["periods"]
    assert all(p["skips"] == [] for p in alex_days)
    sam_days = sam.json("history", "me-time", "--weeks", "1")["periods"]
    assert [s["by"] for p in sam_days for s in p["skips"]] == ["Sam"]
    grid = sam.json("grid", "--days", "7")
    rows = [(r["id"], r.get("person")) for r in grid["habits"] if r["id"] == "me-time"]
    assert rows == [("me-time", None), ("me-time", "Alex")]
    alex_row = next(r for r in grid["habits"] if r.get("person") == "Alex")
    sam_row = next(r for r in grid["habits"] if r["id"] == "me-time" and r.get("person") is None)
    assert alex_row["marks"][-5:] == ["not tracked", "not tracked", "done", "done", "done"]
    assert sam_row["marks"][-5:] == ["skipped", "done", "done", "done", "quiet"]
    text = ok(sam, "grid", "--days", "7").splitlines()
    assert any(line.startswith("  Alex") for line in text)


def test_without_a_name_a_personal_habit_is_everyones(partners: Callable[..., Habitd]) -> None:
    me = partners("me", None)
    partner = partners("partner", "Alex")
    ok(partner, "done", "me-time")
    assert row(me, "me-time")["met"] is True  # like a shared habit: one person, no names
    check = ok(me, "check")
    assert "without [settings] name it counts everyone's" in " ".join(check.split())
    assert max(len(line) for line in check.splitlines()) <= 80
    assert "[settings] name" not in ok(partner, "check")


def test_a_personal_habit_needs_no_name_on_a_machine_that_shares_nothing(habitd: Habitd) -> None:
    """The example config has a personal habit (me-time): a fresh `init` then `check`, not shared
    yet, has nobody else to tell apart, and says nothing about names."""
    assert habitd("init", "--force").exit_code == 0
    check = habitd("check")
    assert check.exit_code == 0 and "me-time" in check.stdout
    assert "[settings] name" not in check.output


def test_the_cache_rebuilt_gives_the_same_people(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "done", "talk")
    ok(sam, "done", "talk", "--note", "ours")
    ok(sam, "done", "me-time")
    ok(alex, "done", "me-time")
    ok(sam, "skip", "date-night")
    before = [sam.json("status"), sam.json("history", "talk"), sam.json("journal"), sam.json("grid")]
    for cache in sam.state_dir.glob("*.bin"):
        cache.unlink()
    after = [sam.json("status"), sam.json("history", "talk"), sam.json("journal"), sam.json("grid")]
    assert before == after
    assert next(h for h in before[0]["habits"] if h["id"] == "talk")["by"] == ["Alex", "Sam"]


# --- the derivation: who did it, whatever order the events arrived in ----------------------

T = datetime(2026, 11, 20, 12, 0, tzinfo=BERLIN)
names = st.sampled_from(["", "Sam", "Alex"])
plans = st.lists(
    st.tuples(st.sampled_from([DONE, DONE, DONE, UNDO, NOTE, SKIP]), st.integers(0, 3), names, st.integers(0, 30)),
    max_size=16,
)


def events_of(plan: list[tuple[str, int, str, int]]) -> list[Event]:
    out: list[Event] = []
    for i, (kind, day, by, pick) in enumerate(plan):
        stamp = Stamp(1_000 + i, 0, "dev-sam" if by != "Alex" else "dev-alex")
        d = date(2026, 11, 16 + day)
        dones = [e.stamp for e in out if e.kind == DONE]
        if kind == UNDO and not dones:
            continue
        undoes = (dones[pick % len(dones)],) if kind == UNDO else ()
        of = dones[pick % len(dones)] if kind == NOTE and dones and pick % 2 else None
        text = f"n{i}" if kind in (NOTE, SKIP) else ""
        out.append(Event(stamp, kind, "walk", d, T + timedelta(minutes=i), by, text, of, undoes))
    return out


def people_of(state: object) -> object:
    log = state.habits.get("walk")  # type: ignore[attr-defined]
    if log is None:
        return None
    days = sorted(set(log.days()))
    return (
        [(d, log.bys(d)) for d in days],
        {name: sorted(p.days()) for name, p in log.people.items()},
        sorted((n.day, n.nth, n.text, n.by) for n in log.notes),
        sorted((s.day, s.by) for s in log.skips),
        {who: sorted((d, own_log(log, who).count(d)) for d in days) for who in ("Sam", "Alex")},
    )


@settings(max_examples=150, deadline=None)
@given(plans, st.randoms(use_true_random=False))
def test_who_does_not_depend_on_the_order_events_arrive_in(plan: list, rnd: object) -> None:
    events = events_of(plan)
    shuffled = list(events) * 2
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = derive(events), derive(shuffled)
    assert people_of(a) == people_of(b)
    assert people_of(unpack_history(pack_history(a))) == people_of(a)
    log = a.habits.get("walk")
    if log is not None:  # every completion is someone's or no one's, and the people's add up
        for d in log.days():
            assert len(log.bys(d)) == log.count(d)
            assert sum(p.count(d) for p in log.people.values()) == sum(1 for n in log.bys(d) if n)


def test_a_history_without_names_has_no_people() -> None:
    events = [Event(Stamp(i, 0, "d"), DONE, "walk", date(2026, 11, 1 + i), T) for i in range(20)]
    log = derive(events).habits["walk"]
    assert log.people == {} and log.mixed == {}
    assert json.dumps(pack_history(derive(events))[0]["walk"][5]) == "null"


def test_the_daemon_reminds_me_of_my_personal_habit_only_while_mine_is_open(sam: Habitd, alex: Habitd) -> None:
    """The planner the daemon runs: a partner's done silences a shared habit, not my personal one."""
    from habitd.cli.context import App
    from habitd.service.reminders import plan

    friday = datetime(2026, 11, 27, 18, 0, 30, tzinfo=BERLIN)
    morning = datetime(2026, 11, 27, 9, 30, 30, tzinfo=BERLIN)
    for h in (sam, alex):
        h.now = morning - timedelta(hours=2)
    ok(alex, "done", "me-time")
    ok(alex, "done", "date-night")
    app = App(sam.config, sam.state_dir, now=lambda: morning)
    due = {d.habit.id for d in plan(app.config, app.store.read(), morning)}
    assert due == {"me-time"}  # mine is still open
    assert {d.habit.id for d in plan(app.config, app.store.read(), friday)} == set()  # date night: Alex did it
    app_alex = App(alex.config, alex.state_dir, now=lambda: morning)
    assert plan(app_alex.config, app_alex.store.read(), morning) == []


def test_a_renamed_habit_keeps_who_did_it(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "done", "talk")
    ok(sam, "done", "talk")
    habits = sam.config.parent.parent / "shared" / "habits"
    text = (habits / "talk.toml").read_text()
    ok(sam, "rename", "talk", "walk-talk")
    assert (habits / "walk-talk.toml").read_text() == text and not (habits / "talk.toml").exists()
    assert row(sam, "walk-talk")["by"] == ["Alex", "Sam"]
    assert row(alex, "walk-talk")["by"] == ["Alex", "Sam"]  # the partner follows: one set of habit files


def test_a_pause_of_a_personal_habit_is_the_pausers_own(sam: Habitd, alex: Habitd) -> None:
    ok(alex, "pause", "me-time", "--until", "2026-11-30")
    assert row(alex, "me-time")["paused"] is True
    assert row(alex, "me-time")["next_reminder"].startswith("2026-12-01")
    mine = row(sam, "me-time")
    assert mine["paused"] is False and mine["next_reminder"].startswith("2026-11-26")
    assert mine["others"][0]["name"] == "Alex"
    assert sam("resume", "me-time").exit_code == 2  # not mine to end
    assert row(alex, "me-time")["paused"] is True
    ok(sam, "pause", "--until", "2026-11-30")  # a pause of every habit is for both of us
    assert row(alex, "date-night")["paused"] is True and row(sam, "me-time")["paused"] is True
    ok(sam, "resume")
    assert row(sam, "me-time")["paused"] is False
    assert row(alex, "me-time")["paused"] is True and row(alex, "date-night")["paused"] is False
