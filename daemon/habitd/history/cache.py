"""The local cache's encoding: the derived history and the parsed events as marshal's types.

Pure: no files here (caches.py reads and writes the cache). The cache can be
deleted at any time; it only spares parsing the event log's TOML again.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as dt_time
from datetime import timezone as dt_timezone
from types import MappingProxyType
from typing import Any

from habitd.errors import StateError
from habitd.habits.state import NO_EXTRA, HabitLog, Note, Pause, PromptDeck, Skip, State
from habitd.history.events import Event
from habitd.history.hlc import Stamp

CACHE_FILE = "cache.bin"  # the derived history, in the state folder (written by ``caches``)
_ZONES: dict[int, tzinfo] = {}  # UTC offsets seen, in seconds: one tzinfo each

def plain(value: Any) -> Any:
    """A TOML value as ints, strings, lists and dicts only (for marshal): dates become tagged tuples."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return ("T", *pack_at(value)) if value.tzinfo else ("N", value.isoformat())
    if isinstance(value, date):
        return ("D", value.toordinal())
    if isinstance(value, dt_time):
        return ("H", value.isoformat())
    return value


def unplain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: unplain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unplain(v) for v in value]
    if isinstance(value, tuple):
        tag = value[0]
        if tag == "T":
            return unpack_at(value[1:])
        if tag == "D":
            return date.fromordinal(value[1])
        if tag == "N":
            return datetime.fromisoformat(value[1])
        return dt_time.fromisoformat(value[1])
    return value


def pack_at(at: datetime) -> tuple[int, ...]:
    offset = at.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    return (at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond, seconds)


def unpack_at(t: tuple[int, ...]) -> datetime:
    zone = _ZONES.get(t[7])
    if zone is None:
        zone = _ZONES[t[7]] = UTC if t[7] == 0 else dt_timezone(timedelta(seconds=t[7]))
    return datetime(t[0], t[1], t[2], t[3], t[4], t[5], t[6], tzinfo=zone)


def pack_event(e: Event) -> tuple[Any, ...]:
    return (
        tuple(e.stamp), e.kind, e.habit, e.day.toordinal(), pack_at(e.at), e.by, e.text,
        tuple(e.of) if e.of else None, tuple(tuple(s) for s in e.undoes),
        e.until.toordinal() if e.until else None, e.order, e.next, [(k, plain(v)) for k, v in e.extra],
        e.after, e.dated, e.moved,
    )  # fmt: skip


def unpack_event(t: tuple[Any, ...], stamp: Callable[[Any], Stamp] = Stamp._make) -> Event:
    return Event(
        stamp(t[0]), t[1], t[2], date.fromordinal(t[3]), unpack_at(t[4]), t[5], t[6],
        stamp(t[7]) if t[7] else None, tuple(map(stamp, t[8])) if t[8] else (),
        date.fromordinal(t[9]) if t[9] else None, t[10], t[11],
        tuple((k, unplain(v)) for k, v in t[12]) if t[12] else (), t[13], t[14], t[15],
    )  # fmt: skip


def pack_notes(notes: list[Note]) -> tuple[bytes, tuple[str, ...]] | list[Any]:
    """A habit's notes as one marshal blob with the names of their writers (decoded only when
    the notes are looked at: reading a cache then costs a copy of the bytes); [] for none."""
    if isinstance(notes, LazyNotes) and notes.unread() is not None:
        return notes.unread() or []
    if not notes:
        return []
    rows = [(n.day.toordinal(), pack_at(n.at), n.text, n.nth, plain(dict(n.extra)), n.by) for n in notes]
    return marshal.dumps(rows), tuple(sorted({n.by for n in notes if n.by}))


def pack_people(log: HabitLog) -> tuple[Any, ...] | None:
    """Who did the habit's completions: each name's day masks, and the days done by several."""
    if not log.people and not log.mixed:
        return None
    people = {name: (p.done, {d.toordinal(): n for d, n in p.counts.items()}) for name, p in log.people.items()}
    return people, {d.toordinal(): names for d, names in log.mixed.items()}


def unpack_people(log: HabitLog, packed: tuple[Any, ...] | None) -> None:
    if packed is None:
        return
    day = date.fromordinal
    people, mixed = packed
    for name, (done, counts) in people.items():
        person = log.people[name] = HabitLog()
        person.done, person.counts = done, {day(d): n for d, n in counts.items()}
    log.mixed = {day(d): names for d, names in mixed.items()}


def pack_history(state: State, packed: dict[str, Any] | None = None, same: Iterable[str] = ()) -> tuple[Any, ...]:
    """The history as marshal's types; the habits in ``same`` are taken from ``packed`` as they are."""
    kept = set(same) & set(packed or {})
    habits = {
        hid: (packed or {})[hid] if hid in kept else (
            log.done, {d.toordinal(): n for d, n in log.counts.items()},
            pack_notes(log.notes),
            [
                (s.day.toordinal(), s.text, pack_at(s.at) if s.at else None, s.after, plain(dict(s.extra)), s.by)
                for s in log.skips
            ],
            plain(log.extra),
            pack_people(log),
        )
        for hid, log in state.habits.items()
    }  # fmt: skip
    pauses = [(p.habit, p.start.toordinal(), p.until.toordinal(), p.by) for p in state.pauses]
    return habits, pauses, {hid: (d.order, d.next) for hid, d in state.prompts.items()}


