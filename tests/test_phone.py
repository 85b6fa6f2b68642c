"""A partner's phone: each open period as one task in a vdir, and the phone's ticks read back as theirs.

The phone is played by editing the vdir's files as vdirsyncer leaves them after the phone's
app changed the task on the server; the end-to-end test (test_phone_e2e.py) runs the real chain.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from habitd.cli.context import App
from habitd.exchange import tasks
from habitd.habits.config import parse_config
from habitd.habits.state import State
from habitd.history.phonelog import PhoneLog, Tick
from habitd.service.phone import Pass, PhoneSync, VdirInShared
from tests.conftest import Habitd, ok, shared_settings

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """
[settings]
timezone = "Europe/Berlin"
name = "Sam"
quiet_hours = "22:00-07:00"

[habits.walk]
title = "A walk together"
message = "Twenty minutes outside."
every = "day"
at = ["06:30", "08:00", "19:00"]

[habits.date-night]
title = "Date night"
every = "week"
on = ["fri"]
at = "18:00"
prompts = ["Where did we first meet?"]

[habits.stretch]
every = "day"
at = "07:30"
each = true

[habits.talk]
every = "week"
times = 2
"""


def phone_table(vdir: Path, extra: str = "") -> str:
    return f'\n[phone]\nperson = "Alex"\nvdir = "{vdir}"\n{extra}'


@pytest.fixture
def vdir(tmp_path: Path) -> Path:
    folder = tmp_path / "phone" / "alex"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def sam(tmp_path: Path, vdir: Path) -> Habitd:
    shared = tmp_path / "shared"
    shared.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(shared_settings(shared, None, CONFIG) + phone_table(vdir))
    return Habitd(config, tmp_path / "state", datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN))  # a Wednesday


def sync(h: Habitd) -> Pass | None:
    """One pass, as the daemon runs it when the vdir changes."""
    app = App(h.config, h.state_dir, now=lambda: h.now)
    assert app.config.phone is not None
    return PhoneSync(app.store, app.config.phone).sync(app.config, h.now)


def todo(path: Path) -> icalendar.Todo:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return next(c for c in cal.walk() if c.name == "VTODO")


def ours(vdir: Path) -> dict[str, Path]:
    return {str(todo(p)["uid"]): p for p in sorted(vdir.glob("*.ics"))}


def phone_ticks(path: Path, at: datetime) -> None:
    """What vdirsyncer writes after the phone's app ticked the task (as Tasks.org does)."""
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    t = next(c for c in cal.walk() if c.name == "VTODO")
    t["status"] = "COMPLETED"
    t.add("completed", at.astimezone(UTC))
    t.add("x-app-sort-order", "3")
    _replace(path, cal.to_ical())


def phone_unticks(path: Path) -> None:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    t = next(c for c in cal.walk() if c.name == "VTODO")
    t["status"] = "NEEDS-ACTION"
    for key in ("completed", "percent-complete"):
        if key in t:
            del t[key]
    _replace(path, cal.to_ical())


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def walk_uid() -> str:
    return tasks.task_uid("walk", date(2026, 11, 25), "Alex")


def said(h: Habitd, *args: str) -> str:
    """A command's output, its lines unwrapped."""
    return " ".join(h(*args).output.split())


def row(h: Habitd, hid: str) -> dict:
    return next(r for r in h.json("status")["habits"] if r["id"] == hid)


# --- the config --------------------------------------------------------------------------------


def test_the_phone_table_names_whose_phone_and_where_its_tasks_are() -> None:
    config = parse_config('[habits.a]\n[phone]\nperson = "Alex"\nvdir = "~/p/alex"\nquiet_hours = "23:00-08:00"\n', "c")
    assert config.phone is not None and config.phone.person == "Alex" and config.phone.vdir == "~/p/alex"
    with pytest.raises(Exception) as e:
        parse_config('[habits.a]\n[phone]\nperson = "Alex"\nurl = "https://x"\n', "c")
    assert "phone.vdir: missing" in str(e.value) and "phone.url: unknown key" in str(e.value)
    with pytest.raises(Exception) as e:
        parse_config('[habits.a]\n[phone]\nperson = "Alex"\nvdir = "relative/alex"\n', "c")
    assert "phone.vdir" in str(e.value) and "absolute" in str(e.value)


