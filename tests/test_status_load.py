"""What a partner's files make ``status`` do: no more work for a habit gone from the config, and one
line for many warnings of one kind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from habitd.history.eventlog import EventLog
from habitd.history.store import Store
from tests.conftest import BASIC, Habitd, ok

HEADER = 'format = 1\nhabitd = "0.1.0"\ndevice = "bbbbbbbb"\n'


def _partner_done(day: date, n: int) -> str:
    return (
        f'\n[[event]]\nid = "1764000000000-{n}-bbbbbbbb"\nkind = "done"\nhabit = "thanks"\nday = {day}\n'
        f'at = 2026-11-24 10:00:00+00:00\nby = "Alex"\n'
    )


def test_many_completions_dated_ahead_by_a_partner_are_one_line_in_status_and_listed_by_check(
    partners: Callable[..., Habitd], tmp_path: Path
) -> None:
    sam = partners("sam", "Sam")
    ok(sam, "done", "thanks")
    folder = tmp_path / "shared" / "devices" / "bbbbbbbb"
    folder.mkdir(parents=True)
    days = [date(2026, 12, 1) + timedelta(days=i) for i in range(20)]
    (folder / "2026-12.toml").write_text(HEADER + "".join(_partner_done(d, i) for i, d in enumerate(days)))
    said = [line for line in sam("status").stderr.splitlines() if "ahead" in line or "after today" in line]
    assert said == ["20 completions dated ahead by Alex's device (up to 2026-12-20); `habitd check` lists them."]
    listed = sam("check").stderr
    assert all(f"by Alex is dated {d.isoformat()}" in listed for d in days)


def test_a_few_completions_dated_ahead_are_each_named(partners: Callable[..., Habitd], tmp_path: Path) -> None:
    sam = partners("sam", "Sam")
    ok(sam, "done", "thanks")
    folder = tmp_path / "shared" / "devices" / "bbbbbbbb"
    folder.mkdir(parents=True)
    (folder / "2026-12.toml").write_text(HEADER + _partner_done(date(2026, 12, 3), 0))
    assert "thanks: a completion by Alex is dated 2026-12-03" in sam("status").stderr


def test_status_with_a_habit_gone_from_the_config_reads_no_more_of_the_log(
    habitd: Habitd, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A history kept without a habit (removed, or a partner's rename not followed yet) had every
    ``status`` unpack the whole log to look for a rename: years of it, at each command."""
    for day in ("2026-09-02", "2026-10-07", "2026-11-20"):
        ok(habitd, "done", "listen", "--date", day)
        ok(habitd, "done", "thanks", "--date", day)
    habitd.write_config(BASIC.split("[habits.listen]")[0])
    ok(habitd, "status")  # the caches, as after any command
    reads: list[tuple[object, object]] = []
    real = EventLog.read

    def read(self: EventLog, known: object = None, months: object = None, but: object = None) -> object:
        reads.append((months, but))
        return real(self, known, months, but)  # type: ignore[arg-type]

    def whole_log(self: Store) -> object:
        raise AssertionError("status read the whole log")

    monkeypatch.setattr(EventLog, "read", read)
    monkeypatch.setattr(Store, "events", whole_log)
    result = habitd("status")
    assert result.exit_code == 0, result.output
    assert all(months is not None and len(months) <= 2 for months, _but in reads), reads  # type: ignore[arg-type]


def test_many_bad_events_in_a_partners_file_are_a_few_lines_and_a_count(
    partners: Callable[..., Habitd], tmp_path: Path
) -> None:
    """A file of thousands of events habitd cannot use warned one line each, at every command."""
    sam = partners("sam", "Sam")
    ok(sam, "done", "thanks")
    folder = tmp_path / "shared" / "devices" / "bbbbbbbb"
    folder.mkdir(parents=True)
    bad = "".join(_partner_done(date(2026, 11, 20), i).replace('by = "Alex"', 'by = "Al\\nex"') for i in range(20))
    (folder / "2026-11.toml").write_text(HEADER + bad)
    warned = [line for line in sam("status").stderr.splitlines() if "2026-11.toml" in line]
    assert len(warned) == 4, warned
    assert warned[-1].endswith("2026-11.toml: 17 more events left out too; `habitd devices` lists them")
    listed = sam("devices").output
    assert all(f"event {n}: by:" in listed for n in range(1, 21))
