"""How often and on which days: a habit's period (``Every``) and the days its ``on`` names (``DaySet``).

Here too are the words the config names them with (``"2 weeks"``,
``"1st sat"``), told apart without compiling a pattern for plain ASCII.
"""

from __future__ import annotations

import re
from datetime import date

from habitd.habits.clock import month_days
from habitd.records import Record

# Patterns are compiled on first use (re keeps them), not at import; the common cases are
# told by plain string checks that give the same answers.
_EVERY_PATTERN = r"^(?:(\d+)\s+)?(day|week|month)s?$"
_NTH_PATTERN = r"^(1st|2nd|3rd|4th|5th|last)\s+([a-z]{3,9})$"  # a weekday, short or full


# The nth weekday of a month "on" names: its number (-1: the last one).
NTH = {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "last": -1}


class Every(Record):
    """A habit's period: ``n`` days, weeks or months."""

    unit: str  # "day" | "week" | "month"
    n: int = 1

    def __str__(self) -> str:
        return self.unit if self.n == 1 else f"{self.n} {self.unit}s"

    def this(self, current: bool = True) -> str:
        """A period in words: ``today``, ``this week``, ``these 4 months`` (``that day``... when past)."""
        if self.n == 1:
            if self.unit == "day":
                return "today" if current else "that day"
            return f"{'this' if current else 'that'} {self.unit}"
        return f"{'these' if current else 'those'} {self}"


class DaySet(Record):
    """The days named by ``on``: weekdays, nth weekdays of a month, month days."""

    weekdays: frozenset[int] = frozenset()  # 0 = Monday
    nth: frozenset[tuple[int, int]] = frozenset()  # (1..5 or -1, weekday)
    month_days: frozenset[int] = frozenset()  # 1..31; 31 means the last day in shorter months

    def matches(self, day: date) -> bool:
        if day.weekday() in self.weekdays:
            return True
        last = month_days(day.year, day.month)
        if day.day in self.month_days or (day.day == last and any(d > last for d in self.month_days)):
            return True
        for n, wd in self.nth:
            if day.weekday() != wd:
                continue
            if n == -1 and day.day + 7 > last:
                return True
            if n > 0 and (day.day - 1) // 7 + 1 == n:
                return True
        return False


# The longest period of each unit: about ten years, so every date computed stays in range.
EVERY_MAX = {"day": 3660, "week": 520, "month": 120}


_PLAIN_UNITS = {f"{unit}{s}": unit for unit in EVERY_MAX for s in ("", "s")}  # "week", "weeks": n = 1


def period_words(word: str) -> tuple[str | None, str] | None:
    """The two groups of _EVERY_PATTERN (the count or None, the unit), or None: told without
    compiling it for ASCII ("week", "2 weeks")."""
    if word.isascii() and word == word.strip():  # (as `word` always is: the pattern's `^`, `$` need no care)
        words = word.split()
        if 1 <= len(words) <= 2 and words[-1] in _PLAIN_UNITS and (len(words) == 1 or words[0].isdigit()):
            return (words[0] if len(words) == 2 else None), _PLAIN_UNITS[words[-1]]
        return None
    m = re.match(_EVERY_PATTERN, word)
    return (m.group(1), m.group(2)) if m else None


def nth_words(word: str) -> tuple[str, str] | None:
    """The two groups of _NTH_PATTERN ("1st", "sat"), or None: told without compiling it for ASCII."""
    if word.isascii() and word == word.strip():  # (as `word` always is: the pattern's `^`, `$` need no care)
        parts = word.split()
        day = parts[1] if len(parts) == 2 else ""
        ok = len(parts) == 2 and parts[0] in NTH and 3 <= len(day) <= 9 and day.isalpha() and day.islower()
        return (parts[0], parts[1]) if ok else None
    m = re.match(_NTH_PATTERN, word)
    return (m.group(1), m.group(2)) if m else None
