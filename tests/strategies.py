"""Hypothesis strategies shared by the property tests: a habit's history and its config."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from habitd.habits.state import ALL, Pause, Skip, State

# A habit's history up to 2026-07-01 (completions, skips, pauses), its schedule, the week's first day:
# pass them to @given(*HISTORY) and build the state with ``history_state``.
HISTORY = (
    st.lists(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 7, 1)), max_size=300),
    st.lists(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 7, 1)), max_size=5),
    st.lists(
        st.tuples(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 7, 1)), st.integers(0, 40)), max_size=3
    ),
    st.sampled_from(
        [
            'every = "day"',
            'every = "day"\ntimes = 2',
            'on = "weekdays"',
            'on = ["mon", "thu"]',
            'cron = "15 7 * * mon-fri"',  # the weekend not due
            'cron = "0 9 1,15 * *"',  # due on two days of each month: not a matter of the weekday
            'every = "week"',
            'every = "week"\ntimes = 3',
            'every = "month"',
            'every = "2 weeks"\nstart = 2024-03-06',
            'every = "3 days"',
            'every = "4 months"',
        ]
    ),
    st.sampled_from([0, 6]),
)


def history_state(days: list[date], skips: list[date], pauses: list[tuple[date, int]]) -> State:
    """The state of habit "h": its completions, skips, and pauses (odd lengths pause every habit)."""
    state = State()
    for d in days:
        state.log("h").add(d)
    for d in skips:
        state.log("h").skips.append(Skip(d))
    for start, n in pauses:
        state.pauses.append(Pause(ALL if n % 2 else "h", start, start + timedelta(days=n)))
    return state
