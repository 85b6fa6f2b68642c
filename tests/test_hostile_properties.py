"""Properties over what another person's machine or program wrote: the shared folder's files and imports.

Whatever a partner's device (or a modified client, or a damaged sync) leaves in the shared folder,
and whatever file is imported: no command ends in an internal error, no entry of this person's own
that the partner may not take back is lost, and two devices reading the same folder derive the
same history. And whatever name or note habitd accepted comes back from an export.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import tomli_w
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habitd.cli.app import cli
from habitd.cli.context import App
from habitd.exchange.document import export_doc, parse_export, to_csv, to_json
from habitd.habits.config import parse_config
from habitd.habits.state import ALL, HabitLog, Note, Pause, Skip, State
from habitd.habits.state_toml import to_doc
from habitd.history.events import KINDS, NOTE_DELETE, NOTE_EDIT, RESUME, UNDO, UNSKIP
from habitd.history.store import Store
from habitd.limits import name_problem
from tests.conftest import BASIC, shared_settings

CONFIG = BASIC + '\n[habits.gym]\nevery = "day"\neach = true\n'
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
PARTNER = "bbbbbbbb"
NOW_MS = int(NOW.timestamp() * 1000)

# --- any name or note habitd accepted exports and imports back ---------------------------------

names = st.text(max_size=40).filter(lambda n: name_problem(n) is None)
texts = st.text(max_size=60)  # a note or a reason to skip: any text at all (formulas, breaks, controls)


@settings(max_examples=60, deadline=None)
@given(
    entries=st.lists(st.tuples(st.dates(date(2020, 1, 1), date(2026, 11, 25)), names, texts), min_size=1, max_size=8),
)
def test_any_name_or_note_habitd_accepted_comes_back_from_an_export(entries: list[tuple[date, str, str]]) -> None:
    state = State()
    log = state.log("h")
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for i, (day, by, text) in enumerate(entries):
        nth = log.add(day, by)
        log.notes.append(Note(day, at + timedelta(minutes=i), text, nth, by=by))
        if i % 3 == 0 and all((k.day, k.by) != (day + timedelta(days=400), by) for k in log.skips):
            log.skips.append(Skip(day + timedelta(days=400), text, at, 0, by=by))
    state.pauses = [Pause(ALL, date(2026, 8, 1), date(2026, 8, 14), entries[0][1])]
    doc = export_doc(state, "UTC", datetime(2026, 11, 25, 12, tzinfo=UTC), notes=True)
    for text in (to_json(doc), to_csv(doc)):
        back = parse_export(text, "x", date(2030, 1, 1))
        got = back.habits["h"]
        assert sorted((n.day, n.text, n.by) for n in got.notes) == sorted((n.day, n.text, n.by) for n in log.notes)
        assert sorted((k.day, k.text, k.by) for k in got.skips) == sorted((k.day, k.text, k.by) for k in log.skips)
        assert [(d, sorted(got.bys(d))) for d in got.days()] == [(d, sorted(log.bys(d))) for d in log.days()]
        assert back.pauses == state.pauses


def test_a_csv_is_read_row_by_row_its_first_bad_row_named_before_the_rest_is_read(tmp_path: Path) -> None:
    """A bad row stops the import where it is: what follows (here bytes that are not UTF-8, as a
    large file's tail might be) is never read, let alone held whole."""
    from tests.conftest import Habitd

    config = tmp_path / "config.toml"
    config.write_text(BASIC)
    h = Habitd(config, tmp_path / "state", NOW)
    head = "kind,habit,date,until,count,written,text\nversion,,,,2,,habitd-export\ndone,thanks,someday,,1,,\n"
    path = tmp_path / "backup.csv"
    path.write_bytes(head.encode() + b"done,thanks,2026-11-01,,1,,\xff\xfe\n" * 1000)
    result = h("import", str(path))
    assert result.exit_code == 2
    assert "line 3: 'someday' is not a date" in result.stderr
    path.write_bytes(head.replace("someday", "2026-11-02").encode() + b"done,thanks,2026-11-01,,1,,\xff\n")
    result = h("import", str(path))
    assert result.exit_code == 2 and "line 4: not UTF-8 text" in result.stderr, result.output
    assert not any((tmp_path / "state").glob("devices/*/*.toml"))  # nothing was imported


# --- hostile files in the shared folder ----------------------------------------------------------

ids = st.one_of(
    st.integers(0, 2**63).map(lambda ms: f"{ms}-0-{PARTNER}"),
    st.integers(NOW_MS - 10**9, NOW_MS + 10**8).map(lambda ms: f"{ms}-0-{PARTNER}"),
    st.sampled_from(["", "x", f"1-0-{PARTNER}-", "9" * 30 + f"-0-{PARTNER}", "1764000000000-0-aaaaaaaa"]),
)
values = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=12),
    st.dates(date(1, 1, 1), date(9999, 12, 31)), st.lists(st.integers(-3, 3), max_size=3),
)  # fmt: skip


