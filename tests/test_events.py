"""The event log's pure core: stamps, the merge of devices' logs, the state derived from them."""

from __future__ import annotations

import random
import tomllib
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habitd.habits.config import parse_config
from habitd.habits.state import ALL, NO_EXTRA, Note, Pause, PromptDeck, Skip, State
from habitd.habits.streaks import summarize
from habitd.history.derive import derive
from habitd.history.events import (
    DONE,
    NOTE,
    NOTE_DELETE,
    NOTE_EDIT,
    PAUSE,
    PROMPT,
    RESUME,
    SKIP,
    UNDO,
    UNSKIP,
    BadEvent,
    Event,
    from_table,
    latest,
    merge,
    to_table,
)
from habitd.history.hlc import Stamp, parse_id, tick
from habitd.history.migrate import events_of_state

D = date(2026, 11, 23)  # a Monday
AT = datetime(2026, 11, 23, 20, tzinfo=UTC)


class Device:
    """One device writing events the way habitd does: stamps after all it has seen."""

    def __init__(self, name: str, drift_ms: int = 0, by: str | None = None) -> None:
        self.name = name
        self.by = name if by is None else by  # its person's name: the device's own unless given
        self.drift = drift_ms
        self.own: list[Event] = []
        self.known: dict[Stamp, Event] = {}

    def emit(self, now_ms: int, kind: str, habit: str, day: date, **fields: object) -> Event:
        stamp = tick(latest(self.known.values()), now_ms + self.drift, self.name)
        event = Event(stamp, kind, habit, day, AT, self.by, **fields)  # type: ignore[arg-type]
        self.own.append(event)
        self.known[stamp] = event
        return event

    def receive(self, events: list[Event]) -> None:
        for e in events:
            self.known[e.stamp] = e

    def removed(self) -> set[Stamp]:
        return {s for e in self.known.values() if e.kind in (UNDO, UNSKIP, NOTE_DELETE) for s in e.undoes}

    def alive(self, kind: str, habit: str | None = None, day: date | None = None) -> list[Event]:
        gone = self.removed()
        return sorted(
            (
                e
                for e in self.known.values()
                if e.kind == kind and e.stamp not in gone and habit in (None, e.habit) and day in (None, e.day)
            ),
            key=lambda e: e.stamp,
        )


# --- stamps ---------------------------------------------------------------


def test_an_event_id_reads_back_as_its_stamp() -> None:
    stamp = Stamp(1764270060000, 3, "3f9a2c1e5b")
    assert str(stamp) == "1764270060000-3-3f9a2c1e5b"
    assert parse_id(str(stamp)) == stamp
    for bad in ("", "1-2", "01-0-abc", "1-0-AB", "1-0-a", "x-0-abc", "1-0-abc-def"):
        assert parse_id(bad) is None, bad


def test_a_stamp_follows_everything_seen_even_from_a_clock_ahead() -> None:
    ahead = Stamp(5_000, 7, "partner")
    mine = tick(ahead, now_ms=1_000, device="laptop")  # my clock is 4 s behind my partner's
    assert mine > ahead and mine == Stamp(5_000, 8, "laptop")
    assert tick(mine, 9_000, "laptop") == Stamp(9_000, 0, "laptop")
    assert tick(None, 42, "laptop") == Stamp(42, 0, "laptop")


# --- derivation, rule by rule ---------------------------------------------


def test_completions_counts_and_notes_derive_like_the_state_file() -> None:
    a = Device("aaa")
    d1 = a.emit(1, DONE, "walk", D)
    a.emit(2, NOTE, "walk", D, text="round the lake", of=d1.stamp)
    d2 = a.emit(3, DONE, "walk", D)
    a.emit(4, NOTE, "walk", D, text="again", of=d2.stamp)
    a.emit(5, DONE, "walk", D + timedelta(days=1))
    state = derive(a.own)
    log = state.habits["walk"]
    assert log.count(D) == 2 and log.count(D + timedelta(days=1)) == 1
    assert log.notes == [Note(D, AT, "round the lake", 1, by="aaa"), Note(D, AT, "again", 2, by="aaa")]
    # undo names the latest completion: it goes, its note stays as the day's own note
    a.emit(6, UNDO, "walk", D, undoes=(d2.stamp,))
    log = derive(a.own).habits["walk"]
    assert log.count(D) == 1
    assert log.notes == [Note(D, AT, "round the lake", 1, by="aaa"), Note(D, AT, "again", 0, by="aaa")]


