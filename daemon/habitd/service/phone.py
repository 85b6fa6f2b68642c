"""The partner's phone: its task list kept in a vdir, its ticks read back as that person's completions.

A pass (``PhoneSync.sync``) reads the vdir that vdirsyncer keeps in step with the phone's
CalDAV task list, records what the phone did to our tasks since this machine last wrote
them (``exchange/tasks.py`` reads an item; ``history/phonelog.py`` writes the phone's
events and keeps what was written), then writes each task whose bytes changed and removes
those of periods long past. The daemon runs a pass when the vdir changes (inotify, the
same ``select`` as the history's folders), when the history changes, and at its periodic
check (a new period begins).

Every item is foreign input: one that cannot be read is named in the log once and left
out; items that are not ours (made on the phone, repeating, other programs') are never
read as completions, rewritten or removed.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime

from habitd.errors import HabitdError, UsageError
from habitd.habits.config import Config, Phone
from habitd.habits.periods import period_index
from habitd.history import files
from habitd.history.logformat import is_sync_temp
from habitd.history.phonelog import Known, PhoneLog, Tick, person_part
from habitd.history.store import Store
from habitd.records import Record
from habitd.service.watch import FolderWatch

from habitd.exchange.tasks import (  # isort: skip
    CANCELLED, COMPLETED, ITEM_MAX_BYTES, TICK, UNTICK, Foreign, Item, ItemProblem, Task, change_of,
    current_tasks, digest, expired, first_uid, moved, moved_uid, period_task, read_item, sequenced, tick_day,
)  # fmt: skip

log = logging.getLogger("habitd")


class VdirInShared(UsageError):
    """The phone's vdir lies inside the shared folder: two machines would sync one task list."""

    def __init__(self, vdir: str, shared: str) -> None:
        super().__init__(
            f"phone.vdir: {vdir} is inside the shared folder {shared}; keep it on this machine only"
            ' (like "~/.local/share/habitd/phone/alex"): vdirsyncer alone keeps it in step with the server'
        )


def vdir_path(phone: Phone) -> str:
    return os.path.expanduser(phone.vdir)


def check_place(config: Config) -> None:
    """Refuse a phone vdir inside the shared folder (``VdirInShared``)."""
    if config.phone is None or not config.settings.shared_dir:
        return
    vdir, shared = vdir_path(config.phone), os.path.expanduser(config.settings.shared_dir)
    real, top = os.path.realpath(vdir), os.path.realpath(shared)  # links resolved; neither need exist
    if os.path.commonpath([real, top]) == top:
        raise VdirInShared(vdir, shared)


class Pass(Record):
    """What one pass did."""

    ticks: int  # completions recorded
    unticks: int  # completions taken back
    written: int  # items written
    removed: int  # items removed
    problems: list[str]  # items left out


class Ours(Record):
    name: str  # its file name
    item: Item
    sha: str


