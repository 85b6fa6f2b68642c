"""The shared habit files: foreign input that names nothing of this machine, and conflict copies."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import BASIC, Habitd, machine, share_habits, shared_settings

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
