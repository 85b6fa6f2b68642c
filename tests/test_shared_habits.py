"""The shared habit files: foreign input that names nothing of this machine, and conflict copies."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BASIC, Habitd, machine, share_habits, shared_settings
from tests.desktop import Daemon, require

COPY = "thanks.sync-conflict-20261125-101500-ABCDEF7.toml"  # as Syncthing names it


def sharing(habitd: Habitd, tmp_path: Path, shared: Path, who: str = "sam") -> Habitd:
    return machine(tmp_path / who, shared_settings(shared, who.title(), share_habits(shared, BASIC)), habitd.now)


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def test_a_partners_files_cannot_choose_a_path_or_a_setting_of_this_machine(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam = sharing(habitd, tmp_path, shared)
    target = tmp_path / "home" / ".bashrc"
    target.parent.mkdir()
    target.write_text("# mine\n")
    before = tree(target.parent)
    (shared / "settings.toml").write_text(
        f'week_starts = "sun"\nical_path = "{target}"\nshared_dir = "{tmp_path}"\nquiet_hours = "00:00-23:59"\n'
    )
    (shared / "habits" / "walk.toml").write_text(f'every = "day"\nat = "18:00"\nical_path = "{target}"\n')
    (shared / "config.toml").write_text(f'[settings]\nical_path = "{target}"\n')  # a whole config, as before
    r = sam("check")
    assert r.exit_code == 1
    said = " ".join(r.stderr.split())
    for key, where in (("ical_path", "settings.toml"), ("shared_dir", "settings.toml"), ("ical_path", "walk.toml")):
        assert f"{where}: {key}: a setting of each machine, never read from the shared folder" in said
    assert "walk" in r.stdout and "Traceback" not in r.output  # the habit itself is read
    assert sam.json("status")["habits"] and sam("ical").exit_code == 0
    assert sam("done", "walk").exit_code == 0
    assert tree(target.parent) == before and target.read_text() == "# mine\n"
    assert f'shared_dir = "{shared}"' in sam.config.read_text()  # this machine's own config is untouched


def test_a_broken_habit_file_is_left_out_and_never_stops_the_other_habits(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam = sharing(habitd, tmp_path, shared)
    (shared / "habits" / "listen.toml").write_text('every = "fortnightly"\n')
    (shared / "habits" / "deep.toml").write_text("a = " + "[" * 600 + "]" * 600 + "\n")
    (shared / "habits" / "Not An Id.toml").write_text('every = "day"\n')
    r = sam("status")
    assert r.exit_code == 0, r.output
    ids = [h["id"] for h in sam.json("status")["habits"]]
    assert ids == ["date-night", "thanks"]
    r = sam("check")
    assert r.exit_code == 1 and "Traceback" not in r.output
    said = " ".join(r.stderr.split())
    assert "habits/listen.toml: every:" in said and "the habit listen is left out until it is fixed" in said
    assert "habits/deep.toml:" in said and "habits/Not An Id.toml: not a habit's file name" in said


def test_two_edits_at_once_are_reported_and_resolve_keeps_the_one_chosen(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam, alex = sharing(habitd, tmp_path, shared), sharing(habitd, tmp_path, shared, "alex")
    habits = shared / "habits"
    same = habits / "date-night.sync-conflict-20261125-101500-ABCDEF7.toml"
    same.write_text((habits / "date-night.toml").read_text().replace("\n", "\n\n"))  # layout only: merges
    (habits / COPY).write_text('every = "day"\nat = "21:00"\n')  # Alex's edit, kept beside Sam's
    r = sam("check")
    assert r.exit_code == 1
    said = " ".join(r.stderr.split())
    assert f"habits/thanks.toml has a conflict copy, {COPY}, left by two edits at once" in said
    assert "`habitd resolve thanks`" in said and not same.exists()
    devices = alex.json("devices")
    assert devices["conflicts"] == [{"habit": "thanks", "copy": COPY}]
    assert f"conflict: habits/thanks.toml and {COPY}" in alex("devices").stdout
    shown = sam("resolve", "thanks")
    assert shown.exit_code == 0 and '+at = "21:00"' in shown.stdout and f"--keep {COPY}" in shown.stdout
    (habits / "thanks (Alex's conflicted copy 2026-11-25).toml").write_text('every = "fortnightly"\n')
    r = sam("resolve", "thanks", "--keep", "thanks (Alex's conflicted copy 2026-11-25).toml")
    assert r.exit_code == 2 and "cannot be kept as it is" in r.stderr  # an invalid version is never kept
    r = alex("resolve", "thanks", "--keep", COPY)
    assert r.exit_code == 0, r.output
    assert (habits / "thanks.toml").read_text() == 'every = "day"\nat = "21:00"\n'
    assert sorted(os.listdir(habits)) == ["date-night.toml", "listen.toml", "thanks.toml"]
    assert sam("check").exit_code == 0


def test_a_config_with_its_own_habits_moves_them_without_losing_a_different_version(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    (shared / "habits").mkdir()
    (shared / "habits" / "thanks.toml").write_text('every = "day"\nat = "19:00"\n')  # the partner's, moved first
    alex = machine(tmp_path / "alex", shared_settings(shared, "Alex"), habitd.now)  # habits of its own
    before = alex.config.read_text()
    r = alex("status")
    assert r.exit_code == 0, r.output
    assert "The shared thanks.toml says something else than this machine's [habits.thanks]" in r.stderr
    assert (shared / "habits" / "thanks.toml").read_text() == 'every = "day"\nat = "19:00"\n'
    assert 'at = "20:30"' in (shared / "habits" / "thanks.from-alex.toml").read_text()
    assert alex.config.with_name("config.toml.before-sharing").read_text() == before
    assert "[habits" not in alex.config.read_text()
    r = alex("check")
    assert r.exit_code == 1 and "thanks.from-alex.toml" in r.stderr


HOSTILE = '[settings]\nical_path = "{target}"\nname = "Alex"\nquiet_hours = "22:00-07:00"\n'
HOSTILE += '[phone]\nperson = "Sam"\nvdir = "{target}"\n[habits.thanks]\nevery = "day"\nat = "20:30"\n'


def test_joining_a_folder_with_a_whole_config_in_it_takes_no_path_or_person_from_it(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    target = tmp_path / "home" / ".bashrc"
    (shared / "config.toml").write_text(HOSTILE.format(target=target))  # as habitd kept it before, or a partner
    sam = Habitd(tmp_path / "sam" / "config.toml", tmp_path / "sam" / "state", habitd.now)
    r = sam("init", "--join", str(shared), "--name", "Sam")
    assert r.exit_code == 0, r.output
    text = sam.config.read_text()
    assert str(target) not in text and "[phone]" not in text and 'name = "Sam"' in text
    assert (shared / "habits" / "thanks.toml").exists()  # its habits are shared ones: both partners'
    assert sam("status").exit_code == 0 and not target.exists()


def test_a_link_to_a_whole_shared_config_moves_without_its_paths_or_person(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    target = tmp_path / "home" / ".bashrc"
    (shared / "config.toml").write_text(
        f'[settings]\nshared_dir = "{shared}"\n' + HOSTILE.format(target=target).removeprefix("[settings]\n")
    )
    habitd.config.unlink()
    habitd.config.symlink_to(shared / "config.toml")
    r = habitd("status")
    assert r.exit_code == 0, r.output
    said = " ".join(r.stderr.split())
    assert "Not taken from the shared file: ical_path, name, [phone]" in said
    text = habitd.config.read_text()
    assert str(target) not in text and "Alex" not in text and "[phone]" not in text
    assert 'quiet_hours = "22:00-07:00"' in text  # in force before for both: kept, and named to check


def test_a_habits_folder_that_is_a_link_is_neither_read_nor_written_through(
    habitd: Habitd, tmp_path: Path, shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam = sharing(habitd, tmp_path, shared)
    elsewhere = tmp_path / "elsewhere"
    (shared / "habits").rename(elsewhere)
    (shared / "habits").symlink_to(elsewhere)
    r = sam("check")
    assert r.exit_code == 1 and "habits/ is a symbolic link" in r.stderr and "Traceback" not in r.output
    monkeypatch.setenv("VISUAL", "true")
    r = sam("edit", "walk")
    assert r.exit_code == 1 and "symbolic link" in r.stderr and "Traceback" not in r.output
    assert sorted(p.name for p in elsewhere.iterdir()) == ["date-night.toml", "listen.toml", "thanks.toml"]


def test_resolve_shows_a_partners_text_inert_and_repairs_an_unreadable_habit_file(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam = sharing(habitd, tmp_path, shared)
    habits = shared / "habits"
    (habits / COPY).write_text('title = "x"\nevery = "day"\n# \x1b]0;owned\x07\x1b[2J\n')  # not TOML either
    valid = "thanks (Alex's conflicted copy 2026-11-25).toml"
    (habits / valid).write_text('title = "x"\nevery = "day"\n')
    (habits / "thanks.toml").unlink()
    (habits / "thanks.toml").symlink_to("/etc/hostname")
    r = sam("resolve", "thanks")
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\x07" not in r.output and "cannot be read" in r.stdout
    assert sam("resolve", "thanks", "--keep", COPY).exit_code == 2  # never kept as it is
    r = sam("resolve", "thanks", "--keep", valid)
    assert r.exit_code == 0, r.output
    assert not (habits / "thanks.toml").is_symlink() and (habits / "thanks.toml").read_text().startswith('title = "x"')


def test_a_habit_file_larger_than_a_habit_is_left_out(habitd: Habitd, tmp_path: Path, shared: Path) -> None:
    sam = sharing(habitd, tmp_path, shared)
    (shared / "habits" / "big.toml").write_text("prompts = [" + '"x",' * 40000 + "]\n")
    r = sam("check")
    assert r.exit_code == 1 and "habits/big.toml:" in r.stderr and "more than the 65536" in r.stderr
    assert "big" not in [h["id"] for h in sam.json("status")["habits"]]


def test_a_title_that_would_reorder_or_flood_the_screen_is_left_out(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    sam = sharing(habitd, tmp_path, shared)
    (shared / "habits" / "flip.toml").write_text('title = "Thanks \u202eetadpu\u202c"\n')
    (shared / "habits" / "flood.toml").write_text(f'title = "{"x" * 50_000}"\n')
    r = sam("check")
    said = " ".join(r.stderr.split())
    assert r.exit_code == 1 and "habits/flip.toml: title: holds a text-direction control (U+202E)" in said
    assert "habits/flood.toml: title: 50000 characters, more than the 2000 a text may have" in said
    assert len(sam("next").stdout) < 2000


@pytest.mark.e2e
def test_a_running_daemon_touches_no_file_a_partners_files_name(
    daemons: Callable[..., Daemon], tmp_path: Path, shared: Path
) -> None:
    """The attack of before, end to end: a partner's files name this machine's ~/.bashrc as the
    calendar feed (and another shared folder, quiet hours, a phone's folder). The daemon, in a home
    of its own, follows their habits and writes no file outside habitd's own folders."""
    require("libfaketime")
    home = tmp_path / "home"
    bashrc = home / ".bashrc"
    bashrc.parent.mkdir()
    bashrc.write_text("# mine\n")
    daemon = daemons({**os.environ, "HOME": str(home)}, "", "2026-11-27 12:00:00")
    daemon.write_config(shared_settings(shared, "Sam", share_habits(shared, BASIC)))
    outside = tree(tmp_path)
    daemon.start(env={"HABITD_NOTIFIER": "dbus"}, tick=600)  # inotify, not the periodic check
    try:
        daemon.wait_log("running: 3 habits")
        hostile = f'ical_path = "{bashrc}"\nshared_dir = "{home}"\nquiet_hours = "00:00-23:59"\n'
        (shared / "settings.toml").write_text('week_starts = "sun"\n' + hostile + f'[phone]\nvdir = "{home}"\n')
        (shared / "habits" / "walk.toml").write_text(f'every = "day"\nat = "12:30"\n{hostile}')
        (shared / "config.toml").write_text(f"[settings]\n{hostile}")  # a whole config, as before
        daemon.wait_log("config reloaded (4 habits", timeout=20)
        daemon.wait_log("walk.toml: ical_path: a setting of each machine, never read from the shared folder", 20)
        daemon.set_clock("2026-11-27 12:31:00")
        daemon.settled(after="2026-11-27 12:31:00")
    finally:
        assert daemon.stop() == 0
    assert bashrc.read_text() == "# mine\n"
    ours = (*tuple(f"{p}{os.sep}" for p in (shared, daemon.state_dir)), str(daemon.clock_file))
    changed = [p for p, sig in tree(tmp_path).items() if outside.get(p) != sig]
    assert changed and [p for p in changed if not p.startswith(ours)] == []


def test_a_kept_history_with_only_a_newer_versions_keys_costs_no_error() -> None:
    """A partner's newer habitd (or a forged file) may leave a habit's history with keys this one
    keeps as they are but no day: looking for a partner's rename of it must not fail."""
    from habitd.habits.config import parse_config
    from habitd.habits.state import State
    from habitd.history.rename import rename_months

    state = State()
    state.log("gone").extra["from-a-newer-habitd"] = 1
    assert rename_months(parse_config(BASIC, "c.toml"), state) == set()


def test_a_whole_config_in_the_folder_that_is_broken_or_a_link_stops_no_join(
    habitd: Habitd, tmp_path: Path, shared: Path
) -> None:
    for n, make in enumerate(
        (
            lambda p: p.write_text("[settings\nthis is not TOML"),
            lambda p: p.write_text('settings = "not a table"\n[habits.thanks]\nevery = "day"\n'),
            lambda p: p.symlink_to("/etc/hostname"),
        )
    ):
        folder = tmp_path / f"Sync{n}"
        (folder / "devices").mkdir(parents=True)
        make(folder / "config.toml")
        sam = Habitd(tmp_path / f"sam{n}" / "config.toml", tmp_path / f"sam{n}" / "state", habitd.now)
        r = sam("init", "--join", str(folder), "--name", "Sam")
        assert r.exit_code == 0 and "Traceback" not in r.output, r.output
        assert "settings = " not in sam.config.read_text() and 'name = "Sam"' in sam.config.read_text()
    assert "was not read, so its habits are not shared" in r.stdout  # the link: never read through


def test_shell_completion_reads_the_shared_habits_without_writing(tmp_path: Path, shared: Path) -> None:
    from habitd.history import habitfiles

    share_habits(shared, BASIC)
    copy = shared / "habits" / COPY
    copy.write_text((shared / "habits" / "thanks.toml").read_text())  # says the same: merged when read
    read = habitfiles.read_shared(str(shared), merge=False)
    assert read is not None and read.conflicts == () and copy.exists()
    habitfiles.read_shared(str(shared))
    assert not copy.exists()
