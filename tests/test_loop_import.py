"""habitd import --from loop: Loop Habit Tracker's SQLite backup becomes habitd history."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from tests.conftest import Habitd

# Loop Habit Tracker's tables as its migrations leave them (Habits as of migration 26,
# Repetitions as of migration 22 plus the notes column added later).
LOOP_SCHEMA = """
create table Habits (
    id integer primary key,
    archived integer,
    color integer,
    description text,
    freq_den integer,
    freq_num integer,
    highlight integer,
    name text,
    position integer,
    reminder_hour integer,
    reminder_min integer,
    reminder_days integer not null default 127,
    type integer not null default 0,
    target_type integer not null default 0,
    target_value real not null default 0,
    unit text not null default "",
    question text,
    uuid text,
    group_uuid text,
    group_id integer
);
create table Repetitions (
    id integer primary key autoincrement,
    habit integer not null references habits(id),
    timestamp integer not null,
    value integer not null,
    notes text
);
create unique index idx_repetitions_habit_timestamp on Repetitions(habit, timestamp);
"""


def _ms(day: str) -> int:
    return int(datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).timestamp() * 1000)


def loop_backup(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(LOOP_SCHEMA)
    habits = [
        (1, 0, "Date night", 1, 7, 0, 0, 0.0, ""),
        (2, 0, "Say thank you", 1, 1, 0, 0, 0.0, ""),
        (3, 0, "Meditate", 1, 1, 0, 0, 0.0, ""),
        (4, 0, "Walk together", 1, 1, 1, 0, 2.0, "km"),
    ]
    db.executemany(
        "insert into Habits (id, archived, name, freq_num, freq_den, type, target_type, target_value, unit,"
        " position, uuid) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'u')",
        habits,
    )
    reps = [
        (1, "2026-11-13", 2),
        (1, "2026-11-20", 2),
        (2, "2026-11-20", 2),
        (2, "2026-11-21", 1),  # filled in by Loop: not a completion
        (2, "2026-11-22", -3),  # skipped
        (2, "2026-11-23", 0),  # not done
        (2, "2026-11-24", 2),
        (3, "2026-11-24", 2),
        (4, "2026-11-23", 2500),  # 2.5 km: done
        (4, "2026-11-24", 1200),  # 1.2 km: short of the target
    ]
    db.executemany(
        "insert into Repetitions (habit, timestamp, value) values (?, ?, ?)", [(h, _ms(d), v) for h, d, v in reps]
    )
    db.execute("update Repetitions set notes = 'the little bakery' where habit = 1 and value = 2 and timestamp = ?",
               (_ms("2026-11-20"),))  # fmt: skip
    db.commit()
    db.close()
    return path


WALK = '\n[habits.walk]\ntitle = "A walk"\nevery = "day"\n'


def test_a_loop_backup_becomes_history_of_the_habits_it_maps(habitd: Habitd, tmp_path: Path) -> None:
    habitd.write_config(habitd.config.read_text().replace("[habits.thanks]", '[habits.thanks]\ntitle = "Say thank you"')
                        + WALK)  # fmt: skip
    db = loop_backup(tmp_path / "Loop Habits Backup 2026-11-25.db")
    before = db.read_bytes()
    result = habitd("import", "--from", "loop", str(db), "--map", "Walk together=walk")
    assert result.exit_code == 0, result.output
    assert "Loop's 'Date night' -> date-night" in result.stdout
    assert "Loop's 'Say thank you' -> thanks" in result.stdout
    assert "Loop's 'Walk together' -> walk" in result.stdout
    assert "Imported 5 completion(s), 1 skip(s), 1 note(s)." in result.stdout
    assert "'Meditate' from the Loop backup was not imported" in result.stderr
    assert '--map "Meditate=HABIT"' in result.stderr
    assert db.read_bytes() == before

    def days(habit: str) -> dict[str, str]:
        periods = habitd.json("history", habit, "--weeks", "3")["periods"]
        return {p["first"]: p["state"] for p in periods}

    thanks = days("thanks")
    assert thanks["2026-11-20"] == "met" and thanks["2026-11-24"] == "met"
    assert thanks["2026-11-21"] == "missed" and thanks["2026-11-23"] == "missed"
    assert thanks["2026-11-22"] == "skipped"
    assert days("date-night")["2026-11-09"] == "met" and days("date-night")["2026-11-16"] == "met"
    walk = days("walk")
    assert walk["2026-11-23"] == "met" and walk["2026-11-24"] == "missed"
    notes = habitd.json("journal")["notes"]
    assert [(n["habit"], n["date"], n["text"]) for n in notes] == [("date-night", "2026-11-20", "the little bakery")]
    again = habitd("import", "--from", "loop", str(db), "--map", "Walk together=walk")
    assert "Nothing new" in again.stdout


def test_a_bad_map_or_a_file_that_is_not_a_loop_backup_writes_nothing(habitd: Habitd, tmp_path: Path) -> None:
    habitd("done", "listen")
    state = habitd.history_files()
    db = loop_backup(tmp_path / "loop.db")
    cases = [
        (["--map", "Jogging=thanks"], "the backup has no habit called 'Jogging'"),
        (["--map", "Meditate=nope"], "no habit 'nope'"),
        (["--map", "Meditate"], 'write it as "Loop name=habit-id"'),
    ]
    for args, message in cases:
        result = habitd("import", "--from", "loop", str(db), *args)
        assert result.exit_code == 2 and message in result.stderr, result.output
        assert "nothing was imported" in result.stderr
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00not sqlite" * 100)
    other = tmp_path / "other.db"
    sqlite3.connect(other).executescript("create table t (x integer);")
    for path, message in ((garbage, "not a Loop Habit Tracker backup"), (other, "it has no Habits table")):
        result = habitd("import", "--from", "loop", str(path))
        assert result.exit_code == 2 and message in result.stderr, result.output
        assert "Traceback" not in result.output
    assert habitd.history_files() == state


def test_no_matching_habit_at_all_is_an_error_that_says_how_to_map(habitd: Habitd, tmp_path: Path) -> None:
    habitd.write_config('[habits.stretch]\nevery = "day"\n')
    db = loop_backup(tmp_path / "loop.db")
    result = habitd("import", "--from", "loop", str(db))
    assert result.exit_code == 2 and "--map" in result.stderr
    assert habitd.history_files() == {}
    result = habitd("import", "--from", "loop", str(db), "--map", "meditate=stretch")
    assert result.exit_code == 0 and "Imported 1 completion(s)." in result.stdout
    assert json.loads(habitd("export").stdout)["habits"]["stretch"]["completions"] == [
        {"date": "2026-11-24", "count": 1}
    ]


# Loop's first database (migration 12 and before, written by ActiveAndroid): the key column is
# spelled `Id`, and repetitions have no value (a row is a day done).
OLD_SCHEMA = """
create table Habits (Id integer primary key autoincrement, archived integer, color integer, description text,
    freq_den integer, freq_num integer, highlight integer, name text, position integer, reminder_hour integer,
    reminder_min integer, reminder_days integer not null default 127);
