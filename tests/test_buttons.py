"""The buttons' decisions with time as a parameter: which day Done counts for, what Snooze brings back and when."""

from __future__ import annotations

import logging
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tomli_w

from habitd.habits.config import Config, parse_config
from habitd.habits.state import Snooze, State
from habitd.habits.state_toml import from_doc, to_doc
from habitd.history.store import Store
from habitd.service import buttons
from habitd.service.notify import Note, PlyerNotifier, Pressed
from habitd.service.reminders import Due, plan
from habitd.service.runner import Runner
from habitd.views.rows import SNOOZE, next_reminder, upcoming

BERLIN = ZoneInfo("Europe/Berlin")
HABITS = """
[habits.thanks]
title = "Thanks"
at = "19:00"
{extra}

[habits.checkin]
every = "week"
times = 2
on = ["fri"]
at = "19:00"
"""


def cfg(settings: str = "", extra: str = "") -> Config:
    text = f'[settings]\ntimezone = "Europe/Berlin"\n{settings}\n' + HABITS.format(extra=extra)
    return parse_config(text, "c")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def local(moment: datetime | None) -> str | None:
    return moment.astimezone(BERLIN).strftime("%m-%d %H:%M") if moment else None


def press(store: Store, config: Config, habit: str, day: str, key: str, now: datetime) -> buttons.Answer:
    note = buttons.note_for(config, _due(config, habit, day), "body")
    return buttons.answer(store, config, Pressed(note, key), now)


def _due(config: Config, habit: str, day: str) -> Due:
    (due,) = [d for d in plan(config, State(), at(f"{day}T19:00")) if d.habit.id == habit]
    return due


def test_done_counts_for_the_day_the_reminder_was_for() -> None:
    """01:00 with day_starts 04:00 is still the evening before; Done pressed the next afternoon marks that day."""
    text = '[settings]\ntimezone = "Europe/Berlin"\nday_starts = "04:00"\n[habits.late]\nat = "01:00"\n'
    config = parse_config(text, "c")
    (due,) = plan(config, State(), at("2026-11-28T01:00"))
    note = buttons.note_for(config, due, "body")
    assert note.day == date(2026, 11, 27)


def test_done_records_that_day_whatever_the_day_it_is_pressed(tmp_path: Path) -> None:
    config, store = cfg(), Store(tmp_path)
    answer = press(store, config, "thanks", "2026-11-27", "done", at("2026-11-28T09:30"))
    assert answer.changed and answer.message == "done for 2026-11-27 (from the notification)"
    assert store.read().habits["thanks"].days() == [date(2026, 11, 27)]


def test_a_button_on_a_met_period_or_a_removed_habit_changes_nothing(tmp_path: Path) -> None:
    config, store = cfg(), Store(tmp_path)
    now = at("2026-11-27T19:05")
    for _ in range(2):  # times = 2: the second meets the week
        assert press(store, config, "checkin", "2026-11-27", "done", now).changed
    before = to_doc(store.read())
    answer = press(store, config, "checkin", "2026-11-27", "done", now)
    assert not answer.changed
    assert "is met already; nothing changed" in answer.message
    assert "Snooze" in press(store, config, "checkin", "2026-11-27", "snooze", now).message
    note = Note("gone", "Gone", "body", date(2026, 11, 27), (("done", "Done"),))
    answer = buttons.answer(store, config, Pressed(note, "done"), now)
    assert not answer.changed and "no longer in the config" in answer.message
    assert to_doc(store.read()) == before


def test_a_click_on_the_body_is_not_a_done(tmp_path: Path) -> None:
    config, store = cfg(), Store(tmp_path)
    answer = press(store, config, "thanks", "2026-11-27", "default", at("2026-11-27T19:01"))
    assert not answer.changed
    assert store.read().habits == {}


def test_skip_today_only_for_a_one_day_period(tmp_path: Path) -> None:
    config = cfg()
    assert [k for k, _ in buttons.buttons(config, config.habits[0])] == ["done", "snooze", "skip"]
    assert [k for k, _ in buttons.buttons(config, config.habits[1])] == ["done", "snooze"]
    store = Store(tmp_path)
    assert press(store, config, "thanks", "2026-11-27", "skip", at("2026-11-27T19:01")).changed
    assert [s.day for s in store.read().habits["thanks"].skips] == [date(2026, 11, 27)]


