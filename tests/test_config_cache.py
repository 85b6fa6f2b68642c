"""The parsed documents of the config and the state file are kept in the state folder, and never
stand in for another text or another file's."""

from __future__ import annotations

import marshal
import os
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from conftest import BASIC, BOOKKEEPING, Habitd

from habitd.history.configfile import CONFIG_CACHE, _parsed, load_config
from habitd.history.statefile import STATE_CACHE, STATE_FILE, StateFile

DATED = """
[settings]
timezone = "Europe/Berlin"

[habits.walk]
title = "Walk"
every = "day"
at = "19:00"
start = 2026-01-05

[dates]
moment = 2026-03-01T08:30:00+05:30
utc = 2026-03-01T08:30:00Z
floating = 2026-03-01T08:30:00.250
clock = 07:15:00
list = [2026-01-01, 2026-02-01]
nested = [{ on = 2026-04-01 }]
"""


def test_a_cached_document_equals_the_text_parsed_dates_and_times_too(tmp_path: Path) -> None:
    parsed = tomllib.loads(DATED)
    first = _parsed(DATED, str(tmp_path))
    assert (tmp_path / CONFIG_CACHE).exists()
    again = _parsed(DATED, str(tmp_path))
    assert first == again == parsed
    assert again is not None and again["dates"]["moment"].utcoffset() == timedelta(hours=5, minutes=30)
    assert again["dates"]["utc"].tzinfo == UTC and again["dates"]["floating"].tzinfo is None
    assert again["dates"]["clock"] == time(7, 15) and again["dates"]["nested"][0]["on"] == date(2026, 4, 1)
    assert isinstance(again["dates"]["moment"], datetime) and type(again["habits"]["walk"]["start"]) is date


def test_the_document_is_taken_from_the_cache_only_for_the_same_text(tmp_path: Path) -> None:
    _parsed(BASIC, str(tmp_path))
    cache = tmp_path / CONFIG_CACHE
    of, text, doc = marshal.loads(cache.read_bytes())
    doc["settings"]["marker"] = "from the cache"
    cache.write_bytes(marshal.dumps((of, text, doc)))
    assert _parsed(BASIC, str(tmp_path))["settings"]["marker"] == "from the cache"  # type: ignore[index]
    changed = BASIC.replace('at = "19:00"', 'at = "20:00"')
    assert len(changed) == len(BASIC)
    assert _parsed(changed, str(tmp_path)) == tomllib.loads(changed)


def test_an_unreadable_cache_is_parsed_again_and_replaced(tmp_path: Path) -> None:
    cache = tmp_path / CONFIG_CACHE
    whole = marshal.dumps(("habitd config 2", "", {}))
    for junk in [b"", b"garbage", whole[: len(whole) // 2], marshal.dumps(42), marshal.dumps((1, 2, 3, 4))]:
        cache.write_bytes(junk)
        assert _parsed(DATED, str(tmp_path)) == tomllib.loads(DATED)
        assert cache.read_bytes() != junk


def test_a_config_edited_in_place_within_the_same_instant_is_read_anew(habitd: Habitd) -> None:
    habitd.state_dir.mkdir()
    assert habitd("status").exit_code == 0
    assert (habitd.state_dir / CONFIG_CACHE).exists()
    stat = habitd.config.stat()
    habitd.write_config(BASIC.replace("[habits.thanks]", "[habits.thakns]"))  # same size, same file
    os.utime(habitd.config, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time
    listed = habitd("status").stdout
    assert "thakns" in listed and "thanks" not in listed


def test_no_state_folder_is_made_to_keep_the_cache_and_shell_completion_writes_none(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(BASIC)
    load_config(str(config), str(tmp_path / "none-yet"), "UTC")
    assert not (tmp_path / "none-yet").exists()
    state = tmp_path / "state"
    state.mkdir()
    load_config(str(config), str(state), "UTC", move=False)
    assert list(state.iterdir()) == []
    load_config(str(config), str(state), "UTC")
    assert [p.name for p in state.iterdir()] == [CONFIG_CACHE]


def _planted(tmp_path: Path, text: str, doc: object) -> None:
    """A config.bin that says it holds the document of ``text``, with ``doc`` in it."""
    of = marshal.loads((tmp_path / CONFIG_CACHE).read_bytes())[0]
    (tmp_path / CONFIG_CACHE).write_bytes(marshal.dumps((of, text, doc)))


def test_a_cached_document_tomllib_would_not_make_or_the_limits_refuse_is_parsed_again(tmp_path: Path) -> None:
    parsed = _parsed(BASIC, str(tmp_path))
    deep: dict[str, object] = {}
    for _ in range(100):
        deep = {"t": deep}
    for doc in [
        {"settings": {"timezone": "UTC"}, "habits": {1: {"at": "09:00"}}},  # a key that is not text
        {"habits": {"walk": {"title": "\ud800"}}},  # a lone surrogate
        {"habits": {"walk": {"times": 10**30}}},  # an integer past the limit
        {"habits": {"walk": {"start": None}}},  # not a TOML value
        {"habits": {"walk": {"every": ("day",)}}},  # a date's tag that is none
        {"habits": {"walk": {"start": ("D", "someday")}}},  # a date that is not one
        {"habits": {"walk": {"start": ("D",)}}},
        deep,
    ]:
        _planted(tmp_path, BASIC, doc)
        assert _parsed(BASIC, str(tmp_path)) == parsed == tomllib.loads(BASIC)


def test_a_document_too_large_to_read_back_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from habitd.history import parsed

    monkeypatch.setattr(parsed, "KEPT_MAX", len(BASIC))  # the kept text alone is as long
    assert _parsed(BASIC, str(tmp_path)) == tomllib.loads(BASIC)
    assert not (tmp_path / CONFIG_CACHE).exists()


def test_the_state_files_document_is_kept_and_a_changed_state_file_is_read_anew(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text(BOOKKEEPING)
    tmp_path.chmod(0o700)
    (tmp_path / STATE_FILE).chmod(0o600)
    assert StateFile(tmp_path).read().sent_count == 2
    kind, text, doc = marshal.loads((tmp_path / STATE_CACHE).read_bytes())
    assert text == BOOKKEEPING and doc["sent"]["count"] == 2
    doc["sent"]["count"] = 7  # what is kept is what is read, while the text is the same
    (tmp_path / STATE_CACHE).write_bytes(marshal.dumps((kind, text, doc)))
    assert StateFile(tmp_path).read().sent_count == 7
    (tmp_path / STATE_FILE).write_text(BOOKKEEPING.replace("count = 2", "count = 3"))
    assert StateFile(tmp_path).read().sent_count == 3


def test_one_files_kept_document_never_stands_in_for_anothers(tmp_path: Path) -> None:
    """A config.bin copied over state.bin holds the right text but the wrong kind: it is not taken."""
    (tmp_path / STATE_FILE).write_text(BOOKKEEPING)
    tmp_path.chmod(0o700)
    (tmp_path / STATE_FILE).chmod(0o600)
    _parsed(BOOKKEEPING, str(tmp_path))  # the same text kept as a config
    config_kind, _text, doc = marshal.loads((tmp_path / CONFIG_CACHE).read_bytes())
    doc["sent"]["count"] = 7
    (tmp_path / STATE_CACHE).write_bytes(marshal.dumps((config_kind, BOOKKEEPING, doc)))
    assert StateFile(tmp_path).read().sent_count == 2
