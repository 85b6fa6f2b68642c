"""Property tests: any config document, any history."""

from __future__ import annotations

import contextlib
import tomllib
from datetime import UTC, date, datetime, time, timedelta

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habitd.errors import ConfigError
from habitd.habits.config import parse_config
from habitd.habits.schema import HABIT_KEYS, SETTINGS_KEYS
from habitd.habits.state import ALL, Note, Pause, Skip, State
from habitd.habits.state_toml import from_doc, to_doc
from habitd.habits.streaks import summarize
from habitd.history.statefile import dump_state
from tests.strategies import HISTORY, history_state

# Values of every TOML type, biased towards what each key expects so that valid configs come up too.
scalars = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "day",
            "week",
            "2 weeks",
            "4 months",
            "18:00",
            "25:00",
            "mon",
            "1st sat",
            "last fri",
            "weekdays",
            "2h",
            "0 19 * * fri",
            "* * * * *",
            "Europe/Berlin",
            "22:30-07:30",
            "04:00",
        ]
    ),
    st.integers(-5, 200),
    st.booleans(),
    st.floats(allow_nan=False),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
    st.times(),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=8)
habit_tables = st.dictionaries(st.sampled_from([*HABIT_KEYS, "bogus"]), values, max_size=6)
documents = st.fixed_dictionaries(
    {},
    optional={
        "settings": st.dictionaries(st.sampled_from([*SETTINGS_KEYS, "oops"]), values, max_size=5),
        "habits": st.dictionaries(st.sampled_from(["walk", "date-night", "Bad Id", "x"]), habit_tables, max_size=3),
        "extra": values,
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_toml_document_is_a_config_or_a_config_error(doc: dict) -> None:  # type: ignore[type-arg]
    text = tomli_w.dumps(doc)
    try:
        config = parse_config(text, "c.toml")
    except ConfigError as e:
        assert e.problems and all(isinstance(p, str) and p for p in e.problems)
        return
    assert config.habits
    # A valid config also answers the questions the commands ask of it.
    from habitd.views.rows import status

    status(config, State(), datetime(2026, 11, 25, 12, tzinfo=UTC))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_config_or_a_config_error(text: str) -> None:
    with contextlib.suppress(ConfigError):
        parse_config(text, "c.toml")


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)


@st.composite
def states(draw: st.DrawFn) -> State:
    state = State()
    for hid in draw(st.lists(st.sampled_from(["walk", "talk", "date-night"]), max_size=3, unique=True)):
        log = state.log(hid)
        for d in draw(st.lists(days, max_size=40)):
            nth = log.add(d)
            if draw(st.booleans()):
                log.notes.append(Note(d, draw(moments), draw(st.text(max_size=30)), nth))
        for d in draw(st.lists(days, max_size=5)):
            log.skips.append(Skip(d, draw(st.text(max_size=10))))
    for _ in range(draw(st.integers(0, 2))):
        start = draw(days)
        state.pauses.append(
            Pause(draw(st.sampled_from([ALL, "walk"])), start, start + timedelta(days=draw(st.integers(0, 30))))
        )
    state.reminder("walk").handled = draw(st.none() | moments)
    return state


@settings(max_examples=200, deadline=None)
@given(states())
def test_state_round_trips_through_the_file_format(state: State) -> None:
    text = dump_state(to_doc(state))  # what the store writes
    again = from_doc(tomllib.loads(text), "s")
    assert to_doc(again) == to_doc(state)
    for hid, log in state.habits.items():
        assert again.habits[hid].days() == log.days() if not log.empty() else True
        for d in log.days():
            assert again.habits[hid].count(d) == log.count(d)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 6, 30)), max_size=60),
    st.sampled_from(
        [
            'every = "day"',
            'every = "week"\ntimes = 2',
            'every = "month"\ntimes = 3',
            'on = "weekdays"',
            'every = "3 days"',
            'every = "2 weeks"',
        ]
    ),
    st.randoms(use_true_random=False),
)
def test_streaks_do_not_depend_on_the_order_completions_were_recorded(days_: list[date], body: str, rnd) -> None:  # type: ignore[no-untyped-def]
    habit = parse_config(f"[habits.h]\n{body}\n", "c").habits[0]
    shuffled = list(days_)
    rnd.shuffle(shuffled)
    a, b = State(), State()
    for d in days_:
        a.log("h").add(d)
    for d in shuffled:
        b.log("h").add(d)
    today = date(2026, 7, 1)
    assert summarize(habit, a, today) == summarize(habit, b, today)
    s = summarize(habit, a, today)
    assert 0 <= s.strength <= 1 and 0 <= s.streak <= s.best_streak


def test_time_values_stay_times() -> None:
    assert parse_config("[habits.a]\nat = 07:45:00\n", "c").habits[0].at == (time(7, 45),)


def reference_summary(habit, state: State, today: date, ws: int = 0) -> tuple[int, int, float]:  # type: ignore[no-untyped-def]
    """The definition, period by period over the whole history: what the fast version must equal."""
    import math

    from habitd.habits.streaks import MET, MISSED, periods

    history = periods(habit, state, today, ws)
    run = best = 0
    score = 0.0
    for p in history:
        if p.state == MET:
            run += 1
            best = max(best, run)
        elif p.state == MISSED:
            run = 0
        if p.state in (MET, MISSED):
            days = (p.last - p.first).days + 1
            m = 0.5 ** (math.sqrt(habit.times / days) * days / 13)
            score = score * m + min(1.0, p.done / habit.times) * (1 - m)
    return run, best, score


@settings(max_examples=300, deadline=None)
@given(*HISTORY)
def test_fast_streaks_equal_the_period_by_period_definition(days_, skips, pauses, body, ws) -> None:  # type: ignore[no-untyped-def]
    habit = parse_config(f"[habits.h]\n{body}\n", "c").habits[0]
    state = history_state(days_, skips, pauses)
    today = date(2026, 7, 1)
    fast = summarize(habit, state, today, ws)
    streak, best, strength = reference_summary(habit, state, today, ws)
    assert (fast.streak, fast.best_streak) == (streak, best)
    assert abs(fast.strength - strength) < 2e-4


@given(
    st.lists(st.dates(date(2016, 1, 1), date(2027, 12, 31)), max_size=60),
    st.dates(date(2015, 6, 1), date(2028, 6, 1)),
)
def test_the_days_after_a_day_are_the_completions_later_than_it(days: list[date], cut: date) -> None:
    """`status` looks only at the days after today for completions dated ahead (ten years of
    days were enumerated to find none): the same days as filtering them all."""
    state = State()
    for day in days:
        state.log("walk").add(day)
    log = state.log("walk")
    assert log.days(after=cut) == [d for d in log.days() if d > cut]