def test_a_vdir_inside_the_shared_folder_is_refused(sam: Habitd, tmp_path: Path) -> None:
    inside = tmp_path / "shared" / "phone"
    sam.write_config(shared_settings(tmp_path / "shared", None, CONFIG) + phone_table(inside))
    with pytest.raises(VdirInShared, match="inside the shared folder"):
        sync(sam)
    result = sam("check")
    assert result.exit_code != 0 and "inside the shared folder" in " ".join(result.output.split())


# --- the tasks written -------------------------------------------------------------------------


def test_each_open_period_becomes_one_task_with_its_alarms_less_quiet_hours(sam: Habitd, vdir: Path) -> None:
    done = sync(sam)
    assert done is not None and done.written == 4
    found = ours(vdir)
    assert set(found) == {
        walk_uid(),
        tasks.task_uid("date-night", date(2026, 11, 23), "Alex"),
        tasks.task_uid("stretch", date(2026, 11, 25), "Alex"),
        tasks.task_uid("talk", date(2026, 11, 23), "Alex"),
    }
    for uid, path in found.items():
        assert path.name == f"{uid}.ics"  # vdirsyncer keeps a safe UID as the file name
    walk = todo(found[walk_uid()])
    assert str(walk["summary"]) == "A walk together" and str(walk["description"]) == "Twenty minutes outside."
    assert walk["due"].dt == datetime(2026, 11, 25, 22, 59, tzinfo=UTC)  # 23:59 in Berlin
    assert walk["categories"].cats == ["habitd"] and str(walk["status"]) == "NEEDS-ACTION"
    assert "RRULE" not in walk
    # 06:30 is inside the quiet hours (22:00-07:00): no alarm for it
    assert [a["trigger"].dt for a in walk.walk("VALARM")] == [
        datetime(2026, 11, 25, 7, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
    ]
    raw = found[walk_uid()].read_text()
    assert "TRIGGER;VALUE=DATE-TIME:20261125T070000Z" in raw
    night = todo(found[tasks.task_uid("date-night", date(2026, 11, 23), "Alex")])
    assert night["due"].dt == datetime(2026, 11, 29, 22, 59, tzinfo=UTC)  # Sunday, the week's end
    assert "Where did we first meet?" in str(night["description"])
    assert [a["trigger"].dt for a in night.walk("VALARM")] == [datetime(2026, 11, 27, 17, 0, tzinfo=UTC)]


def test_the_phones_own_quiet_hours_hold_its_alarms(sam: Habitd, vdir: Path, tmp_path: Path) -> None:
    quiet = 'quiet_hours = "07:00-09:00"'
    sam.write_config(shared_settings(tmp_path / "shared", None, CONFIG) + phone_table(vdir, quiet))
    sync(sam)
    walk = todo(ours(vdir)[walk_uid()])
    assert [a["trigger"].dt.hour for a in walk.walk("VALARM")] == [5, 18]  # 06:30 and 19:00 in Berlin


def test_a_task_is_rewritten_only_when_its_bytes_change(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    before = {p.name: os.stat(p) for p in vdir.iterdir()}
    sam.now += timedelta(hours=3)
    again = sync(sam)
    assert again is not None and again.written == 0
    after = {p.name: os.stat(p) for p in vdir.iterdir()}
    assert {n: (s.st_ino, s.st_mtime_ns) for n, s in before.items()} == {
        n: (s.st_ino, s.st_mtime_ns) for n, s in after.items()
    }


def test_a_period_met_on_the_desktop_completes_the_phones_task(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    ok(sam, "done", "walk")
    sync(sam)
    walk = todo(ours(vdir)[walk_uid()])
    assert str(walk["status"]) == "COMPLETED" and not list(walk.walk("VALARM"))
    assert "Done by Sam." in str(walk["description"])
    # a personal habit of Sam's does not complete Alex's task
    ok(sam, "done", "stretch")
    sync(sam)
    assert str(todo(ours(vdir)[tasks.task_uid("stretch", date(2026, 11, 25), "Alex")])["status"]) == "NEEDS-ACTION"


@pytest.mark.parametrize(
    ("first", "last", "due"),
    [
        (date(2027, 3, 28), date(2027, 3, 28), datetime(2027, 3, 28, 21, 59, tzinfo=UTC)),  # clocks go forward
        (date(2026, 10, 25), date(2026, 10, 25), datetime(2026, 10, 25, 22, 59, tzinfo=UTC)),  # and back
        (date(2027, 3, 22), date(2027, 3, 28), datetime(2027, 3, 28, 21, 59, tzinfo=UTC)),  # a week across it
    ],
)
def test_due_is_the_periods_last_minute_across_dst(first: date, last: date, due: datetime) -> None:
    config = parse_config('[settings]\ntimezone = "Europe/Berlin"\n[habits.a]\n', "c")
    assert tasks.due_of(config, last) == due


def test_alarms_follow_the_wall_clock_across_dst_and_day_starts() -> None:
    text = '[settings]\ntimezone = "Europe/Berlin"\nday_starts = "04:00"\n[habits.a]\nat = ["08:00", "02:30"]\n'
    config = parse_config(text + '[phone]\nperson = "Alex"\nvdir = "/p"\n', "c")
    assert config.phone is not None
    habit = config.habits[0]
    got = tasks.alarms(config, config.phone, habit, date(2027, 3, 28), date(2027, 3, 28))
    # 08:00 is 06:00 UTC on the day the clocks go forward; 02:30 of the next night belongs to the 28th
    # (days start at 04:00), and 02:30 on the 29th exists: 00:30 UTC
    assert got == [datetime(2027, 3, 28, 6, 0, tzinfo=UTC), datetime(2027, 3, 29, 0, 30, tzinfo=UTC)]
    due = tasks.due_of(config, date(2027, 3, 28))
    assert due == datetime(2027, 3, 29, 1, 59, tzinfo=UTC)  # 03:59 the next morning


def test_month_period_task_runs_to_the_months_last_day() -> None:
    text = '[settings]\ntimezone = "Europe/Berlin"\n[habits.a]\nevery = "month"\non = "last fri"\nat = "19:00"\n'
    config = parse_config(text + '[phone]\nperson = "Alex"\nvdir = "/p"\n', "c")
    assert config.phone is not None
    now = datetime(2027, 2, 10, 12, tzinfo=UTC)
    (task,) = tasks.current_tasks(config, State(), config.phone, now)
    assert (task.first, task.last) == (date(2027, 2, 1), date(2027, 2, 28))
    t = next(c for c in icalendar.Calendar.from_ical(task.data).walk() if c.name == "VTODO")
    assert [a["trigger"].dt for a in t.walk("VALARM")] == [datetime(2027, 2, 26, 18, 0, tzinfo=UTC)]


def test_uids_are_filename_safe_and_tell_people_apart() -> None:
    a = tasks.task_uid("walk", date(2026, 1, 2), "Zoë Smith")
    assert a == "habitd-walk-20260102-zo_c3_ab_20smith"
    assert tasks.task_uid("walk", date(2026, 1, 2), "Zoe") != tasks.task_uid("walk", date(2026, 1, 2), "Zoë")
    assert all(c.isalnum() or c in "-_" for c in a)


# --- ticks read back -----------------------------------------------------------------------------


def test_a_tick_on_the_phone_is_done_by_alex_on_the_day_of_its_completed_time(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    sam.now = datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN)  # the next morning: the tick was last night
    phone_ticks(ours(vdir)[walk_uid()], datetime(2026, 11, 25, 21, 15, tzinfo=BERLIN))
    done = sync(sam)
    assert done is not None and done.ticks == 1
    day = next(p for p in sam.json("history", "walk")["periods"] if p["first"] == "2026-11-25")
    assert len(day["completions"]) == 1 and day["by"] == ["Alex"]
    # the same tick read again records nothing more
    again = sync(sam)
    assert again is not None and again.ticks == 0
    day = next(p for p in sam.json("history", "walk")["periods"] if p["first"] == "2026-11-25")
    assert len(day["completions"]) == 1


def test_a_tick_today_shows_in_status_and_an_untick_takes_exactly_it_back(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    path = ours(vdir)[walk_uid()]
    phone_ticks(path, sam.now - timedelta(minutes=5))
    sync(sam)
    walk = row(sam, "walk")
    assert walk["met"] and walk["by"] == ["Alex"]
    assert str(todo(path)["status"]) == "COMPLETED"  # rewritten as ours: the phone's list stays clear
    phone_unticks(path)
    done = sync(sam)
    assert done is not None and done.unticks == 1
    walk = row(sam, "walk")
    assert not walk["met"] and walk["done"] == 0
    assert str(todo(path)["status"]) == "NEEDS-ACTION"


def test_an_untick_never_takes_back_a_completion_made_elsewhere(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    ok(sam, "done", "walk")
    sync(sam)
    path = ours(vdir)[walk_uid()]
    phone_unticks(path)  # Alex unticks the task Sam's completion ticked
    done = sync(sam)
    assert done is not None and done.unticks == 0
    assert row(sam, "walk")["by"] == ["Sam"]
    assert str(todo(path)["status"]) == "COMPLETED"


def test_a_take_back_names_only_a_completion_of_that_task(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    ok(sam, "done", "walk")
    app = App(sam.config, sam.state_dir, now=lambda: sam.now)
    sams = next(e for e in app.store.events() if e.kind == "done")
    log = PhoneLog(str(sam.state_dir), app.store.log.root, "Alex", False)
    assert log.record([Tick(walk_uid(), "walk", sam.now.date(), sam.now, undo=sams.id)], sam.now) == {}
    assert row(sam, "walk")["by"] == ["Sam"]


def test_times_habit_ticked_twice_counts_twice(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    uid = tasks.task_uid("talk", date(2026, 11, 23), "Alex")
    phone_ticks(ours(vdir)[uid], sam.now)
    sync(sam)
    t = todo(ours(vdir)[uid])
    assert str(t["status"]) == "NEEDS-ACTION" and "1 of 2 done" in str(t["description"])
    sam.now += timedelta(hours=1)
    phone_ticks(ours(vdir)[uid], sam.now)
    sync(sam)
    talk = row(sam, "talk")
    assert talk["met"] and talk["done"] == 2 and talk["by"] == ["Alex"]


def test_a_task_deleted_on_the_phone_records_nothing_and_is_not_written_again(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    ours(vdir)[walk_uid()].unlink()
    sync(sam)
    sam.now += timedelta(hours=2)
    ok(sam, "done", "walk")
    sync(sam)
    assert walk_uid() not in ours(vdir)
    assert row(sam, "walk")["by"] == ["Sam"]
    # the next period has its task again
    sam.now += timedelta(days=1)
    sync(sam)
    assert tasks.task_uid("walk", date(2026, 11, 26), "Alex") in ours(vdir)


def test_tasks_that_are_not_ours_are_never_touched_nor_read(sam: Habitd, vdir: Path) -> None:
    made_on_phone = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VTODO\r\nUID:7c1e-buy-milk\r\n"
        b"SUMMARY:Buy milk\r\nSTATUS:COMPLETED\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    repeating = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VTODO\r\n"
        + f"UID:{tasks.task_uid('talk', date(2026, 11, 23), 'Alex')}-x\r\n".encode()
        + b"SUMMARY:Talk\r\nRRULE:FREQ=DAILY\r\nSTATUS:COMPLETED\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    (vdir / "7c1e-buy-milk.ics").write_bytes(made_on_phone)
    (vdir / "rep.ics").write_bytes(repeating)
    (vdir / "broken.ics").write_bytes(b"BEGIN:VCALENDAR\r\nthis is not ical\x00\r\n")
    (vdir / "huge.ics").write_bytes(b"X" * (tasks.ITEM_MAX_BYTES + 1))
    done = sync(sam)
    assert done is not None and done.ticks == 0
    assert (vdir / "7c1e-buy-milk.ics").read_bytes() == made_on_phone
    assert (vdir / "rep.ics").read_bytes() == repeating
    assert any("broken.ics" in p for p in done.problems) and any("huge.ics" in p for p in done.problems)
    assert row(sam, "talk")["done"] == 0
    sam.now += timedelta(days=30)  # old periods' tasks go, foreign ones stay
    sync(sam)
    assert (vdir / "7c1e-buy-milk.ics").exists() and (vdir / "rep.ics").exists()


def test_old_periods_tasks_are_removed_two_days_after_their_end(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    sam.now = datetime(2026, 11, 27, 12, 0, tzinfo=BERLIN)
    sync(sam)
    assert walk_uid() in ours(vdir)  # two days after: still there, a late tick counts
    sam.now = datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN)
    done = sync(sam)
    assert done is not None and done.removed >= 1
    assert walk_uid() not in ours(vdir)


def test_a_late_tick_of_an_earlier_period_counts_for_its_completed_day(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    sam.now = datetime(2026, 11, 26, 12, 0, tzinfo=BERLIN)
    sync(sam)
    # the phone ticks yesterday's task, saying it was done yesterday evening
    phone_ticks(ours(vdir)[walk_uid()], datetime(2026, 11, 25, 20, 0, tzinfo=BERLIN))
    sync(sam)
    periods = {p["first"]: p for p in sam.json("history", "walk")["periods"]}
    assert periods["2026-11-25"]["by"] == ["Alex"] and periods["2026-11-26"]["completions"] == []
    assert str(todo(ours(vdir)[walk_uid()])["status"]) == "COMPLETED"


def test_check_says_what_is_missing_and_who_else_claims_the_phone(sam: Habitd, vdir: Path, tmp_path: Path) -> None:
    vdir.rmdir()
    out = said(sam, "check")
    assert "phone" in out and "not there yet" in out and "vdirsyncer" in out
    vdir.mkdir()
    sync(sam)
    phone_ticks(ours(vdir)[walk_uid()], sam.now)
    sync(sam)
    assert "another device" not in said(sam, "check")
    # a second machine keeping Alex's phone as well
    other = tmp_path / "other"
    other.mkdir()
    o = Habitd(sam.config, other / "state", sam.now)
    (other / "vdir").mkdir()
    o.config = other / "config.toml"
    o.config.write_text(shared_settings(tmp_path / "shared", None, CONFIG) + phone_table(other / "vdir"))
    sync(o)
    path = next(iter(ours(other / "vdir").values()))
    phone_ticks(path, sam.now)
    sync(o)
    out = said(sam, "check")
    assert "another device" in out and "Alex" in out


def test_a_ledger_that_cannot_be_read_is_named(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    ledger = next(sam.state_dir.glob("phone/*/tasks.toml"))
    ledger.write_text("task = 3\n")
    with pytest.raises(Exception, match=r"tasks\.toml"):
        sync(sam)


def test_an_item_vdirsyncer_wrote_during_a_pass_is_never_overwritten(tmp_path: Path) -> None:
    from habitd.history import files

    path = tmp_path / "a.ics"
    path.write_bytes(b"as read")
    path.write_bytes(b"what vdirsyncer brought meanwhile")
    assert files.write_if_changed(str(path), b"ours", b"as read") is None
    assert path.read_bytes() == b"what vdirsyncer brought meanwhile"
    assert files.write_if_changed(str(path), b"ours", b"what vdirsyncer brought meanwhile") is True
    assert files.write_if_changed(str(path), b"ours", b"anything") is False
    assert files.write_if_changed(str(tmp_path / "new.ics"), b"ours", None) is True


def test_every_phone_key_is_documented() -> None:
    from habitd.habits.schema import PHONE_KEYS
    from tests.conftest import ROOT

    reference = (ROOT / "docs" / "config.md").read_text()
    for key, spec in PHONE_KEYS.items():
        assert f"| `{key}` | `{spec.example}` | {spec.doc} |" in reference, f"docs/config.md lacks phone.{key}"


def test_check_says_when_no_sync_was_seen_for_a_day(
    sam: Habitd, vdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VDIRSYNCER_CONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert "no vdirsyncer config found" in said(sam, "check")
    conf = tmp_path / "vdirsyncer.conf"
    conf.write_text(
        f'[general]\nstatus_path = "{tmp_path}/status/"\n\n[pair alex]\na = "local"\nb = "server"\n'
        'collections = null\n\n[storage local]\ntype = "filesystem"\n'
        f'path = "{vdir}/"\nfileext = ".ics"\n\n[storage server]\ntype = "caldav"\nurl = "https://x/"\n'
        'password.fetch = ["command", "secret-tool", "lookup", "service", "vdirsyncer"]\n'
    )
    monkeypatch.setenv("VDIRSYNCER_CONFIG", str(conf))
    assert "has not synced Alex's tasks yet" in said(sam, "check")
    (tmp_path / "status").mkdir()
    items = tmp_path / "status" / "alex.items"
    items.write_bytes(b"")
    synced = sam.now - timedelta(hours=5)
    os.utime(items, (synced.timestamp(), synced.timestamp()))
    out = said(sam, "check")
    assert "phone: 0 of Alex's tasks" in out and "no sync" not in out and "not synced" not in out
    sam.now += timedelta(days=1)
    assert "no sync of Alex's tasks seen since 2026-11-25 07:00" in said(sam, "check")
    conf.write_text(conf.read_text().replace(str(vdir), str(tmp_path / "elsewhere")))
    assert "no pair in" in said(sam, "check")


def test_without_a_shared_folder_the_phones_ticks_live_in_the_state_folder(sam: Habitd, vdir: Path) -> None:
    sam.write_config(CONFIG + phone_table(vdir))
    sync(sam)
    phone_ticks(ours(vdir)[walk_uid()], sam.now)
    sync(sam)
    assert row(sam, "walk")["by"] == ["Alex"]
    assert len(list(sam.state_dir.glob("devices/*/2026-11.toml"))) == 1  # the phone's device: Sam wrote nothing


def test_an_emptied_vdir_gets_every_task_anew(sam: Habitd, vdir: Path) -> None:
    """The list deleted and made again on the server: vdirsyncer empties the vdir. That is not
    the phone deleting each task: they are written again."""
    sync(sam)
    for path in vdir.glob("*.ics"):
        path.unlink()
    done = sync(sam)
    assert done is not None and done.written == 4 and walk_uid() in ours(vdir)


def test_a_ledger_naming_a_path_is_refused(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    ledger = next(sam.state_dir.glob("phone/*/tasks.toml"))
    ledger.write_text(ledger.read_text().replace(f'file = "{walk_uid()}.ics"', 'file = "../../x.ics"'))
    with pytest.raises(Exception, match="not the name of an item"):
        sync(sam)


def test_a_task_the_phone_left_unreadable_is_named_not_taken_for_deleted(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    path = ours(vdir)[walk_uid()]
    path.write_bytes(b"BEGIN:VCALENDAR\r\n\xff\xfe broken\r\n")
    done = sync(sam)
    assert done is not None and any(path.name in p for p in done.problems)
    assert path.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n\xff")  # left as it is
    path.unlink()  # now gone: then it is the phone's delete
    sync(sam)
    sync(sam)
    assert walk_uid() not in ours(vdir)


def test_the_docs_vdirsyncer_config_loads_in_vdirsyncer() -> None:
    """The config the set-up page prints is read by vdirsyncer's own loader: a comment after a value
    is not one there (its values are JSON), so a copy of the page must work as it is."""
    from vdirsyncer.cli.config import Config as VdirsyncerConfig

    text = (Path(__file__).parent.parent / "docs" / "phone.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```ini\n")[1:]]
    config = next(b for b in blocks if "[pair " in b)
    loaded = VdirsyncerConfig.from_fileobject(io.StringIO(config))
    pair = loaded.get_pair("alex_phone")
    assert (pair.name_a, pair.name_b) == ("alex_phone_local", "alex_phone_server")
    assert loaded.storages["alex_phone_server"]["password.fetch"][0] == "command"


def test_a_rewrite_over_the_phones_change_differs_from_every_earlier_version(sam: Habitd, vdir: Path) -> None:
    """Sam's done completes the task; the phone un-ticks it; habitd writes it completed again. Those bytes
    must be new: vdirsyncer keeps the hash of the version it had, and would not upload the same again."""
    sync(sam)
    ok(sam, "done", "walk")
    sync(sam)
    path = ours(vdir)[walk_uid()]
    versions = [path.read_bytes()]
    for _ in range(2):
        phone_unticks(path)
        sync(sam)
        assert str(todo(path)["status"]) == "COMPLETED"
        assert path.read_bytes() not in versions
        versions.append(path.read_bytes())
    assert int(todo(path)["sequence"]) == 2
    stat = os.stat(path)
    sam.now += timedelta(hours=1)
    again = sync(sam)  # unchanged since: never rewritten
    assert again is not None and again.written == 0 and os.stat(path).st_mtime_ns == stat.st_mtime_ns


def ledger(h: Habitd) -> dict[str, dict]:
    import tomllib

    path = next(h.state_dir.glob("phone/*/tasks.toml"))
    return dict(tomllib.loads(path.read_text())["task"])


@pytest.mark.parametrize("how", ["too large", "a link"])
def test_our_task_left_out_as_too_large_or_a_link_is_not_taken_for_deleted(
    sam: Habitd, vdir: Path, tmp_path: Path, how: str
) -> None:
    sync(sam)
    path = ours(vdir)[walk_uid()]
    mine = path.read_bytes()
    if how == "too large":
        path.write_bytes(mine + b"X" * tasks.ITEM_MAX_BYTES)
    else:
        (tmp_path / "elsewhere.ics").write_bytes(mine)
        path.unlink()
        path.symlink_to(tmp_path / "elsewhere.ics")
    done = sync(sam)
    assert done is not None
    (problem,) = [p for p in done.problems if path.name in p]  # named once, as left out
    assert problem.endswith("; left out")
    assert not ledger(sam)[walk_uid()].get("deleted")
    path.unlink()
    path.write_bytes(mine)  # readable again, then ticked: the tick counts
    phone_ticks(path, sam.now - timedelta(minutes=5))
    done = sync(sam)
    assert done is not None and done.ticks == 1 and row(sam, "walk")["by"] == ["Alex"]


def test_a_task_deleted_on_the_phone_is_forgotten_when_old_and_removed_if_it_came_back(
    sam: Habitd, vdir: Path
) -> None:
    sync(sam)
    path = ours(vdir)[walk_uid()]
    mine = path.read_bytes()
    path.unlink()
    sync(sam)
    assert ledger(sam)[walk_uid()]["deleted"] is True
    path.write_bytes(mine)  # the server brought it back (restored from a backup, another client)
    sam.now = datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN)
    sync(sam)
    assert not path.exists() and walk_uid() not in ledger(sam)


def test_a_late_tick_counts_for_its_tasks_period_never_the_next(sam: Habitd, vdir: Path) -> None:
    """Yesterday's task ticked today, saying today: it meets yesterday, its own period; today's stays open."""
    sync(sam)
    sam.now = datetime(2026, 11, 26, 12, 0, tzinfo=BERLIN)
    sync(sam)
    phone_ticks(ours(vdir)[walk_uid()], sam.now - timedelta(minutes=5))
    done = sync(sam)
    assert done is not None and done.ticks == 1
    periods = {p["first"]: p for p in sam.json("history", "walk")["periods"]}
    assert periods["2026-11-25"]["by"] == ["Alex"] and periods["2026-11-26"]["completions"] == []
    today = ours(vdir)[tasks.task_uid("walk", date(2026, 11, 26), "Alex")]
    assert str(todo(today)["status"]) == "NEEDS-ACTION"


def test_a_long_name_in_another_script_and_a_long_habit_id_give_short_file_names(
    tmp_path: Path, vdir: Path
) -> None:
    """Forty Cyrillic letters are 240 characters escaped: the names are cut and end in a hash, so the
    tasks are written and ticks read (a file name holds at most 255 bytes)."""
    person = "Александра" * 4
    long_id = "a-walk-" + "x" * 240
    config = tmp_path / "config.toml"
    config.write_text(
        f'[settings]\ntimezone = "Europe/Berlin"\nname = "Sam"\n\n[habits.{long_id}]\nevery = "day"\n'
        f'\n[phone]\nperson = "{person}"\nvdir = "{vdir}"\n'
    )
    h = Habitd(config, tmp_path / "state", datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN))
    done = sync(h)
    assert done is not None and done.written == 1 and not done.problems
    (path,) = vdir.glob("*.ics")
    assert len(path.name) < 130 and str(todo(path)["uid"]) == tasks.task_uid(long_id, date(2026, 11, 25), person)
    day = date(2026, 11, 25)
    assert tasks.task_uid(long_id, day, person) != tasks.task_uid(long_id, day, person[:-1])
    phone_ticks(path, h.now - timedelta(minutes=5))
    done = sync(h)
    assert done is not None and done.ticks == 1


def test_the_copied_home_advice_renews_the_phones_device_too(sam: Habitd, vdir: Path, tmp_path: Path) -> None:
    import shutil

    sync(sam)
    phone_ticks(ours(vdir)[walk_uid()], sam.now - timedelta(minutes=5))
    sync(sam)
    copy = Habitd(sam.config, tmp_path / "copied-state", sam.now)
    shutil.copytree(sam.state_dir, copy.state_dir)
    phone_unticks(ours(vdir)[walk_uid()])
    with pytest.raises(Exception, match="devices --new-id") as refused:
        sync(copy)
    assert "phone" in str(refused.value)
    said_now = said(copy, "devices", "--new-id")
    assert "Alex's phone kept here now writes as device" in said_now
    done = sync(copy)  # the advice was enough
    assert done is not None and done.unticks == 1


def test_an_item_with_our_uid_in_another_file_is_named_and_left_out(sam: Habitd, vdir: Path) -> None:
    """An impostor (a copy, another client's item) holding the walk's UID under another file name:
    the task is the item in the task's own file; the other is named, never read as a tick."""
    sync(sam)
    path = ours(vdir)[walk_uid()]
    impostor = vdir / "0-first-in-order.ics"
    impostor.write_bytes(path.read_bytes())
    phone_ticks(impostor, sam.now - timedelta(minutes=5))
    done = sync(sam)
    assert done is not None and done.ticks == 0 and not row(sam, "walk")["met"]
    assert any(impostor.name in p and "second item" in p for p in done.problems)
    assert str(todo(path)["status"]) == "NEEDS-ACTION" and impostor.exists()


def test_an_unreadable_items_text_is_quoted_on_one_line_in_the_problem(sam: Habitd, vdir: Path) -> None:
    broken = vdir / "broken.ics"
    broken.write_bytes("BEGIN:VCALENDAR\r\nbad\rline\x1b[31m \u202e".encode() + b"y" * 500 + b"\r\n")
    done = sync(sam)
    assert done is not None
    (problem,) = [p for p in done.problems if broken.name in p]
    assert problem.isprintable() and "\\r" in problem and "\\x1b" in problem and "\\u202e" in problem
    assert len(problem) < len(str(broken)) + 250


def test_an_item_not_ours_in_a_tasks_file_name_moves_the_task_to_its_second_uid(sam: Habitd, vdir: Path) -> None:
    """A repeating task made on the phone with tomorrow's walk's UID holds that file name: tomorrow
    the walk's task takes its second UID and file name, and its tick counts."""
    tomorrow = tasks.task_uid("walk", date(2026, 11, 26), "Alex")
    squatter = vdir / f"{tomorrow}.ics"
    squatter.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VTODO\r\n"
        + f"UID:{tomorrow}\r\n".encode()
        + b"SUMMARY:Walk every day\r\nRRULE:FREQ=DAILY\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    made = squatter.read_bytes()
    sync(sam)
    sam.now = datetime(2026, 11, 26, 12, 0, tzinfo=BERLIN)
    done = sync(sam)
    assert done is not None and not done.problems and squatter.read_bytes() == made
    second = tasks.moved_uid(tomorrow)
    assert second != tomorrow and second in ours(vdir)
    phone_ticks(ours(vdir)[second], sam.now - timedelta(minutes=5))
    done = sync(sam)
    assert done is not None and done.ticks == 1 and row(sam, "walk")["by"] == ["Alex"]
    assert str(todo(vdir / f"{second}.ics")["status"]) == "COMPLETED" and squatter.read_bytes() == made
    sam.now = datetime(2026, 11, 29, 12, 0, tzinfo=BERLIN)  # old: removed as ours are; the phone's stays
    sync(sam)
    assert not (vdir / f"{second}.ics").exists() and squatter.read_bytes() == made


def test_follow_ups_never_become_alarms_and_a_quiet_alarm_is_dropped_not_moved(
    sam: Habitd, vdir: Path, tmp_path: Path
) -> None:
    config = CONFIG.replace('at = ["06:30", "08:00", "19:00"]', 'at = ["06:30", "19:00"]\nremind_again = "1h"')
    sam.write_config(shared_settings(tmp_path / "shared", None, config) + phone_table(vdir))
    sync(sam)
    walk = todo(ours(vdir)[walk_uid()])
    assert [a["trigger"].dt for a in walk.walk("VALARM")] == [datetime(2026, 11, 25, 18, 0, tzinfo=UTC)]


def test_a_list_emptied_at_once_is_written_anew_keeping_ticks_and_earlier_deletes(sam: Habitd, vdir: Path) -> None:
    """Every task gone at once (the list made anew on the server) is not the phone deleting each: they
    come back, except one deleted before; and an un-tick after still takes back the tick made before."""
    sync(sam)
    stretch = tasks.task_uid("stretch", date(2026, 11, 25), "Alex")
    ours(vdir)[stretch].unlink()
    sync(sam)
    phone_ticks(ours(vdir)[walk_uid()], sam.now - timedelta(minutes=5))
    sync(sam)
    for path in vdir.glob("*.ics"):
        path.unlink()
    done = sync(sam)
    assert done is not None and done.written == 3 and stretch not in ours(vdir)
    path = ours(vdir)[walk_uid()]
    assert str(todo(path)["status"]) == "COMPLETED"
    phone_unticks(path)
    done = sync(sam)
    assert done is not None and done.unticks == 1 and not row(sam, "walk")["met"]


def test_a_file_name_with_a_line_break_is_named_on_one_line_by_check(sam: Habitd, vdir: Path) -> None:
    sync(sam)
    (vdir / "bad\nphone: 0 of Alex's tasks.ics").write_bytes(b"BEGIN:VCALENDAR\r\nbroken\r\n")
    out = sam("check").output
    (line,) = [line for line in out.splitlines() if "bad" in line]
    assert "\\n" in line and not any(line.startswith("phone: 0 of") for line in out.splitlines())
