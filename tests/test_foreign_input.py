"""Foreign input has limits: a small hostile file is named and refused (or left out), never an internal error.

What another program or person wrote (a partner's log file, a shared config, an import) is read
within limits of nesting depth, integer digits and characters; spreadsheet formulas in an export
stay text.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habitd.history.hlc import Stamp
from habitd.history.identity import DeviceFile
from habitd.limits import MAX_DEPTH, LimitError, TomlError, _flat_strings, json_loads, toml_loads
from tests.conftest import ROOT, Habitd

DEEP_TOML = "x = " + "[" * 500 + "]" * 500 + "\n"
LONG_INT_TOML = "x = " + "9" * 5000 + "\n"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (DEEP_TOML, f"more than {MAX_DEPTH} levels"),
        ("a = " + "{b = " * 40 + "1" + "}" * 40 + "\n", f"nested deeper than {MAX_DEPTH} levels"),
        (LONG_INT_TOML, "a number too long to read"),
        ("x = " + "9" * 25 + "\n", "x: a number of more than 19 digits"),
    ],
)
def test_toml_outside_the_limits_is_a_decode_error_saying_why(text: str, said: str) -> None:
    with pytest.raises(TomlError, match=said):
        toml_loads(text)


# Lines of a device file as habitd writes them, and near misses of every kind: other kinds of
# values, keys that need quotes, escapes, controls, comments after a value, other spacing.
FLAT_LINES = st.one_of(
    st.builds(
        '{} = "{}"'.format,
        st.sampled_from(["id", "last", "name", "made_in", "a-b", "_", "1", "k\u00e9", "a b", "", "a.b", '"q"']),
        st.text(st.characters(codec="utf-8"), max_size=12),
    ),
    st.builds("#{}".format, st.text(max_size=12)),
    st.sampled_from(["", "[t]", "x = 1", 'x = "a" # c', ' x = "a"', 'x="a"', "x = 'a'", 'x = """a"""', "\ufeff"]),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(FLAT_LINES, max_size=6), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_a_text_read_without_tomllib_reads_as_tomllib_reads_it(lines: list[str], end: str, final: bool) -> None:
    """The short cut for a device file takes a text only when tomllib would read the same from it."""
    text = end.join(lines) + (end if final else "")
    fast = _flat_strings(text)
    try:
        want = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert fast is None
        return
    assert fast is None or fast == want


@pytest.mark.parametrize("name", ["Zo\u00eb", 'Sam "the cook"', "back\\slash", ""])
def test_a_device_file_reads_back_as_written_with_or_without_tomllib(tmp_path: Path, name: str) -> None:
    device = DeviceFile(str(tmp_path))
    me = device.own()._replace(last=Stamp(1_800_000_000_000, 3, "0123456789"), name=name)
    device.save(me._replace(id="0123456789"))
    text = Path(device.path).read_text()
    assert device.read() == me._replace(id="0123456789")
    plain = '"' not in name and "\\" not in name
    assert (_flat_strings(text) == tomllib.loads(text)) if plain else (_flat_strings(text) is None)


def test_what_habitd_writes_is_well_inside_the_limits(habitd: Habitd) -> None:
    """The example config, a state file and the log files habitd wrote all read through the limits."""
    habitd("done", "thanks", "--note", "for the soup")
    habitd("skip", "thanks", "--date", "yesterday", "--note", "away")
    for path in [ROOT / "config.example.toml", *habitd.state_dir.rglob("*.toml")]:
        toml_loads(path.read_text())


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "nested deeper than habitd reads"),
        ('{"n": ' + "9" * 5000 + "}", "a number of more than 19 digits"),
        ('{"note": "\\ud800"}', "note: a lone surrogate"),
        ('{"\\udfff": 1}', "a lone surrogate"),
    ],
)
def test_json_outside_the_limits_is_refused_saying_where(text: str, said: str) -> None:
    with pytest.raises(LimitError, match=said):
        json_loads(text)


def test_a_config_nested_500_deep_is_a_config_error_not_an_internal_error(habitd: Habitd) -> None:
    for text in (DEEP_TOML, LONG_INT_TOML):
        habitd.config.write_text(text)
        result = habitd("check")
        assert result.exit_code == 2, result.output
        assert "not valid TOML" in result.stderr and "internal error" not in result.output


@pytest.mark.parametrize(
    "content",
    [
        '{"format": "habitd-export", "version": 2, "habits": {"thanks": {"completions": '
        '[{"date": "2026-11-01", "count": ' + "9" * 5000 + "}]}}}",
        '{"format": "habitd-export", "version": 2, "habits": {"thanks": {"skips": '
        '[{"date": "2026-11-01", "note": "\\ud800"}]}}}',
        '{"format": "habitd-export", "x": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
)
def test_an_import_outside_the_limits_names_the_file_and_writes_nothing(
    habitd: Habitd, tmp_path: Path, content: str
) -> None:
    habitd("done", "thanks")
    before = habitd.history_files()
    f = tmp_path / "backup.json"
    f.write_text(content)
    result = habitd("import", str(f))
    assert result.exit_code == 2
    assert f"{f}: the document:" in result.stderr and "nothing was imported" in result.stderr
    assert "internal error" not in result.output
    assert habitd.history_files() == before


def test_a_partners_file_nested_500_deep_is_left_out_and_every_command_works(habitd: Habitd) -> None:
    habitd("done", "thanks", "--date", "yesterday")
    partner = habitd.state_dir / "devices" / "bbbbbbbb"
    partner.mkdir(parents=True)
    shutil.copy(next(habitd.state_dir.glob("devices/*/2026-*.toml")), partner / "2026-11.toml")
    (partner / "2026-10.toml").write_text(DEEP_TOML)
    for command in (["status"], ["done", "thanks"], ["devices"], ["check"], ["export"]):
        result = habitd(*command)
        assert "internal error" not in result.output, command
        assert result.exit_code in (0, 1), (command, result.output)
    listing = habitd("devices").output
    assert "2026-10.toml" in listing and "damaged" in listing
    assert habitd.json("status")["habits"][0] is not None


FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tlead", "\rcr", "'quoted", "plain"]


def test_csv_text_cells_that_look_like_formulas_stay_text_and_import_back_exactly(
    habitd: Habitd, tmp_path: Path
) -> None:
    for i, text in enumerate(FORMULAS):
        assert habitd("note", "thanks", "--date", f"2026-11-{10 + i}", "--", text).exit_code == 0, text
    out = tmp_path / "notes.csv"
    assert habitd("export", "--format", "csv", "--notes", "-o", str(out)).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode(), newline="")))
    cells = {row[6] for row in rows if row[0] == "note"}
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)  # a spreadsheet runs none
    assert {"'" + t for t in FORMULAS if t != "plain"} | {"plain"} == cells
    fresh = Habitd(habitd.config, tmp_path / "fresh", habitd.now)
    assert fresh("import", str(out)).exit_code == 0
    assert sorted(n["text"] for n in fresh.json("journal")["notes"]) == sorted(FORMULAS)


def test_a_version_1_csv_keeps_its_cells_as_they_are(habitd: Habitd, tmp_path: Path) -> None:
    f = tmp_path / "old.csv"
    f.write_text(
        "kind,habit,date,until,count,written,text\r\nversion,,,,1,,habitd-export\r\n"
        "note,thanks,2026-11-20,,0,2026-11-20T10:00:00+00:00,'as I wrote it\r\n"
    )
    assert habitd("import", str(f)).exit_code == 0
    assert [n["text"] for n in habitd.json("journal")["notes"]] == ["'as I wrote it"]


def test_json_exports_stay_json(habitd: Habitd) -> None:
    habitd("note", "thanks", "=1+1")
    doc = json.loads(habitd("export", "--notes").stdout)
    assert doc["version"] == 2
    assert [n["text"] for n in doc["habits"]["thanks"]["notes"]] == ["=1+1"]  # JSON is data: no guard


def test_a_partners_device_folder_that_is_a_link_is_never_read_through(habitd: Habitd, tmp_path: Path) -> None:
    habitd("done", "thanks", "--date", "yesterday")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(next(habitd.state_dir.glob("devices/*/2026-*.toml")), elsewhere / "2026-11.toml")
    (habitd.state_dir / "devices" / "bbbbbbbb").symlink_to(elsewhere, target_is_directory=True)
    listing = habitd("devices").output
    assert "bbbbbbbb" in listing and "symbolic link" in listing
    status = habitd("status")
    assert status.exit_code == 0 and "internal error" not in status.output


def test_my_own_device_folder_as_a_link_is_refused_and_nothing_is_written_through_it(
    habitd: Habitd, tmp_path: Path
) -> None:
    habitd("done", "thanks", "--date", "yesterday")
    (mine,) = habitd.state_dir.glob("devices/*")
    elsewhere = tmp_path / "elsewhere"
    shutil.move(mine, elsewhere)
    mine.symlink_to(elsewhere, target_is_directory=True)
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    result = habitd("done", "listen")
    assert result.exit_code != 0 and "symbolic link" in result.stderr, result.output
    assert "internal error" not in result.output
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before


PARTNER_LOG = """format = 1
habitd = "0.1.0"
device = "bbbbbbbb"