def test_a_partners_concurrent_completion_survives_an_undo_that_had_not_seen_it() -> None:
    sam, alex = Device("sam"), Device("alex")
    mine = sam.emit(1_000, DONE, "thanks", D)
    theirs = alex.emit(2_000, DONE, "thanks", D)  # not synced yet
    sam.emit(3_000, UNDO, "thanks", D, undoes=(mine.stamp,))
    for order in ([*sam.own, *alex.own], [*alex.own, *sam.own]):
        state = derive(order)
        assert state.habits["thanks"].count(D) == 1, "the partner's completion was taken with the undo"
    assert theirs.stamp not in sam.removed()


def test_skips_unskip_and_the_skip_note() -> None:
    a = Device("aaa")
    s = a.emit(1, SKIP, "walk", D, text="sick")
    assert derive(a.own).habits["walk"].skips == [Skip(D, "sick", AT, by="aaa")]
    a.emit(2, UNSKIP, "walk", D, undoes=(s.stamp,))
    assert derive(a.own).habits.get("walk") is None


def test_a_note_edit_made_meanwhile_survives_a_delete_that_had_not_seen_it() -> None:
    sam, laptop = Device("sam"), Device("samlaptop", by="sam")  # two devices of one person: both write its notes
    note = sam.emit(1, NOTE, "walk", D, text="first")
    laptop.receive(sam.own)
    edit = laptop.emit(2, NOTE_EDIT, "walk", D, text="better", of=note.stamp)
    sam.emit(3, NOTE_DELETE, "walk", D, undoes=(note.stamp,))
    assert [n.text for n in derive([*sam.own, *laptop.own]).habits["walk"].notes] == ["better"]
    sam.receive(laptop.own)
    sam.emit(4, NOTE_DELETE, "walk", D, undoes=(note.stamp, edit.stamp))
    assert derive([*sam.own, *laptop.own]).habits.get("walk") is None
    # a day's note, of no completion, is kept as one
    day_note = derive([Event(Stamp(9, 0, "sam"), NOTE, "walk", D, AT, text="quiet day")]).habits["walk"].notes
    assert day_note == [Note(D, AT, "quiet day", 0)]


def test_pauses_resume_and_prompt_decks() -> None:
    a = Device("aaa")
    p = a.emit(1, PAUSE, ALL, D, until=D + timedelta(days=9))
    q = a.emit(2, PAUSE, "walk", D + timedelta(days=3), until=D + timedelta(days=5))
    a.emit(3, PROMPT, "talk", D, order=(2, 0, 1), next=1)
    a.emit(4, PROMPT, "talk", D, order=(2, 0, 1), next=2)
    state = derive(a.own)
    assert state.pauses == [
        Pause(ALL, D, D + timedelta(days=9), "aaa"),
        Pause("walk", D + timedelta(days=3), D + timedelta(days=5), "aaa"),
    ]
    assert state.prompts == {"talk": PromptDeck([2, 0, 1], 2)}
    a.emit(5, RESUME, ALL, D + timedelta(days=3), undoes=(p.stamp, q.stamp))
    # ends the day before: the pause that had not begun yet is gone
    assert derive(a.own).pauses == [Pause(ALL, D, D + timedelta(days=2), "aaa")]


