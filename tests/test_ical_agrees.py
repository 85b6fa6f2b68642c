"""The calendar feed gives the reminders `habitd next` gives, follow-ups aside.

The feed is expanded by recurring-ical-events, a library of its own (not ours, not
icalendar's), over a year from a fixed moment in Europe/Berlin, across both DST changes,
for every form of schedule the config takes; each habit's times are compared with
`habitd next --json` for a history with nothing done.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar
import pytest
import recurring_ical_events

from tests.conftest import Habitd

PLAIN = 'timezone = "Europe/Berlin"'
QUIET = 'timezone = "Europe/Berlin"\nquiet_hours = "22:30-07:30"\nday_starts = "04:00"'
NIGHT = 'timezone = "Europe/Berlin"\nday_starts = "04:00"'
LATE_WEEK = 'timezone = "Europe/Berlin"\nweek_starts = "sunday"\nday_starts = "03:00"'

FORMS = {
    "daily": (PLAIN, 'at = "08:00"'),
    "twice-a-day": (PLAIN, 'at = ["08:00", "20:30"]'),
    "weekdays": (PLAIN, 'on = ["weekdays"]\nat = "07:45"'),
    "weekly-on-friday": (PLAIN, 'every = "week"\non = ["fri"]\nat = "18:00"'),
    "our-stories": (PLAIN, 'every = "2 weeks"\non = ["sat"]\nat = "10:00"\nstart = 2026-01-05'),
    "twice-a-week": (PLAIN, 'every = "week"\ntimes = 2\non = ["tue", "thu"]\nat = "19:00"'),
    "first-saturday": (PLAIN, 'every = "month"\non = ["1st sat"]\nat = "10:00"'),
    "last-friday": (PLAIN, 'every = "month"\non = ["last fri"]\nat = "19:00"'),
    "month-days": (PLAIN, 'every = "month"\non = [1, 15]\nat = "09:00"'),
    "month-end": (PLAIN, 'every = "month"\non = [31]\nat = "09:00"'),
    "day-30": (PLAIN, 'every = "month"\non = [30]\nat = "09:00"'),
    "every-3-days": (PLAIN, 'every = "3 days"\nat = "09:30"\nstart = 2026-11-01'),
    "every-2-weeks": (PLAIN, 'every = "2 weeks"\nat = "09:00"'),
    "quarterly": (PLAIN, 'every = "3 months"\nat = "10:00"'),
    "cron-weekdays": (PLAIN, 'cron = "15 7 * * mon-fri"'),
    "cron-month-days": (PLAIN, 'every = "month"\ncron = "0 9 1,15 * *"'),
    "cron-either-day": (PLAIN, 'every = "month"\ncron = "0 9 1 * mon"'),
    "cron-summer": (PLAIN, 'every = "week"\ncron = "30 18 * 6-8 sun"'),
    "held-same-morning": (QUIET, 'at = "07:15"'),
    "held-to-next-morning": (QUIET, 'every = "week"\non = ["sat", "sun"]\nat = "23:00"'),
    "held-past-its-day": (QUIET, 'at = ["23:30", "12:00"]'),
    "held-cron": (QUIET, 'cron = "0 6,12 * * *"'),
    "after-midnight": (NIGHT, 'on = ["tue"]\nat = "01:00"'),
    "after-midnight-held": (QUIET, 'every = "week"\non = ["mon", "sun"]\nat = "01:00"'),
    "after-midnight-week": (LATE_WEEK, 'every = "week"\nat = "01:30"'),
    "after-midnight-cron": (LATE_WEEK, 'cron = "30 1 * * tue-sat"'),
}

YEAR = timedelta(days=365)


def _from_next(habitd: Habitd, end: datetime, limit: int) -> list[datetime]:
    reminders = habitd.json("next", "--limit", str(limit))["reminders"]
    times = [datetime.fromisoformat(r["at"]) for r in reminders if not r["followup"]]
    assert len(reminders) < limit or times[-1] >= end  # the whole year is in it
    return [t for t in times if t < end]


def _from_feed(habitd: Habitd, end: datetime) -> list[datetime]:
    result = habitd("ical")
    assert result.exit_code == 0, result.output
    cal = icalendar.Calendar.from_ical(result.stdout)
    events = recurring_ical_events.of(cal).between(habitd.now, end)
    return sorted(e.decoded("dtstart") for e in events if habitd.now < e.decoded("dtstart") < end)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_the_feed_and_next_give_the_same_reminders_for_a_year(habitd: Habitd, form: str) -> None:
    settings, body = FORMS[form]
    habitd.write_config(f"[settings]\n{settings}\n\n[habits.{form}]\n{body}\n")
    habitd.at("2026-12-02T12:00")
    end = habitd.now + YEAR
    got = _from_feed(habitd, end)
    wanted = _from_next(habitd, end, len(got) + 2)
    assert [t.astimezone(habitd.now.tzinfo).isoformat() for t in got] == [t.isoformat() for t in wanted]
    assert len(wanted) > 3, form


def test_the_feed_says_what_the_daemon_does_for_every_other_saturday(habitd: Habitd) -> None:
    habitd.write_config(f"[settings]\n{PLAIN}\n\n[habits.our-stories]\n{FORMS['our-stories'][1]}\n")
    habitd.at("2026-12-02T12:00")
    got = _from_feed(habitd, habitd.now + timedelta(days=28))
    assert [t.date().isoformat() for t in got] == ["2026-12-05", "2026-12-12", "2026-12-19", "2026-12-26"]
