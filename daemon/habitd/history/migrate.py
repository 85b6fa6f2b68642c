"""Today's state file as events: what a device writes once when it moves to the event log.

Pure: the caller reads the old state and writes the events (see ``Store`` in ``store.py``).
``derive(events_of_state(state, ...))`` gives back the state's history
(completions with their counts, notes with their moments, skips, pauses,
prompt decks); the daemon's reminder bookkeeping is per device and stays out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from habitd.habits.state import State
from habitd.history.events import Event
from habitd.history.hlc import Stamp


def history_of(state: State) -> State:
    """The part of a state that is history (shared), without the device's own bookkeeping."""
    out = State()
    out.habits = {hid: log for hid, log in state.habits.items() if not log.empty()}
    out.pauses = list(state.pauses)
    out.prompts = dict(state.prompts)
    return out


def has_history(state: State) -> bool:
    return bool(history_of(state).habits or state.pauses or state.prompts)


def events_of_state(
    state: State, device: str, moment: datetime, today: date, by: str = "", add: Callable[[Event], Event] | None = None
) -> list[Event]:
    """The events that derive ``state``'s history, stamped at ``moment`` one after another (or by ``add``)."""
    from habitd.history.changes import write_change  # only a move needs it: the store reads with this module

    ms = int(moment.timestamp() * 1000)
    events: list[Event] = []

    def stamp(event: Event) -> Event:
        stamped = event._replace(stamp=Stamp(ms, len(events), device))
        events.append(stamped)
        return stamped

    def through(event: Event) -> Event:
        assert add is not None
        stamped = add(event)
        events.append(stamped)
        return stamped

    write_change(State(), history_of(state), None, stamp if add is None else through, today, moment, by)
    return events