def test_a_table_round_trips_through_toml_and_keeps_what_a_newer_habitd_wrote() -> None:
    e = Event(Stamp(7, 1, "aaa"), NOTE, "walk", D, AT, "Sam", 'x\ny "q"', Stamp(6, 0, "aaa"))
    text = tomli_w.dumps({"event": [to_table(e) | {"mood": "glad"}]})
    back = from_table(tomllib.loads(text)["event"][0], "aaa")
    assert back._replace(extra=()) == e and back.extra == (("mood", "glad"),)
    assert "mood" in tomli_w.dumps(to_table(back))
    kept = from_table({**to_table(e), "kind": "hug"}, "aaa")  # a kind from the future: kept, ignored
    assert kept.kind == "hug" and derive([kept]) == State()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"id": "nope"}, "id: 'nope' is not an event id"),
        ({"id": "1-0-bbb"}, "belongs to device bbb"),
        ({"day": "2026-11-23"}, "day: '2026-11-23' is not a date"),
        ({"at": datetime(2026, 1, 1)}, "at:"),
        ({"kind": "pause"}, "until: missing"),
        ({"kind": "undo"}, "undoes: missing"),
        ({"undoes": ["x"]}, "undoes: 'x' is not an event id"),
        ({"habit": ""}, "habit: empty"),
    ],
)
def test_a_bad_event_says_which_key(change: dict[str, object], says: str) -> None:
    table = to_table(Event(Stamp(1, 0, "aaa"), DONE, "walk", D, AT)) | change
    with pytest.raises(BadEvent, match=says.replace("(", r"\(")):
        from_table(table, "aaa")


# --- properties -----------------------------------------------------------

HABITS = ("walk", "talk")
days = st.integers(0, 6).map(lambda n: D + timedelta(days=n))
actions = st.one_of(
    st.tuples(st.just("done"), st.sampled_from(HABITS), days),
    st.tuples(st.just("undo"), st.sampled_from(HABITS), days),
    st.tuples(st.just("skip"), st.sampled_from(HABITS), days),
    st.tuples(st.just("unskip"), st.sampled_from(HABITS), days),
    st.tuples(st.just("note"), st.sampled_from(HABITS), days),
    st.tuples(st.just("edit"), st.sampled_from(HABITS), days),
    st.tuples(st.just("delete"), st.sampled_from(HABITS), days),
    st.tuples(st.just("pause"), st.sampled_from((*HABITS, ALL)), days),
    st.tuples(st.just("resume"), st.sampled_from((*HABITS, ALL)), days),
    st.tuples(st.just("prompt"), st.sampled_from(HABITS), days),
    st.tuples(st.just("sync"), st.sampled_from(HABITS), days),
)
steps = st.lists(st.tuples(st.sampled_from((0, 1)), actions, st.integers(0, 3_000)), min_size=3, max_size=40)
# completions, undos and syncs on one day: where an undo could take too much
undo_actions = st.tuples(st.sampled_from(("done", "done", "undo", "sync")), st.just("walk"), st.just(D))
undo_steps = st.lists(st.tuples(st.sampled_from((0, 1)), undo_actions, st.integers(0, 3_000)), min_size=4, max_size=20)


def play(script: list[tuple[int, tuple[str, str, date], int]], drift: int) -> tuple[Device, Device]:
    """Two devices acting on what each has seen, syncing now and then (all or part of the other's log)."""
    devices = (Device("sam"), Device("alex", drift))
    now = 1_764_000_000_000
    for who, (what, habit, day), step in script:
        me, other = devices[who], devices[1 - who]
        now += step
        if what == "done":
            me.emit(now, DONE, habit, day)
        elif what == "undo" and (mine := me.alive(DONE, habit, day)):
            me.emit(now, UNDO, habit, day, undoes=(mine[-1].stamp,))
        elif what == "skip":
            me.emit(now, SKIP, habit, day, text=f"s{now}")
        elif what == "unskip" and (skips := me.alive(SKIP, habit, day)):
            me.emit(now, UNSKIP, habit, day, undoes=tuple(s.stamp for s in skips))
        elif what == "note":
            done = me.alive(DONE, habit, day)
            me.emit(now, NOTE, habit, day, text=f"n{now}", of=done[-1].stamp if done and step % 2 else None)
        elif what in ("edit", "delete") and (notes := me.alive(NOTE, habit)):
            note = notes[step % len(notes)]
            if what == "edit":
                me.emit(now, NOTE_EDIT, habit, note.day, text=f"e{now}", of=note.stamp)
            else:
                versions = [note, *(e for e in me.alive(NOTE_EDIT) if e.of == note.stamp)]
                me.emit(now, NOTE_DELETE, habit, note.day, undoes=tuple(v.stamp for v in versions))
        elif what == "pause":
            me.emit(now, PAUSE, habit, day, until=day + timedelta(days=step % 9))
        elif what == "resume":
            covering = [p for p in me.alive(PAUSE, habit) if p.until is not None and p.day <= day <= p.until]
            if covering:
                me.emit(now, RESUME, habit, day, undoes=tuple(p.stamp for p in covering))
        elif what == "prompt":
            me.emit(now, PROMPT, habit, day, order=(1, 0, 2), next=step % 4)
        elif what == "sync":
            other.receive(me.own[: len(me.own) - step % 3])  # the last few may not have arrived yet
    return devices


