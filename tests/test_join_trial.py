"""The second user trial of sharing: two machines (two state folders) on one shared folder.

Each test stands for what a person did, through the command line, with real files, as a sync
engine would leave them once it has copied the files across.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Habitd
from tests.test_devices import device, grep, settings


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "Sync" / "habitd"
    (folder / "devices").mkdir(parents=True)
    return folder


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
    laptop.write_config(settings(shared, "Alex"))
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
