"""The plain string checks that stand in for regular expressions give the patterns' answers."""

from __future__ import annotations

import re
from datetime import time

from hypothesis import given
from hypothesis import strategies as st

from daemon.clock import parse_hhmm
from daemon.config import is_id
from daemon.hlc import is_device_id
from daemon.render import inert
from daemon.store import is_month_file

# Text near what each check looks for: digits of several scripts, the separators, a final newline.
near = st.text(st.sampled_from("0123456789١٢٣०९:-_.atomlz \n\t\x1b\u202aA"), max_size=16)
examples = ["07:45", "7:05", "24:00", "23:59\n", "2026-11.toml", "०९१२-११.toml\n", "2026-1a.toml"]
texts = st.one_of(near, st.text(max_size=16), st.sampled_from(examples))


def _hhmm_by_pattern(text: str) -> time | None:
    m = re.match(r"^([01]?\d|2[0-3]):([0-5]\d)$", text)
    return time(int(m.group(1)), int(m.group(2))) if m else None


@given(texts)
def test_parse_hhmm_is_its_pattern(text: str) -> None:
    assert parse_hhmm(text) == _hhmm_by_pattern(text)


@given(texts)
def test_ids_are_their_patterns(text: str) -> None:
    assert is_id(text) == bool(re.match(r"^[a-z0-9][a-z0-9-]*$", text))
    assert is_device_id(text) == bool(re.match(r"^[a-z0-9][a-z0-9_]{2,31}$", text))


@given(st.one_of(texts, st.builds(lambda a, b, c: f"{a}-{b}.toml{c}", near, near, st.sampled_from(["", "\n"]))))
def test_month_files_are_their_pattern(name: str) -> None:
    assert is_month_file(name) == bool(re.match(r"^(\d{4})-(\d{2})\.toml$", name))


@given(texts)
def test_inert_printable_text_is_kept(text: str) -> None:
    by_pattern = re.sub("[\x00-\x08\x0a-\x1f\x7f-\x9f]", lambda m: "", text)
    assert (inert(text) == text) == (by_pattern == text)
