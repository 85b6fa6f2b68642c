"""The plain string checks that stand in for regular expressions give the patterns' answers."""

from __future__ import annotations

import re
from datetime import time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from habitd.habits.clock import parse_hhmm
from habitd.habits.config import is_id
from habitd.history.hlc import is_device_id
from habitd.history.logformat import is_month_file
from habitd.views.render import inert

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


durations = st.one_of(
    st.text(st.sampled_from("0123456789 dhmin\t\n١"), max_size=12),
    st.sampled_from(["90m", "2h", "1h30m", "1d", " 1 d 2 h 3 min ", "5mi", "1h 1d", "0m", "m", "12", ""]),
)


@given(durations)
def test_duration_parts_are_its_pattern(text: str) -> None:
    from habitd.habits.clock import _DURATION_PATTERN, parse_duration

    m = re.fullmatch(_DURATION_PATTERN, text)
    by_pattern = None
    if m and any(m.groups()):
        d, h, mins = (int(g) if g else 0 for g in m.groups())
        by_pattern = timedelta(days=d, hours=h, minutes=mins) or None
    assert parse_duration(text) == by_pattern


event_ids = st.one_of(
    st.text(st.sampled_from("0123456789-abc_z\n١"), max_size=24),
    st.sampled_from(["1764270060000-0-3f9a2c1e5b", "0-0-abc", "01-0-abc", "1-00-abc", "1-0-abc\n", "1-0-abc\n\n"]),
)


@given(event_ids)
def test_event_ids_are_their_pattern(text: str) -> None:
    from habitd.history.hlc import _ID_PATTERN, Stamp, parse_id

    m = re.match(_ID_PATTERN, text)
    assert parse_id(text) == (Stamp(int(m.group(1)), int(m.group(2)), m.group(3)) if m else None)


periods = st.one_of(
    st.text(st.sampled_from("0123456789 dayweekmonths\t\n١"), max_size=14),
    st.sampled_from(["day", "Weeks", " 2 weeks ", "0 days", "02 months", "2weeks", "3 4 days", "१ day"]),
)


@given(periods)
def test_periods_are_their_pattern(text: str) -> None:
    from habitd.habits.recurrence import _EVERY_PATTERN, EVERY_MAX, Every
    from habitd.habits.schema import _every

    m = re.match(_EVERY_PATTERN, text.strip().lower())
    ok = m and (m.group(1) is None or 1 <= int(m.group(1)) <= EVERY_MAX[m.group(2)])
    assert _every(text, "every", []) == (Every(m.group(2), int(m.group(1) or 1)) if m and ok else None)


nth_words = st.one_of(
    st.text(st.sampled_from("1st2nd3rd4th5thlast sat fri\t\nXÿ"), max_size=12),
    st.sampled_from(["1st sat", "last  fri", "2nd\tmon", "3rd Sat", "4th sa", "5th satu", "last\nsun\n", "1st s1t"]),
    st.sampled_from([" 1st sat", "1st sat\n\n", "1st sat\n"]),
)


@given(nth_words)
def test_nth_words_are_their_pattern(word: str) -> None:
    from habitd.habits.recurrence import _NTH_PATTERN, nth_words

    m = re.match(_NTH_PATTERN, word)
    assert nth_words(word) == ((m.group(1), m.group(2)) if m else None)
