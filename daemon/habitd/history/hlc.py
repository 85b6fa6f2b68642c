"""Hybrid logical clock stamps: the ids of events, and the order every device agrees on.

A stamp is (wall-clock milliseconds, counter, device id). A device makes its
next stamp from the wall clock and the greatest stamp it has seen from any
device, so an event always sorts after everything its writer knew of (an undo
after the completion it names), however far the machines' clocks drift; the
device id breaks the last ties, so two devices never make the same stamp.

As text (an event id) a stamp is ``MS-COUNTER-DEVICE``: ``1764270060000-0-3f9a2c1e5b``.
"""

from __future__ import annotations

from typing import NamedTuple

DEVICE_RULE = "3 to 32 lowercase letters, digits or _, starting with a letter or digit"
_DEVICE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
# an event id, told by plain string checks in parse_id
_ID_PATTERN = r"^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,9})-([a-z0-9][a-z0-9_]{2,31})$"


def is_device_id(text: str) -> bool:
    """Whether ``text`` matches ``^[a-z0-9][a-z0-9_]{2,31}$`` (whose `$` also matches before a final newline)."""
    return _is_device(text.removesuffix("\n"))


def _is_device(text: str) -> bool:
    return 3 <= len(text) <= 32 and text[0] != "_" and _DEVICE_CHARS.issuperset(text)


def _is_number(text: str, longest: int) -> bool:
    """``0|[1-9][0-9]{0,longest-1}``: ASCII digits, no leading zero."""
    return 0 < len(text) <= longest and text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")


class Stamp(NamedTuple):
    ms: int  # wall-clock milliseconds since the epoch (UTC), or ahead of it after a faster clock
    counter: int  # orders stamps within one millisecond
    device: str

    def __str__(self) -> str:
        return f"{self.ms}-{self.counter}-{self.device}"


def parse_id(text: str) -> Stamp | None:
    """The stamp of an event id, or None when the text is not one."""
    parts = text.removesuffix("\n").split("-")  # _ID_PATTERN, told without compiling it
    if len(parts) != 3 or not (_is_number(parts[0], 16) and _is_number(parts[1], 10) and _is_device(parts[2])):
        return None
    return Stamp(int(parts[0]), int(parts[1]), parts[2])


def tick(seen: Stamp | None, now_ms: int, device: str) -> Stamp:
    """The next stamp of ``device``: after ``seen`` (the greatest stamp known) and no earlier than now."""
    if seen is None or now_ms > seen.ms:
        return Stamp(now_ms, 0, device)
    return Stamp(seen.ms, seen.counter + 1, device)