def mapping(packed: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(unplain(packed)) if packed else NO_EXTRA


def unpack_notes(packed: tuple[bytes, tuple[str, ...]]) -> list[Note]:
    """The notes of a blob ``pack_notes`` made; StateError naming the cache when it is damaged
    (decoded only now, long after the cache was read, the history cannot be derived again here)."""
    day = date.fromordinal
    try:
        rows = marshal.loads(packed[0])
        return [Note(day(d), unpack_at(at), text, nth, mapping(x), by) for d, at, text, nth, x, by in rows]
    except (EOFError, ValueError, TypeError, LookupError, OverflowError) as e:
        raise StateError(
            f"a habit's notes in the history cache ({CACHE_FILE} in the state folder) cannot be read ({e});"
            f" delete {CACHE_FILE}: habitd derives the history again from its log, and nothing is lost"
        ) from None


class LazyNotes(list[Note]):
    """A habit's notes from the cache, decoded the first time they are looked at.

    Most commands never look at notes (``done``, ``status``, the daemon), and a journal
    of years of notes costs more to decode than everything else of the history.
    Unchanged copies share the packed notes, and two such copies are equal unread.
    """

    __slots__ = ("_packed",)

    def __init__(self, packed: tuple[bytes, tuple[str, ...]] | None) -> None:
        super().__init__()
        self._packed = packed

    def _fill(self) -> None:
        if self._packed is not None:
            packed, self._packed = self._packed, None
            list.extend(self, unpack_notes(packed))

    def authors(self) -> set[str]:
        """The names of who wrote these notes (none for a note without one), without decoding them."""
        if self._packed is not None:
            return set(self._packed[1])
        return {n.by for n in list.__iter__(self) if n.by}

    def unread(self) -> tuple[bytes, tuple[str, ...]] | None:
        """The packed notes while none was looked at, else None."""
        return self._packed

    def copy(self) -> list[Note]:
        if self._packed is not None:
            return LazyNotes(self._packed)
        return list(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyNotes) and self._packed is not None and self._packed is other._packed:
            return True
        self._fill()
        if isinstance(other, LazyNotes):
            other._fill()
        return list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __iter__(self) -> Iterator[Note]:
        self._fill()
        return list.__iter__(self)

    def __len__(self) -> int:
        self._fill()
        return list.__len__(self)

    def __bool__(self) -> bool:
        return bool(self._packed) or list.__len__(self) > 0

    def __getitem__(self, i: Any) -> Any:
        self._fill()
        return list.__getitem__(self, i)

    def __setitem__(self, i: Any, v: Any) -> None:
        self._fill()
        list.__setitem__(self, i, v)

    def __delitem__(self, i: Any) -> None:
        self._fill()
        list.__delitem__(self, i)

    def __contains__(self, v: object) -> bool:
        self._fill()
        return list.__contains__(self, v)

    def __reversed__(self) -> Iterator[Note]:
        self._fill()
        return list.__reversed__(self)

    def __repr__(self) -> str:
        self._fill()
        return list.__repr__(self)

    def __add__(self, other: Any) -> Any:
        self._fill()
        return list(self) + list(other)

    def __iadd__(self, other: Any) -> Any:
        self._fill()
        return list.__iadd__(self, other)

    def append(self, v: Note) -> None:
        self._fill()
        list.append(self, v)

    def extend(self, vs: Iterable[Note]) -> None:
        self._fill()
        list.extend(self, vs)

    def insert(self, i: Any, v: Note) -> None:
        self._fill()
        list.insert(self, i, v)

    def pop(self, i: Any = -1) -> Note:
        self._fill()
        return list.pop(self, i)

    def remove(self, v: Note) -> None:
        self._fill()
        list.remove(self, v)

    def index(self, v: Note, *args: Any) -> int:
        self._fill()
        return list.index(self, v, *args)

    def count(self, v: Note) -> int:
        self._fill()
        return list.count(self, v)

    def sort(self, *args: Any, **kwargs: Any) -> None:
        self._fill()
        list.sort(self, *args, **kwargs)

    def reverse(self) -> None:
        self._fill()
        list.reverse(self)

    def clear(self) -> None:
        self._packed = None
        list.clear(self)


def unpack_history(packed: tuple[Any, ...]) -> State:
    habits, pauses, prompts = packed
    state = State()
    day = date.fromordinal
    for hid, (done, counts, notes, skips, extra, people) in habits.items():
        log = state.log(hid)
        log.done = done
        log.counts = {day(d): n for d, n in counts.items()}
        log.notes = LazyNotes(notes) if notes else []
        log.skips = [
            Skip(day(d), text, unpack_at(at) if at else None, after, mapping(x), by)
            for d, text, at, after, x, by in skips
        ]
        log.extra = unplain(extra)
        unpack_people(log, people)
    state.pauses = [Pause(h, day(a), day(b), by) for h, a, b, by in pauses]
    state.prompts = {hid: PromptDeck(order, n) for hid, (order, n) in prompts.items()}
    return state
