"""The export format's vocabulary, shared by writing (document.py) and reading (reader.py).

The format itself is described in document.py's docstring and in docs/data.md.
"""

from __future__ import annotations

from types import MappingProxyType

from habitd.history.events import PRIVATE

FORMAT = "habitd-export"
FORMAT_VERSION = 2  # 2: a CSV text cell that a spreadsheet would run as a formula starts with '
CSV_COLUMNS = ("kind", "habit", "date", "until", "count", "written", "text")  # what every version reads
CSV_BY = "by"  # the column after them: who (added to version 1; older readers ignore it)
CSV_PRIVATE = "private"  # the next one: "private" on a private note's line (added to version 1 too)
PRIVATE_NOTE = MappingProxyType({PRIVATE: True})
MAX_COUNT = 1000


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def guard_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula (or with the quote itself)
    gets a leading ``'``, the usual guard, which reading the file back takes off again."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def unguard_cell(text: str) -> str:
    """A guarded cell's text as it was written (a version 2 file's; version 1 had no guard)."""
    return text[1:] if text.startswith("'") else text
