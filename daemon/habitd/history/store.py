"""The store: what the commands and the daemon read and change, the history and this machine's own.

The history (completions, notes, skips, pauses, prompt decks) is derived from every
device's events in the shared folder (the state folder when none is set; see
``eventlog.py``) and kept in local caches rebuilt when a log file changes (see
``caches.py``). What belongs to this machine alone (the daemon's reminder bookkeeping)
stays in its ``state.toml`` (see ``statefile.py``). ``update()`` is the one way to
change either: under this machine's lock, it reads both, lets the caller change the
state, appends the history's changes as events (see ``changes.py``; private notes to
this machine's ``private/`` log) and saves the bookkeeping, with a backup, when it
changed. A ``state.toml`` of before the event log is moved into it on first use, and
kept beside as ``state.before-events.toml``. What only a change needs (``changes``,
``derive``, ``writer``) is imported where it changes: reading the history never loads it.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING

from habitd.errors import StateError, StoreWriteError
from habitd.habits.state import State
from habitd.habits.state_toml import to_doc
from habitd.history import files
from habitd.history.caches import Caches
from habitd.history.eventlog import EventLog, LogRead, Parsed
from habitd.history.events import NOTE, NOTE_DELETE, NOTE_EDIT, Event, is_private, latest, merge
from habitd.history.files import Signature
from habitd.history.hlc import Stamp, followed
from habitd.history.identity import LocalDevice
from habitd.history.logformat import DEVICES, is_conflict_copy, is_month_file
from habitd.history.migrate import has_history, history_of
from habitd.history.statefile import StateFile
from habitd.records import Record

if TYPE_CHECKING:
    from habitd.history.derive import Ids

MIGRATED_BACKUP = "state.before-events.toml"
PRIVATE_DIR = "private"  # in the local folder: private/devices/<device>/<YYYY-MM>.toml, the private notes


class Fingerprint(Record):
    """What tells a change of the store by another process: a checksum of the signatures of this
    machine's state file and of every log file, how many log files, and the length of what was summed."""

    crc: int
    files: int
    length: int


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _bookkeeping(state: State) -> State:
    """What of ``state`` stays in this machine's state file: the daemon's reminders."""
    mine = State()
    mine.reminders, mine.sent_day, mine.sent_count = state.reminders, state.sent_day, state.sent_count
    return mine


