"""Two devices on one shared folder: `habitd devices`, `init --join`, `--private` notes, `check`.

Two state folders (each with its own config) on one shared folder stand for two machines,
as a sync engine would leave them once it has copied the files across.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BASIC, Habitd, machine, share_habits, shared_settings
from tests.desktop import Daemon, require


def device(habitd: Habitd, tmp_path: Path, shared: Path, who: str, name: str | None = None) -> Habitd:
    """A machine: its own config (naming ``who``, or ``name``) and state folder, the fixture's clock."""
    text = share_habits(shared, BASIC) if shared.is_dir() else BASIC
    return machine(tmp_path / who, shared_settings(shared, who if name is None else name, text), habitd.now)


def shared_bytes(shared: Path) -> dict[str, bytes]:
    return {str(p.relative_to(shared)): p.read_bytes() for p in sorted(shared.rglob("*")) if p.is_file()}


def grep(folder: Path, text: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


# --- --private ------------------------------------------------------------------------


def test_a_private_note_stays_on_this_machine_while_the_completion_is_shared(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam, alex = device(habitd, tmp_path, shared, "Sam"), device(habitd, tmp_path, shared, "Alex")
    r = sam("done", "thanks", "--note", "grateful for the soup", "--private")
    assert r.exit_code == 0, r.output
    assert "stays on this machine" in r.stdout
    assert grep(shared, "soup") == []  # the shared folder never holds it
    assert grep(sam.state_dir / "private", "soup")  # this machine's own file does
    # the completion is shared: met on the partner's machine too, without the note
    assert next(h for h in alex.json("status")["habits"] if h["id"] == "thanks")["done"] == 1
    assert alex.json("journal")["notes"] == []
    assert sam.json("journal")["notes"] == [
        {
            "habit": "thanks",
            "archived": False,
            "date": "2026-11-25",
            "written": "2026-11-25T12:00:00+01:00",
            "text": "grateful for the soup",
            "by": "Sam",
            "kind": "note",
            "private": True,
        }
    ]
    assert "thanks  (private)" in sam("journal").stdout
    period = sam.json("history", "thanks")["periods"][-1]
    assert period["completions"] == [
        {"date": "2026-11-25", "note": "grateful for the soup", "by": "Sam", "private": True}
    ]
    assert alex.json("history", "thanks")["periods"][-1]["completions"] == [
        {"date": "2026-11-25", "note": None, "by": "Sam"}
    ]
    # the cache can go: the note is rebuilt from this machine's private file
    for cache in ("cache.bin", "events.bin"):
        (sam.state_dir / cache).unlink(missing_ok=True)
    assert [n["text"] for n in sam.json("journal")["notes"]] == ["grateful for the soup"]


def test_edits_and_deletes_of_a_private_note_stay_private(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks", "--note", "first words", "--private").exit_code == 0
    before = shared_bytes(shared)
    r = sam("note", "thanks", "second words")  # no --private: the note it replaces is private, so is this
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Thanks: private note written for 2026-11-25. It replaces:")
    r = sam("note", "thanks", "--delete")
    assert r.exit_code == 0 and "removed the private note of 2026-11-25" in r.stdout
    assert shared_bytes(shared) == before  # not one byte more in the shared folder
    assert grep(sam.state_dir / "private", "note-edit") and grep(sam.state_dir / "private", "note-delete")
    (sam.state_dir / "cache.bin").unlink()
    assert sam.json("journal")["notes"] == []


def test_a_private_note_beside_a_shared_one_leaves_the_shared_one_alone(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam, alex = device(habitd, tmp_path, shared, "Sam"), device(habitd, tmp_path, shared, "Alex")
    assert sam("done", "thanks", "--note", "for both of us").exit_code == 0
    habitd.at("2026-11-25 12:05")
    sam.now = alex.now = habitd.now
    r = sam("note", "thanks", "just for me", "--private")
    assert r.exit_code == 0 and "private note written" in r.stdout
    assert [(n["text"], n["private"]) for n in sam.json("journal")["notes"]] == [
        ("just for me", True),
        ("for both of us", False),
    ]
    assert [n["text"] for n in alex.json("journal")["notes"]] == ["for both of us"]
    r = sam("note", "thanks", "--delete", "--private")
    assert r.exit_code == 0 and "just for me" in r.stdout
    assert [n["text"] for n in sam.json("journal")["notes"]] == ["for both of us"]
    r = sam("note", "thanks", "--delete", "--private")
    assert r.exit_code == 2 and "no private note on 2026-11-25" in r.stderr


def test_private_without_a_note_is_refused_and_records_nothing(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    r = sam("done", "thanks", "--private")
    assert r.exit_code == 2
    assert r.stderr == "habitd: --private keeps a note on this machine only; give the note with --note\n"
    assert [name for name in shared_bytes(shared) if not name.startswith("habits/")] == []


# --- habitd devices ---------------------------------------------------------------------


def test_devices_lists_each_device_its_person_files_and_last_write(
    habitd: Habitd, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # `devices` shows the folder on a line of its own: a short path, so that every line fits 80
    # columns wherever pytest makes its folders (a worker of pytest-xdist makes them a level deeper)
    shared = tmp_path_factory.mktemp("s") / "habitd"
    (shared / "devices").mkdir(parents=True)
    sam, alex = device(habitd, tmp_path, shared, "Sam"), device(habitd, tmp_path, shared, "Alex")
    assert sam("done", "thanks").exit_code == 0
    assert sam("done", "thanks", "--date", "2026-10-30").exit_code == 0  # another month: another file
    alex.at("2026-11-25 21:30")
    assert alex("done", "date-night").exit_code == 0
    data = sam.json("devices")
    me = (sam.state_dir / "device.toml").read_text().split('id = "')[1][:10]
    assert data["folder"] == str(shared) and data["shared"] is True and data["this_device"] == me
    rows = {d["name"]: d for d in data["devices"]}
    assert rows["Sam"] == {
        "id": me,
        "name": "Sam",
        "files": 2,
        "events": 2,
        "last_wrote": "2026-11-25T12:00+01:00",  # in the config's zone (Europe/Berlin)
        "this_machine": True,
        "conflict_copies": [],
    }
    assert rows["Alex"]["last_wrote"] == "2026-11-25T21:30+01:00" and rows["Alex"]["this_machine"] is False
    assert data["unread"] == [] and data["problems"] == [] and data["left_behind"] == []
    out = sam("devices")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert f"{me}  Sam                   2  2026-11-25 12:00  (this machine)" in lines
    assert all(len(line) <= 80 for line in lines)


def test_devices_names_every_file_not_read_and_why_and_the_conflict_copies(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam, alex = device(habitd, tmp_path, shared, "Sam"), device(habitd, tmp_path, shared, "Alex")
    assert sam("done", "thanks").exit_code == 0
    assert alex("done", "listen").exit_code == 0
    theirs = next(p for p in (shared / "devices").iterdir() if p.name != sam.json("devices")["this_device"])
    newer = theirs / "2026-12.toml"
    newer.write_text(f'format = 7\nhabitd = "3.0"\ndevice = "{theirs.name}"\n')
    half = theirs / "2026-09.toml"
    half.write_text(f'format = 1\ndevice = "{theirs.name}"\n\n[[event]]\nid = "17')
    copy = theirs / "2026-11.sync-conflict-20261125-120000-ABCDEFG.toml"
    shutil.copy(theirs / "2026-11.toml", copy)
    data = sam.json("devices")
    assert [(u["path"], u["why"]) for u in data["unread"]] == [(str(half), "not_synced"), (str(newer), "newer_format")]
    assert "update habitd on this machine to 3.0" in data["unread"][1]["detail"]
    assert next(d for d in data["devices"] if d["id"] == theirs.name)["conflict_copies"] == [str(copy)]
    out = sam("devices")
    assert out.exit_code == 0
    assert "  devices/" + theirs.name + "/2026-09.toml" in out.stdout
    assert "not fully synced yet" in out.stdout and "from a newer habitd" in out.stdout
    assert "Conflict copies" in out.stdout and copy.name in out.stdout
    assert "Traceback" not in out.output


def test_devices_reads_the_history_with_a_config_broken_elsewhere(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks").exit_code == 0
    sam.write_config(sam.config.read_text() + 'quiet_hours = "sometimes"\n')  # in [settings], the last table
    assert sam("status").exit_code == 2
    r = sam("devices")
    assert r.exit_code == 0, r.output
    assert "Sam" in r.stdout and "(this machine)" in r.stdout


def test_devices_and_check_say_when_the_shared_folder_is_not_there(habitd: Habitd, tmp_path: Path) -> None:
    sam = device(habitd, tmp_path, tmp_path / "not-mounted", "Sam")
    r = sam("devices")
    assert r.exit_code == 1
    assert (
        r.stderr
        == f"habitd: the shared folder {tmp_path / 'not-mounted'} is not there (not mounted or not synced yet?)\n"
    )
    r = sam("check")
    assert r.exit_code == 1
    assert "habitd: problem: the shared folder" in r.stderr and "nothing can be recorded until it is back" in r.stderr


# --- habitd check -------------------------------------------------------------------------


def test_check_reports_two_machines_using_one_device_id(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks").exit_code == 0
    assert sam("check").exit_code == 0
    twin = device(habitd, tmp_path, shared, "Twin")  # a copied home folder: the same device.toml,
    twin.state_dir.mkdir(parents=True)  # of an older habitd (not saying where it was made)
    text = (sam.state_dir / "device.toml").read_text()
    (twin.state_dir / "device.toml").write_text("".join(x for x in text.splitlines(True) if "made_" not in x))
    habitd.at("2026-11-25 13:00")
    twin.now = sam.now = habitd.now
    assert twin("done", "listen").exit_code == 0
    r = sam("check")
    assert r.exit_code == 1
    assert "habitd: problem: another machine writes as this one" in r.stderr
    assert f"move {sam.state_dir / 'device.toml'} away" in r.stderr
    assert sam.json("devices")["problems"][0].startswith("another machine writes as this one")


def test_check_warns_about_files_it_could_not_read_and_passes(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks").exit_code == 0
    (shared / "devices" / "0123456789").mkdir()
    (shared / "devices" / "0123456789" / "2026-11.toml").write_bytes(b"\xff\xfe half")
    r = sam("check")
    assert r.exit_code == 0, r.output
    assert "habitd: warning: 1 file of the history could not be read; `habitd devices` lists them" in r.stderr


# --- habitd init --join --------------------------------------------------------------------


def test_join_refuses_a_folder_that_is_not_a_habitd_folder_unless_told(habitd: Habitd, tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    habitd.config.unlink()
    r = habitd("init", "--join", str(folder), "--name", "Sam")
    assert r.exit_code == 2
    assert "does not look like a shared habitd folder (it has no devices/ folder)" in r.stderr
    assert not habitd.config.exists() and list(folder.iterdir()) == []
    r = habitd("init", "--join", str(folder), "--name", "Sam", "--new")
    assert r.exit_code == 0, r.output
    assert (folder / "devices").is_dir()
    text = habitd.config.read_text()
    assert f'shared_dir = "{folder}"' in text and 'name = "Sam"' in text
    assert habitd("check").exit_code == 0
    assert habitd("done", "thanks").exit_code == 0
    assert 'by = "Sam"' in next((folder / "devices").glob("*/2026-11.toml")).read_text()
    r = habitd("init", "--join", str(tmp_path / "nowhere"))
    assert r.exit_code == 2 and "is not there (not mounted or not synced yet?)" in r.stderr


def test_join_edits_the_config_there_and_keeps_a_copy_of_it(habitd: Habitd, shared: Path) -> None:
    before = habitd.config.read_bytes()
    r = habitd("init", "--join", str(shared), "--name", "Sam")
    assert r.exit_code == 0, r.output
    kept = Path(f"{habitd.config}.before-join")
    assert f"Kept the config you had as {kept}." in r.stdout and kept.read_bytes() == before
    text = habitd.config.read_text()
    assert f'shared_dir = "{shared}"' in text and 'name = "Sam"' in text and "[habits" not in text
    assert sorted(p.name for p in (shared / "habits").iterdir()) == ["date-night.toml", "listen.toml", "thanks.toml"]
    assert habitd("check").exit_code == 0


def test_join_never_touches_the_partners_files(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    alex = device(habitd, tmp_path, shared, "Alex")
    assert alex("done", "thanks", "--note", "hello").exit_code == 0
    before = shared_bytes(shared)
    habitd.config.unlink()
    assert habitd("init", "--join", str(shared), "--name", "Sam").exit_code == 0
    assert shared_bytes(shared) == before
    assert next(h for h in habitd.json("status")["habits"] if h["id"] == "thanks")["done"] == 1


def test_history_recorded_before_sharing_is_warned_about_then_moved_by_join(
    habitd: Habitd, shared: Path, tmp_path: Path
) -> None:
    assert habitd("done", "thanks", "--note", "before we shared").exit_code == 0
    assert habitd("done", "thanks", "--date", "2026-10-01").exit_code == 0
    local = sorted(habitd.state_dir.glob("devices/*/*.toml"))
    assert len(local) == 2
    habitd.write_config(shared_settings(shared, "Sam"))  # shared_dir set by hand
    r = habitd("check")
    assert r.exit_code == 0
    assert (
        f"2 history files of this machine are in {habitd.state_dir / 'devices'}, outside the shared folder, and not"
        f" read; `habitd init --join {shared}` moves them there"
    ) in r.stderr
    assert habitd.json("devices")["left_behind"] == [str(p) for p in local]
    r = habitd("init", "--join", str(shared))
    assert r.exit_code == 0, r.output
    assert f"{habitd.config} uses {shared} already." in r.stdout
    assert f"Moved 2 history file(s) of this machine into {shared}." in r.stdout
    assert list(habitd.state_dir.glob("devices/*/*.toml")) == []
    assert [n["text"] for n in habitd.json("journal")["notes"]] == ["before we shared"]
    r = habitd("check")
    assert r.exit_code == 0 and "outside the shared folder" not in r.stderr


def test_a_config_both_used_before_becomes_each_ones_settings_and_shared_habit_files(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    common = shared / "config.toml"  # one config for both, as habitd kept it before
    common.write_text(shared_settings(shared))
    alex = Habitd(tmp_path / "alex" / "config.toml", tmp_path / "alex" / "state", habitd.now)
    r = alex("init", "--join", str(shared), "--name", "Alex")
    assert r.exit_code == 0, r.output
    assert not alex.config.is_symlink() and "[habits" not in alex.config.read_text()
    assert "This machine's person is Alex" in r.stdout
    habitd.config.unlink()
    assert habitd("init", "--join", str(shared), "--name", "Sam").exit_code == 0
    assert alex("done", "thanks").exit_code == 0
    assert habitd("done", "listen").exit_code == 0
    names = {d["name"] for d in habitd.json("devices")["devices"]}
    assert names == {"Alex", "Sam"}
    assert "thanks: done by Alex" in habitd("status").stdout
    assert "by Alex" not in alex("status").stdout
    # the sync engine brings a partner's new habit (a new file renamed into place): both read it
    tmp = shared / "habits" / ".syncthing.walk.toml.tmp"
    tmp.write_text('every = "day"\n')
    os.replace(tmp, shared / "habits" / "walk.toml")
    for side in (alex, habitd):
        r = side("check")
        assert r.exit_code == 0, r.output
        assert "walk" in r.stdout and "4 habits" in r.stdout


def test_a_link_into_the_shared_folder_moves_by_itself_keeping_every_setting(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    common = shared / "config.toml"
    common.write_text(shared_settings(shared, text=BASIC.replace("[settings]\n", '[settings]\nnotify_timeout = 12\n')))
    habitd.config.unlink()
    habitd.config.symlink_to(common)
    r = habitd("status")
    assert r.exit_code == 0, r.output
    assert "is now this machine's own config" in r.stderr and "remove it once your partner" in r.stderr
    assert not habitd.config.is_symlink()
    assert "notify_timeout = 12" in habitd.config.read_text() and "[habits" not in habitd.config.read_text()
    assert sorted(p.name for p in (shared / "habits").iterdir()) == ["date-night.toml", "listen.toml", "thanks.toml"]
    r = habitd("status")
    assert r.exit_code == 0 and r.stderr == ""  # moved once, said once


def test_the_daemon_follows_a_partners_habit_file_within_seconds(daemons: Callable[..., Daemon], shared: Path) -> None:
    require("libfaketime")
    daemon = daemons(dict(os.environ), "", "2026-11-27 12:00:00")
    daemon.config.unlink()
    joined = daemon.cli("init", "--join", str(shared), "--name", "Sam")
    assert joined.returncode == 0, joined.stderr
    daemon.start(env={"HABITD_NOTIFIER": "dbus"}, tick=600)
    try:
        daemon.wait_log("running: 13 habits")
        tmp = shared / "habits" / ".syncthing.walk.toml.tmp"  # as Syncthing writes: a new file renamed into place
        tmp.write_text('every = "day"\nat = "18:00"\n')
        os.replace(tmp, shared / "habits" / "walk.toml")
        daemon.wait_log("the config changed: config reloaded (14 habits", 20)  # inotify: the tick is 10 min away
        (shared / "habits" / "walk.toml").write_text('every = "day"\nat = "18:00"\nical_path = "~/.bashrc"\n')
        daemon.wait_log("walk.toml: ical_path: a setting of each machine, never read from the shared folder", 20)
    finally:
        assert daemon.stop() == 0


def test_a_renamed_habit_keeps_its_private_notes_private(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = device(habitd, tmp_path, shared, "Sam")
    assert sam("done", "thanks", "--note", "hush, a secret", "--private").exit_code == 0
    r = sam("rename", "thanks", "gratitude")
    assert r.exit_code == 0, r.output
    assert grep(shared, "hush") == []
    assert [(n["habit"], n["private"]) for n in sam.json("journal")["notes"]] == [("gratitude", True)]


def test_name_and_new_go_with_join(habitd: Habitd) -> None:
    before = habitd.config.read_bytes()
    r = habitd("init", "--name", "Sam", "--force")
    assert r.exit_code == 2 and r.stderr == "habitd: --name goes with --join DIR\n"
    assert habitd.config.read_bytes() == before


def test_devices_right_after_joining_shows_this_machine_as_joined(habitd: Habitd, tmp_path: Path) -> None:
    """Before its first record this machine has no files in the shared folder; it is listed all the same."""
    folder = tmp_path / "Sync"
    folder.mkdir()
    habitd.config.unlink()
    assert habitd("init", "--join", str(folder), "--name", "Sam", "--new").exit_code == 0
    r = habitd("devices")
    assert r.exit_code == 0, r.output
    (row,) = [line for line in r.stdout.splitlines() if "Sam" in line]
    assert row.split()[:3] == ["-", "Sam", "0"] and row.endswith("(this machine: joined, nothing recorded yet)")
    assert "No device has written here yet" not in r.stdout
    data = habitd.json("devices")
    assert data["joined"] is True
    assert data["devices"] == [
        {
            "id": None, "name": "Sam", "files": 0, "events": 0, "last_wrote": None,
            "this_machine": True, "conflict_copies": [],
        }
    ]  # fmt: skip
    assert habitd("done", "thanks").exit_code == 0  # its first record: now a device with its files
    (device,) = habitd.json("devices")["devices"]
    assert device["id"] and device["files"] == 1 and device["this_machine"]
    assert "joined, nothing recorded yet" not in habitd("devices").stdout


def test_a_new_shared_folder_in_the_config_applies_without_a_restart(
    daemons: Callable[..., Daemon], tmp_path: Path, shared: Path
) -> None:
    require("libfaketime")
    other = tmp_path / "Elsewhere" / "habitd"
    (other / "devices").mkdir(parents=True)
    share_habits(other, BASIC + '\n[habits.walk]\nevery = "day"\nat = "18:00"\n')
    daemon = daemons(dict(os.environ), "", "2026-11-27 12:00:00")
    daemon.write_config(shared_settings(shared, "Sam", share_habits(shared, BASIC)))
    daemon.start(env={"HABITD_NOTIFIER": "dbus"}, tick=600)
    try:
        daemon.wait_log("running: 3 habits")
        pid = daemon.proc.pid
        daemon.write_config(daemon.config.read_text().replace(str(shared), str(other)))
        daemon.wait_log("habitd starts again to read the history there", timeout=20)
        daemon.wait_log("running: 4 habits", timeout=10)  # the other folder's habits, in the same process
        assert daemon.proc.pid == pid and daemon.proc.poll() is None
        r = daemon.cli("done", "walk")
        assert r.returncode == 0, r.stderr
        assert list(other.glob("devices/*/2026-11.toml")) and not list(shared.glob("devices/*/*.toml"))
    finally:
        assert daemon.stop() == 0