near = st.tuples(st.integers(NOW_MS - 10**9, NOW_MS + 10**8), st.integers(0, 99)).map(
    lambda t: f"{t[0]}-{t[1]}-{PARTNER}"
)
TAKING = [UNDO, UNSKIP, NOTE_DELETE, NOTE_EDIT, RESUME]


@st.composite
def hostile_event(draw: st.DrawFn, own: list[str]) -> dict[str, Any]:
    """An event table as a partner's device, or a client that knows better, might write it: mostly
    well formed, and mostly taking back (or editing) one of Sam's own events."""
    day = draw(st.dates(date(2026, 10, 1), date(2026, 12, 31)))
    aware = datetime(2026, 11, 24, 10, tzinfo=UTC)
    table: dict[str, Any] = {
        "id": draw(st.one_of(near, near, near, ids)),
        "kind": draw(st.sampled_from([*TAKING, *TAKING, *TAKING, *KINDS, "bogus"])),
        "habit": draw(st.sampled_from(["thanks", "gym", "listen", "*", "gone", ""])),
        "day": day,
        "at": draw(st.sampled_from([aware, aware, aware, datetime(2026, 11, 24, 10)])),
    }
    targets = st.sampled_from(own) if own else ids
    if draw(st.booleans()):  # a well-formed take-back of one of Sam's own, by the partner or nobody
        table |= {"id": draw(near), "at": aware, "by": draw(st.sampled_from(["Alex", ""]))}
        table["undoes" if table["kind"] != NOTE_EDIT else "of"] = [draw(targets)]
        if table["kind"] == NOTE_EDIT:
            table |= {"of": table["of"][0], "text": draw(st.text(max_size=10))}
        return table
    if draw(st.integers(0, 4)):
        table["undoes"] = draw(st.lists(st.one_of(targets, targets, ids), min_size=1, max_size=3))
    for key, strategy in (
        # not "Sam": a device calling itself by Sam's name is one of Sam's (names are not signed)
        ("by", st.sampled_from(["Alex", "Alex", "", "Al\nex", "x" * 50])),
        ("of", st.one_of(targets, ids)),
        ("text", st.text(max_size=20)),
        ("until", st.dates(day, day + timedelta(days=40))),
        ("order", st.lists(st.integers(0, 5), max_size=3)),
        ("next", values),
        ("after", values),
        ("dated", values),
        ("extra", values),
    ):
        if draw(st.booleans()):
            table[key] = draw(strategy)
    return table


def _run(config: Path, state: Path, *args: str) -> Any:
    app = App(config, state, now=lambda: NOW)
    return CliRunner().invoke(cli, list(args), obj=app, catch_exceptions=False)


def _history(state: State) -> dict[str, Any]:
    doc = to_doc(state)
    doc.pop("reminders", None)
    doc.pop("sent", None)
    return doc