class Store:
    """The history of every device sharing ``root`` (None: the state folder ``local_dir``), and this
    machine's bookkeeping. ``clock`` and ``today`` tell when events are written and for which day;
    ``zone`` is where they are written; ``by`` is the name of this device's person ("": none);
    ``personal`` the ids of the personal (``each``) habits, whose entries only their person takes back."""

    def __init__(
        self, local_dir: str | os.PathLike[str], root: str | None = None, *,
        clock: Callable[[], datetime] = _wall_clock, today: Callable[[datetime], date] = lambda m: m.date(),
        zone: Callable[[], tzinfo] = lambda: UTC, by: str = "", lock_timeout: float = 5.0,
        personal: frozenset[str] = frozenset(),
    ) -> None:  # fmt: skip
        self.dir = os.fspath(local_dir)
        self.file = StateFile(self.dir, lock_timeout)
        self.path = self.file.path
        self.log = EventLog(root or self.dir, self.dir, lock_timeout, create_root=root is None)
        self.private = EventLog(os.path.join(self.dir, PRIVATE_DIR), self.dir, lock_timeout, private=True)
        self.caches = Caches(self.dir, self.log.root, self._read_both, personal)
        self.personal = personal
        self.cache_path = self.caches.path
        self.clock, self.today, self.zone, self.by = clock, today, zone, by
        self.saved: Fingerprint | None = None  # the fingerprint of this process's latest save
        self._told: Callable[[], Iterable[str] | None] | None = None  # see ``watched``
        self._known: dict[str, Signature] | None = None  # the log files' signatures, kept from what it tells

    def set_personal(self, personal: frozenset[str]) -> None:
        """The personal habits after a config change (the daemon's reload): derive with them from now on."""
        self.personal = personal
        self.caches.set_personal(personal)

    @property
    def problems(self) -> list[str]:
        """The files of the log not read (or events in them), as of the latest read."""
        return self.caches.problems

    def fingerprint(self) -> Fingerprint:
        """What tells a change by another process: this machine's state file and every log file."""
        return self._fingerprint_of(self._signatures())

    def _fingerprint_of(self, log_files: dict[str, Signature]) -> Fingerprint:
        listed = sorted(log_files.items())
        text = repr((self.file.signature(), listed)).encode("utf-8")
        return Fingerprint(zlib.crc32(text), len(listed), len(text))

    def folders(self) -> list[str]:
        """What to watch for changes by other processes and devices: this machine's state folder,
        the shared folder and every device's folder in it, and this machine's private notes."""
        return list(dict.fromkeys([self.dir, *self.log.folders(), *self.private.folders()]))

    def watched(self, told: Callable[[], Iterable[str] | None] | None) -> None:
        """Let a watcher of every folder of ``folders()`` say what changed in them: ``told()`` gives
        the paths of the files changed since its last call, or None when anything may have (then
        the folders are listed again). The log files are then no longer all listed and looked at
        at each read, only those named. ``None``: list them at every read again.

        While watched, what a partner's device appended is added to the history held in
        memory at once, and written back to the history cache by ``flush``, not at each change."""
        self._told, self._known = told, None
        self.caches.held_back = told is not None
        if told is None:
            self.caches.flush()

    def flush(self) -> None:
        """Write back to the history cache what was caught up with in memory since it was written."""
        self.caches.flush()

    # -- the log with this machine's private notes (events kept in the local folder only) ----

    def _signatures(self) -> dict[str, Signature]:
        if self._told is None:
            return self._listed()
        changed = self._told()
        if self._known is None or changed is None or not self._apply(changed):
            self._known = self._listed()
        return dict(self._known)

    def _listed(self) -> dict[str, Signature]:
        return {**self.log.signatures(), **self.private.signatures()}

    def _apply(self, changed: Iterable[str]) -> bool:
        """Bring the log files' signatures known up to date with the files named; False when
        a folder of the log may have come or gone (they are listed again then)."""
        known = self._known
        assert known is not None
        devices = (os.path.join(self.log.root, DEVICES), os.path.join(self.private.root, DEVICES))
        for path in changed:
            folder, name = os.path.split(path)
            if os.path.dirname(folder) in devices:  # in a device's folder (the only ones watched there)
                if os.path.islink(folder):
                    return False  # never read through: listing it says why
                if is_month_file(name) or is_conflict_copy(name):
                    now = files.signature(path)
                    if now is None:
                        known.pop(path, None)
                    else:
                        known[path] = now
            elif folder != self.dir or name in (PRIVATE_DIR, DEVICES):  # a folder of the log itself
                return False
        return True

    def _read_both(self, known: dict[str, Parsed] | None = None, months: set[str] | None = None) -> LogRead:
        """The shared log with this machine's private notes."""
        shared = self.log.read(known, months)
        private = self.private.read(known, months)
        if not private.files and not private.problems:
            return shared
        return LogRead(
            merge(shared.events, private.events), shared.problems + private.problems, shared.devices,
            {**shared.files, **private.files},
        )  # fmt: skip

    def _private(self, added: list[Event]) -> set[Stamp]:
        """The events of a change that stay on this machine: private notes, their edits and deletes."""
        hidden = {e.stamp for e in added if e.kind in (NOTE, NOTE_EDIT) and is_private(dict(e.extra))}
        deletes = [e for e in added if e.kind == NOTE_DELETE]
        if deletes:
            known = hidden | {e.stamp for e in self.private.read().events}
            hidden.update(e.stamp for e in deletes if any(s in known for s in e.undoes))
        return hidden

    def events(self) -> list[Event]:
        """Every event of the history (every device's, this machine's private notes), in stamp order."""
        self.log.require_root("its history cannot be shown")
        return self.caches.read_log().events

    def nameless_notes_elsewhere(self, habit_id: str, day: date) -> dict[tuple[object, ...], list[bool]]:
        """Of the day's notes of a habit (filed by ``derive.key``, equal ones in order), whether each
        was written without a name on another device: then it is that device's alone to change."""
        me = self.log.local_device()
        read = self._read_both(months={f"{day.year:04d}-{day.month:02d}"})
        by_stamp = {e.stamp: e for e in read.events if e.kind == NOTE and e.habit == habit_id and e.day == day}
        from habitd.history.derive import derive_with_ids

        _state, ids = derive_with_ids(read.events, self.personal)
        out: dict[tuple[object, ...], list[bool]] = {}
        for (hid, k), versions in ids.notes.items():
            if hid == habit_id and k[0] == day:
                notes = [by_stamp.get(v[0]) for v in versions]
                out[k] = [n is not None and not n.by and (me is None or n.stamp.device != me.id) for n in notes]
        return out

    def partners_events(self, months: set[str], me: str | None) -> list[Event]:
        """The other devices' events filed under ``months`` (YYYY-MM: the months of their days); ``me``:
        this device's id, whose files (and private notes) are left unread."""
        self.log.require_root("its history cannot be shown")
        return self.log.read(months=months, but=me).events

    # -- reading and changing -------------------------------------------------------------

    def read(self) -> State:
        """The derived history with this machine's bookkeeping (lock-free: every save is a rename)."""
        self.log.require_root("its history cannot be shown")
        own = self.file.read()
        if has_history(own):
            with self.update():  # moves the old state file's history into the log
                pass
            own = self.file.read()
        state, _seen = self.caches.history(self._signatures())
        state.reminders, state.sent_day, state.sent_count = own.reminders, own.sent_day, own.sent_count
        return state

    @contextlib.contextmanager
    def update(self) -> Iterator[State]:
        """Under the lock: the state to change; its history's changes become events, the rest is saved here."""
        from habitd.history.changes import copy_history, same_history

        self.log.require_root("nothing was recorded")
        with self.log.lock():
            own = self.file.read()
            moment = self.clock()
            if has_history(own):
                self._migrate(own, moment)
                own = self.file.read()
            signatures = self._signatures()
            before, seen = self.caches.history(signatures)
            state = copy_history(before)
            own_doc = to_doc(own)  # its reminders are the state's own objects: compare with what they were
            state.reminders, state.sent_day, state.sent_count = own.reminders, own.sent_day, own.sent_count
            yield state
            after = history_of(state)
            wrote = not same_history(after, before)
            if wrote:
                self._write(before, after, seen, signatures, moment)
            # the backups keep this machine's bookkeeping too
            wrote = self.file.save(_bookkeeping(state), own_doc) or wrote
            if wrote:  # under the lock: what another process writes next differs. The log files as
                # read before, with this write's: a partner's file arriving meanwhile is not taken for it
                self.saved = self._fingerprint_of(signatures)

    def _write(
        self, before: State, after: State, seen: Stamp | None, signatures: dict[str, Signature], moment: datetime
    ) -> None:
        from habitd.history.changes import changed_habits, needs_ids, write_change
        from habitd.history.writer import LogWriter

        me = self.log.device.own()
        ids: Ids | None = None
        if needs_ids(before, after):  # it takes something away: name the events it was seen in
            ids = self._ids(me, before, after, seen)
        now_ms = int(moment.timestamp() * 1000)
        follow = seen
        if seen is not None and not followed(seen, now_ms) and seen.device != me.id:  # the latest one followed
            follow = latest(self.caches.read_log().events, now_ms)
        writer = LogWriter(me, follow, now_ms)
        write_change(before, after, ids, writer.add, self.today(moment), moment.astimezone(self.zone()), self.by)
        private = self._private(writer.added)
        trusted = self.caches.trusted(signatures)
        # a copied home folder: refused, not parsed again
        self.log.check_latest(me, self.caches.latest_in(os.path.join(self.log.root, DEVICES, me.id)))
        written = self.log.append(me, [e for e in writer.added if e.stamp not in private], signatures, trusted)
        if private:  # after the shared write, which may refuse (the shared folder not there): then neither
            me = self.log.local_device() or me
            hidden = [e for e in writer.added if e.stamp in private]
            written.update(self.private.append(me, hidden, signatures, trusted))
        self.caches.wrote(written, signatures)
        same = set(after.habits) - set(changed_habits(before, after))
        latest_known = max((s for s in (seen, writer.added[-1].stamp if writer.added else None) if s), default=None)
        self.caches.save(after, latest_known, same)

    def _ids(self, me: LocalDevice, before: State, after: State, seen: Stamp | None) -> Ids:
        """The ids of the events behind what the change takes away, as this device saw them.

        The events of a day are in the files of its month (each device files an event by
        the month of its day), so only those months are read, unless pauses change.
        """
        from habitd.history.changes import changed_habits, same_history, touched_months, window
        from habitd.history.derive import derive_with_ids

        months = touched_months(before, after)
        habits = changed_habits(before, after)
        if months is None:
            read = self.caches.read_log()

            def same(state: State) -> bool:
                return same_history(state, before)
        else:
            read = self._read_both(months=months)

            def same(state: State) -> bool:
                return window(state, habits, months) == window(before, habits, months)

        self.log.check_own(me, read.events)
        fresh, ids = derive_with_ids(read.events, self.personal)
        if not same(fresh):  # a partner's events arrived meanwhile: they are not taken
            fresh, ids = derive_with_ids(
                [e for e in read.events if seen is not None and e.stamp <= seen], self.personal
            )
        if not same(fresh):  # the cache was not what the log says: never guess
            raise StateError(f"{self.cache_path}: out of step with the event log; nothing was changed, try again")
        return ids

    def _migrate(self, own: State, moment: datetime) -> None:
        """Move the history of a state file written before the event log into it, once (under the lock).

        Its events carry ``moved``: a move cut short is finished, never written twice.
        """
        from habitd.history.changes import same_history, write_change
        from habitd.history.derive import derive_with_ids
        from habitd.history.writer import LogWriter

        n, backup = 1, os.path.join(self.dir, MIGRATED_BACKUP)
        while os.path.exists(backup) and not os.path.samefile(backup, self.path):
            n += 1  # an earlier move's backup: keep it, and this file beside it
            backup = os.path.join(self.dir, MIGRATED_BACKUP.replace(".toml", f".{n}.toml"))
        if not os.path.exists(backup):
            try:
                files.keep_link(self.path, backup)
            except OSError as e:
                raise StoreWriteError(f"could not keep {backup} before moving to the event log: {e.strerror}") from None
        me = self.log.device.own()
        mark = os.path.basename(backup)
        read = self.caches.read_log()
        self.log.check_own(me, read.events)
        moved, ids = derive_with_ids([e for e in read.events if e.stamp.device == me.id and e.moved == mark])
        wanted = history_of(own)
        if not same_history(moved, wanted):
            now_ms = int(moment.timestamp() * 1000)
            writer = LogWriter(me, latest(read.events, now_ms), now_ms)
            add = lambda e: writer.add(e._replace(moved=mark))  # noqa: E731
            write_change(moved, wanted, ids, add, self.today(moment), moment.astimezone(self.zone()), self.by)
            self.log.append(me, writer.added)
        self.file.write(_bookkeeping(own))