class PhoneSync:
    """The phone task list of ``config.phone``, kept by this machine."""

    def __init__(self, store: Store, phone: Phone) -> None:
        self.store = store
        self.phone = phone
        self.vdir = vdir_path(phone)
        self.log = PhoneLog(store.dir, store.log.root, phone.person, store.log.create_root)
        self._mine = f"-{person_part(phone.person)}"  # how the UIDs of this person's tasks end
        self._said: set[str] = set()  # problems already logged
        self.failing = ""  # why the latest pass failed ("": it did not)

    def _say(self, problems: list[str]) -> None:
        for p in problems:
            if p not in self._said:
                log.warning("phone: %s", shown(p))
        self._said = set(problems)

    def read(
        self, files_of: dict[str, str] | None = None
    ) -> tuple[dict[str, bytes], dict[str, Ours], list[str], set[str]]:
        """The items read, ours among them by UID, the problems, and the names of every item there.

        Of two items with one of our UIDs, the one in the task's file (``files_of``, else the UID's
        file name) is the task; the other is named and left out."""
        items, names, problems = files.read_vdir(self.vdir, ITEM_MAX_BYTES)
        found: dict[str, list[Ours]] = {}
        for name, data in items.items():
            try:
                item = read_item(data)
            except ItemProblem as e:
                problems.append(f"{os.path.join(self.vdir, name)}: {e}; left out")
                continue
            if isinstance(item, Foreign) or not item.uid.endswith(self._mine):
                continue  # not a task of ours, or another person's
            found.setdefault(first_uid(item.uid), []).append(Ours(name, item, digest(data)))
        ours: dict[str, Ours] = {}
        for uid, several in found.items():
            home = (files_of or {}).get(uid, f"{uid}.ics")
            several.sort(key=lambda o: (o.name != home, o.name))
            ours[uid] = several[0]
            for other in several[1:]:
                problems.append(
                    f"{os.path.join(self.vdir, other.name)}: a second item of task {uid} (it is {several[0].name});"
                    " left out"
                )
        return items, ours, problems, names

    def sync(self, config: Config, now: datetime) -> Pass | None:
        """One pass; None when there is no vdir yet (vdirsyncer has not made it)."""
        check_place(config)
        known = self.log.read_ledger()
        try:
            items, ours, problems, names = self.read({uid: k.file for uid, k in known.items()})
        except FileNotFoundError:
            return None
        live = [k for k in known.values() if not k.deleted and not expired(config, k.last, now)]
        anew = not ours and len(live) > 1  # every one gone at once: a new or emptied list, not the phone's deletes
        if anew:  # what the ticks recorded (for an un-tick) and the deletes seen before are kept
            log.info("phone: %s holds none of habitd's tasks; writing them anew", self.vdir)
        ticks = self._ticks(config, known, ours, names, now, anew)
        recorded = self.log.record(ticks, now)
        for uid, done in recorded.items():
            known[uid] = known[uid]._replace(done=done)
        n_tick = sum(1 for t in ticks if not t.undo and t.uid in recorded)
        n_untick = sum(1 for t in ticks if t.undo and t.uid in recorded)
        for t in ticks:
            if t.uid in recorded:
                what = "took back the completion of" if t.undo else "ticked"
                log.info("phone: %s %s %s (%s)", self.phone.person, what, t.habit, t.day.isoformat())
        written = self._write(config, known, items, names, ours, now, problems)
        removed = self._remove_old(config, known, items, now)
        self.log.save_ledger(known)
        self._say(problems)
        return Pass(n_tick, n_untick, written, removed, problems)

    def _ticks(
        self, config: Config, known: dict[str, Known], ours: dict[str, Ours], names: set[str], now: datetime,
        anew: bool = False,
    ) -> list[Tick]:  # fmt: skip
        """What the phone did to each of our tasks since this machine wrote it; deleted ones are marked
        (none when the whole list is written ``anew``)."""
        ticks = []
        for uid, k in list(known.items()):
            found = ours.get(uid)
            if k.deleted or (found is None and k.file in names):  # its file there but unreadable: not deleted
                continue
            if found is None and anew:
                continue  # written again as it stands, its tick's completion still known
            if found is None:  # deleted on the phone (vdirsyncer removed its file): never written again
                known[uid] = k._replace(deleted=True)
                log.info("phone: the task of %s for %s was deleted on the phone", k.habit, k.first.isoformat())
                continue
            known[uid] = k = k._replace(file=found.name)
            change = change_of(k, found.item, found.sha)
            if change == TICK:
                day, at = tick_day(config, found.item.completed, now, k.first, k.last)
                ticks.append(Tick(uid, k.habit, day, at))
            elif change == UNTICK:
                ticks.append(Tick(uid, k.habit, k.first, now, undo=k.done))
        return ticks

    def _wanted(self, config: Config, known: dict[str, Known], now: datetime) -> list[Task]:
        state = self.store.read()
        tasks = current_tasks(config, state, self.phone, now)
        have = {t.uid for t in tasks}
        today = config.today(now)
        for k in known.values():  # earlier periods still on the phone: met since, or not
            habit = config.habit(k.habit)
            if k.uid in have or k.deleted or habit is None or expired(config, k.last, now):
                continue
            index = period_index(habit, k.first, config.settings.week_starts)
            task = period_task(config, state, self.phone, habit, index, today)
            if task is not None and task.uid == k.uid:
                tasks.append(task)
        return tasks

    def _write(
        self, config: Config, known: dict[str, Known], items: dict[str, bytes], names: set[str],
        ours: dict[str, Ours], now: datetime, problems: list[str],
    ) -> int:  # fmt: skip
        written = 0
        for task in self._wanted(config, known, now):
            k = known.get(task.uid)
            if (k is not None and k.deleted) or (k is None and task.status == CANCELLED):
                continue
            found = ours.get(task.uid)
            name = found.name if found else (k.file if k else f"{task.uid}.ics")
            if found is None and k is None and name in names:  # an item not ours holds the task's file name
                name = f"{moved_uid(task.uid)}.ics"  # so the task takes its second UID and file name
            if found is None and name in names:  # held as well, or ours but unreadable (named): never replaced
                if name in items:
                    problems.append(f"{os.path.join(self.vdir, name)}: not our task {task.uid}; left as it is")
                continue
            seq = k.seq if k is not None else 0
            if found is not None and k is not None and found.sha != k.sha:
                seq += 1  # over the phone's change: a new revision, or vdirsyncer may never upload it
            task = sequenced(task, seq)
            if name == f"{moved_uid(task.uid)}.ics":
                task = moved(task)
            wrote = files.write_if_changed(os.path.join(self.vdir, name), task.data, items.get(name))
            if wrote is None:
                continue  # vdirsyncer wrote it meanwhile: the next pass reads what it brought
            written += wrote
            done = k.done if k is not None and task.status == COMPLETED else ""
            known[task.uid] = Known(task.uid, task.habit, task.first, task.last, task.status, task.sha, name, done,
                                    seq=seq)  # fmt: skip
        return written

    def _remove_old(self, config: Config, known: dict[str, Known], items: dict[str, bytes], now: datetime) -> int:
        removed = 0
        for uid, k in list(known.items()):
            if not expired(config, k.last, now):
                continue
            data = items.get(k.file)
            if data is not None and _uid_of(data) == uid:  # deleted on the phone, yet back: ours all the same
                files.remove(os.path.join(self.vdir, k.file))
                removed += 1
            del known[uid]
        return removed