create table Repetitions (Id integer primary key autoincrement, habit integer references Habits(Id),
    timestamp integer);
"""


def test_an_older_loop_backup_with_its_columns_spelled_otherwise_imports_its_days(
    habitd: Habitd, tmp_path: Path
) -> None:
    titled = habitd.config.read_text().replace("[habits.thanks]", '[habits.thanks]\ntitle = "Say thank you"')
    habitd.write_config(titled)
    db = tmp_path / "old loop.db"
    con = sqlite3.connect(db)
    con.executescript(OLD_SCHEMA)
    con.executemany("insert into Habits (Id, name, archived, position) values (?, ?, 0, 0)",
                    [(1, "Date night"), (2, "Say thank you")])  # fmt: skip
    con.executemany("insert into Repetitions (habit, timestamp) values (?, ?)",
                    [(1, _ms("2026-11-20")), (2, _ms("2026-11-23")), (2, _ms("2026-11-24"))])  # fmt: skip
    con.commit()
    con.close()
    result = habitd("import", "--from", "loop", str(db))
    assert result.exit_code == 0, result.output
    assert "Loop's 'Date night' -> date-night" in result.stdout and "Loop's 'Say thank you' -> thanks" in result.stdout
    assert "Imported 3 completion(s)." in result.stdout


def test_a_backup_that_holds_nothing_of_your_habits_says_so_not_nothing_new(habitd: Habitd, tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    con = sqlite3.connect(db)
    con.executescript(LOOP_SCHEMA)
    con.execute("insert into Habits (id, name, position, uuid) values (1, 'Date night', 0, 'u')")
    con.commit()
    con.close()
    result = habitd("import", "--from", "loop", str(db))
    assert result.exit_code == 0, result.output
    assert f"Nothing to import: {db} holds no completions" in result.stdout and "Nothing new" not in result.stdout


def test_columns_habitd_does_not_read_are_never_computed(habitd: Habitd, tmp_path: Path) -> None:
    """A generated column that would take a gigabyte to compute costs nothing: only the columns read are."""
    db = loop_backup(tmp_path / "loop.db")
    con = sqlite3.connect(db)
    con.execute("alter table Repetitions add column huge text as (printf('%.*c', 1000000000, 'x')) virtual")
    con.close()
    result = habitd("import", "--from", "loop", str(db), "--map", "Meditate=listen")
    assert result.exit_code == 0, result.output
    assert "Imported 3 completion(s), 1 note(s)." in result.stdout


def test_a_backup_that_needs_too_much_memory_is_refused_and_writes_nothing(habitd: Habitd, tmp_path: Path) -> None:
    db = tmp_path / "hostile.db"
    con = sqlite3.connect(db)
    con.executescript(LOOP_SCHEMA.replace("value integer not null,\n    notes text\n", "value integer not null\n"))
    con.execute("insert into Habits (id, name, position, uuid) values (1, 'Date night', 0, 'u')")
    con.execute("insert into Repetitions (habit, timestamp, value) values (1, ?, 2)", (_ms("2026-11-20"),))
    # a column habitd reads, made of 300 MB when it is read
    con.execute("alter table Repetitions add column notes text as (printf('%.*c', 300000000, 'x')) virtual")
    con.commit()
    con.close()
    before = habitd.history_files()
    result = habitd("import", "--from", "loop", str(db))
    assert result.exit_code == 2, result.output
    assert "MiB of memory habitd gives an import" in result.stderr and "nothing was imported" in result.stderr
    assert habitd.history_files() == before
