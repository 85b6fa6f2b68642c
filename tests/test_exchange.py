"""habitd export / import: a documented format that round-trips, merges without duplicates."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habitd.exchange.document import export_doc, parse_export, to_csv, to_json
from habitd.habits.state import Note, Pause, Skip, State
from habitd.history.merge import merge_state
from tests.conftest import Habitd


def _history(habitd: Habitd) -> None:
    """A few weeks of a couple's life, recorded the way people record it."""
    for day in ("2026-11-02", "2026-11-06", "2026-11-13", "2026-11-20"):
        assert habitd("done", "date-night", "--date", day).exit_code == 0
    assert habitd("done", "date-night", "--date", "2026-11-13", "--note", "ramen, then the long walk").exit_code == 0
    for day in ("2026-11-16", "2026-11-18", "2026-11-18", "2026-11-23", "2026-11-24"):
        assert habitd("done", "listen", "--date", day).exit_code == 0
    for day in ("2026-11-19", "2026-11-20", "2026-11-21", "2026-11-24"):
        assert habitd("done", "thanks", "--date", day, "--note", f"for {day}").exit_code == 0
    assert habitd("skip", "thanks", "--date", "2026-11-22", "--note", "travelling").exit_code == 0
    assert habitd("done", "thanks", "--note", "the soup").exit_code == 0
    assert habitd("pause", "date-night", "--until", "2026-11-27").exit_code == 0
    assert habitd("note", "listen", "we took the long way home", "--date", "2026-11-23").exit_code == 0


