"""Today's state file as events: what a device writes once when it moves to the event log.

Pure: the caller reads the old state and writes the events (see ``store.py``).
``derive(events_of_state(state, ...))`` gives back the state's history
(completions with their counts, notes with their moments, skips, pauses,
prompt decks); the daemon's reminder bookkeeping is per device and stays out.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime

from daemon.events import DONE, NOTE, PAUSE, PROMPT, SKIP, Event
from daemon.hlc import Stamp
from daemon.state import State


def events_of_state(state: State, device: str, moment: datetime, today: date, by: str = "") -> list[Event]:
    """The events that derive ``state``, stamped at ``moment`` one after another."""
    ms = int(moment.timestamp() * 1000)
    counter = itertools.count()
    events: list[Event] = []

    def add(
        kind: str, habit: str, day: date, *, at: datetime = moment, text: str = "", of: Stamp | None = None,
        until: date | None = None, order: tuple[int, ...] = (), next_: int = 0,
    ) -> Stamp:  # fmt: skip
        stamp = Stamp(ms, next(counter), device)
        events.append(Event(stamp, kind, habit, day, at, by, text, of, (), until, order, next_))
        return stamp

    for hid, log in sorted(state.habits.items()):
        completion: dict[tuple[date, int], Stamp] = {}
        for day in sorted(set(log.days()) | set(log.counts)):
            for nth in range(1, log.count(day) + 1):
                completion[day, nth] = add(DONE, hid, day)
        for note in log.notes:
            add(NOTE, hid, note.day, at=note.at, text=note.text, of=completion.get((note.day, note.nth)))
        for skip in log.skips:
            add(SKIP, hid, skip.day, text=skip.text)
    for pause in state.pauses:
        add(PAUSE, pause.habit, pause.start, until=pause.until)
    for hid, deck in sorted(state.prompts.items()):
        add(PROMPT, hid, today, order=tuple(deck.order), next_=deck.next)
    return events
