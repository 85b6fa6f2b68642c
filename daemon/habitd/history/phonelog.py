"""A partner's phone in the history: a device of its own, and what this machine knows of its tasks.

This machine writes the phone's ticks as that person's completions into an event log
of the phone's own, a device named after the person (``done by Alex`` everywhere), so the
phone's events never mix with this machine's. Its folder in the state folder,
``phone/<person>/``, holds that device's id (``device.toml``) and lock, and
``tasks.toml``: for each task this machine wrote, what it last wrote (its status and a
hash of its bytes), the completion a tick recorded and whether the phone deleted it.

A take-back is written only of a completion this log wrote for that task: an un-tick
can never remove anything else.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime
from typing import Any

import tomli_w

from habitd.errors import StateError
from habitd.history import files
from habitd.history.eventlog import EventLog
from habitd.history.events import DONE, UNDO, Event
from habitd.history.hlc import Stamp, parse_id
from habitd.limits import toml_loads
from habitd.records import Record

PHONE_DIR = "phone"  # in the state folder
LEDGER = "tasks.toml"
TASK_KEY = "task"  # a completion's key: the UID of the task whose tick it records
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


PART_MAX = 40  # a name's part in a file name or UID, in characters (all ASCII)


def person_part(person: str) -> str:
    """The person's name in a file name or UID: lowercase letters and digits kept, anything else
    as _XX (its UTF-8 bytes in hex), so two names never give one part. A form longer than
    PART_MAX (a long name in another script) is cut and ends in a hash of the name instead
    (``-`` and 16 hex digits, a mark no escaped form holds): file names stay short."""
    lower = person.lower()
    part = "".join(ch if ch in _SAFE else "".join(f"_{b:02x}" for b in ch.encode("utf-8")) for ch in lower)
    if len(part) <= PART_MAX:
        return part
    return f"{part[: PART_MAX - 17]}-{hashlib.sha256(lower.encode('utf-8')).hexdigest()[:16]}"


class Known(Record):
    """What this machine knows of one of its tasks: what it last wrote, and what the phone did with it."""

    uid: str
    habit: str
    first: date
    last: date
    status: str  # the status last written
    sha: str  # the sha256 of the bytes last written
    file: str  # its file name in the vdir
    done: str = ""  # the id of the completion the phone's tick recorded ("": none standing)
    deleted: bool = False  # deleted on the phone: never written again
    seq: int = 0  # its SEQUENCE: one more at each rewrite over the phone's change


class Tick(Record):
    """A tick to record (``undo`` empty), or an un-tick: take back the completion ``undo``."""

    uid: str
    habit: str
    day: date
    at: datetime  # aware
    undo: str = ""


def _known(uid: str, raw: Any) -> Known:
    if not isinstance(raw, dict):
        raise ValueError(f"{uid}: not a table")
    first, last = raw.get("first"), raw.get("last")
    if not isinstance(first, date) or not isinstance(last, date) or isinstance(first, datetime):
        raise ValueError(f"{uid}: first and last must be dates")
    text = {k: raw.get(k, "") for k in ("habit", "status", "sha", "file", "done")}
    if not all(isinstance(v, str) for v in text.values()):
        raise ValueError(f"{uid}: habit, status, sha, file and done must be strings")
    if os.path.basename(text["file"]) != text["file"] or not text["file"].endswith(".ics"):
        raise ValueError(f"{uid}: file: {text['file']!r} is not the name of an item in the vdir")
    seq = raw.get("seq", 0)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 10**9:
        raise ValueError(f"{uid}: seq must be a whole number from 0")
    return Known(uid, text["habit"], first, last, text["status"], text["sha"], text["file"], text["done"],
                 raw.get("deleted") is True, seq)  # fmt: skip


class PhoneLog:
    """The phone of ``person``: its device's event log in ``root`` (as the store's), its ledger here."""

    def __init__(self, local_dir: str, root: str, person: str, create_root: bool, lock_timeout: float = 5.0) -> None:
        self.person = person
        self.dir = os.path.join(local_dir, PHONE_DIR, person_part(person))
        self.log = EventLog(root, self.dir, lock_timeout, create_root=create_root)
        self.ledger_path = os.path.join(self.dir, LEDGER)
        self._ledger_text: str | None = None

    def device_id(self) -> str | None:
        me = self.log.local_device()
        return me.id if me else None

    # -- the ledger ----------------------------------------------------------------------

    def read_ledger(self) -> dict[str, Known]:
        """The tasks this machine wrote; empty before the first. StateError when it cannot be read."""
        try:
            data = files.read_bytes(self.ledger_path, files.STATE_MAX_BYTES, follow_symlink=False)
            if data is None:
                return {}
            doc = toml_loads(files.decode(data))
            tasks = doc.get("task", {})
            if not isinstance(tasks, dict):
                raise ValueError("task: not a table")
            return {uid: _known(uid, raw) for uid, raw in tasks.items()}
        except OSError as e:
            raise StateError(f"{self.ledger_path}: cannot read: {e.strerror}") from None
        except ValueError as e:
            raise StateError(
                f"{self.ledger_path}: {e}. Move it away: habitd then writes the phone's tasks afresh"
            ) from None

    def save_ledger(self, known: dict[str, Known]) -> None:
        """Keep ``known`` (written only when it changed)."""
        doc: dict[str, Any] = {"task": {}}
        for uid in sorted(known):
            k = known[uid]
            row: dict[str, Any] = {"habit": k.habit, "first": k.first, "last": k.last, "status": k.status,
                                   "sha": k.sha, "file": k.file}  # fmt: skip
            if k.done:
                row["done"] = k.done
            if k.deleted:
                row["deleted"] = True
            if k.seq:
                row["seq"] = k.seq
            doc["task"][uid] = row
        text = "# What habitd last wrote to the phone's task list, and what the phone did with it.\n" + tomli_w.dumps(
            doc
        )
        if text == self._ledger_text:
            return
        files.ensure_dir(self.dir)
        files.write_text(self.ledger_path, text)
        self._ledger_text = text

    # -- the phone's events --------------------------------------------------------------

    def record(self, ticks: list[Tick], moment: datetime) -> dict[str, str]:
        """Write the ticks as the person's completions and the un-ticks as take-backs of exactly
        the completion each names, if this log wrote it for that task; uid -> the completion's id
        for each tick written ("" for an un-tick written)."""
        if not ticks:
            return {}
        files.ensure_dir(self.dir)
        me = self.log.local_device()
        if me is None or me.name != self.person:
            self.log.device.set_name(self.person)
        out: dict[str, str] = {}
        with self.log.writer(moment) as w:
            # its ticks' completions, also those written under an earlier id of this phone's device
            # (renewed after a copied home folder): by this person, each naming its task
            mine = {e.stamp: e for e in w.base if e.kind == DONE and e.by == self.person and TASK_KEY in dict(e.extra)}
            for t in ticks:
                at = t.at.astimezone(moment.tzinfo) if moment.tzinfo else t.at
                if not t.undo:
                    event = Event(Stamp(0, 0, w.device), DONE, t.habit, t.day, at, by=self.person,
                                  extra=((TASK_KEY, t.uid),))  # fmt: skip
                    out[t.uid] = w.add(event).id
                    continue
                stamp = parse_id(t.undo)
                done = mine.get(stamp) if stamp is not None else None
                if stamp is None or done is None or dict(done.extra).get(TASK_KEY) != t.uid:
                    continue  # not a completion of this task's tick: never taken back
                w.add(Event(Stamp(0, 0, w.device), UNDO, done.habit, done.day, at, by=self.person, undoes=(stamp,)))
                out[t.uid] = ""
        return out


def phone_device_dirs(local_dir: str) -> list[str]:
    """The folders of the phones' devices kept in the state folder ``local_dir`` (each with a device file)."""
    top = os.path.join(local_dir, PHONE_DIR)
    try:
        names = files.list_dir(top)
    except OSError:
        return []
    return [os.path.join(top, n) for n in names if os.path.isfile(os.path.join(top, n, "device.toml"))
            and not os.path.islink(os.path.join(top, n))]  # fmt: skip


def phone_claims(events: list[Event]) -> dict[str, set[str]]:
    """From the history: for each person, the devices whose completions came from phone tasks."""
    found: dict[str, set[str]] = {}
    for e in events:
        if e.kind == DONE and e.by and TASK_KEY in dict(e.extra):
            found.setdefault(e.by, set()).add(e.stamp.device)
    return found