def _views(habitd: Habitd) -> dict[str, object]:
    out: dict[str, object] = {
        "status": habitd.json("status"),
        "today": habitd.json("today"),
        "journal": habitd.json("journal"),
    }
    for h in ("date-night", "thanks", "listen"):
        out[f"history {h}"] = habitd.json("history", h, "--weeks", "8")
    return out


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_on_an_empty_state_reproduces_every_view(habitd: Habitd, tmp_path: Path, fmt: str) -> None:
    _history(habitd)
    before = _views(habitd)
    out = tmp_path / f"export.{fmt}"
    result = habitd("export", "--format", fmt, "--notes", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    habitd.state_dir = tmp_path / "fresh"
    result = habitd("import", str(out))
    assert result.exit_code == 0, result.output
    assert "Imported 13 completion(s), 1 skip(s), 7 note(s), 1 pause(s)." in result.stdout
    assert _views(habitd) == before

    state = habitd.history_files()
    again = habitd("import", str(out))
    assert again.exit_code == 0 and "Nothing new" in again.stdout
    assert habitd.history_files() == state
    assert _views(habitd) == before


def test_the_json_format_is_the_documented_one_and_leaves_notes_out_by_default(habitd: Habitd) -> None:
    _history(habitd)
    result = habitd("export")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["format"] == "habitd-export" and doc["version"] == 2 and doc["notes_included"] is False
    assert doc["timezone"] == "Europe/Berlin"
    assert doc["habits"]["listen"]["completions"][:2] == [
        {"date": "2026-11-16", "count": 1},
        {"date": "2026-11-18", "count": 2},
    ]
    assert doc["habits"]["thanks"]["skips"] == [
        {"date": "2026-11-22", "note": "", "written": "2026-11-25T12:00:00+01:00", "after": 0}
    ]
    assert "notes" not in doc["habits"]["thanks"]
    assert doc["pauses"] == [{"habit": "date-night", "from": "2026-11-25", "until": "2026-11-27"}]
    assert "soup" not in result.stdout and "travelling" not in result.stdout and "long way" not in result.stdout
    assert "intimate" in habitd("export", "--help").stdout

    rows = list(csv.reader(io.StringIO(habitd("export", "--format", "csv").stdout)))
    assert rows[0] == ["kind", "habit", "date", "until", "count", "written", "text", "by", "private"]
    assert rows[1] == ["version", "", "", "", "2", "", "habitd-export", "", ""]
    assert ["done", "listen", "2026-11-18", "", "2", "", "", "", ""] in rows
    assert ["pause", "date-night", "2026-11-25", "2026-11-27", "", "", "", "", ""] in rows


def test_import_merges_into_an_existing_history_without_duplicating(habitd: Habitd, tmp_path: Path) -> None:
    for day in ("2026-11-20", "2026-11-21"):
        habitd("done", "thanks", "--date", day)
    export = {
        "format": "habitd-export",
        "version": 1,
        "habits": {
            "thanks": {"completions": [{"date": "2026-11-21", "count": 1}, {"date": "2026-11-22", "count": 1}]},
            "listen": {"completions": [{"date": "2026-11-23", "count": 2}]},
        },
    }
    f = tmp_path / "in.json"
    f.write_text(json.dumps(export))
    result = habitd("import", str(f))
    assert result.exit_code == 0
    assert "Imported 3 completion(s)." in result.stdout
    days = [p for p in habitd.json("history", "thanks", "--weeks", "1")["periods"] if p["completions"]]
    assert [p["first"] for p in days] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    listen = next(h for h in habitd.json("status")["habits"] if h["id"] == "listen")
    assert listen["done"] == 2


def test_a_newer_format_is_refused_clearly_and_nothing_is_written(habitd: Habitd, tmp_path: Path) -> None:
    habitd("done", "thanks")
    state = habitd.history_files()
    f = tmp_path / "future.json"
    f.write_text(json.dumps({"format": "habitd-export", "version": 3, "habits": {}}))
    result = habitd("import", str(f))
    assert result.exit_code == 2
    assert "newer habitd (export format 3)" in result.stderr and "Update habitd" in result.stderr
    assert str(f) in result.stderr and "Traceback" not in result.output
    c = tmp_path / "future.csv"
    c.write_text("kind,habit,date,until,count,written,text\nversion,,,,4,,habitd-export\n")
    assert "export format 4" in habitd("import", str(c)).stderr
    assert habitd.history_files() == state


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not an export", "this is not a habitd export"),
        ('{"format": "habitd-export", "version": 1, "habits": {"thanks": {"completions": '
         '[{"date": "2026-11-20"}, {"date": "2026-13-01"}]}}}',
         "habits.thanks.completions[1].date: '2026-13-01' is not a date"),
        ('{"format": "habitd-export", "version": 1, "habits": {"thanks": {"completions": '
         '[{"date": "2027-01-01"}]}}}', "2027-01-01 is in the future"),
        ('{"format": "habitd-export", "version": 1,', "line 1: not valid JSON"),
        ("kind,habit,date,until,count,written,text\nversion,,,,1,,habitd-export\ndone,thanks,2026-11-20,,1,,\n"
         "done,Bad Id,2026-11-20,,1,,\n", "line 4: 'Bad Id' is not a habit id"),
    ],
)  # fmt: skip
def test_a_bad_import_names_the_place_and_changes_nothing(
    habitd: Habitd, tmp_path: Path, content: str, message: str
) -> None:
    habitd("done", "listen")
    state = habitd.history_files()
    f = tmp_path / "bad"
    f.write_text(content)
    result = habitd("import", str(f))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "nothing was imported" in result.stderr
    assert "Traceback" not in result.output
    assert habitd.history_files() == state
    assert habitd("import", str(tmp_path / "missing.json")).exit_code == 2


def test_history_of_a_habit_not_in_the_config_is_kept_and_said(habitd: Habitd, tmp_path: Path) -> None:
    f = tmp_path / "in.json"
    f.write_text(json.dumps({"format": "habitd-export", "version": 1,
                             "habits": {"walk": {"completions": [{"date": "2026-11-20", "count": 1}]}}}))  # fmt: skip
    result = habitd("import", str(f))
    assert result.exit_code == 0
    assert "history for 'walk' is kept" in result.stderr and "habitd rename walk NEW" in result.stderr
    assert "walk" in json.loads(habitd("export").stdout)["habits"]


