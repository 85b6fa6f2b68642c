"""Hybrid logical clock stamps: the ids of events, and the order every device agrees on.

A stamp is (wall-clock milliseconds, counter, device id). A device makes its
next stamp from the wall clock and the greatest stamp it has seen from any
device, so an event always sorts after everything its writer knew of (an undo
after the completion it names), however far the machines' clocks drift; the
device id breaks the last ties, so two devices never make the same stamp.

As text (an event id) a stamp is ``MS-COUNTER-DEVICE``: ``1764270060000-0-3f9a2c1e5b``.

A stamp from elsewhere more than a day ahead of this machine's wall clock (``AHEAD_MS``) is
not followed: one event stamped in the year 9999 by a device with a wrong clock, or on
purpose, must not carry every device's clock with it. Such events still count; only this
device's next stamps do not wait for them. Its own stamps it always follows (after its clock
ran ahead, its events keep their order). Both numbers are read up to 19 digits, and
``tick`` never makes a stamp beyond them, so habitd never writes an id it cannot read back.
"""

from __future__ import annotations

from habitd.records import Record

DEVICE_RULE = "3 to 32 lowercase letters, digits or _, starting with a letter or digit"
_DEVICE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
# an event id, told by plain string checks in parse_id
_ID_PATTERN = r"^(0|[1-9][0-9]{0,18})-(0|[1-9][0-9]{0,18})-([a-z0-9][a-z0-9_]{2,31})$"
DIGITS = 19  # the longest number of an event id: any of them fits in 64 bits
AHEAD_MS = 24 * 3600 * 1000  # how far ahead of the wall clock a stamp from elsewhere is still followed


def is_device_id(text: str) -> bool:
    """Whether ``text`` matches ``^[a-z0-9][a-z0-9_]{2,31}$`` (whose `$` also matches before a final newline)."""
    return _is_device(text.removesuffix("\n"))


def _is_device(text: str) -> bool:
    return 3 <= len(text) <= 32 and text[0] != "_" and _DEVICE_CHARS.issuperset(text)


def _is_number(text: str, longest: int) -> bool:
    """``0|[1-9][0-9]{0,longest-1}``: ASCII digits, no leading zero."""
    return 0 < len(text) <= longest and text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")


class Stamp(Record):
    ms: int  # wall-clock milliseconds since the epoch (UTC), or ahead of it after a faster clock
    counter: int  # orders stamps within one millisecond
    device: str

    def __str__(self) -> str:
        return f"{self.ms}-{self.counter}-{self.device}"


def parse_id(text: str) -> Stamp | None:
    """The stamp of an event id, or None when the text is not one."""
    parts = text.removesuffix("\n").split("-")  # _ID_PATTERN, told without compiling it
    if len(parts) != 3 or not (_is_number(parts[0], DIGITS) and _is_number(parts[1], DIGITS) and _is_device(parts[2])):
        return None
    return Stamp(int(parts[0]), int(parts[1]), parts[2])


def followed(stamp: Stamp | None, now_ms: int) -> bool:
    """Whether the next stamps are to follow ``stamp``: it is not more than a day ahead of now."""
    return stamp is not None and stamp.ms <= now_ms + AHEAD_MS


def tick(seen: Stamp | None, now_ms: int, device: str) -> Stamp:
    """The next stamp of ``device``: after ``seen`` (the greatest stamp followed) and no earlier than now."""
    if seen is None or now_ms > seen.ms:
        return Stamp(now_ms, 0, device)
    if seen.counter + 1 >= 10**DIGITS:  # the next millisecond, never a counter too long to read back
        return Stamp(seen.ms + 1, 0, device)
    return Stamp(seen.ms, seen.counter + 1, device)