@pytest.fixture(scope="module")
def sams(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sam's machine, made once: each example works on a copy of it, in the same place."""
    root = tmp_path_factory.mktemp("sams")
    _make_sams_machine(root / "m")
    shutil.copytree(root / "m", root / "pristine", symlinks=True)
    return root


def _sams_machine(root: Path) -> tuple[Path, Path, Path, list[str]]:
    """Sam's machine sharing ``shared``, as made, with the ids of the events of Sam's own entries."""
    work = root / "m"
    shutil.rmtree(work)
    shutil.copytree(root / "pristine", work, symlinks=True)
    return work / "config.toml", work / "sam", work / "shared", json.loads((work / "own.json").read_text())


def _make_sams_machine(tmp: Path) -> Path:
    shared = tmp / "shared"
    shared.mkdir(parents=True)
    config = tmp / "config.toml"
    config.write_text(shared_settings(shared, "Sam", CONFIG))
    state = tmp / "sam"
    for args in (
        ("done", "gym", "--date", "yesterday", "--note", "legs"),
        ("done", "thanks", "--note", "for the soup"),
        ("pause", "gym", "--until", "2026-11-30"),
    ):
        assert _run(config, state, *args).exit_code == 0
    own = [e["id"] for p in shared.glob("devices/*/*.toml") for e in _toml(p)["event"]]
    (tmp / "own.json").write_text(json.dumps(own))
    return tmp


def _toml(path: Path) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(path.read_text())


def _store(folder: Path, shared: Path, by: str) -> Store:
    c = parse_config(CONFIG, "c.toml", "Europe/Berlin")
    zone = c.settings.tz
    return Store(folder, str(shared), today=c.today, zone=lambda: zone, by=by, personal=frozenset({"gym"}),
                 clock=lambda: NOW)  # fmt: skip


def _sams_own(state: State) -> tuple[list[date], list[str], list[Pause]]:
    """What only Sam may take back: Sam's completions and pauses of the gym habit, Sam's notes."""
    gym = state.habits.get("gym") or HabitLog()
    sams = gym.people.get("Sam") or HabitLog()
    notes = sorted(n.text for log in state.habits.values() for n in log.notes if n.by == "Sam")
    return sams.days(), notes, [p for p in state.pauses if p.by == "Sam" and p.habit == "gym"]


@st.composite
def hostile_files(draw: st.DrawFn, own: list[str]) -> dict[str, str]:
    """A partner's device folder: month files of events, or of anything at all."""
    out = {}
    months = st.lists(st.sampled_from(["2026-10", "2026-11", "2026-12"]), min_size=1, max_size=2, unique=True)
    for month in draw(months):
        shape = draw(st.sampled_from(["events", "events", "events", "text", "header"]))
        if shape == "text":
            out[month] = draw(st.one_of(st.text(max_size=80), st.just("x = " + "[" * 600 + "]" * 600)))
        else:
            events = draw(st.lists(hostile_event(own), min_size=1, max_size=8))
            header = {"format": draw(st.sampled_from([1, 1, 1, 1, 2, "1"])), "device": draw(
                st.sampled_from([PARTNER, PARTNER, PARTNER, "aaaaaaaa"]))}  # fmt: skip
            out[month] = tomli_w.dumps({**header, "event": events} if shape == "events" else header)
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_no_partner_file_crashes_a_command_takes_back_what_is_not_theirs_or_splits_two_devices(
    sams: Path, data: st.DataObject
) -> None:
    if True:
        config, state, shared, own = _sams_machine(sams)
        tmp = state.parent
        before = _sams_own(_store(state, shared, "Sam").read())
        partner = shared / "devices" / PARTNER
        partner.mkdir()
        for month, text in data.draw(hostile_files(own)).items():
            (partner / f"{month}.toml").write_text(text)
        for args in (("status",), ("devices",), ("check",), ("journal",), ("export",), ("done", "listen")):
            result = _run(config, state, *args)
            assert result.exit_code in (0, 1, 2, 3), (args, result.output)
            assert "internal error" not in result.output and "Traceback" not in result.output
        sam = _store(state, shared, "Sam").read()  # Sam's caches, caught up with the partner's files
        fresh = _store(tmp / "fresh", shared, "Alex").read()  # another device, derived from nothing
        assert _history(sam) == _history(fresh)
        days, notes, pauses = _sams_own(sam)
        assert set(before[0]) <= set(days) and set(before[1]) <= set(notes), (before, days, notes)
        assert all(any(p.start == q.start and p.until <= q.until for q in pauses) for p in before[2]), pauses


@settings(max_examples=25, deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_no_device_toml_ends_a_command_in_an_internal_error(sams: Path, text: str) -> None:
    """This machine's own device.toml, damaged or replaced (a copied home folder, a bad sync)."""
    if True:
        config, state, _shared, _own = _sams_machine(sams)
        (state / "device.toml").write_text(text)
        for args in (("status",), ("devices",), ("done", "listen"), ("devices", "--new-id")):
            result = _run(config, state, *args)
            assert "internal error" not in result.output, (args, result.output)


# --- hostile imports ---------------------------------------------------------------------------

csv_rows = st.lists(
    st.lists(st.one_of(st.sampled_from(["done", "skip", "note", "pause", "thanks", "*", "2026-11-01", "1", "'=1"]),
                       st.text(max_size=8)), max_size=10),
    max_size=6,
)  # fmt: skip
json_docs = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10), st.sampled_from(["2026-11-01", "thanks"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["habits", "thanks", "completions", "skips", "notes", "pauses", "date",
                                         "count", "by", "note", "text", "written", "nth", "from", "until", "habit"]),
                        inner, max_size=4),
    ),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    doc=json_docs,
    rows=csv_rows,
    raw=st.binary(max_size=120),
)
def test_no_import_ends_in_an_internal_error_nor_changes_anything_when_refused(
    doc: Any, rows: list[list[str]], raw: bytes
) -> None:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows([["kind", "habit", "date", "until", "count", "written", "text"],
                                  ["version", "", "", "", "2", "", "habitd-export"], *rows])  # fmt: skip
    wrapped = {"format": "habitd-export", "version": 2, "habits": doc} if isinstance(doc, dict) else doc
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        config = tmp / "config.toml"
        config.write_text(BASIC)
        state = tmp / "state"
        assert _run(config, state, "done", "thanks").exit_code == 0
        for n, content in enumerate([json.dumps(wrapped).encode(), buffer.getvalue().encode(), raw]):
            path = tmp / f"import-{n}"
            path.write_bytes(content)
            logs = {p: p.read_bytes() for p in state.glob("devices/*/*.toml")}
            result = _run(config, state, "import", str(path))
            assert result.exit_code in (0, 2), result.output
            assert "internal error" not in result.output
            for p, was in logs.items():  # never a lost entry: the log only grows
                assert p.read_bytes().startswith(was.rstrip(b"\n")), result.output
            if result.exit_code:
                assert {p: p.read_bytes() for p in state.glob("devices/*/*.toml")} == logs
                assert "nothing was imported" in result.stderr.lower() or "Nothing" in result.output, result.output


