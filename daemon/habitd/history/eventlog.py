"""The event log in a folder (the shared one): every device's events read, this machine's appended.

Each device appends its events to its own month files (see ``logformat.py``); it never
writes another device's files. What is per machine (the device id, the lock) lives in
the local state folder, outside the shared one. A file that cannot be read is left out
of the history and named; this machine's own files are added to only when they can be
read whole and hold nothing another machine wrote under its id. Every read and write of
a file goes through ``files.py``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from habitd.errors import HabitdError, StateError, StoreWriteError, UsageError
from habitd.history import files
from habitd.history.events import Event, latest, merge
from habitd.history.files import Signature
from habitd.history.hlc import Stamp, is_device_id
from habitd.history.identity import DeviceFile, LocalDevice
from habitd.history.logformat import (
    DEVICES,
    NewerFormat,
    is_conflict_copy,
    is_month_file,
    is_sync_temp,
    log_header,
    month_file,
    parse_log,
    with_events,
)
from habitd.history.statefile import StateFile, too_big
from habitd.records import Record

if TYPE_CHECKING:
    from habitd.history.writer import LogWriter

NOT_THERE = "is not there (not mounted or not synced yet?)"
_NOT_SYNCED = "not read, maybe not fully synced yet; the rest of the history is used, the file is left as it is"
NOT_SYNCED, NEWER, DAMAGED, UNREADABLE = "not synced", "newer format", "damaged", "unreadable"


class SharedFolderMissing(StoreWriteError):
    """The shared folder is not there: the history can be neither read nor added to."""


class SharedDirNotFolder(UsageError):
    """``settings.shared_dir`` names something that is not a folder (a file): a mistake in the config."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"settings.shared_dir: {path} is not a folder; set it to the folder your sync engine shares"
            ' (like "~/Sync/habitd") in the config'
        )


class DeviceSeen(Record):
    device: str
    files: int
    last: Event | None  # its latest event (stamp order)


class Parsed(Record):
    signature: Signature
    events: list[Event]
    problems: list[str]  # events of it left out


class LogRead(Record):
    events: list[Event]  # the union of every readable file's events, in stamp order
    problems: list[str]  # files (or events in them) that could not be read, each a line naming it
    devices: dict[str, DeviceSeen]
    files: dict[str, Parsed]  # every file read, by path: what a cache of its events can keep


class Unread(Record):
    """A log file (or events in one) left out of the history, and why."""

    path: str
    device: str
    why: str  # NOT_SYNCED (another device's file: half copied, or damaged), NEWER, DAMAGED, UNREADABLE
    detail: str  # what is wrong, in words


class DeviceFiles(Record):
    """What ``habitd devices`` shows of one device folder."""

    id: str
    files: list[str]  # its month files
    conflicts: list[str]  # sync engines' conflict copies, folded in by the device's next write
    events: list[Event]  # what could be read, in stamp order


class Survey(Record):
    root: str
    exists: bool  # whether the shared folder is there
    devices: dict[str, DeviceFiles]
    unread: list[Unread]


class Written(Record):
    """What ``EventLog.append`` added to one file."""

    events: list[Event]
    created: bool  # the file was made by this write


def _why(e: Exception) -> str:
    return f"{getattr(e, 'strerror', None) or e}"


