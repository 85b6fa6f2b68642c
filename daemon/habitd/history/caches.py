"""The two local caches of the history, in the state folder; both can be deleted at any time.

``cache.bin`` holds the derived history (the day masks of the state file, in marshal's
binary form, see ``cache.py``) and what it was derived from: each log file's signature,
how many of its events it holds and the last one's stamp. When a log file changed, the
events appended to it since (a partner's, mostly) are added to the cached history; only
when that cannot be told is the whole log derived again. ``events.bin`` holds every log
file's parsed events, so deriving again parses only the files that changed.

A long-lived process (the daemon) keeps what it derived in memory, with the log files'
signatures it was derived from: asked again for the same files, it decodes nothing; asked
after a partner's write, it adds what was appended to the decoded history it holds. It
also keeps the text of the few log files it read last, so that a file that only grew
since is parsed from where it ended (see ``cache_texts.py``).
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from habitd.errors import HabitdError
from habitd.habits.state import PromptDeck, State
from habitd.history import files
from habitd.history.cache import CACHE_FILE, LazyNotes, pack_event, pack_history, unpack_event, unpack_history
from habitd.history.cache_texts import Texts
from habitd.history.eventlog import LogRead, Parsed, Written
from habitd.history.events import Event, merge
from habitd.history.files import STATE_MAX_BYTES, Signature
from habitd.history.hlc import Stamp
from habitd.history.logformat import is_conflict_copy
from habitd.records import Record

if TYPE_CHECKING:
    from habitd.history.derive import Ids

EVENTS_CACHE_FILE = "events.bin"  # every log file's events, to rebuild without parsing what did not change
CACHE_VERSION = 6  # 3: who did what (people, mixed days, the names of notes and skips); 4: file signatures;
# 5: event ids read up to 19 digits (a file parsed before may hold events left out then); 6: a habit's
# notes as one blob, decoded when they are looked at

# reads the log (and this machine's private notes): the files known already, only some months
ReadLog = Callable[[dict[str, Parsed] | None, set[str] | None], LogRead]


class CachedFile(Record):
    """What the cached history was made of one log file."""

    signature: Signature
    events: int | None  # how many of its events the history holds (its first ones); None: not read
    last: Stamp | None  # the last of them

    def dump(self) -> tuple[Any, ...]:
        return tuple(self.signature), self.events, tuple(self.last) if self.last else None

    @classmethod
    def load(cls, value: Any) -> CachedFile:
        signature, events, last = value
        return cls(Signature(*signature), events, Stamp(*last) if last else None)


def _read_whole(signature: Signature, events: list[Event]) -> CachedFile:
    return CachedFile(signature, len(events), events[-1].stamp if events else None)


def copy_of(state: State) -> State:
    """A copy of a derived history that can be changed without touching it (bookkeeping aside)."""
    out = State()
    out.habits = {hid: log.copy() for hid, log in state.habits.items()}
    out.pauses = list(state.pauses)
    out.prompts = {hid: PromptDeck(list(d.order), d.next) for hid, d in state.prompts.items()}
    return out


class Derived:
    """The history as last derived in this process, and the log files' signatures it is of."""

    __slots__ = ("seen", "signatures", "state")

    def __init__(self, signatures: dict[str, Signature], state: State, seen: Stamp | None) -> None:
        self.signatures = signatures
        self.state = state  # never handed out: callers get copies
        self.seen = seen


