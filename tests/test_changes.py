"""A change to the state becomes events whose derivation is the changed state."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habitd.errors import UsageError
from habitd.habits.config import parse_config
from habitd.habits.prompts import next_prompt
from habitd.habits.state import ALL, Note, State
from habitd.history import record
from habitd.history.changes import copy_history, needs_ids, write_change
from habitd.history.derive import derive, derive_with_ids
from habitd.history.events import DONE, UNDO, Event
from habitd.history.hlc import Stamp, tick

D = date(2026, 11, 23)
AT = datetime(2026, 11, 27, 19, tzinfo=UTC)


def copy(state: State) -> State:
    return copy_history(state)  # who did what too, which a state file does not hold


class Log:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.ms = 1_764_000_000_000

    def add(self, event: Event, device: str = "me") -> Event:
        self.ms += 1
        stamped = event._replace(stamp=tick(max((e.stamp for e in self.events), default=None), self.ms, device))
        self.events.append(stamped)
        return stamped

    def change(self, mutate: object, use_ids: bool = True) -> State:
        before, ids = derive_with_ids(self.events)
        after = copy(before)
        mutate(after)  # type: ignore[operator]
        write_change(before, after, ids if use_ids else None, self.add, D, AT)
        return after


def test_undo_names_the_latest_completion_it_saw_and_a_partners_later_one_stays() -> None:
    log = Log()
    log.change(lambda s: s.log("walk").add(D))
    log.change(lambda s: s.log("walk").notes.append(Note(D, AT, "lake", 1)))
    partner = log.add(Event(Stamp(0, 0, "x"), DONE, "walk", D, AT), device="partner")
    log.change(lambda s: s.log("walk").remove(D))  # removes the latest: the partner's, which it saw
    undo = log.events[-1]
    assert undo.kind == UNDO and undo.undoes == (partner.stamp,)
    assert derive(log.events).habits["walk"].count(D) == 1
    assert [n.text for n in derive(log.events).habits["walk"].notes] == ["lake"]


def test_additions_need_no_ids_and_removals_do() -> None:
    log = Log()
    log.change(lambda s: s.log("walk").add(D), use_ids=False)
    before = derive(log.events)
    after = copy(before)
    after.log("walk").remove(D)
    assert needs_ids(before, after)
    with pytest.raises(ValueError, match="needs the ids"):
        write_change(before, after, None, log.add, D, AT)


habits = st.sampled_from(("walk", "talk", "me"))
people = st.sampled_from(("", "Sam", "Alex"))  # who records the change: no name, or one of two partners
days = st.integers(0, 6).map(lambda n: D + timedelta(days=n))
texts = st.text(alphabet="ab", max_size=2)


class Holder:
    """A store of one state in memory, for calling record.py's functions on it."""

    def __init__(self, state: State, by: str = "") -> None:
        self.state = state
        self.by = by

    @contextlib.contextmanager
    def update(self) -> Iterator[State]:
        yield self.state


CONFIG = parse_config(
    '[habits.walk]\nevery = "day"\n[habits.talk]\nevery = "week"\ntimes = 3\nprompts = ["a", "b", "c"]\n'
    '[habits.me]\nevery = "week"\ntimes = 2\neach = true\n',
    "c",
    "UTC",
)


@st.composite
def mutations(draw: st.DrawFn) -> object:
    """One change, made by the recording API (record.py) or the daemon's prompt deal."""
    kind = draw(st.sampled_from(("done", "undo", "skip", "pause", "resume", "prompt", "note", "unnote")))
    habit, d, text = CONFIG.find(draw(habits)), draw(days), draw(texts)
    k, n = draw(st.integers(0, 5)), draw(st.integers(0, 4))
    by = draw(people)
    moment = AT + timedelta(minutes=k)

    def mutate(s: State) -> None:
        store = Holder(s, by)
        if kind == "done":
            record.done(store, CONFIG, habit, d, moment, text or None)  # type: ignore[arg-type]
        elif kind == "undo":  # refused (nothing changed) for a partner's entry dated after today
            with contextlib.suppress(UsageError):
                record.undo(store, CONFIG, habit, d, moment)  # type: ignore[arg-type]
        elif kind == "skip":
            record.skip(store, CONFIG, habit, d, moment, text)  # type: ignore[arg-type]
        elif kind == "pause":
            record.pause(store, ALL if k == 0 else habit.id, d, d + timedelta(days=n))  # type: ignore[arg-type]
        elif kind == "resume":
            with contextlib.suppress(UsageError):
                record.resume(store, None if k % 2 else habit.id, d, frozenset({"me"}))  # type: ignore[arg-type]
        elif kind == "prompt":
            next_prompt(s, habit, seed=n)
        elif kind == "note":
            record.write_note(store, CONFIG, habit, d, moment, text + "!")  # type: ignore[arg-type]
        elif kind == "unnote":
            record.delete_note(store, habit, d)  # type: ignore[arg-type]

    return mutate


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(mutations(), st.booleans()), max_size=25))
def test_any_series_of_changes_derives_to_the_changed_state(steps: list[tuple[object, bool]]) -> None:
    log = Log()
    for mutate, partner_meanwhile in steps:
        if partner_meanwhile:  # a partner's completion arrives between two changes
            log.add(Event(Stamp(0, 0, "x"), DONE, "walk", D, AT, "Alex"), device="partner")
            log.add(Event(Stamp(0, 0, "x"), DONE, "me", D, AT, "Alex"), device="partner")
        before = derive(log.events)
        after = copy(before)
        mutate(after)  # type: ignore[operator]
        expected = copy(after)
        # ids only when needs_ids says so: what the cached fast path of a write relies on
        ids = derive_with_ids(log.events)[1] if needs_ids(before, after) else None
        write_change(before, after, ids, log.add, D, AT)
        assert derive(log.events) == expected
