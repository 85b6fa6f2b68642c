"""Renaming a habit: its history moves to the new id, and the config key with it when safe.

``move_history`` changes a ``State`` (the caller, record.py, holds the lock);
``rename_in_config`` rewrites the config text's ``[habits.OLD]`` header, or
says why it will not (then the person changes one line themselves). Neither
touches files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from habitd.habits.config import Config
from habitd.habits.state import Pause, State
from habitd.history.events import DONE, NOTE, SKIP, TAKE_BACK, Event
from habitd.history.merge import Merged, merge_log
from habitd.limits import TomlError, toml_loads
from habitd.records import Record


class ConfigEdit(Record):
    text: str | None  # the new config text, or None when it cannot be edited safely
    line: int | None  # the line of the [habits.OLD] header, if found
    why: str  # why not, when text is None


def history_ids(state: State) -> set[str]:
    """Every habit id the state holds something for."""
    ids = {hid for hid, log in state.habits.items() if not log.empty()}
    return ids | {p.habit for p in state.pauses if p.habit != "*"} | set(state.prompts)


def orphans(config: Config, state: State) -> list[str]:
    """Ids with history kept in the state but no habit in the config."""
    return sorted(hid for hid, log in state.habits.items() if not log.empty() and config.habit(hid) is None)


def move_history(state: State, old: str, new: str) -> Merged:
    """Move ``old``'s completions, skips, notes, pauses, prompt deck and reminder record to ``new``."""
    moved = Merged(0, 0, 0, 0)
    log = state.habits.pop(old, None)
    if log is not None:
        moved = merge_log(state.log(new), log)  # who did what moves along
        if state.habits[new].empty():
            del state.habits[new]
    pauses = 0
    kept: list[Pause] = []
    for p in state.pauses:
        if p.habit == old:
            p = p._replace(habit=new)
            pauses += 1
        if p not in kept:
            kept.append(p)
    state.pauses = kept
    deck = state.prompts.pop(old, None)
    if deck is not None and new not in state.prompts:
        state.prompts[new] = deck
    shown = state.reminders.pop(old, None)
    if shown is not None and new not in state.reminders:
        state.reminders[new] = shown
    return moved + Merged(0, 0, 0, pauses)


def _header(old: str) -> re.Pattern[str]:
    return re.compile(r'^(\s*\[\s*habits\s*\.\s*)("?)' + re.escape(old) + r"\2(\s*\].*)$")


def rename_in_config(text: str, old: str, new: str) -> ConfigEdit:
    """The config text with ``[habits.OLD]`` renamed, if that is the one place the habit is named."""
    lines = text.split("\n")
    pattern = _header(old)
    found = [i for i, line in enumerate(lines) if pattern.match(line)]
    line = found[0] + 1 if len(found) == 1 else None
    if len(found) != 1:
        return ConfigEdit(None, None, f"the config has no single [habits.{old}] line")
    i = found[0]
    lines[i] = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{new}{m.group(2)}{m.group(3)}", lines[i])
    edited = "\n".join(lines)
    try:
        before: dict[str, Any] = toml_loads(text)
        after: dict[str, Any] = toml_loads(edited)
    except TomlError:
        return ConfigEdit(None, line, "the edited config would not be valid TOML")
    habits_before = dict(before.get("habits", {}))
    habits_before[new] = habits_before.pop(old, None)
    if after.get("habits") != habits_before or {k: v for k, v in after.items() if k != "habits"} != {
        k: v for k, v in before.items() if k != "habits"
    }:
        return ConfigEdit(None, line, f"the habit is also named elsewhere than its [habits.{old}] line")
    return ConfigEdit(edited, line, "")


# --- history another device wrote: what `habitd check` says of an id without a habit ---------


class Orphan(Record):
    habit: str  # an id with history but no habit in this config
    advice: str  # what `habitd check` says of it