def _uid_of(data: bytes) -> str:
    try:
        item = read_item(data)
    except ItemProblem:
        return ""
    return first_uid(item.uid) if isinstance(item, Item) else ""


def shown(problem: str) -> str:
    """A problem as one line: a file name the phone's side chose may hold line breaks or controls."""
    return problem if problem.isprintable() else repr(problem)


class PhoneWatch:
    """The phone's vdir, watched: tells when vdirsyncer wrote into it (its temporary files aside)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.inotify = FolderWatch()
        self.inotify.follow([folder])

    @property
    def active(self) -> bool:
        return self.inotify.active

    def fileno(self) -> int:
        return self.inotify.fileno()

    def again(self) -> None:
        """Watch the folder if it appeared (vdirsyncer's first sync made it)."""
        self.inotify.follow([self.folder])

    def woke(self) -> bool:
        changes = self.inotify.changes()
        return any(c.name is None or not (is_sync_temp(c.name) or c.name.endswith(".tmp")) for c in changes)

    def close(self) -> None:
        self.inotify.close()


def run_pass(sync: PhoneSync, config: Config, now: datetime) -> None:
    """A pass from the daemon: its failures are logged (once while they last), never stop reminders."""
    try:
        sync.sync(config, now)
    except (HabitdError, OSError) as e:
        why = f"{getattr(e, 'strerror', None) or e}"
        if why != sync.failing:
            log.warning("phone: %s", why)
        sync.failing = why
    else:
        if sync.failing:
            log.info("phone: the task list is kept again")
        sync.failing = ""


def check_lines(config: Config, store: Store, now: datetime) -> tuple[list[str], bool]:
    """What ``habitd check`` says of the phone: (lines, whether something stops it)."""
    from habitd.history.phonelog import phone_claims
    from habitd.service.lastsync import sync_lines

    phone = config.phone
    if phone is None:
        return [], False
    try:
        check_place(config)
    except VdirInShared as e:
        return [str(e)], True
    sync = PhoneSync(store, phone)
    vdir = sync.vdir
    try:
        _items, ours, problems, _names = sync.read()
    except FileNotFoundError:
        return [
            f"phone: {vdir} is not there yet; set up vdirsyncer for {phone.person}'s task list and run"
            " `vdirsyncer discover`, then `vdirsyncer sync` (see docs/phone.md)"
        ], False
    except OSError as e:
        return [f"phone: {vdir}: {e.strerror}"], True
    lines = [f"phone: {len(ours)} of {phone.person}'s tasks in {vdir}"]
    lines += [f"phone: {shown(p)}" for p in problems]
    lines += sync_lines(vdir, phone.person, now)
    try:
        claims = phone_claims(store.events()).get(phone.person, set())
        mine = sync.log.device_id()
    except HabitdError:
        return lines, False  # the history's own problems are said with the sharing checks
    others = sorted(claims - {mine} if mine else claims)
    if others:
        lines.append(
            f"phone: another device ({', '.join(others)}) also records {phone.person}'s ticks: keep [phone]"
            f" for {phone.person} in one machine's config only, or each tick may count twice"
        )
    return lines, False