class Caches:
    """``cache.bin`` and ``events.bin`` in ``local_dir``, of the log in ``root``, read with ``read``;
    ``personal``: the personal habits' ids, which the derivation needs (a cache of others is stale)."""

    def __init__(self, local_dir: str, root: str, read: ReadLog, personal: frozenset[str] = frozenset()) -> None:
        self.path = os.path.join(local_dir, CACHE_FILE)
        self.events_path = os.path.join(local_dir, EVENTS_CACHE_FILE)
        self.root = root
        self.set_personal(personal)
        self._read = read
        self.problems: list[str] = []  # files of the log not read (or events in them), as of the latest read
        self.files: dict[str, CachedFile] = {}  # what the history cache was made of
        self._packed: dict[str, Any] | None = None  # its habits as loaded, to write back those unchanged
        self._derived: Derived | None = None  # what this process derived last, kept decoded
        self.held_back = False  # a long-lived process: what it catches up with is written back by ``flush``
        self._unsaved: set[str] | None = None  # the habits caught up with since the cache was written
        self.texts = Texts()  # the log files read last, to parse only what was appended to them

    def set_personal(self, personal: frozenset[str]) -> None:
        if personal != getattr(self, "personal", personal):
            self._derived = None  # derived with the other rule: the history held in memory is stale too
        self.personal = personal
        self._of: Any = (self.root, *sorted(personal)) if personal else self.root  # what a cache must be of

    def _load(self, path: str) -> Any:
        try:
            data = files.read_bytes(path, STATE_MAX_BYTES * 4, follow_symlink=False)
            value = marshal.loads(data) if data else None
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if not isinstance(value, tuple) or len(value) < 3 or value[:2] != (CACHE_VERSION, self._of):
            return None
        return value[2:]

    def _dump(self, path: str, *value: Any) -> None:
        with contextlib.suppress(HabitdError):  # a cache that could not be written is rebuilt next time
            files.atomic_write(path, marshal.dumps((CACHE_VERSION, self._of, *value)), durable=False)

    def save(self, history: State, seen: Stamp | None, same: Iterable[str] = ()) -> None:
        """Write the history cache; the habits in ``same`` are as loaded, not packed again."""
        if self._unsaved is not None:
            same, self._unsaved = set(same) - self._unsaved, None
        packed = pack_history(history, self._packed, same)
        held = {p: f.dump() for p, f in self.files.items()}
        self._dump(self.path, held, tuple(seen) if seen else None, self.problems, packed)
        self._packed = packed[0]  # the habits of the history now cached
        held_now = copy_of(history)
        for hid, log in held_now.habits.items():  # kept packed: a later save need not pack them again
            if log.notes and not (isinstance(log.notes, LazyNotes) and log.notes.unread() is not None):
                log.notes = LazyNotes(self._packed[hid][2])
        self._remember(held_now, seen)

    def flush(self) -> None:
        """Write back what was caught up with since the cache was last written (see ``held_back``)."""
        derived = self._derived
        if self._unsaved is not None and derived is not None:
            self.save(derived.state, derived.seen, set(derived.state.habits))

    def _remember(self, history: State, seen: Stamp | None) -> None:
        """Keep ``history`` (not to be changed from now on) as what the log files known now derive."""
        self._derived = Derived({p: f.signature for p, f in self.files.items()}, history, seen)

    def history(self, signatures: dict[str, Signature]) -> tuple[State, Stamp | None]:
        """The history of the log files with these signatures, and its latest event's stamp."""
        derived = self._derived
        if derived is not None and derived.signatures == signatures:
            return copy_of(derived.state), derived.seen  # nothing changed: nothing decoded again
        cached = None if derived is None else self._caught_up(signatures, derived)
        if cached is None:  # the cache on disk may be of these files: another process (a command) wrote it
            cached = self._cached(signatures)
        if cached is not None:
            return cached
        history, ids, _read = self.rebuild(signatures)
        return history, ids.latest

    def _caught_up(self, signatures: dict[str, Signature], derived: Derived) -> tuple[State, Stamp | None] | None:
        """The history held in memory brought up to date with what was appended to the log since."""
        return self._catch_up(signatures, self.files, derived.seen, self.problems, lambda: copy_of(derived.state))

    def _cached(self, signatures: dict[str, Signature]) -> tuple[State, Stamp | None] | None:
        """The cached history if it is of these files, or brought up to date with what was appended
        to them since; None when only deriving the whole log again will do."""
        value = self._load(self.path)
        try:
            held, seen_t, problems, packed = value
            known = {p: CachedFile.load(v) for p, v in held.items()}
            seen = Stamp(*seen_t) if seen_t else None
            if {p: f.signature for p, f in known.items()} == signatures:
                self.files, self.problems, self._packed = known, list(problems), packed[0]
                self._unsaved = None  # nothing held differs from it
                history = unpack_history(packed)
                self._remember(copy_of(history), seen)
                return history, seen
            loaded = packed[0]

            def unpacked() -> State:
                self._packed = loaded  # what the cache holds now: its unchanged habits are written back as they are
                return unpack_history(packed)

            return self._catch_up(signatures, known, seen, problems, unpacked)
        except (ValueError, TypeError, KeyError, IndexError):
            return None

    def _catch_up(
        self, signatures: dict[str, Signature], known: dict[str, CachedFile], seen: Stamp | None,
        problems: list[str], base: Callable[[], State],
    ) -> tuple[State, Stamp | None] | None:  # fmt: skip
        """Add the events appended to the log files since ``known`` (a partner's, mostly) to ``base()``."""
        if known.keys() - signatures.keys() or any(is_conflict_copy(os.path.basename(p)) for p in signatures):
            return None  # a file went away, or a conflict copy came: the union needs everything
        added: list[Event] = []
        known = dict(known)
        for path in [p for p in signatures if p not in known or known[p].signature != signatures[p]]:
            appended = self._appended(path, known.get(path))
            if appended is None:
                return None
            events, bad, known[path] = appended
            added.extend(events)
            problems = [p for p in problems if not p.startswith(path + ": ")] + bad
        added = merge(added)
        if added and seen is not None and added[0].stamp <= seen:
            return None  # written before what this cache holds: its place in the order matters
        from habitd.history.derive import extend  # a cache read whole (a command's, mostly) needs none of it

        state = base()
        if not extend(state, added) and (seen is None or not self._months_again(state, added, known)):
            return None
        self.files, self.problems = known, problems
        seen = added[-1].stamp if added else seen
        changed = {e.habit for e in added}
        if self.held_back and self._derived is not None:  # written back later, once for many changes
            self._unsaved = (self._unsaved or set()) | changed
            self._remember(copy_of(state), seen)
        else:
            self.save(state, seen, set(state.habits) - changed)  # only their habits changed
        return state, seen

    def _appended(self, path: str, held: CachedFile | None) -> tuple[list[Event], list[str], CachedFile] | None:
        """The events appended to a log file since the cache knew it as ``held`` (None: a new file), its
        problems, and what the cache knows of it now; None when it changed otherwise, or cannot be read."""
        if held is not None and held.events is None:
            return None  # not read whole before
        count, last = (held.events or 0, held.last) if held is not None else (0, None)
        try:
            now = files.signature(path)
            if now is None:
                return None
            events, bad = self.texts.parse(path, now, files.read_text(path))
        except (OSError, ValueError):
            return None
        if len(events) < count or (count and events[count - 1].stamp != last):
            return None  # not an append: rewritten by hand or by someone else
        return events[count:], bad, _read_whole(now, events)

    def _months_again(self, state: State, added: list[Event], known: dict[str, CachedFile]) -> bool:
        """Add events that take something back (a partner's undo, unskip, deleted note) by deriving
        again only the months they touch, from those months' files as ``known`` tells them."""
        months = {f"{e.day.year:04d}-{e.day.month:02d}" for e in added}
        read = self._read(self.texts.parsed(), months)  # the files read last are not parsed again
        self.texts.keep(read.files)
        wanted = {p for p in known if os.path.basename(p)[:7] in months}
        if read.files.keys() != wanted:
            return False  # one could not be read, or came meanwhile
        new = {e.stamp for e in added}
        before: list[Event] = []
        for path, parsed in read.files.items():
            held = known[path]
            if held.events is None or parsed.signature != held.signature:
                return False  # changed again since: the whole log will do
            before.extend(e for e in parsed.events[: held.events] if e.stamp not in new)
        from habitd.history.derive import rederive_months

        return rederive_months(state, merge(before), added, self.personal)

    def read_log(self) -> LogRead:
        """The whole log, parsing only the files that changed since the events cache was written."""
        known: dict[str, Parsed] = {}
        raw: dict[str, Any] = {}
        value = self._load(self.events_path)
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
            if value is not None:
                raw = value[0]
                known = {
                    path: Parsed(Signature(*signature), [unpack_event(t) for t in events], list(problems))
                    for path, (signature, events, problems) in raw.items()
                }
        read = self._read(known, None)
        if read.files.keys() != known.keys() or any(known[p] is not f for p, f in read.files.items()):
            kept = {  # the files that did not change as they were loaded: not packed again
                p: raw[p] if known.get(p) is f else (tuple(f.signature), [pack_event(e) for e in f.events], f.problems)
                for p, f in read.files.items()
            }
            self._dump(self.events_path, kept)
        return read

    def rebuild(self, signatures: dict[str, Signature]) -> tuple[State, Ids, LogRead]:
        """Derive the whole log again, and cache it."""
        from habitd.history.derive import derive_with_ids

        read = self.read_log()
        history, ids = derive_with_ids(read.events, self.personal)
        self.problems = read.problems
        self.files = {p: CachedFile(signature, None, None) for p, signature in signatures.items()}
        for path, f in read.files.items():
            self.files[path] = _read_whole(f.signature, f.events)
        self.save(history, ids.latest)
        return history, ids, read

    def trusted(self, signatures: dict[str, Signature]) -> list[str]:
        """The files read whole into the history as it stands (and unchanged since)."""
        return [p for p in signatures if p in self.files and self.files[p].events is not None]

    def latest_in(self, folder: str) -> Stamp | None:
        """The latest event of the files in ``folder`` (a device's), as the cache knows them."""
        folder = os.path.join(folder, "")
        lasts = [f.last for p, f in self.files.items() if f.events and f.last and p.startswith(folder)]
        return max(lasts, default=None)

    def wrote(self, written: dict[str, Written], signatures: dict[str, Signature]) -> None:
        """Bring what the history is made of up to date with a write (``signatures``: after it)."""
        for path, (events, created) in written.items():
            held = self.files.get(path)
            if path in signatures and (created or (held is not None and held.events is not None)):
                count = (0 if created or held is None else held.events or 0) + len(events)
                self.files[path] = CachedFile(signatures[path], count, events[-1].stamp)
            else:
                self.files.pop(path, None)  # not known whole: read it next time
        for path in list(self.files):
            if path not in signatures:  # a conflict copy folded away
                del self.files[path]