@settings(max_examples=60, deadline=None)
@given(
    days=st.dictionaries(st.dates(date(2019, 1, 1), date(2026, 11, 25)), st.integers(1, 4), max_size=80),
    skips=st.sets(st.dates(date(2019, 1, 1), date(2026, 11, 25)), max_size=5),
    texts=st.lists(st.text(max_size=20), max_size=4),
)
def test_any_history_survives_both_formats_and_merging_twice_adds_nothing(
    days: dict[date, int], skips: set[date], texts: list[str]
) -> None:
    state = State()
    log = state.log("h")
    for day, n in sorted(days.items()):
        for _ in range(n):
            log.add(day)
    moment = datetime(2026, 1, 1, 12, tzinfo=UTC)
    log.skips = [Skip(d, f"why {d}", moment if i % 2 else None, i % 3) for i, d in enumerate(sorted(skips))]
    for i, (day, text) in enumerate(zip(sorted(days), texts, strict=False)):
        log.notes.append(Note(day, datetime(2026, 1, 1, 12, i, tzinfo=UTC), text, i % 2))
    state.pauses = [Pause("*", date(2026, 8, 1), date(2026, 8, 14))]
    doc = export_doc(state, "UTC", datetime(2026, 11, 25, 12, tzinfo=UTC), notes=True)
    for text in (to_json(doc), to_csv(doc)):
        back = parse_export(text, "x", date(2026, 11, 25))
        assert back.habits == {k: v for k, v in state.habits.items() if not v.empty()}
        assert back.pauses == state.pauses
        merged = State()
        assert merge_state(merged, back).completions == sum(days.values())
        assert merge_state(merged, back).total == 0
        assert merged == back


def test_export_and_import_through_the_console_script_even_with_a_broken_config(habitd: Habitd, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    _history(habitd)
    script = Path(sys.executable).parent / "habitd"
    env = {**os.environ, "HABITD_CONFIG": str(habitd.config), "TZ": "Europe/Berlin"}
    out = tmp_path / "mine.csv"
    habitd.config.write_text(habitd.config.read_text() + "\n[habits.broken]\nat = 'noon'\n")
    run = subprocess.run(
        [str(script), "--state-dir", str(habitd.state_dir), "export", "--format", "csv", "--notes", "-o", str(out)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Wrote" in run.stderr and "soup" in out.read_text()
    habitd.config.write_text(habitd.config.read_text().replace("at = 'noon'", "at = '12:00'"))
    run = subprocess.run(
        [str(script), "--state-dir", str(tmp_path / "fresh"), "import", str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "Imported 13 completion(s), 1 skip(s), 7 note(s), 1 pause(s)." in run.stdout


def test_exported_is_stamped_in_the_configs_zone_else_in_utc(habitd: Habitd) -> None:
    habitd.now = datetime(2026, 11, 25, 12, 0, 1, tzinfo=UTC)  # the clock as the system gives it
    assert habitd("done", "thanks").exit_code == 0
    doc = json.loads(habitd("export").stdout)
    assert doc["exported"] == "2026-11-25T13:00:01+01:00" and doc["timezone"] == "Europe/Berlin"
    habitd.config.write_text(habitd.config.read_text() + "\n[habits.broken]\nat = 'noon'\n")
    r = habitd("export")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["exported"] == "2026-11-25T12:00:01+00:00"  # no zone to be sure of


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(1900, 2199), st.integers(0, (1 << 367) - 1), max_size=4))
def test_export_writes_the_days_of_the_masks_as_the_history_reads_them(done: dict[int, int]) -> None:
    """Export writes dates straight from the day masks; they are the days the history itself reads."""
    from habitd.exchange.document import _iso_days
    from habitd.habits.state import HabitLog

    log = HabitLog()
    log.done = done
    assert _iso_days(done) == [d.isoformat() for d in log.days()]


def test_an_export_without_notes_says_what_it_left_out(habitd: Habitd) -> None:
    _history(habitd)
    without = habitd("export")
    said = "note: 8 note(s) and reason(s) for skips left out; `habitd export --notes` includes them"  # 7 + 1
    assert said in without.stderr
    assert "left out" not in habitd("export", "--notes").stderr
