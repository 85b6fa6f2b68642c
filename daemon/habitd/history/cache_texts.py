"""The log files a process read last, kept as text, so that a file that only grew is parsed from where it ended.

A device only ever appends ``[[event]]`` tables to its month file (``logformat.with_events``),
and parsing TOML costs about 1 ms per kilobyte here: a partner's month file of a busy month
is tens of kilobytes, the events a write appends a few hundred bytes. ``Texts.parse`` parses
only the appended part, with the file's header before it, when the new text is the old one
with ``[[event]]`` tables after it and nothing else; anything else (an edit, a table of
another name, an event that does not read) is parsed whole, as it always was. Pure: the
caller reads the files (through ``files.py``).
"""

from __future__ import annotations

import os

from habitd.history.eventlog import Parsed
from habitd.history.events import Event
from habitd.history.files import Signature
from habitd.history.logformat import parse_log

KEEP = 8  # files kept: the months being written now, by each device
EVENT = "[[event]]"


class _Text:
    __slots__ = ("head", "parsed", "text")

    def __init__(self, text: str, head: str | None, parsed: Parsed) -> None:
        self.text = text
        self.head = head  # what comes before its first event, None when its tables are not only events
        self.parsed = parsed


def _head(text: str) -> str | None:
    """The text before the first ``[[event]]`` line when every table header in ``text`` is one;
    else None (such a file is always parsed whole)."""
    head: str | None = None
    at = 0
    for line in text.splitlines(keepends=True):
        bare = line.strip()
        if bare.startswith("["):
            if bare != EVENT:
                return None
            if head is None:
                head = text[:at]
        at += len(line)
    return text if head is None else head


def _tail(old: str, new: str) -> str | None:
    """What ``new`` adds after ``old`` when it is only ``[[event]]`` tables appended on lines of their
    own (as ``with_events`` writes them); None otherwise."""
    kept = old.rstrip("\n")
    if not new.startswith(kept) or len(new) <= len(kept) or new[len(kept)] != "\n":
        return None
    tail = new[len(kept) :]
    head = _head(tail)
    if head is None or head.strip():
        return None  # a table that is not an event, or text before the first appended event
    return tail


class Texts:
    """The last ``KEEP`` log files parsed, by path: their text, header and events."""

    def __init__(self) -> None:
        self._held: dict[str, _Text] = {}

    def parse(self, path: str, signature: Signature, text: str) -> tuple[list[Event], list[str]]:
        """The events and problems of the log file at ``path`` now that its text is ``text``
        (as ``logformat.parse_log``); ValueError when it cannot be used at all."""
        device = os.path.basename(os.path.dirname(path))
        held = self._held.pop(path, None)
        parsed: Parsed | None = None
        if held is not None and held.head is not None:
            parsed = self._appended(held, text, path, device, signature)
        if parsed is None:
            events, problems = parse_log(text, path, device)
            parsed = Parsed(signature, events, problems)
            self._held[path] = _Text(text, _head(text), parsed)
        else:
            assert held is not None
            self._held[path] = _Text(text, held.head, parsed)
        while len(self._held) > KEEP:
            del self._held[next(iter(self._held))]
        return parsed.events, parsed.problems

    @staticmethod
    def _appended(held: _Text, text: str, path: str, device: str, signature: Signature) -> Parsed | None:
        """The file parsed from its old events and its appended text only; None when that will not do."""
        assert held.head is not None
        tail = _tail(held.text, text)
        if tail is None:
            return None
        tables = sum(1 for line in tail.splitlines() if line.strip() == EVENT)
        try:
            events, problems = parse_log(held.head + tail, path, device)
        except ValueError:
            return None  # parsed whole, it says why
        if problems or len(events) != tables:
            return None  # an event that does not read: parsed whole, its number is the file's
        return Parsed(signature, [*held.parsed.events, *events], held.parsed.problems)

    def keep(self, read: dict[str, Parsed]) -> None:
        """Hold what was parsed of other files (their text not kept: parsed whole if they change)."""
        for path, parsed in read.items():
            held = self._held.get(path)
            if held is None or held.parsed.signature != parsed.signature:
                self._held.pop(path, None)
                self._held[path] = _Text("", None, parsed)
        while len(self._held) > KEEP:
            del self._held[next(iter(self._held))]

    def parsed(self) -> dict[str, Parsed]:
        """What was parsed of the files held, by path (for ``EventLog.read``'s ``known``)."""
        return {path: held.parsed for path, held in self._held.items()}