def files_of(device: Device, rng: random.Random) -> list[list[Event]]:
    """A device's month files, plus the odd conflict copy (an older version of one of them)."""
    months: dict[tuple[int, int], list[Event]] = {}
    for e in device.own:
        moment = datetime.fromtimestamp(e.stamp.ms / 1000, UTC)
        months.setdefault((moment.year, moment.month), []).append(e)
    files = list(months.values())
    for f in list(files):
        if rng.random() < 0.3:
            files.append(f[: rng.randrange(len(f) + 1)])
    return files


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.integers(-5_000_000, 5_000_000), st.randoms(use_true_random=False))
def test_any_arrival_order_and_duplication_of_two_logs_derives_one_state(
    script: list[tuple[int, tuple[str, str, date], int]], drift: int, rng: random.Random
) -> None:
    sam, alex = play(script, drift)
    expected = derive([*sam.own, *alex.own])
    for _side in range(2):  # each side reads the same files in its own order, some twice
        files = files_of(sam, rng) + files_of(alex, rng)
        files += rng.sample(files, k=rng.randrange(len(files) + 1))
        rng.shuffle(files)
        events = [e for f in files for e in f]
        assert derive(events) == expected
        assert merge(*files) == merge(events)
    # through TOML and back, as the files are written and read
    tables = tomllib.loads(tomli_w.dumps({"event": [to_table(e) for e in sam.own]}))["event"] if sam.own else []
    assert derive([from_table(t, "sam") for t in tables] + alex.own) == expected


@settings(max_examples=150, deadline=None)
@given(st.one_of(steps, undo_steps), st.integers(-5_000_000, 5_000_000))
def test_an_undo_never_removes_a_completion_it_had_not_seen(
    script: list[tuple[int, tuple[str, str, date], int]], drift: int
) -> None:
    sam, alex = play(script, drift)
    everything = [*sam.own, *alex.own]
    state = derive(everything)
    undone = {s for e in everything if e.kind == UNDO for s in e.undoes}
    for e in everything:
        if e.kind == UNDO:  # it names only completions its writer had received
            writer = sam if e.stamp.device == "sam" else alex
            assert all(s in writer.known and s < e.stamp for s in e.undoes)
    for habit in HABITS:
        for offset in range(7):
            day = D + timedelta(days=offset)
            alive = [e for e in everything if e.kind == DONE and e.habit == habit and e.day == day]
            expected = len([e for e in alive if e.stamp not in undone])
            log = state.habits.get(habit)
            assert (log.count(day) if log else 0) == expected


notes = st.builds(
    Note,
    days,
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    st.text(max_size=5),
    st.integers(0, 3),
    st.sampled_from([NO_EXTRA, MappingProxyType({"mood": "glad"})]),
)


@st.composite
def states(draw: st.DrawFn) -> State:
    state = State()
    for hid in draw(st.lists(st.sampled_from(HABITS), unique=True)):
        log = state.log(hid)
        for day in draw(st.lists(days, max_size=8)):
            log.add(day)
        log.notes = [n for n in draw(st.lists(notes, max_size=4)) if log.count(n.day) >= n.nth]
        moments = st.none() | st.just(AT)
        extras = st.sampled_from([NO_EXTRA, MappingProxyType({"why": "rain"})])
        skips = st.builds(Skip, days, st.text(max_size=3), moments, st.integers(0, 2), extras)
        log.skips = draw(st.lists(skips, max_size=3))
        if draw(st.booleans()):
            log.extra = {"colour": "blue"}
    span = st.integers(0, 5)
    pauses = st.builds(lambda h, d, n: Pause(h, d, d + timedelta(days=n)), st.sampled_from((*HABITS, ALL)), days, span)
    state.pauses = draw(st.lists(pauses, max_size=3))
    for hid in draw(st.lists(st.sampled_from(HABITS), unique=True)):
        state.prompts[hid] = PromptDeck(draw(st.permutations([0, 1, 2])), draw(st.integers(0, 3)))
    return state


