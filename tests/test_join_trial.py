"""The second user trial of sharing: two machines (two state folders) on one shared folder.

Each test stands for what a person did, through the command line, with real files, as a sync
engine would leave them once it has copied the files across.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from habitd.history.eventlog import EventLog
from tests.conftest import BASIC, Habitd, shared_settings
from tests.test_devices import device, grep

# --- J1: private notes through export and import ----------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_private_note_stays_private_through_export_and_import(
    habitd: Habitd, tmp_path: Path, shared: Path, fmt: str
) -> None:
    alex = device(habitd, tmp_path, shared, "Alex")
    assert alex("done", "thanks", "--note", "for the tea").exit_code == 0
    r = alex("note", "thanks", "SECRET plans", "--private")
    assert r.exit_code == 0, r.output
    out = tmp_path / f"x.{fmt}"
    r = alex("export", "--notes", "--format", fmt, "-o", str(out))
    assert r.exit_code == 0, r.output
    text = out.read_text()
    if fmt == "json":
        notes = json.loads(text)["habits"]["thanks"]["notes"]
        assert [n.get("private", False) for n in notes] == [False, True]
    else:
        assert text.splitlines()[0] == "kind,habit,date,until,count,written,text,by,private"
        assert [line.endswith(",private") for line in text.splitlines() if line.startswith("note,")] == [False, True]
    # a new machine of Alex's, joined to the same folder, takes the export in
    laptop = device(habitd, tmp_path, shared, "laptop")
    laptop.write_config(shared_settings(shared, "Alex"))
    r = laptop("import", str(out))
    assert r.exit_code == 0, r.output
    assert "1 note(s)" in r.stdout
    assert grep(shared, "SECRET") == []  # never in the shared folder
    assert grep(laptop.state_dir / "private", "SECRET")  # the laptop's own private notes
    journal = laptop.json("journal")["notes"]
    assert sorted((n["text"], n.get("private", False)) for n in journal) == [
        ("SECRET plans", True),
        ("for the tea", False),
    ]
    assert laptop("import", str(out)).stdout.strip() == "Nothing new: all of it was here already."


# --- J2: two machines with one device id --------------------------------------------------


def copy_home(habitd: Habitd, tmp_path: Path, who: str, to: str) -> Habitd:
    """``cp -a`` of a home folder onto a new machine: config, state folder, device id and caches."""
    shutil.copytree(tmp_path / who, tmp_path / to, symlinks=True)
    return Habitd(tmp_path / to / "config.toml", tmp_path / to / "state", habitd.now)


def test_a_copied_home_folder_is_refused_on_a_plain_done(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    alex = device(habitd, tmp_path, shared, "Alex")
    assert alex("done", "thanks").exit_code == 0
    assert alex("status").exit_code == 0  # the cache is up to date before the copy
    copy = copy_home(habitd, tmp_path, "Alex", "Alex5")
    habitd.at("2026-11-25 13:00")
    alex.now = copy.now = habitd.now
    assert alex("done", "listen").exit_code == 0  # the original goes on writing...
    before = {p: p.read_bytes() for p in shared.rglob("*.toml")}
    r = copy("done", "date-night")  # ...so the copy, writing as the same device, is stopped
    assert r.exit_code == 3, r.output
    assert "another machine writes as this one" in r.stderr and "Nothing was recorded" in r.stderr
    assert f"move {copy.state_dir / 'device.toml'} away" in r.stderr
    assert {p: p.read_bytes() for p in shared.rglob("*.toml")} == before
    r = copy("done", "thanks", "--date", "2026-10-30")  # another month's file: refused too
    assert r.exit_code == 3, r.output
    assert copy("check").exit_code == 1
    # the way out: the copy gets an id of its own, and nothing is lost
    (copy.state_dir / "device.toml").unlink()
    assert copy("done", "date-night").exit_code == 0
    assert len(list((shared / "devices").iterdir())) == 2
    assert alex("check").exit_code == 0


def test_a_copy_is_refused_before_it_writes_and_an_older_copy_stops_the_original(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    alex = device(habitd, tmp_path, shared, "Alex")
    assert alex("done", "thanks").exit_code == 0
    copy = copy_home(habitd, tmp_path, "Alex", "Alex5")
    habitd.at("2026-11-25 13:00")
    alex.now = copy.now = habitd.now
    before = {p: p.read_bytes() for p in shared.rglob("*.toml")}
    r = copy("done", "listen")  # the copy has written nothing yet, and is stopped all the same
    assert r.exit_code == 3, r.output
    assert f"was made for {(alex.state_dir).resolve()}" in r.stderr and "habitd devices --new-id" in r.stderr
    assert {p: p.read_bytes() for p in shared.rglob("*.toml")} == before
    assert copy("check").exit_code == 1
    # a device file of an older habitd does not say where it was made: the stamps still tell
    device_file = copy.state_dir / "device.toml"
    device_file.write_text("".join(line for line in device_file.read_text().splitlines(True) if "made_" not in line))
    assert copy("done", "listen").exit_code == 0
    r = alex("done", "date-night")
    assert r.exit_code == 3 and "another machine writes as this one" in r.stderr


def test_a_copied_home_takes_a_new_id_and_keeps_its_name(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    alex = device(habitd, tmp_path, shared, "Alex")
    EventLog(str(shared), str(alex.state_dir)).device.set_name("Alex")  # as `init --join` keeps it with a shared config
    assert alex("done", "thanks").exit_code == 0
    copy = copy_home(habitd, tmp_path, "Alex", "Alex5")
    assert copy("done", "listen").exit_code == 3
    r = copy("devices", "--new-id")
    assert r.exit_code == 0, r.output
    old = alex.json("devices")["devices"][0]["id"]
    assert f"(it was {old};" in r.stdout
    assert 'name = "Alex"' in (copy.state_dir / "device.toml").read_text()
    assert copy("done", "listen").exit_code == 0
    ids = {d["id"] for d in alex.json("devices")["devices"]}
    assert len(ids) == 2 and old in ids
    assert alex("check").exit_code == 0 and copy("check").exit_code == 0
    assert alex("done", "date-night").exit_code == 0  # the original goes on under its id


def test_join_on_a_copied_home_says_so_and_changes_nothing(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    alex = device(habitd, tmp_path, shared, "Alex")
    assert alex("done", "thanks").exit_code == 0
    copy = copy_home(habitd, tmp_path, "Alex", "Alex5")
    habitd.at("2026-11-25 13:00")
    alex.now = copy.now = habitd.now
    assert alex("done", "listen").exit_code == 0
    config = copy.config.read_bytes()
    r = copy("init", "--join", str(shared), "--name", "Alex", "--force")
    assert r.exit_code == 3, r.output
    assert "another machine writes as this one" in r.stderr and "Nothing was changed" in r.stderr
    assert copy.config.read_bytes() == config


# --- J3: history left in the state folder, of the same device and month ---------------------


def test_join_merges_a_month_recorded_both_before_and_after_shared_dir_was_set(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    assert habitd("done", "thanks", "--date", "2026-11-20", "--note", "before sharing").exit_code == 0
    assert habitd("done", "thanks", "--date", "2026-10-01").exit_code == 0
    habitd.write_config(shared_settings(shared, "Sam"))  # step 1 by hand: shared_dir added to the config
    assert habitd("done", "thanks").exit_code == 0  # the shared folder gets this device's 2026-11.toml
    assert "thanks" in [h["id"] for h in habitd.json("status")["habits"]]
    r = habitd("check")
    assert "outside the shared folder" in r.stderr
    r = habitd("init", "--join", str(shared))
    assert r.exit_code == 0, r.output
    assert "Merged this machine's 2026-11.toml with the one in the shared folder." in r.stdout
    assert "Moved 1 history file(s)" in r.stdout
    assert list(habitd.state_dir.glob("devices/*/*.toml")) == []
    (own,) = (shared / "devices").iterdir()
    assert sorted(p.name for p in own.iterdir()) == ["2026-10.toml", "2026-11.toml"]
    text = (own / "2026-11.toml").read_text()
    assert text.count("\n[[event]]\n") == 3  # the done and note of before, the done of after: each once
    days = {c["date"] for p in habitd.json("history", "thanks")["periods"] for c in p["completions"]}
    assert {"2026-10-01", "2026-11-20", "2026-11-25"} <= days
    assert [n["text"] for n in habitd.json("journal")["notes"]] == ["before sharing"]
    r = habitd("check")
    assert r.exit_code == 0 and "outside the shared folder" not in r.stderr
    assert habitd("init", "--join", str(shared)).exit_code == 0  # again: nothing to do
    assert habitd("done", "listen").exit_code == 0  # and writing goes on


# --- J4: a config linked into a shared folder that is not there -----------------------------


def test_a_config_linked_into_a_missing_shared_folder_is_said_and_never_replaced(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    (shared / "config.toml").write_text(shared_settings(shared))
    alex = Habitd(tmp_path / "alex" / "config.toml", tmp_path / "alex" / "state", habitd.now)
    alex.config.parent.mkdir()
    alex.config.symlink_to(shared / "config.toml")  # one config for both, as habitd kept it before
    gone = tmp_path / "Sync.unmounted"
    (tmp_path / "Sync").rename(gone)  # the shared folder is not mounted
    r = alex("status")
    assert r.exit_code == 1
    assert r.stderr == (
        f"habitd: {alex.config} is a link to {shared / 'config.toml'}, which is not there (the shared folder"
        f" {shared} not mounted or not synced yet?); nothing can be shown or recorded until it is back\n"
    )
    assert "habitd init" not in r.stderr
    r = alex("init")
    assert r.exit_code == 2 and "--force replaces the link" in r.stderr
    assert alex.config.is_symlink()
    gone.rename(tmp_path / "Sync")  # back: the link moves to a config of this machine's own
    assert alex("done", "thanks").exit_code == 0
    assert not alex.config.is_symlink()
    assert next(h for h in alex.json("status")["habits"] if h["id"] == "thanks")["done"] == 1
    (tmp_path / "Sync").rename(gone)  # away again: its own config says so, and keeps waiting
    r = alex("status")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"habitd: the shared folder {shared} is not there (not mounted or not synced yet?)")


# --- J9: a refused join writes nothing ----------------------------------------------------------


def test_a_join_that_starts_a_folder_edits_the_config_and_quotes_values_as_toml(habitd: Habitd, tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    r = habitd("init", "--join", str(folder), "--name", 'T "the" one', "--new")
    assert r.exit_code == 0, r.output
    assert f"Kept the config you had as {habitd.config}.before-join." in r.stdout
    assert (tmp_path / "config.toml.before-join").read_text() == BASIC
    assert (folder / "devices").is_dir()
    text = habitd.config.read_text()
    assert f'shared_dir = "{folder}"' in text and 'name = "T \\"the\\" one"' in text


# --- J10, J11, J6, J12, J13: what check and devices say ----------------------------------------

NEWER = 'format = 2\nhabitd = "9.0"\ndevice = "abcdef0123"\n'


def test_check_fails_for_this_machines_own_damaged_file_and_passes_on_warnings(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks").exit_code == 0
    partner = shared / "devices" / "abcdef0123"
    partner.mkdir()
    (partner / "2026-11.toml").write_text(NEWER)
    r = sam("check")
    assert r.exit_code == 0, r.output  # another device's file: a warning
    assert "habitd: warning: 1 file of the history could not be read" in r.stderr
    (own,) = (d for d in (shared / "devices").iterdir() if d != partner)
    (own / "2026-11.toml").write_text("format = 1\n[[event]\n")
    r = sam("check")
    assert r.exit_code == 1, r.output
    assert f"habitd: problem: this machine's own file {own / '2026-11.toml'} cannot be read" in r.stderr
    assert "maybe not fully synced" not in r.stderr  # said once, as the problem it is
    assert r.stderr.count(str(own / "2026-11.toml")) == 1
    assert sam("done", "listen").exit_code == 3  # what the problem says: recording stops
    assert sam.json("devices")["problems"][0].startswith("this machine's own file")


def test_read_commands_say_why_a_newer_file_is_not_read(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    partner = shared / "devices" / "abcdef0123"
    partner.mkdir()
    (partner / "2026-11.toml").write_text(NEWER)
    for args in (["status"], ["done", "thanks"]):
        r = sam(*args)
        assert r.exit_code == 0, r.output
        assert "written by habitd 9.0 in log format 2" in r.stderr and "update habitd on this machine" in r.stderr
        assert "maybe not fully synced" not in r.stderr
    r = sam("devices", "--json")
    assert r.exit_code == 0 and r.stderr == ""  # the JSON holds them
    assert [u["why"] for u in json.loads(r.stdout)["unread"]] == ["newer_format"]


def test_devices_json_with_the_shared_folder_missing_says_so_in_problems(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks").exit_code == 0
    shutil.rmtree(tmp_path / "Sync")
    r = sam("devices", "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    missing = f"the shared folder {shared} is not there (not mounted or not synced yet?)"
    assert doc["problems"] == [f"{missing}; nothing can be recorded until it is back"]
    assert doc["devices"] == []


def test_a_garbage_conflict_copy_is_listed_once_as_not_read(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks").exit_code == 0
    partner = shared / "devices" / "abcdef0123"
    partner.mkdir()
    (partner / "2026-11 (conflicted copy 2026-11-20).toml").write_text("garbage [[")
    out = sam("devices").stdout
    assert out.count("conflicted copy 2026-11-20") == 1
    assert "Not read" in out and "Conflict copies" not in out
    doc = sam.json("devices")
    assert [d["conflict_copies"] for d in doc["devices"] if d["id"] == "abcdef0123"] == [[]]
    assert len(doc["unread"]) == 1


def test_a_device_without_a_name_is_null_in_devices_json(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    anon = device(habitd, tmp_path, shared, "anon")
    anon.write_config(shared_settings(shared))  # no name
    assert anon("done", "listen").exit_code == 0
    assert sam("done", "thanks").exit_code == 0
    names = sorted((d["name"] or "") for d in sam.json("devices")["devices"])
    assert names == ["", "Sam"]
    assert None in [d["name"] for d in sam.json("devices")["devices"]]