def renames(events: Sequence[Event]) -> list[tuple[str, str, str]]:
    """(old, new, device) of every rename in the log, oldest first.

    ``habitd rename`` writes its change in one go: one device, one moment, events that take back
    the old habit's history and events that add the same to the new one; no other change does.
    """
    writes: dict[tuple[str, datetime], tuple[set[str], set[str]]] = {}
    for e in events:
        gone, added = writes.setdefault((e.stamp.device, e.at), (set(), set()))
        if e.kind in TAKE_BACK:
            gone.add(e.habit)
        elif e.kind in (DONE, NOTE, SKIP):
            added.add(e.habit)
    return [
        (next(iter(gone)), next(iter(added - gone)), device)
        for (device, _at), (gone, added) in writes.items()
        if len(gone) == 1 and len(added - gone) == 1
    ]


def device_names(events: Sequence[Event]) -> dict[str, str]:
    """Each device's person as its latest named event says ("Alex's device"), else its id."""
    names: dict[str, str] = {}
    for e in events:
        if e.by:
            names[e.stamp.device] = f"{e.by}'s device"
    return {e.stamp.device: names.get(e.stamp.device, f"device {e.stamp.device}") for e in events} | names


def to_follow(config: Config, state: State, events: Sequence[Event], me: str | None) -> list[tuple[str, str, str]]:
    """(old, new, who) of each partner's rename of a habit of this config that this device has not followed."""
    names = device_names(events)
    done = renames(events)
    out = []
    for hid in orphans(config, state):
        followed = [(old, d) for old, new, d in done if new == hid and d != me and config.habit(old) is not None]
        if followed:
            old, d = followed[-1]
            out.append((old, hid, names.get(d, d)))
    return out


def started_elsewhere(events: Sequence[Event], old: str, new: str, me: str | None) -> bool:
    """Whether another device renamed ``old`` to ``new`` first: this rename follows theirs."""
    return any(o == old and n == new and d != me for o, n, d in renames(events))


def rename_months(config: Config, state: State) -> set[str]:
    """The months (YYYY-MM) whose events tell whether a partner renamed a habit of this config to an
    id without a habit here: a rename writes, in one go, the take-backs of the old habit and the same
    history for the new one, its first and last days included. So the first and last month of each
    such id suffice for ``to_follow`` (not the whole log, years of it); ``habitd check`` reads all."""
    months: set[str] = set()
    for hid in orphans(config, state):
        log = state.habits[hid]
        days = [*log.days(), *(n.day for n in log.notes), *(k.day for k in log.skips)]
        if days:  # a log kept for something else (a partner's forged or damaged entries) has no month to read
            months.update(f"{d.year:04d}-{d.month:02d}" for d in (min(days), max(days)))
    return months


def orphan_advice(config: Config, state: State, events: Sequence[Event], me: str | None) -> list[Orphan]:
    """What to do with each id whose history is kept without a habit, from who wrote it.

    A partner's rename of a habit of this config is followed with the same rename here; history that
    only other devices wrote is a habit of their config; the rest may be attached with a rename.
    """
    names = device_names(events)
    done = renames(events)
    out = []
    for hid in orphans(config, state):
        writers = {e.stamp.device for e in events if e.habit == hid}
        followed = [(old, d) for old, new, d in done if new == hid and d != me and config.habit(old) is not None]
        left = [(new, d) for old, new, d in done if old == hid and config.habit(new) is not None]
        others = sorted(names.get(d, d) for d in writers if d != me)
        if followed:
            old, d = followed[-1]
            advice = (
                f"{names.get(d, d)} renamed '{old}' to '{hid}'; `habitd rename {old} {hid}` follows it here"
                f" (what you record as '{old}' moves along, and your config with it)"
            )
        elif left and others:
            new, _d = left[-1]
            advice = (
                f"'{hid}' was renamed '{new}', but {' and '.join(others)} still records '{hid}':"
                f" on that machine, `habitd rename {hid} {new}` follows the rename"
            )
        elif writers and me not in writers:
            advice = f"history for '{hid}' is written by {' and '.join(others)}: a habit of their config"
        else:
            advice = f"history for '{hid}' is kept; `habitd rename {hid} NEW` attaches it to a habit"
        out.append(Orphan(hid, advice))
    return out