def snoozed(config: Config, tmp_path: Path, now: datetime) -> State:
    store = Store(tmp_path)
    with store.update() as state:
        state.reminder("thanks").handled = at("2026-11-27T19:00")
    assert press(store, config, "thanks", "2026-11-27", "snooze", now).changed
    return store.read()


def shown(config: Config, state: State, now: datetime) -> list[tuple[str, str | None, int]]:
    out = []
    for due in plan(config, state, now):
        state.reminder(due.habit.id).handled = due.slot.due
        if due.habit.id == "thanks":
            out.append((due.habit.id, local(due.slot.due), due.slot.followup))
    return out


def test_a_snooze_comes_back_once_after_its_time(tmp_path: Path) -> None:
    config = cfg('snooze = "1h"', 'snooze = "20m"')  # the habit's own snooze wins
    state = snoozed(config, tmp_path, at("2026-11-27T19:02:30"))
    assert state.reminders["thanks"].snooze == Snooze(at("2026-11-27T19:22:30"), date(2026, 11, 27))
    assert local(next_reminder(config, state, config.habits[0], at("2026-11-27T19:03"))) == "11-27 19:22"
    assert [(u.habit.id, local(u.at), u.followup) for u in upcoming(config, state, at("2026-11-27T19:03"), 2)] == [
        ("thanks", "11-27 19:22", True),
        ("thanks", "11-28 19:00", False),
    ]
    assert shown(config, state, at("2026-11-27T19:21:59")) == []
    assert shown(config, state, at("2026-11-27T19:22:29")) == []
    assert shown(config, state, at("2026-11-27T19:22:30")) == [("thanks", "11-27 19:22", SNOOZE)]
    assert shown(config, state, at("2026-11-27T19:40:00")) == []
    assert local(next_reminder(config, state, config.habits[0], at("2026-11-27T19:40"))) == "11-28 19:00"


@pytest.mark.parametrize(
    ("pressed", "back"),
    [
        ("19:00:46", "19:01:46"),  # not on the minute: a 1-minute snooze once came back after 14 s
        ("19:00:55.250", "19:01:56"),  # a fraction of a second: up to the next whole second, never early
        ("19:01:00", "19:02:00"),
    ],
)
def test_a_snooze_lasts_exactly_its_length(tmp_path: Path, pressed: str, back: str) -> None:
    config = cfg('snooze = "1m"')
    state = snoozed(config, tmp_path, at(f"2026-11-27T{pressed}"))
    until = state.reminders["thanks"].snooze
    assert until is not None and until.until == at(f"2026-11-27T{back}")
    assert next_reminder(config, state, config.habits[0], at(f"2026-11-27T{pressed}")) == until.until
    assert shown(config, state, until.until - timedelta(seconds=1)) == []  # not a second early
    assert shown(config, state, until.until) == [("thanks", f"11-27 {back[:5]}", SNOOZE)]


def test_a_snooze_puts_off_the_follow_ups_before_it(tmp_path: Path) -> None:
    config = cfg('snooze = "1h"', 'remind_again = "30m"')
    state = snoozed(config, tmp_path, at("2026-11-27T19:00:10"))
    assert shown(config, state, at("2026-11-27T19:30")) == []  # the 19:30 follow-up waits for the snooze
    assert shown(config, state, at("2026-11-27T20:00:10")) == [("thanks", "11-27 20:00", SNOOZE)]
    assert shown(config, state, at("2026-11-27T20:30")) == [("thanks", "11-27 20:30", 3)]


def test_a_snooze_waits_for_the_end_of_quiet_hours(tmp_path: Path) -> None:
    config = cfg('snooze = "1h"\nquiet_hours = "19:30-21:00"')
    state = snoozed(config, tmp_path, at("2026-11-27T19:00:10"))
    assert local(next_reminder(config, state, config.habits[0], at("2026-11-27T19:01"))) == "11-27 21:00"
    assert shown(config, state, at("2026-11-27T20:00")) == []
    assert shown(config, state, at("2026-11-27T21:00")) == [("thanks", "11-27 20:00", SNOOZE)]


def test_done_cancels_a_snooze(tmp_path: Path) -> None:
    config = cfg()
    snoozed(config, tmp_path, at("2026-11-27T19:00:10"))
    store = Store(tmp_path)
    assert press(store, config, "thanks", "2026-11-27", "done", at("2026-11-27T19:30")).changed
    assert shown(config, store.read(), at("2026-11-27T20:00")) == []