# --- the shared habit files: whatever a partner writes there ------------------------------------

_values = st.recursive(
    st.one_of(
        st.text(max_size=30), st.integers(), st.booleans(), st.sampled_from(["day", "week", "18:00", "~/.bashrc"])
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from(["title", "message", "every", "at", "on", "cron", "times", "each", "archived", "ical_path",
                         "shared_dir", "quiet_hours", "timezone", "week_starts", "settings", "x"])  # fmt: skip
_habit_files = st.dictionaries(
    st.sampled_from(
        [
            "thanks.toml",
            "walk.toml",
            "gym.toml",
            "Bad Name.toml",
            "thanks.sync-conflict-20261125-101500-ABCDEF7.toml",
            "date-night (Alex's conflicted copy 2026-11-25).toml",
            "../x.toml",
        ]
    ),
    st.one_of(
        st.dictionaries(_keys, _values, max_size=5).map(tomli_w.dumps),
        st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    ),
    max_size=4,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(habit_files=_habit_files, shared_settings_text=st.dictionaries(_keys, _values, max_size=4).map(tomli_w.dumps))
def test_whatever_the_shared_habit_files_say_no_command_fails_inside_and_nothing_leaves_the_folder(
    sams: Path, habit_files: dict[str, str], shared_settings_text: str
) -> None:
    config, state, shared, _own = _sams_machine(sams)
    assert _run(config, state, "status").exit_code == 0  # the habits are shared files now
    outside = {p: p.stat().st_mtime_ns for p in sams.rglob("*") if p.is_file() and shared not in p.parents}
    for name, text in habit_files.items():
        if "/" not in name:
            (shared / "habits" / name).write_text(text, encoding="utf-8", errors="surrogateescape")
    (shared / "settings.toml").write_text(shared_settings_text)
    for args in (("status",), ("check",), ("devices",), ("next",), ("done", "thanks"), ("today",)):
        result = _run(config, state, *args)
        assert result.exit_code in (0, 1, 2), (args, result.output)
        assert "internal error" not in result.output and "Traceback" not in result.output
    assert f'shared_dir = "{shared}"' in config.read_text()  # this machine's settings are its own
    changed = [p for p, t in outside.items() if p.exists() and p.stat().st_mtime_ns != t and p.parent != state]
    assert [p for p in changed if p.name not in ("cache.bin", "events.bin", "state.toml", "config.toml")] == []
