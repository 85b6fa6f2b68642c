"""When vdirsyncer last synced the phone's vdir, as far as vdirsyncer's own config and status tell.

habitd never talks to the server, so only vdirsyncer knows whether it syncs. Its config
(``$VDIRSYNCER_CONFIG``, ``~/.vdirsyncer/config`` or ``$XDG_CONFIG_HOME/vdirsyncer/config``)
names the pair whose ``filesystem`` storage is the vdir, and where it keeps its status;
vdirsyncer rewrites a pair's status file (``<status_path>/<pair>.items``, or one per
collection in ``<status_path>/<pair>/``) at every sync, even one that changes nothing.
``habitd check`` reads its time: no sync for a day means the timer or the server is not
working. Only names and paths are read from the config, never a password.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from habitd.history import files
from habitd.records import Record

QUIET_FOR = timedelta(days=1)  # no sync for this long: said by check


class LastSync(Record):
    config: str  # vdirsyncer's config file
    pair: str  # "" when no pair of it syncs the vdir
    last: datetime | None  # its latest sync (UTC); None: none seen


def config_file(env: Mapping[str, str] = os.environ) -> str | None:
    """vdirsyncer's config file, as vdirsyncer itself looks for it; None when there is none."""
    home = env.get("HOME") or os.path.expanduser("~")
    xdg = env.get("XDG_CONFIG_HOME", "")
    candidates = [env.get("VDIRSYNCER_CONFIG", ""), os.path.join(home, ".vdirsyncer", "config")]
    base = xdg if os.path.isabs(xdg) else os.path.join(home, ".config")
    candidates.append(os.path.join(base, "vdirsyncer", "config"))
    return next((c for c in candidates if c and os.path.isfile(c)), None)


def _value(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _same(path: object, vdir: str) -> bool:
    return isinstance(path, str) and os.path.realpath(os.path.expanduser(path)) == os.path.realpath(vdir)


def last_sync(vdir: str, env: Mapping[str, str] = os.environ) -> LastSync | None:
    """The pair syncing ``vdir`` and its latest sync; None without a vdirsyncer config (or one unreadable)."""
    path = config_file(env)
    if path is None:
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(files.read_text(path, files.CONFIG_MAX_BYTES))
    except (OSError, ValueError, configparser.Error):
        return None
    storages = {
        name.split(None, 1)[1]
        for name in parser.sections()
        if name.startswith("storage ") and len(name.split(None, 1)) == 2
        and _value(parser[name].get("type", "")) == "filesystem" and _same(_value(parser[name].get("path", "")), vdir)
    }  # fmt: skip
    pair = next(
        (
            name.split(None, 1)[1]
            for name in parser.sections()
            if name.startswith("pair ") and len(name.split(None, 1)) == 2
            and {_value(parser[name].get(k, "")) for k in ("a", "b")} & storages
        ),
        "",
    )  # fmt: skip
    if not pair:
        return LastSync(path, "", None)
    status = _value(parser["general"].get("status_path", "")) if parser.has_section("general") else ""
    if not isinstance(status, str) or not status:
        return LastSync(path, pair, None)
    folder = os.path.expanduser(status)
    found = [os.path.join(folder, f"{pair}.items")]
    with contextlib.suppress(OSError):  # one status file per collection, when the pair has several
        per_collection = os.path.join(folder, pair)
        found += [os.path.join(per_collection, n) for n in files.list_dir(per_collection) if n.endswith(".items")]
    times = [s.mtime_ns for s in (files.signature(p) for p in found) if s is not None]
    last = datetime.fromtimestamp(max(times) / 1e9, UTC) if times else None
    return LastSync(path, pair, last)


def sync_lines(vdir: str, person: str, now: datetime, env: Mapping[str, str] = os.environ) -> list[str]:
    """What ``check`` says of vdirsyncer's syncs of ``person``'s task list (nothing when all is well)."""
    seen = last_sync(vdir, env)
    if seen is None:
        return [f"phone: no vdirsyncer config found; {person}'s tasks reach the phone only through a sync"]
    if not seen.pair:
        return [f"phone: no pair in {seen.config} syncs {vdir} (a filesystem storage with that path)"]
    if seen.last is None:
        return [f"phone: vdirsyncer has not synced {person}'s tasks yet (`vdirsyncer sync`)"]
    if now - seen.last > QUIET_FOR:
        when = seen.last.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")
        return [
            f"phone: no sync of {person}'s tasks seen since {when}; is the vdirsyncer timer running"
            " (`systemctl --user list-timers vdirsyncer.timer`) and the server reachable?"
        ]
    return []