class EventLog:
    """The events of every device in ``root`` (the shared folder), and this machine's appends to its own."""

    def __init__(
        self, root: str, local_dir: str, lock_timeout: float = 5.0, create_root: bool = True, private: bool = False
    ) -> None:
        self.root = root
        self.state_file = StateFile(local_dir, lock_timeout)  # the local folder: this machine's lock
        self.device = DeviceFile(local_dir, lock_timeout)  # and its device id
        self.device_path = self.device.path
        self.create_root = create_root
        self.private = private  # this machine's private notes (in the local folder): another header

    def local_device(self) -> LocalDevice | None:
        """This machine's device id and the last event it wrote, or None before its first write."""
        return self.device.read()

    def require_root(self, outcome: str) -> None:
        """Refuse when a shared folder that must exist is not there (not mounted, not synced, never
        made): its history is unknown, and an empty one must never pass for it."""
        if self.create_root or os.path.isdir(self.root):
            return
        if os.path.exists(self.root):
            raise SharedDirNotFolder(self.root)
        raise SharedFolderMissing(f"the shared folder {self.root} {NOT_THERE}; {outcome}")

    # -- reading --------------------------------------------------------------------------

    def files(self) -> Iterator[tuple[str, str, bool]]:
        """(device, path, is a conflict copy) of every log file in the folder."""
        top = os.path.join(self.root, DEVICES)
        try:
            folders = files.list_dir(top)
        except FileNotFoundError:
            return
        except OSError as e:
            if os.path.exists(self.root) and not os.path.isdir(self.root):
                raise SharedDirNotFolder(self.root) from None
            raise StateError(f"{top}: cannot read: {e.strerror}") from None
        for device in folders:
            folder = os.path.join(top, device)
            if not is_device_id(device) or not os.path.isdir(folder):
                continue
            if os.path.islink(folder):  # never read or written through: reading it says why
                yield device, folder, False
                continue
            try:
                names = files.list_dir(folder)
            except OSError:
                continue  # reported by read() as a problem of its files
            for name in names:
                if is_sync_temp(name):
                    continue
                if is_month_file(name):
                    yield device, os.path.join(folder, name), False
                elif is_conflict_copy(name):
                    yield device, os.path.join(folder, name), True

    def read(
        self, known: dict[str, Parsed] | None = None, months: set[str] | None = None, but: str | None = None
    ) -> LogRead:
        """Every device's events (conflict copies too), and a warning for each file not readable.

        A file in ``known`` with the same signature is not parsed again.
        With ``months`` (YYYY-MM), only the files of those months are read; with ``but``, none of that device's.
        """
        problems: list[str] = []
        count: dict[str, int] = {}
        parsed: dict[str, Parsed] = {}
        for device, path, _conflict in self.files():
            count[device] = count.get(device, 0) + 1
            if (months is not None and os.path.basename(path)[:7] not in months) or device == but:
                continue
            try:
                parsed[path] = self._parse(path, device, (known or {}).get(path))
            except FileNotFoundError:
                continue  # renamed or folded away since the folder was listed
            except NewerFormat as e:
                problems.append(f"{path}: not read: {e}; the rest of the history is used, the file is left as it is")
                continue
            except (OSError, ValueError) as e:
                problems.append(f"{path}: {_why(e)}; {_NOT_SYNCED}")
                continue
            problems.extend(parsed[path].problems)
        events = merge(*(p.events for p in parsed.values()))
        last: dict[str, Event] = {}
        for event in events:
            last[event.stamp.device] = event
        devices = {d: DeviceSeen(d, n, last.get(d)) for d, n in count.items()}
        return LogRead(events, problems, devices, parsed)

    @staticmethod
    def _parse(path: str, device: str, held: Parsed | None) -> Parsed:
        now = files.signature(path)
        if now is None:
            raise FileNotFoundError(path)
        if held is not None and held.signature == now:
            return held
        return Parsed(now, *parse_log(files.read_text(path), path, device))

    def survey(self, own: str | None = None) -> Survey:
        """Every device folder and file, for ``habitd devices`` and ``habitd check`` (read-only).

        A file that does not parse is ``NOT_SYNCED`` when another device wrote it (it may be half
        copied), ``DAMAGED`` when it is this machine's own (``own``: its device id).
        """
        devices: dict[str, DeviceFiles] = {}
        unread: list[Unread] = []
        for device, path, conflict in self.files():
            seen = devices.setdefault(device, DeviceFiles(device, [], [], []))
            if not conflict:
                seen.files.append(path)
            try:
                events, bad = parse_log(files.read_text(path), path, device)
            except FileNotFoundError:
                continue
            except OSError as e:
                unread.append(Unread(path, device, UNREADABLE, f"cannot read: {e.strerror}"))
                continue
            except NewerFormat as e:
                unread.append(Unread(path, device, NEWER, str(e)))
                continue
            except ValueError as e:
                unread.append(Unread(path, device, DAMAGED if device == own else NOT_SYNCED, str(e)))
                continue
            if conflict:  # read: its device folds it in (one not read is listed as such only)
                seen.conflicts.append(path)
            seen.events.extend(events)
            unread.extend(Unread(path, device, DAMAGED, p.split(": ", 1)[1]) for p in bad)
        for device, seen in devices.items():
            devices[device] = seen._replace(events=merge(seen.events))
        return Survey(self.root, os.path.isdir(self.root), devices, unread)

    def signatures(self) -> dict[str, Signature]:
        """The signature of every log file: what a cache of their events depends on."""
        out = {}
        with contextlib.suppress(HabitdError):  # a folder that cannot be listed: reading says why
            for _device, path, _conflict in self.files():
                now = files.signature(path)
                if now is not None:
                    out[path] = now
        return out

    def folders(self) -> list[str]:
        """The shared folder, its ``devices`` folder and every device's folder in it, as they are now."""
        top = os.path.join(self.root, DEVICES)
        try:
            names = files.list_dir(top)
        except OSError:
            names = []
        devices = [os.path.join(top, d) for d in names if is_device_id(d)]
        return [self.root, top, *(d for d in devices if os.path.isdir(d))]

    # -- writing (under ``lock()``) ---------------------------------------------------------

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """This machine's lock over its writes (held in the local folder, never synced)."""
        return self.state_file.lock()

    def check_own(self, me: LocalDevice, events: Iterable[Event]) -> None:
        """Refuse when this device's files hold events this machine did not write."""
        self.check_latest(me, max((e.stamp for e in events if e.stamp.device == me.id), default=None))

    def check_latest(self, me: LocalDevice, mine: Stamp | None) -> None:
        """Refuse when ``mine``, the latest event of this device's files, is later than this machine wrote."""
        if mine is not None and (me.last is None or mine > me.last):
            raise StateError(
                f"another machine writes as this one: {os.path.join(self.root, DEVICES, me.id)} holds"
                f" events of device {me.id} that this machine did not write (was this home folder copied"
                f" from another machine?). Nothing was recorded. {self.device.way_out()}"
            )

    @contextlib.contextmanager
    def writer(self, moment: datetime) -> Iterator[LogWriter]:
        """Read everything under the lock; append what the caller adds to this device's file."""
        from habitd.history.writer import LogWriter

        with self.lock():
            me = self.device.own()
            log = self.read()
            self.check_own(me, log.events)
            now_ms = int(moment.timestamp() * 1000)
            w = LogWriter(me, latest(log.events, now_ms), now_ms, log.events)
            yield w
            self.append(me, w.added)

    def append(
        self, me: LocalDevice, added: list[Event], signatures: dict[str, Signature] | None = None,
        trusted: Iterable[str] = (),
    ) -> dict[str, Written]:  # fmt: skip
        """Append ``added`` to this device's files (one a month, by the day each event is for).

        Its conflict copies are folded in and removed. Refuses (nothing written) when a file
        to add to cannot be read or holds events of another machine using the same id; a file
        in ``trusted`` (read whole since it last changed) is not parsed again. ``signatures`` is
        brought up to date with the write.
        """
        self.require_root("nothing was recorded")
        own = [(p, conflict) for d, p, conflict in self.files() if d == me.id]
        if not added and not any(conflict for _p, conflict in own):
            return {}
        folded, copies = self._fold_copies(me, own)
        months: dict[str, list[Event]] = {}
        for e in merge(folded, added):
            months.setdefault(os.path.join(self.root, DEVICES, me.id, month_file(e)), []).append(e)
        trusted = set(trusted) if signatures is not None else set()
        texts, created = self._own_texts(me, list(months), signatures, trusted)
        datas = {path: with_events(texts[path], events).encode("utf-8") for path, events in months.items()}
        for path, data in datas.items():
            if len(data) > files.STATE_MAX_BYTES:  # habitd would refuse to read it back
                raise too_big(path, len(data))
        self._write(me, added, datas, copies, signatures)
        return {path: Written(events, path in created) for path, events in months.items()}

    def _write(
        self, me: LocalDevice, added: list[Event], datas: dict[str, bytes], copies: list[str],
        signatures: dict[str, Signature] | None,
    ) -> None:  # fmt: skip
        """Write this device's files (its device file first), then remove the copies folded into them."""
        if datas:
            if self.create_root:
                files.ensure_dir(self.root)
            for folder in (os.path.join(self.root, DEVICES), os.path.join(self.root, DEVICES, me.id)):
                if os.path.islink(folder):
                    raise StoreWriteError(
                        f"{folder} is a symbolic link; habitd writes its history only into a folder of its own,"
                        " never through a link. Nothing was recorded: replace the link with a plain folder"
                    )
            files.ensure_dir(os.path.join(self.root, DEVICES))
        if added:  # first: a crash before the files are written must not look like another machine's writes
            stamp = max(e.stamp for e in added)
            self.device.save(me._replace(last=max(stamp, me.last) if me.last else stamp))
        for path, data in sorted(datas.items()):
            files.atomic_write(path, data)
            now = files.signature(path)
            if signatures is not None and now is not None:
                signatures[path] = now
        for path in copies:  # their events are in this device's files now
            with contextlib.suppress(OSError):
                files.remove(path)
            if signatures is not None:
                signatures.pop(path, None)

    def _fold_copies(self, me: LocalDevice, own: list[tuple[str, bool]]) -> tuple[list[Event], list[str]]:
        """The events of this device's conflict copies that its files lack, and the copies read whole
        (only those are folded in and removed; the others stay)."""
        if not any(conflict for _p, conflict in own):
            return [], []
        held: set[Stamp] = set()
        folded: list[Event] = []
        copies = []
        for path, conflict in own:
            with contextlib.suppress(OSError, ValueError):
                events = parse_log(files.read_text(path), path, me.id)[0]
                self.check_own(me, events)
                if conflict:
                    folded.extend(events)
                    copies.append(path)
                else:
                    held.update(e.stamp for e in events)
        return [e for e in folded if e.stamp not in held], copies

    def _own_texts(
        self, me: LocalDevice, paths: list[str], signatures: dict[str, Signature] | None, trusted: Iterable[str]
    ) -> tuple[dict[str, str], set[str]]:
        """The text of each of this device's files to add to (read all before writing any), and those
        to make; refused when one cannot be read or holds what another machine wrote as this one."""
        texts, created = {}, set()
        for path in paths:
            try:
                text = files.read_text(path)
                if path not in trusted or (signatures or {}).get(path) != files.signature(path):
                    self.check_own(me, parse_log(text, path, me.id)[0])
            except FileNotFoundError:
                text = log_header(me.id, self.private)
                created.add(path)
            except (OSError, ValueError) as e:
                month = os.path.basename(path)[:7]
                raise StateError(
                    f"{path}: {_why(e)}. This device's own file cannot be added to;"
                    " nothing was recorded, the file is left as it is. Repair it by hand, put back an earlier"
                    " version (your sync engine may keep some, like Syncthing's .stversions folder), or move it"
                    f" away: then what this device recorded for the days of {month} (completions, notes, skips,"
                    " pauses) is missing from the history, on every device"
                ) from None
            texts[path] = text
        return texts, created


def clashes(survey: Survey, me: LocalDevice) -> bool:
    """Whether this device's files hold events this machine did not write (another uses its id)."""
    own = survey.devices.get(me.id)
    last = max((e.stamp for e in own.events), default=None) if own else None
    return last is not None and (me.last is None or last > me.last)
