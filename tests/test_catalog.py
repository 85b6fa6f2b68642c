"""The habit catalog in config.example.toml: complete, warm, and in our own words."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

from habitd.habits.config import parse_config
from tests.conftest import ROOT
from tests.overlap import article_hashes, digest, grams
from tests.test_docs import markdown_files

EXAMPLE = ROOT / "config.example.toml"
# The article is not shipped (it is not ours to copy); these two checks run when
# HABITD_ARTICLE names a copy of it, and say so when they skip.
ARTICLE = Path(os.environ.get("HABITD_ARTICLE", "")) if os.environ.get("HABITD_ARTICLE") else None
NO_ARTICLE = "set HABITD_ARTICLE to the source article's path to run this check (the article is not shipped)"

THEMES = {
    "open communication": "open communication",
    "trust": "trust and keeping promises",
    "empathy": "empathy",
    "appreciation": "appreciation",
    "gratitude": "gratitude",
    "quality time": "quality time",
    "shared activities": "shared activities",
    "the past": "working through the past",
    "active listening": "communication barriers and active listening",
    "vulnerability": "vulnerability",
    "independence": "independence and togetherness",
    "conflict": "managing conflict constructively",
}


def habit_blocks() -> dict[str, str]:
    """Each habit's table with the comment block just above it."""
    out: dict[str, list[str]] = {}
    comments: list[str] = []
    current: list[str] | None = None
    for line in EXAMPLE.read_text().splitlines():
        m = re.match(r"^\[habits\.([a-z0-9-]+)\]", line)
        if m:
            current = out.setdefault(m.group(1), [*comments])
            comments = []
        elif line.startswith("#"):
            comments.append(line)
            continue
        elif not line.strip():
            continue
        if current is not None:
            current.append(line)
    return {hid: "\n".join(lines) for hid, lines in out.items()}


def test_catalog_size_and_the_three_the_design_names() -> None:
    config = parse_config(EXAMPLE.read_text(), str(EXAMPLE))
    ids = {h.id for h in config.habits}
    assert 10 <= len(ids) <= 14
    assert {"date-night", "checkin"} <= ids
    assert ids & {"thanks", "gratitude-list"}


def test_every_theme_of_the_article_has_a_habit() -> None:
    comments = " ".join(
        line for block in habit_blocks().values() for line in block.splitlines() if line.startswith("# Theme:")
    ).lower()
    for needle, theme in THEMES.items():
        assert needle in comments, f"no habit for the theme {theme!r}"


def test_every_habit_names_its_theme_and_has_a_cadence_and_a_warm_message() -> None:
    config = parse_config(EXAMPLE.read_text(), str(EXAMPLE))
    blocks = habit_blocks()
    for h in config.habits:
        assert "# Theme:" in blocks[h.id], h.id
        assert h.reminds, f"{h.id} has no reminder time"
        assert len(h.message) > 30, h.id
        # Never guilt: no failure words, no "don't forget", no shouting.
        assert not re.search(r"\b(fail\w*|miss\w*|streak|forgot|forget|should|must|again!)\b", h.message, re.I), h.id
        assert "!!" not in h.message and not h.message.isupper()
        for at in h.at:
            assert 7 <= at.hour <= 22, f"{h.id} reminds at {at} (couples have day jobs and sleep)"


def test_conversation_habits_carry_enough_fresh_prompts() -> None:
    habits = tomllib.loads(EXAMPLE.read_text())["habits"]
    assert len(habits["checkin"]["prompts"]) >= 12
    assert len(habits["date-night"]["prompts"]) >= 12
    for hid in ("daily-talk", "listen-first", "our-stories", "soft-spot", "conflict-review"):
        assert len(habits[hid].get("prompts", [])) >= 3, hid
    every = [p for h in habits.values() for p in h.get("prompts", [])]
    assert len(every) == len(set(every)), "a prompt is repeated"


def test_no_run_of_8_words_is_shared_with_the_article() -> None:
    hashes = article_hashes()
    assert len(hashes) > 500
    for path in (EXAMPLE, *markdown_files()):
        shared = [g for g in grams(path.read_text()) if digest(g) in hashes]
        assert shared == [], f"{path.name} repeats the article: {shared}"


def test_the_overlap_check_would_catch_a_copied_sentence() -> None:
    if ARTICLE is None:
        pytest.skip(NO_ARTICLE)
    sentence = next(line for line in ARTICLE.read_text().splitlines() if len(line.split()) > 20)
    assert any(digest(g) in article_hashes() for g in grams(sentence))


def test_the_hash_list_is_current_with_the_article() -> None:
    if ARTICLE is None:
        pytest.skip(NO_ARTICLE)
    assert article_hashes() == {digest(g) for g in grams(ARTICLE.read_text())}


def test_the_shipped_example_is_the_one_in_the_package(tmp_path: Path) -> None:
    from habitd.history.files import example_config

    assert example_config() == EXAMPLE.read_text()