def test_a_snooze_survives_the_state_file() -> None:
    state = State()
    state.reminder("thanks").handled = at("2026-11-27T19:00")
    state.reminder("thanks").snooze = Snooze(at("2026-11-27T20:00"), date(2026, 11, 27))
    text = tomli_w.dumps(to_doc(state))
    assert "[reminders.thanks.snooze]" in text
    assert from_doc(tomllib.loads(text), "s") == state


# --- the daily cap, in the daemon's own loop -----------------------------------------------


class Recorder(PlyerNotifier):
    """A notifier that shows everything and remembers what (no buttons, as Plyer's)."""

    backend = "test"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Note] = []

    def send(self, note: Note) -> None:
        self.sent.append(note)


@pytest.mark.parametrize(("cap", "titles"), [(1, ["Thanks"]), (2, ["Thanks", "Thanks"])])
def test_a_snooze_counts_against_the_daily_cap_once_per_showing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, cap: int, titles: list[str]
) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(
        f'[settings]\ntimezone = "Europe/Berlin"\nmax_per_day = {cap}\nsnooze = "10m"\n[habits.thanks]\nat = "19:00"\n'
    )
    now = at("2026-11-27T19:00")
    notifier = Recorder()
    store = Store(tmp_path / "state")
    runner = Runner(str(config_path), store, notifier, clock=lambda: now)
    runner.timer.start(paused=True)  # jobs kept, never run: the test calls check() itself
    try:
        runner.check()
        (note,) = notifier.sent
        assert buttons.answer(store, runner.config, Pressed(note, "snooze"), now).changed
        now = at("2026-11-27T19:10")
        with caplog.at_level(logging.INFO, "habitd"):
            runner.check()
    finally:
        runner.close()
    assert [n.title for n in notifier.sent] == titles
    assert ("max_per_day" in caplog.text) == (cap == 1)
    assert store.read().sent_count == len(titles)


class ClosedUnheard(PlyerNotifier):
    """A bubble on screen whose close the server has sent but the loop has not read yet."""

    def __init__(self) -> None:
        super().__init__()
        self.shown = {"thanks": "bus server 7"}

    def bubble_ids(self) -> dict[str, str]:
        return dict(self.shown)

    def events(self) -> list[Pressed]:
        self.shown.clear()  # the NotificationClosed waiting in the queue
        return []


def test_a_bubble_closed_just_before_a_stop_is_not_shown_again(tmp_path: Path) -> None:
    from habitd.service.bubbles import Bubbles

    store = Store(tmp_path)
    config = cfg()
    Bubbles(ClosedUnheard(), store, lambda: config, lambda: at("2026-11-27T19:01")).remember()
    assert "thanks" not in store.read().reminders or not store.read().reminders["thanks"].on_screen


class Kept(Recorder):
    """A server that kept an earlier run's bubble: it is adopted as the note it is shown again as."""

    def adopt(self, note: Note, bubble: str) -> bool:
        return True


def test_a_bubble_is_shown_again_for_the_day_it_was_for_not_the_latest_slots(tmp_path: Path) -> None:
    from habitd.habits.state import Reminder
    from habitd.service.bubbles import Bubbles

    store, config = Store(tmp_path), cfg(settings='day_starts = "04:00"')
    with store.update() as state:  # Tuesday's bubble on screen; Wednesday's slot was dropped (the daily cap)
        bubble = Reminder(at("2026-12-09T19:00"), on_screen="bus server 7", on_screen_day=date(2026, 12, 8))
        state.reminders["thanks"] = bubble
    notifier = Kept()
    Bubbles(notifier, store, lambda: config, lambda: at("2026-12-09T19:30")).show_again(at("2026-12-09T19:30"))
    assert notifier.sent == []  # Tuesday ended at 04:00: not shown again, least of all as Wednesday's
    assert not store.read().reminders["thanks"].on_screen and store.read().reminders["thanks"].on_screen_day is None
    with store.update() as state:  # today's, still open
        state.reminders["thanks"].on_screen, state.reminders["thanks"].on_screen_day = "bus server 8", date(2026, 12, 9)
    Bubbles(notifier, store, lambda: config, lambda: at("2026-12-09T19:30")).show_again(at("2026-12-09T19:30"))
    assert [n.day for n in notifier.sent] == [date(2026, 12, 9)]