@settings(max_examples=200, deadline=None)
@given(states())
def test_the_events_of_a_state_file_derive_it_back(state: State) -> None:
    events = events_of_state(state, "mig", datetime(2026, 11, 27, 9, tzinfo=UTC), D)
    for hid, log in list(state.habits.items()):
        if log.empty():
            del state.habits[hid]
    assert derive(events) == state
    assert len({e.stamp for e in events}) == len(events)
    config = parse_config('[habits.walk]\nevery = "day"\n[habits.talk]\nevery = "week"\ntimes = 2\n', "c", "UTC")
    for habit in config.habits:
        assert summarize(habit, derive(events), D + timedelta(days=9)) == summarize(habit, state, D + timedelta(days=9))


appending = st.tuples(
    st.sampled_from(("done", "note", "skip", "pause", "prompt", "sync")), st.sampled_from(HABITS), st.just(D)
)
append_steps = st.lists(st.tuples(st.sampled_from((0, 1)), appending, st.integers(0, 3_000)), min_size=3, max_size=20)


@settings(max_examples=150, deadline=None)
@given(st.one_of(steps, append_steps), st.integers(-5_000_000, 5_000_000), st.integers(0, 40))
def test_events_added_to_a_derived_state_give_what_deriving_them_all_gives(
    script: list[tuple[int, tuple[str, str, date], int]], drift: int, cut: int
) -> None:
    from habitd.history.derive import extend

    sam, alex = play(script, drift)
    everything = merge(sam.own, alex.own)
    cut %= len(everything) + 1
    state = derive(everything[:cut])
    if extend(state, everything[cut:]):
        assert state == derive(everything)


def test_a_partners_completion_with_its_note_is_added_where_deriving_would_put_it() -> None:
    from habitd.history.derive import extend

    sam, alex = Device("sam"), Device("alex")
    first = sam.emit(1, DONE, "talk", D)
    alex.receive(sam.own)
    second = alex.emit(2, DONE, "talk", D)
    note = alex.emit(3, NOTE, "talk", D, text="we laughed", of=second.stamp)
    state = derive(sam.own)
    assert extend(state, [second, note])
    assert state == derive([first, second, note])
    assert state.habits["talk"].notes == [Note(D, AT, "we laughed", 2, by="alex")]
    undo = alex.emit(4, UNDO, "talk", D, undoes=(second.stamp,))
    late_note = alex.emit(5, NOTE, "talk", D, text="of the first", of=first.stamp)
    for refused in ([undo], [late_note]):  # these need the whole log: nothing is changed
        before = derive([first, second, note])
        assert not extend(before, refused) and before == derive([first, second, note])


@settings(max_examples=300, deadline=None)
@given(st.one_of(steps, undo_steps), st.integers(-5_000_000, 5_000_000), st.integers(0, 40))
def test_a_partners_undo_added_by_deriving_its_months_again_gives_what_deriving_all_gives(
    script: list[tuple[int, tuple[str, str, date], int]], drift: int, cut: int
) -> None:
    """A partner's undo (or unskip, note deleted) read by this device: only the months it touches
    are derived again, and the state is what deriving every event gives."""
    from habitd.history.derive import rederive_months

    sam, alex = play(script, drift)
    everything = merge(sam.own, alex.own)
    cut %= len(everything) + 1

    def earlier(e: Event) -> Event:  # the same history five weeks before: another month, interleaved
        old = lambda s: Stamp(s.ms, s.counter, s.device + "x")  # noqa: E731
        until = e.until - timedelta(days=35) if e.until else None
        of = old(e.of) if e.of else None
        return e._replace(stamp=old(e.stamp), day=e.day - timedelta(days=35), until=until, of=of,
                          undoes=tuple(map(old, e.undoes)))  # fmt: skip

    history = merge(everything[:cut], [earlier(e) for e in everything[:cut]])
    state = derive(history)
    added = everything[cut:]
    months = {(e.day.year, e.day.month) for e in added}
    before = [e for e in history if (e.day.year, e.day.month) in months]
    if rederive_months(state, before, added):
        assert state == derive([*history, *added])
