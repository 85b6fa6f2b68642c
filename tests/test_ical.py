"""habitd ical: the reminders as an iCalendar feed that calendar apps read."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrulestr

from habitd.habits.config import parse_config
from habitd.habits.schedule import base_times
from tests.conftest import ROOT, Habitd

CONFIG = """
[settings]
timezone = "Europe/Berlin"

[habits.date-night]
title = "Date night"
message = "Just the two of you <3 & no phones"
every = "week"
on = ["fri"]
at = "18:00"

[habits.hike]
every = "2 weeks"
on = "sat"
at = "10:00"
start = 2026-01-05

[habits.last-friday]
every = "month"
on = "last fri"
at = "19:00"

[habits.thanks]
at = ["08:00", "20:30"]

[habits.weekdays]
on = "weekdays"
at = "07:45"

[habits.gratitude]
cron = "30 10 * * sun"

[habits.odd]
cron = "0 9 1 * mon"

[habits.quarterly]
every = "3 months"
at = "10:00"

[habits.untimed]
every = "week"

[habits.retired]
at = "09:00"
archived = true
"""

BERLIN = ZoneInfo("Europe/Berlin")


def _feed(habitd: Habitd) -> icalendar.Calendar:
    habitd.write_config(CONFIG)
    result = habitd("ical")
    assert result.exit_code == 0, result.output
    return icalendar.Calendar.from_ical(result.stdout)


def _occurrences(event: icalendar.Event, days: int) -> list[datetime]:
    start = event.decoded("dtstart")
    end = start + timedelta(days=days)
    rule = event.get("rrule")
    if rule is None:
        rdates = [d.dt for r in ([event["rdate"]] if not isinstance(event.get("rdate"), list) else event["rdate"])
                  for d in r.dts] if "rdate" in event else []  # fmt: skip
        return [d for d in [start, *rdates] if d < end]
    return list(rrulestr(rule.to_ical().decode(), dtstart=start).between(start, end, inc=True))


def test_the_feed_parses_back_with_rules_zones_uids_and_no_alarms(habitd: Habitd) -> None:
    cal = _feed(habitd)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert sorted(events) == sorted(
        f"{u}@habitd"
        for u in (
            "date-night",
            "hike",
            "last-friday",
            "thanks",
            "thanks-2",
            "weekdays",
            "gratitude",
            "odd",
            "quarterly",
        )
    )
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert cal.walk("VALARM") == []
    night = events["date-night@habitd"]
    assert str(night["summary"]) == "Date night" and str(night["description"]) == "Just the two of you <3 & no phones"
    assert night["dtstart"].params["TZID"] == "Europe/Berlin"
    assert night["rrule"].to_ical() == b"FREQ=WEEKLY;BYDAY=FR"
    # Every 2 weeks on Saturday: habitd reminds on each Saturday of a period not yet met, so the
    # calendar shows every Saturday (it used to show every other one).
    assert events["hike@habitd"]["rrule"].to_ical() == b"FREQ=WEEKLY;BYDAY=SA"
    assert events["last-friday@habitd"]["rrule"].to_ical() == b"FREQ=MONTHLY;BYDAY=-1FR"
    assert events["thanks@habitd"]["rrule"].to_ical() == b"FREQ=DAILY"
    assert events["weekdays@habitd"]["rrule"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert events["quarterly@habitd"]["rrule"].to_ical() == b"FREQ=MONTHLY;INTERVAL=3"
    assert events["quarterly@habitd"].decoded("dtstart").date() == date(2026, 10, 1)
    assert "rrule" not in events["odd@habitd"] and "rdate" in events["odd@habitd"]


def test_the_calendar_shows_the_same_times_as_habitd_reminds(habitd: Habitd) -> None:
    cal = _feed(habitd)
    config = parse_config(CONFIG, "c")
    start = date(2026, 11, 25)
    for event in cal.walk("VEVENT"):
        hid = str(event["uid"]).split("@")[0].removesuffix("-2")
        habit = config.habit(hid)
        assert habit is not None
        shown = [o.astimezone(BERLIN) for o in _occurrences(event, 400) if o.date() >= start]
        wanted = [
            datetime.combine(start + timedelta(days=i), t, BERLIN)
            for i in range((shown and (shown[-1].date() - start).days + 1) or 0)
            for t in base_times(habit, start + timedelta(days=i))
        ]
        if hid == "thanks":
            wanted = [w for w in wanted if w.time() == shown[0].time()]
        if hid == "hike":  # every 2 weeks on Saturday: each Saturday, as the daemon reminds
            assert [d.date() for d in shown][:3] == [date(2026, 11, 28), date(2026, 12, 5), date(2026, 12, 12)]
        assert shown == wanted, hid
        assert len(shown) >= 3, hid


def test_ical_writes_a_file_through_the_real_console_script(habitd: Habitd, tmp_path: Path) -> None:
    habitd.write_config(CONFIG)
    out = tmp_path / "feed" / "habits.ics"
    script = Path(sys.executable).parent / "habitd"
    run = subprocess.run(
        [str(script), "--config", str(habitd.config), "--state-dir", str(tmp_path / "s"), "ical", "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    assert len(cal.walk("VEVENT")) == 9


def test_only_the_ical_command_imports_icalendar(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from habitd.cli.app import cli\n"
        f"args = ['--config', {str(ROOT / 'config.example.toml')!r}, '--state-dir', {str(tmp_path)!r}]\n"
        "for cmd in (['done', 'thanks'], ['status'], ['export'], ['today']):\n"
        "    assert CliRunner().invoke(cli, args + cmd).exit_code == 0\n"
        "before = 'icalendar' in sys.modules\n"
        "assert CliRunner().invoke(cli, args + ['ical']).exit_code == 0\n"
        "print(before, 'icalendar' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "True"]