[[event]]
id = "{id}"
kind = "done"
habit = "listen"
day = 2026-11-24
at = 2026-11-24 10:00:00+00:00
"""


def _ids(habitd: Habitd) -> list[str]:
    from habitd.history.hlc import parse_id

    (mine,) = [p for p in habitd.state_dir.glob("devices/*") if p.name != "bbbbbbbb"]
    ids = [line.split('"')[1] for f in mine.glob("*.toml") for line in f.read_text().splitlines()
           if line.startswith("id = ")]  # fmt: skip
    assert all(parse_id(i) is not None for i in ids), ids  # every id this machine wrote reads back
    return ids


@pytest.mark.parametrize("far", ["9999999999999999-9999999999-bbbbbbbb", "253402300799999-0-bbbbbbbb"])
def test_a_far_future_stamp_from_a_partner_is_not_followed(habitd: Habitd, far: str) -> None:
    from habitd.history.hlc import AHEAD_MS, parse_id

    habitd("done", "thanks", "--date", "yesterday")
    partner = habitd.state_dir / "devices" / "bbbbbbbb"
    partner.mkdir()
    (partner / "2026-11.toml").write_text(PARTNER_LOG.format(id=far))
    for habit in ("thanks", "date-night"):
        result = habitd("done", habit)
        assert result.exit_code == 0, result.output
    now_ms = int(habitd.now.timestamp() * 1000)
    stamps = [parse_id(i) for i in _ids(habitd)]
    assert all(s is not None and s.ms <= now_ms + AHEAD_MS for s in stamps)
    for cache in ("cache.bin", "events.bin"):
        (habitd.state_dir / cache).unlink(missing_ok=True)
    rows = {r["id"]: r for r in habitd.json("status")["habits"]}
    assert rows["thanks"]["done"] == 1 and rows["date-night"]["done"] == 1  # read back, after a rebuild too
    assert habitd("done", "listen").exit_code == 0  # and later writes are not refused


def test_a_device_pushed_past_the_bound_before_recovers_every_entry(habitd: Habitd) -> None:
    """A release that followed any stamp wrote ids such as MS-10000000000-DEVICE; they read again."""
    habitd("done", "thanks", "--date", "yesterday")
    (mine,) = habitd.state_dir.glob("devices/*")
    (month,) = mine.glob("*.toml")
    pushed = f"9999999999999999-10000000000-{mine.name}"
    text = month.read_text()
    month.write_text(text + f'\n[[event]]\nid = "{pushed}"\nkind = "done"\nhabit = "listen"\nday = 2026-11-24\n'
                     "at = 2026-11-24 10:00:00+00:00\n")  # fmt: skip
    device = habitd.state_dir / "device.toml"
    device.write_text("\n".join(
        f'last = "{pushed}"' if line.startswith("last = ") else line for line in device.read_text().splitlines()
    ) + "\n")  # fmt: skip
    for cache in ("cache.bin", "events.bin"):
        (habitd.state_dir / cache).unlink(missing_ok=True)
    assert habitd("done", "date-night").exit_code == 0
    rows = {r["id"]: r for r in habitd.json("status")["habits"]}
    assert rows["listen"]["done"] == 1 and rows["date-night"]["done"] == 1
    assert "internal error" not in habitd("devices").output


def _note_events(writer_device: str, writer_by: str, taker_device: str, taker_by: str) -> list:
    from datetime import UTC, date, datetime

    from habitd.history.events import NOTE, NOTE_DELETE, NOTE_EDIT, Event
    from habitd.history.hlc import Stamp

    day, at = date(2026, 11, 24), datetime(2026, 11, 24, 20, tzinfo=UTC)
    note = Event(Stamp(1, 0, writer_device), NOTE, "thanks", day, at, by=writer_by, text="for the soup")
    edit = Event(Stamp(2, 0, taker_device), NOTE_EDIT, "thanks", day, at, by=taker_by, text="rewritten", of=note.stamp)
    delete = Event(Stamp(3, 0, taker_device), NOTE_DELETE, "thanks", day, at, by=taker_by,
                   undoes=(note.stamp, edit.stamp))  # fmt: skip
    return [note, edit, delete]


@pytest.mark.parametrize(
    ("writer", "taker"),
    [
        (("aaaaaaaa", "Sam"), ("bbbbbbbb", "")),  # a device without a name
        (("aaaaaaaa", "Sam"), ("bbbbbbbb", "Alex")),  # the partner
        (("aaaaaaaa", ""), ("bbbbbbbb", "")),  # a nameless note is its device's alone
        (("aaaaaaaa", ""), ("bbbbbbbb", "Alex")),
    ],
)
def test_the_history_ignores_an_edit_or_delete_of_someone_elses_note(
    writer: tuple[str, str], taker: tuple[str, str]
) -> None:
    from habitd.history.derive import derive

    note, edit, delete = _note_events(*writer, *taker)
    for events in ([note, edit], [note, edit, delete]):
        (kept,) = derive(events).habits["thanks"].notes
        assert kept.text == "for the soup"
    (kept,) = derive([note, delete._replace(undoes=(note.stamp,))]).habits["thanks"].notes
    assert kept.text == "for the soup"


@pytest.mark.parametrize(("writer", "taker"), [(("aaaaaaaa", "Sam"), ("aaaaaaaa", "Sam")),
                                                (("aaaaaaaa", "Sam"), ("cccccccc", "Sam")),  # Sam's other machine
                                                (("aaaaaaaa", ""), ("aaaaaaaa", ""))])  # fmt: skip
def test_the_writer_of_a_note_still_edits_and_deletes_it(writer: tuple[str, str], taker: tuple[str, str]) -> None:
    from habitd.history.derive import derive

    note, edit, delete = _note_events(*writer, *taker)
    (edited,) = derive([note, edit]).habits["thanks"].notes
    assert edited.text == "rewritten"
    for events in ([note, edit, delete], [note, delete._replace(undoes=(note.stamp,))]):
        log = derive(events).habits.get("thanks")
        assert log is None or log.notes == []


@pytest.mark.parametrize("by", ["Alex\\nMallory", "Alex\\u202eyellaM", "x" * 41, " Alex"])
def test_an_event_whose_name_habitd_would_never_write_is_left_out_and_exports_import_back(
    habitd: Habitd, tmp_path: Path, by: str
) -> None:
    habitd("done", "thanks", "--date", "yesterday")
    partner = habitd.state_dir / "devices" / "bbbbbbbb"
    partner.mkdir()
    good = PARTNER_LOG.format(id="1764000000000-0-bbbbbbbb")
    bad = good.replace('id = "1764000000000-0-bbbbbbbb"', 'id = "1764000000001-0-bbbbbbbb"').split("[[event]]")[1]
    (partner / "2026-11.toml").write_text(good + "\n[[event]]" + bad.replace("\nkind", f'\nby = "{by}"\nkind'))
    listing = habitd("devices").output
    assert "event 2: by:" in listing  # named, with its place, and left out
    out = tmp_path / "backup.csv"
    assert habitd("export", "--format", "csv", "-o", str(out)).exit_code == 0
    fresh = Habitd(habitd.config, tmp_path / "fresh", habitd.now)
    result = fresh("import", str(out))
    assert result.exit_code == 0, result.output
    assert "Imported 2 completion(s)" in result.stdout


def test_an_import_with_a_name_habitd_would_never_write_is_refused_saying_where(
    habitd: Habitd, tmp_path: Path
) -> None:
    f = tmp_path / "backup.json"
    f.write_text(json.dumps({"format": "habitd-export", "version": 2, "habits": {"thanks": {"completions": [
        {"date": "2026-11-20", "count": 1, "by": ["Alex\u202e"]}]}}}))  # fmt: skip
    result = habitd("import", str(f))
    assert result.exit_code == 2 and "habits.thanks.completions[0].by" in result.stderr, result.output
    assert "is not a name" in result.stderr and "nothing was imported" in result.stderr


def test_an_import_file_far_larger_than_any_history_is_refused_before_it_is_read(
    habitd: Habitd, tmp_path: Path
) -> None:
    from habitd.history.files.imported import IMPORT_MAX_BYTES

    f = tmp_path / "huge.csv"
    with f.open("w") as out:
        out.write("kind,habit,date,until,count,written,text\nversion,,,,2,,habitd-export\n")
        out.truncate(IMPORT_MAX_BYTES + 1)
    result = habitd("import", str(f))
    assert result.exit_code == 2 and f"more than the {IMPORT_MAX_BYTES >> 20} MiB habitd imports" in result.stderr


@pytest.mark.parametrize("name", ["Anne\u00a0Marie", "Zoë 🌻", "Sam", "x" * 40])
def test_a_name_the_config_takes_is_one_the_history_reads(name: str, tmp_path: Path) -> None:
    """A partner's name that their config accepted must never make their events unreadable here."""
    from habitd.habits.config import parse_config
    from habitd.limits import name_problem

    config = parse_config(f'[settings]\nname = "{name}"\n[habits.thanks]\nat = "20:00"\n', "c.toml")
    assert config.settings.name == name and name_problem(name) is None


def test_a_file_that_grows_while_it_is_read_is_read_whole_within_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """habitd reads a file at the size it had (no buffer of the whole limit); one that grew between
    the look and the read is read on to its end, or refused past the limit."""
    import os

    from habitd.history import files

    path = tmp_path / "log.toml"
    path.write_bytes(b"a" * 100)
    looked = os.lstat(path)
    path.write_bytes(b"a" * 300)  # grown after habitd looked at it

    class Stale:
        def __getattr__(self, name: str) -> object:
            return 100 if name == "st_size" else getattr(looked, name)

    real = os.lstat
    monkeypatch.setattr(os, "lstat", lambda p: Stale() if str(p) == str(path) else real(p))
    assert files.read_bytes(str(path), 1000, follow_symlink=False) == b"a" * 300
    with pytest.raises(ValueError, match="more than the 200 bytes"):
        files.read_bytes(str(path), 200, follow_symlink=False)
