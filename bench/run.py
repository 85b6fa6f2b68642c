"""habitd's benchmarks: what users feel, measured against a floor in the same run.

    make bench                  # the whole suite, about six minutes
    python bench/run.py --quick # a tiny version (CI runs it so that it keeps working)
    python bench/run.py --against REV  # the commands and the daemon at 1,000 habits: REV's code beside this one

Prints a table and writes the figures to bench/results/latest.json. Machines
are noisy: every timing is a median of runs that alternate with the floor's,
and goals are stated as ratios to that floor. ``--against`` alternates the
two versions instead, run for run and minute for minute.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from habitd.history.statefile import StateFile  # noqa: E402

PY = sys.executable
CATALOG = (ROOT / "config.example.toml").read_text()
_USER_VENV: list[Path] = []  # made once a run: user_python()
_SCRIPTS: dict[Path, str] = {}  # installed(): a console script for each source folder


def user_python() -> str:
    """The Python of a venv like the one pipx makes for habitd: the floor and habitd run on it.

    This checkout's venv holds the test tools too, and some install ``.pth`` files that run code
    at every start of its Python: urllib3-future's (through caldav) costs 45 million
    instructions, a quarter of the floor, which made every ratio to the floor look better than
    what a user sees. The venv made here names this venv's site-packages in a ``.pth`` file of
    its own, so the same packages import, but Python runs the ``.pth`` files of a site folder
    only, never those of a folder one of them names.
    """
    if not _USER_VENV:
        home = Path(tempfile.mkdtemp(prefix="habitd-bench-venv-"))
        atexit.register(shutil.rmtree, home, ignore_errors=True)
        subprocess.run([PY, "-m", "venv", "--without-pip", str(home)], check=True)
        python = home / "bin" / "python"
        where = "import sysconfig; print(sysconfig.get_path('purelib'))"
        site = subprocess.run([python, "-c", where], check=True, capture_output=True, text=True).stdout.strip()
        ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
        Path(site, "packages.pth").write_text("".join(f"{folder}\n" for folder in ours))
        _USER_VENV.append(python)
    return str(_USER_VENV[0])


def floor_cmd() -> list[str]:
    """The floor every command is measured against: Python starting with habitd's libraries."""
    return [user_python(), "-c", "import click, tomllib, tomli_w"]


def installed(source: Path = ROOT / "daemon") -> list[str]:
    """``habitd`` as a user starts it: the console script pip writes, on the user venv's Python,
    running the code in ``source`` (a folder holding the package ``habitd``, beside the
    ``pyproject.toml`` that names the script's function)."""
    if source not in _SCRIPTS:
        python = user_python()
        script = Path(python).parent / f"habitd-{len(_SCRIPTS)}"
        entry = tomllib.loads((source.parent / "pyproject.toml").read_text())["project"]["scripts"]["habitd"]
        module, function = entry.split(":")
        script.write_text(
            f"#!{python}\nimport sys\nsys.path.insert(0, {str(source)!r})\nfrom {module} import {function}\n"
            f"if __name__ == '__main__':\n    sys.exit({function}())\n"
        )
        script.chmod(0o755)
        _SCRIPTS[source] = str(script)
    return [_SCRIPTS[source]]


# Where the reminders fall against quiet hours, for the daemon's figures: kept off them, held by
# them (shown when they end, within the period), or held past the end of the period (never shown).
QUIET = ("outside", "held", "lost")


def far_settings(quiet: str = "outside", now: datetime | None = None) -> tuple[str, dict[str, str]]:
    """A reminder time 12 hours from ``now`` (UTC) and the settings placing quiet hours against it:
    the same figures at any hour of the day, without faking the clock."""
    now = now or datetime.now(UTC)
    far = now + timedelta(hours=12)

    def hhmm(moment: datetime) -> str:
        return moment.strftime("%H:%M")

    if quiet == "outside":
        return hhmm(far), {"quiet_hours": f"{hhmm(now + timedelta(hours=3))}-{hhmm(now + timedelta(hours=4))}"}
    hours = f"{hhmm(far - timedelta(hours=1))}-{hhmm(far + timedelta(hours=1))}"
    day_starts = far + timedelta(hours=2 if quiet == "held" else 0, minutes=30)
    return hhmm(far), {"quiet_hours": hours, "day_starts": hhmm(day_starts)}


def make_config(
    folder: Path, habits: int, reminders_at: str | None = None, settings: dict[str, str] | None = None
) -> Path:
    """``habits`` habits cycled from the example catalog (ids suffixed), so the mix of periods is real;
    ``settings`` override the catalog's."""
    import tomllib

    import tomli_w

    doc = tomllib.loads(CATALOG)
    base = list(doc["habits"].items())
    out = {}
    for i in range(habits):
        hid, table = base[i % len(base)]
        table = dict(table)
        if reminders_at is not None:  # nothing due while we measure: every reminder far away
            table.pop("cron", None)
            table["at"] = reminders_at
            table.pop("remind_again", None)
        out[f"{hid}-{i}"] = table
    doc["habits"] = out
    doc["settings"]["timezone"] = "UTC"
    doc["settings"].update(settings or {})
    path = folder / f"config-{habits}-{time.monotonic_ns()}.toml"
    path.write_text(tomli_w.dumps(doc))
    return path


def sharing_config(config: Path, shared: Path, name: str) -> Path:
    """A copy of ``config`` whose history lives in the shared folder ``shared`` (made here) and
    whose events carry ``name``: the layout of two partners sharing their habits."""
    import tomllib

    import tomli_w

    doc = tomllib.loads(config.read_text())
    doc["settings"] |= {"shared_dir": str(shared), "name": name}
    shared.mkdir(parents=True, exist_ok=True)
    path = config.with_name(f"{config.stem}-{shared.name}.toml")
    path.write_text(tomli_w.dumps(doc))
    return path


def make_history(config: Path, state_dir: Path, years: int, today: date, weekly_notes: bool = False) -> int:
    """A synthetic history: each habit done on about 70% of its days for ``years`` years (and, with
    ``weekly_notes``, a note of a few words on one completion a week), in the state file of the
    release before the event log: the first command moves it into the log."""
    import tomllib

    from habitd.habits.state import Note

    ids = list(tomllib.loads(config.read_text())["habits"])
    rng = random.Random(11)
    store = StateFile(state_dir)
    total = 0
    with store.update() as state:
        for hid in ids:
            log = state.log(hid)
            day = today - timedelta(days=365 * years)
            while day < today:
                if rng.random() < 0.7:
                    nth = log.add(day)
                    total += 1
                    if weekly_notes and day.weekday() == 2:
                        at = datetime(day.year, day.month, day.day, 20, tzinfo=UTC)
                        log.notes.append(Note(day, at, "we talked about the week, and laughed a lot", nth))
                day += timedelta(days=1)
    return total


def make_shared_history(config: Path, state_dir: Path, partner_dir: Path, years: int, today: date) -> int:
    """The history of ``make_history`` (with its weekly notes) as two partners sharing the folder of
    ``config`` write it: each completion and note by Sam or Alex at random, each in their own
    device's files, every event carrying the name."""
    import tomllib

    from habitd.habits.config import parse_config
    from habitd.habits.state import Note
    from habitd.history.store import Store

    parsed = parse_config(config.read_text(), str(config), "UTC")
    shared = tomllib.loads(config.read_text())["settings"]["shared_dir"]
    rng = random.Random(11)
    mine: dict[str, list[tuple[str, date]]] = {"Sam": [], "Alex": []}
    for habit in parsed.habits:
        day = today - timedelta(days=365 * years)
        while day < today:
            if rng.random() < 0.7:
                mine[rng.choice(("Sam", "Alex"))].append((habit.id, day))
            day += timedelta(days=1)
    for who, local in (("Sam", state_dir), ("Alex", partner_dir)):
        store = Store(local, shared, clock=lambda: datetime.now(UTC), today=parsed.today, by=who)
        with store.update() as state:
            for hid, day in mine[who]:
                log = state.log(hid)
                nth = log.add(day, who)
                if day.weekday() == 2:
                    at = datetime(day.year, day.month, day.day, 20, tzinfo=UTC)
                    log.notes.append(Note(day, at, "we talked about the week, and laughed a lot", nth, by=who))
    return sum(map(len, mine.values()))


def with_bookkeeping(state_dir: Path) -> None:
    """The state file as a running daemon leaves it on the example config: today's reminders of
    three habits shown and handled, and the day's count. Every command reads it."""
    from habitd.habits.state import Reminder, State
    from habitd.habits.state_toml import to_doc
    from habitd.history.statefile import STATE_FILE, dump_state

    now = datetime.now(UTC).replace(microsecond=0)
    state = State()
    for habit in ("thanks", "daily-talk", "me-time"):
        state.reminders[habit] = Reminder(handled=now)
    state.sent_day, state.sent_count = now.date(), 3
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = state_dir / STATE_FILE
    path.write_text(dump_state(to_doc(state)))
    path.chmod(0o600)


def run_time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def timed_runs(cases: dict[str, list[str]], repeats: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds of each case and of the floor, run in turn so that noise hits all alike.

    A ``done`` case is followed by an untimed ``undo``, so that every timed run records a completion.
    """
    samples: dict[str, list[float]] = {k: [] for k in [*cases, "floor"]}
    floor = floor_cmd()
    for _ in range(repeats):
        for key, cmd in cases.items():
            samples["floor"].append(run_time(floor, env))
            samples[key].append(run_time(cmd, env))
            if "done" in cmd:
                undo = [*cmd[: cmd.index("done")], "undo", cmd[cmd.index("done") + 1]]
                subprocess.run(undo, env=env, capture_output=True)
    return {k: statistics.median(v) for k, v in samples.items()}


def latency(folder: Path, repeats: int, years: int = 10) -> dict[str, object]:
    """`done` and `status` on the example config beside the floor; then on 50 habits, 10 years vs empty."""
    env = {**os.environ, "NO_COLOR": "1"}
    base = installed()
    example = [*base, "--config", str(ROOT / "config.example.toml"), "--state-dir", str(folder / "example")]
    with_bookkeeping(folder / "example")  # as beside a running daemon
    med = timed_runs({"done": [*example, "done", "thanks"], "status": [*example, "status"]}, repeats, env)
    config = make_config(folder, 50)
    today = datetime.now(UTC).date()
    empty, full = folder / "empty", folder / "full"
    completions = make_history(config, full, years, today)
    size = (full / "state.toml").stat().st_size
    fifty = [*base, "--config", str(config), "--state-dir"]
    run_time([*fifty, str(full), "status"], env)  # moves the history into the event log
    hist = timed_runs(
        {
            "done_empty": [*fifty, str(empty), "done", "thanks-3"],
            "done_full": [*fifty, str(full), "done", "thanks-3"],
            "status_empty": [*fifty, str(empty), "status"],
            "status_full": [*fifty, str(full), "status"],
        },
        repeats,
        env,
    )
    floor = med["floor"]
    ms = lambda seconds: round(seconds * 1000, 1)  # noqa: E731
    return {
        "floor_ms": ms(floor),
        "done_ms": ms(med["done"]),
        "status_ms": ms(med["status"]),
        "done_ratio_to_floor": round(med["done"] / floor, 2),
        "status_ratio_to_floor": round(med["status"] / floor, 2),
        "done_50_empty_ms": ms(hist["done_empty"]),
        "done_50_10y_ms": ms(hist["done_full"]),
        "status_50_empty_ms": ms(hist["status_empty"]),
        "status_50_10y_ms": ms(hist["status_full"]),
        "done_ratio_10y_to_empty": round(hist["done_full"] / hist["done_empty"], 2),
        "status_ratio_10y_to_empty": round(hist["status_full"] / hist["status_empty"], 2),
        "history": f"50 habits x {years} years, {completions} completions, state file {size / 1024:.0f} KiB",
        "runs_each": repeats,
    }


def event_log(folder: Path, repeats: int, years: int = 10, idle: float = 60.0) -> dict[str, object]:
    """13 habits x 10 years with a note a week per habit, in a shared folder with a ``name`` set
    (every event carries it): done and status against an empty history, the first move from a
    state file, a cold rebuild of the cache, catching up with a partner, and the daemon's CPU
    while a partner's device writes."""
    from habitd.habits.config import parse_config
    from habitd.history.caches import CACHE_FILE, EVENTS_CACHE_FILE
    from habitd.history.store import Store

    env = {**os.environ, "NO_COLOR": "1"}
    (folder / "log").mkdir()
    far, away = far_settings()  # no reminder due while measuring
    plain = make_config(folder / "log", 13, reminders_at=far, settings=away)
    shared_full, shared_empty = folder / "log" / "shared-full", folder / "log" / "shared-empty"
    config, config_empty = sharing_config(plain, shared_full, "Sam"), sharing_config(plain, shared_empty, "Sam")
    today = datetime.now(UTC).date()
    empty, full = folder / "log" / "empty", folder / "log" / "full"
    completions = make_shared_history(config, full, folder / "log" / "alex", years, today)
    base = [*installed(), "--config", str(config), "--state-dir"]
    base_empty = [*installed(), "--config", str(config_empty), "--state-dir"]
    # the first command after an update: the same history in a state file of before, moved into the log
    config_moved = sharing_config(plain, folder / "log" / "shared-moved", "Sam")
    moved = folder / "log" / "moved"
    make_history(config_moved, moved, years, today, weekly_notes=True)
    move = run_time([*installed(), "--config", str(config_moved), "--state-dir", str(moved), "status"], env)
    run_time([*base, str(full), "status"], env)  # this device's caches, as after any first command
    files = list(shared_full.glob("devices/*/*.toml"))
    log_mb = sum(p.stat().st_size for p in files) / 1e6
    med = timed_runs(
        {
            "done_empty": [*base_empty, str(empty), "done", "thanks-3"],
            "done_full": [*base, str(full), "done", "thanks-3"],
            "status_empty": [*base_empty, str(empty), "status"],
            "status_full": [*base, str(full), "status"],
        },
        repeats,
        env,
    )
    cold, warm_events = [], []
    for _ in range(max(1, repeats // 7)):
        (full / CACHE_FILE).unlink()
        (full / EVENTS_CACHE_FILE).unlink(missing_ok=True)
        cold.append(run_time([*base, str(full), "status"], env))
        (full / CACHE_FILE).unlink()  # the history cache gone, the events cache kept
        warm_events.append(run_time([*base, str(full), "status"], env))
    # a partner's device on the same folder records a completion; this device catches up
    parsed = parse_config(plain.read_text(), str(plain), "UTC")  # the habits, before they moved to the folder
    partner = Store(
        folder / "log" / "alex", str(shared_full), clock=lambda: datetime.now(UTC), today=parsed.today, by="Alex"
    )
    catch_up = []
    for n in range(max(1, repeats // 3)):
        with partner.update() as state:
            state.log(parsed.habits[n % 13].id).add(today)
        catch_up.append(run_time([*base, str(full), "status"], env))
    catch_up_undo = []  # the partner takes them back: an undo is derived again in its month
    for n in range(max(1, repeats // 3)):
        with partner.update() as state:
            state.log(parsed.habits[n % 13].id).remove(today)
        catch_up_undo.append(run_time([*base, str(full), "status"], env))
    ms = lambda seconds: round(seconds * 1000, 1)  # noqa: E731
    watched = partner_writes(folder / "log", config, full, shared_full, idle)
    return watched | {
        "log_history": f"13 habits x {years} years, {completions} completions by Sam or Alex, a note a week per habit:"
        f" {len(files)} month files, {log_mb:.1f} MB",
        "log_done_empty_ms": ms(med["done_empty"]),
        "log_done_full_ms": ms(med["done_full"]),
        "log_status_empty_ms": ms(med["status_empty"]),
        "log_status_full_ms": ms(med["status_full"]),
        "log_done_ratio": round(med["done_full"] / med["done_empty"], 2),
        "log_status_ratio": round(med["status_full"] / med["status_empty"], 2),
        "log_move_s": round(move, 1),
        "log_cold_rebuild_s": round(statistics.median(cold), 2),
        "log_rebuild_from_events_cache_s": round(statistics.median(warm_events), 2),
        "log_catch_up_ms": ms(statistics.median(catch_up)),
        "log_catch_up_undo_ms": ms(statistics.median(catch_up_undo)),
    }


def partner_writes(folder: Path, config: Path, state: Path, shared: Path, seconds: float) -> dict[str, object]:
    """`habitd run` on that history, its shared folder watched: CPU while idle, while a partner's
    device writes (a completion or an undo every 5 s, arriving as Syncthing delivers a file: a
    temporary name, then a rename), and while a sync engine only churns temporary files."""
    from habitd.history.configfile import load_config
    from habitd.history.store import Store

    parsed = load_config(str(config), str(state), "UTC").config  # its habits are in the shared folder
    staging = folder / "partner-own"  # the partner's own copy of the shared folder
    staging.mkdir()
    alex = Store(folder / "partner-state", str(staging), clock=lambda: datetime.now(UTC), today=parsed.today,
                       by="Alex")  # fmt: skip
    sock_path = folder / "notify-partner"
    sock = NotifySocket(sock_path)
    env = {**os.environ, "NOTIFY_SOCKET": str(sock_path)}
    proc = subprocess.Popen([*installed(), "--config", str(config), "--state-dir", str(state), "run", "-q"], env=env)
    sock.wait_for("READY=1", 120)
    sock.sock.close()

    def deliver() -> None:
        for source in staging.glob("devices/*/*.toml"):
            target = shared / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.parent / f".syncthing.{source.name}.tmp"
            shutil.copyfile(source, tmp)
            os.utime(tmp, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))  # as Syncthing keeps it
            os.replace(tmp, target)

    def cpu_over(act: Callable[[float], None]) -> float:
        time.sleep(1)
        before = proc_stats(proc.pid)[0]
        end = time.monotonic() + seconds
        act(end)
        time.sleep(max(0.0, end - time.monotonic()) + 1)  # the last change handled
        return proc_stats(proc.pid)[0] - before

    writes = [0]

    def partner(end: float) -> None:
        day = datetime.now(UTC).date()
        while time.monotonic() < end - 2:
            with alex.update() as st:
                log = st.log(parsed.habits[0].id)
                if log.count(day):
                    log.remove(day)
                else:
                    log.add(day)
            deliver()
            writes[0] += 1
            time.sleep(5 if seconds > 10 else 0.5)

    def temp_files(end: float) -> None:
        folder = next(shared.glob("devices/*"))
        while time.monotonic() < end:
            tmp = folder / ".syncthing.2026-01.toml.tmp"
            tmp.write_bytes(b"x" * 4096)
            tmp.unlink()
            time.sleep(0.05)

    try:
        idle = cpu_over(lambda end: None)
        busy = cpu_over(partner)
        churn = cpu_over(temp_files)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    per_minute = 60 / seconds
    return {
        "partner_idle_cpu_s_per_min": round(idle * per_minute, 3),
        "partner_writing_cpu_s_per_min": round(busy * per_minute, 3),
        "partner_writes": writes[0],
        "partner_cpu_ms_per_write": round((busy - idle) / max(1, writes[0]) * 1000),
        "sync_temp_churn_cpu_s_per_min": round(churn * per_minute, 3),
        "partner_measured_s": seconds,
    }


def overview(folder: Path, repeats: int) -> dict[str, object]:
    """The commands that read the whole history, on the example's 13 habits with 10 years each."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80"}
    config = make_config(folder, 13)
    state = folder / "overview"
    completions = make_history(config, state, 10, datetime.now(UTC).date())
    base = [*installed(), "--config", str(config), "--state-dir", str(state)]
    run_time([*base, "status"], env)  # moves the history into the event log
    med = timed_runs(
        {"status": [*base, "status"], "stats": [*base, "stats"], "grid": [*base, "grid"]},
        repeats,
        env,
    )
    ms = lambda seconds: round(seconds * 1000, 1)  # noqa: E731
    return {
        "overview_history": f"13 habits x 10 years, {completions} completions",
        "overview_floor_ms": ms(med["floor"]),
        "status_13_10y_ms": ms(med["status"]),
        "stats_13_10y_ms": ms(med["stats"]),
        "grid_13_10y_ms": ms(med["grid"]),
        "stats_ratio_to_floor": round(med["stats"] / med["floor"], 2),
        "grid_ratio_to_floor": round(med["grid"] / med["floor"], 2),
    }


class NotifySocket:
    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def wait_for(self, message: str, timeout: float = 30) -> float:
        self.sock.settimeout(timeout)
        while True:
            data = self.sock.recv(4096).decode()
            if message in data.splitlines():
                return time.perf_counter()


def proc_stats(pid: int) -> tuple[float, int, int]:
    """CPU seconds, voluntary context switches of all threads, resident KiB."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        m = re.search(r"voluntary_ctxt_switches:\s+(\d+)", (task / "status").read_text())
        switches += int(m.group(1)) if m else 0
    rss = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))  # type: ignore[union-attr]
    return cpu, switches, rss


def start_daemon(
    folder: Path, habits: int, env: dict[str, str], base: list[str] | None = None, quiet: str = "outside"
) -> tuple[subprocess.Popen[bytes], float]:
    """Start `habitd run` with reminders far from now, ``quiet`` as in ``far_settings``; return it
    and its start-up time to READY=1."""
    far, settings = far_settings(quiet)
    config = make_config(folder, habits, reminders_at=far, settings=settings)
    sock_path = folder / f"notify-{habits}-{time.monotonic_ns()}"
    sock = NotifySocket(sock_path)
    state = folder / f"state-{habits}-{time.monotonic_ns()}"
    cmd = [*(base or installed()), "--config", str(config), "--state-dir", str(state), "run", "-q"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**env, "NOTIFY_SOCKET": str(sock_path)})
    ready = sock.wait_for("READY=1") - start
    sock.sock.close()
    return proc, ready


def daemon_costs(folder: Path, idle_seconds: float, starts: int = 5) -> dict[str, object]:
    """Start-up, idle CPU and wake-ups, memory: with its session-bus connection open to a real server.
    ``starts``: start-ups of 50 habits measured (those at 1,000 habits: 3 of each kind, or 1 with 1)."""
    desktop = None
    if all(shutil.which(p) for p in ("dbus-daemon", "Xvfb", "dunst", "dunstctl")):
        from tests.desktop import Desktop

        (folder / "idle-desktop").mkdir()
        desktop = Desktop(folder / "idle-desktop")
    try:
        env = {**(desktop.env if desktop else os.environ), "HABITD_NOTIFIER": "dbus"}
        out = _daemon_costs(folder, idle_seconds, env, starts)
    finally:
        if desktop:
            desktop.close()
    out["daemon_connected_to"] = "dunst on a private session bus" if desktop else "no session bus"
    # Without a notification server: the session bus's address names nothing.
    bare = {**os.environ, "HABITD_NOTIFIER": "dbus", "DBUS_SESSION_BUS_ADDRESS": f"unix:path={folder}/no-bus"}
    out.update({f"no_server_{k}": v for k, v in quiet_hours(folder, bare, 1).items()})
    return out


def _daemon_costs(folder: Path, idle_seconds: float, env: dict[str, str], starts: int) -> dict[str, object]:
    out: dict[str, object] = {}
    readies = []
    for _ in range(starts):
        proc, ready = start_daemon(folder, 50, env)
        readies.append(ready)
        stop(proc)
    out["startup_to_ready_s"] = round(statistics.median(readies), 3)
    proc, _ = start_daemon(folder, 50, env)
    try:
        time.sleep(1)
        cpu0, sw0, rss50 = proc_stats(proc.pid)
        out["daemon_threads"] = len(list(Path(f"/proc/{proc.pid}/task").iterdir()))
        time.sleep(idle_seconds)
        cpu1, sw1, _ = proc_stats(proc.pid)
    finally:
        stop(proc)
    minutes = idle_seconds / 60
    out["idle_cpu_s_per_min"] = round((cpu1 - cpu0) / minutes, 4)
    out["idle_wakeups_per_min"] = round((sw1 - sw0) / minutes, 1)
    out["idle_measured_s"] = idle_seconds
    out["rss_50_habits_mib"] = round(rss50 / 1024, 1)
    proc, _ = start_daemon(folder, 1000, env)
    try:
        time.sleep(1)
        out["rss_1000_habits_mib"] = round(proc_stats(proc.pid)[2] / 1024, 1)
    finally:
        stop(proc)
    out.update(quiet_hours(folder, env, 3 if starts > 1 else 1))
    return out


def stop(proc: subprocess.Popen[bytes], limit: float = 30) -> float:
    """SIGTERM, then the seconds until it exited; killed (and ``limit`` returned) past ``limit``."""
    start = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return limit
    return time.perf_counter() - start


def quiet_hours(folder: Path, env: dict[str, str], repeats: int) -> dict[str, object]:
    """Start-up to READY=1 and SIGTERM to exit at 1,000 habits, the reminders off quiet hours, held
    by them, and held past their period's end, in turn; the stop right after READY (the daemon is
    still busy then)."""
    starts: dict[str, list[float]] = {q: [] for q in QUIET}
    stops: dict[str, list[float]] = {q: [] for q in QUIET}
    for _ in range(repeats):
        for q in QUIET:
            proc, ready = start_daemon(folder, 1000, env, quiet=q)
            starts[q].append(ready)
            stops[q].append(stop(proc))
    out: dict[str, object] = {"startup_1000_to_ready_s": round(statistics.median(starts["outside"]), 3)}
    for q in QUIET:
        out[f"startup_1000_quiet_{q}_s"] = round(statistics.median(starts[q]), 3)
        out[f"stop_1000_quiet_{q}_s"] = round(statistics.median(stops[q]), 3)
        out[f"stop_1000_quiet_{q}_max_s"] = round(max(stops[q]), 3)
    return out


class SlowDaemon(Exception):
    pass


def check_daemon_figures(results: dict[str, object]) -> None:
    """A regression fails the benchmark: quiet hours costing start-up time, or a slow stop."""
    outside = results.get("startup_1000_quiet_outside_s")
    if not isinstance(outside, float):
        return
    for q in QUIET:
        start, slowest = results[f"startup_1000_quiet_{q}_s"], results[f"stop_1000_quiet_{q}_max_s"]
        assert isinstance(start, float) and isinstance(slowest, float)
        if start > 2 * outside + 0.3:
            raise SlowDaemon(f"start-up with reminders {q} quiet hours took {start} s, {outside} s outside them")
        if slowest > STOP_LIMIT:
            raise SlowDaemon(f"a stop with reminders {q} quiet hours took {slowest} s (limit {STOP_LIMIT} s)")
    bare = results.get("no_server_stop_1000_quiet_lost_max_s")
    if isinstance(bare, float) and bare > STOP_LIMIT:
        raise SlowDaemon(f"a stop without a notification server took {bare} s (limit {STOP_LIMIT} s)")


STOP_LIMIT = 2.0  # seconds from SIGTERM to exit at the slowest; the goal is 1 s, systemd kills at 10 s


def scale(folder: Path, repeats: int) -> dict[str, object]:
    config = make_config(folder, 1000)
    env = {**os.environ, "NO_COLOR": "1"}
    base = [*installed(), "--config", str(config), "--state-dir", str(folder / "state-scale")]
    check = statistics.median(run_time([*base, "check"], env) for _ in range(repeats))
    status = statistics.median(run_time([*base, "status"], env) for _ in range(repeats))
    return {"check_1000_habits_ms": round(check * 1000), "status_1000_habits_ms": round(status * 1000)}


def data_commands(folder: Path, repeats: int) -> dict[str, object]:
    """export (JSON and CSV), import into an empty state, and ical: 13 habits x 10 years of history."""
    env = {**os.environ, "NO_COLOR": "1"}
    config = make_config(folder, 13)
    full = folder / "data-full"
    make_history(config, full, 10, datetime.now(UTC).date())
    base = [*installed(), "--config", str(config), "--state-dir"]
    out = folder / "export.json"
    runs: dict[str, list[float]] = {"json": [], "csv": [], "import": [], "ical": []}
    for i in range(repeats):
        runs["json"].append(run_time([*base, str(full), "export", "--notes", "-o", str(out)], env))
        runs["csv"].append(run_time([*base, str(full), "export", "--format", "csv", "-o", str(folder / "e.csv")], env))
        runs["import"].append(run_time([*base, str(folder / f"data-import-{i}"), "import", str(out)], env))
        runs["ical"].append(run_time([*base, str(full), "ical", "-o", str(folder / "habits.ics")], env))
    med = {k: round(statistics.median(v) * 1000) for k, v in runs.items()}
    return {
        "export_json_13x10y_ms": med["json"],
        "export_csv_13x10y_ms": med["csv"],
        "import_json_13x10y_ms": med["import"],
        "ical_13_habits_ms": med["ical"],
        "export_json_13x10y_kib": round(out.stat().st_size / 1024),
    }


FIRE_CONFIG_HABIT = '[habits.fire-{i}]\ntitle = "Fire {i}"\nmessage = "bench"\nat = "{at}"\n'
FIRE_HABITS = 1000  # the ones that fire, and the rest with reminders far away


class LostNotifications(Exception):
    pass


def fire_accuracy(
    folder: Path, rounds: int, per_round: int, versions: dict[str, list[str]] | None = None
) -> dict[str, object]:
    """Scheduled second to the Notify call seen on a real session bus with a real server (dunst).

    With several ``versions`` (name: command), each runs on a desktop of its own and their
    rounds take turns, minute by minute; the figures of each are prefixed by its name.
    """
    needed = ["dbus-daemon", "dbus-monitor", "Xvfb", "dunst"]
    if missing := [p for p in needed if not shutil.which(p)]:
        return {"fire": f"skipped: needs {', '.join(missing)}"}
    sys.path.insert(0, str(ROOT))
    from tests.desktop import Desktop

    versions = versions or {"": installed()}
    desktops, monitors, procs = [], [], []
    now = datetime.now()
    first = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if (first - now).total_seconds() < 8 + 2 * len(versions):
        first += timedelta(minutes=1)
    slots = {
        name: [first + timedelta(minutes=r * len(versions) + v) for r in range(rounds)]
        for v, name in enumerate(versions)
    }
    seen: dict[str, list[float]] = {name: [] for name in versions}
    try:
        for v, (name, base) in enumerate(versions.items()):
            (folder / f"desktop{v}").mkdir()
            desktop = Desktop(folder / f"desktop{v}")
            desktops.append(desktop)
            config = folder / f"fire{v}.toml"
            body = "[settings]\nmax_per_day = 1000\n"  # the machine's zone, like datetime.now() above
            for r, slot in enumerate(slots[name]):
                for k in range(per_round):
                    body += FIRE_CONFIG_HABIT.format(i=r * per_round + k, at=slot.strftime("%H:%M"))
            far = (now + timedelta(hours=12)).strftime("%H:%M")
            for i in range(rounds * per_round, FIRE_HABITS):
                body += FIRE_CONFIG_HABIT.format(i=i, at=far)
            config.write_text(body)
            monitor = subprocess.Popen(
                ["dbus-monitor", "--session", "--profile", "interface='org.freedesktop.Notifications',member='Notify'"],
                env=desktop.env, stdout=subprocess.PIPE, text=True, bufsize=1,
            )  # fmt: skip
            monitors.append(monitor)
            cmd = [*base, "--config", str(config), "--state-dir", str(folder / f"state-fire{v}"), "run", "-q"]
            procs.append(subprocess.Popen(cmd, env={**desktop.env, "HABITD_NOTIFIER": "dbus"}))
        last = max(s for ss in slots.values() for s in ss)
        deadline = time.time() + (last - now).total_seconds() + 30
        names = {m.stdout: name for m, name in zip(monitors, versions, strict=True)}
        while sum(map(len, seen.values())) < len(versions) * rounds * per_round and time.time() < deadline:
            for out in select.select(list(names), [], [], 1.0)[0]:
                assert out is not None
                parts = out.readline().split("\t")
                if len(parts) > 7 and parts[0] == "mc" and parts[7].strip() == "Notify":
                    seen[names[out]].append(float(parts[1]))
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        for monitor in monitors:
            monitor.kill()
        for desktop in desktops:
            desktop.close()
    out: dict[str, object] = {"fire_habits": FIRE_HABITS}
    for name in versions:
        scheduled = sorted(s.timestamp() for s in slots[name] for _ in range(per_round))
        if len(seen[name]) != len(scheduled):
            lost = f"{len(scheduled)} notifications were due, {len(seen[name])} reached the bus"
            raise LostNotifications(f"{name} {lost}" if name else lost)
        delays = [(t - s) * 1000 for t, s in zip(sorted(seen[name]), scheduled, strict=True)]
        out[f"{name}fires"] = len(delays)
        out[f"{name}fire_delay_median_ms"] = round(statistics.median(delays), 1)
        out[f"{name}fire_delay_max_ms"] = round(max(delays), 1)
    return out


def against(folder: Path, rev: str, repeats: int, rounds: int) -> int:
    """The code of ``rev`` beside this one: the commands' start-up (``commands.py``), and the daemon at
    1,000 habits: CPU per partner write, start-up, stop and fire delay."""
    old = folder / "old"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "daemon", "pyproject.toml"], check=True,
                             capture_output=True)  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    subprocess.run([PY, "-m", "compileall", "-q", str(old / "daemon"), str(ROOT / "daemon")], check=True)
    env = {**os.environ, "HABITD_NOTIFIER": "notify-send"}
    # Its own copy first on the path, never this checkout: the import package is `habitd` inside
    # daemon/ since the source folder became daemon/habitd; before that it was `daemon` itself.
    path, package = (old / "daemon", "habitd") if (old / "daemon" / "habitd").is_dir() else (old, "daemon")
    def from_source(path: Path, package: str) -> list[str]:
        if package == "habitd":
            return installed(path)
        return [user_python(), "-P", "-c", f"import sys; sys.path.insert(0, {str(path)!r}); import runpy; "
                                           f"runpy.run_module({package!r}, run_name='__main__')"]  # fmt: skip

    versions = {rev: from_source(path, package), "this": installed()}
    results: dict[str, object] = {"machine": machine(), "when": datetime.now(UTC).isoformat(timespec="seconds")}
    from commands import ROWS as COMMAND_ROWS
    from commands import command_times
    from partner import write_cost  # both daemons on one shared folder: each write reaches both at once

    # The commands: both versions started alike, by the console script on the user venv's Python
    results.update(command_times(folder, {f"{name}:": base for name, base in versions.items()}))
    results["load_average"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    results.update(
        write_cost(folder, {f"{name}:": base for name, base in versions.items()}, 10, 10 if repeats < 5 else 40)
    )
    for habits, quiet in ((50, "outside"), (1000, "outside"), (1000, "lost")):
        starts: dict[str, list[float]] = {name: [] for name in versions}
        stops: dict[str, list[float]] = {name: [] for name in versions}
        for _ in range(repeats):
            for name, base in versions.items():
                proc, ready = start_daemon(folder, habits, env, base, quiet)
                starts[name].append(ready)
                stops[name].append(stop(proc))
        key = f"{habits}" if quiet == "outside" else f"{habits}_quiet_{quiet}"
        for name in versions:
            results[f"{name}:startup_{key}_to_ready_s"] = round(statistics.median(starts[name]), 3)
            results[f"{name}:stop_{key}_s"] = round(statistics.median(stops[name]), 3)
    try:
        fire = fire_accuracy(folder, rounds, 6, {f"{name}:": base for name, base in versions.items()})
    except LostNotifications as e:
        print(f"benchmark failed: {e}", file=sys.stderr)
        return 1
    results.update(fire)
    print(f"habitd on {results['machine']}: {rev} / this checkout")
    print(f"  commands: medians of {results['commands_runs_each']} runs each, in turns with the floor"
          f" ({results['commands_floor_ms']} ms, {results['commands_floor_cpu_ms']} ms of CPU);"
          f" load average {results['load_average']} after them")  # fmt: skip
    print(f"  daemon at 1,000 habits: medians of {repeats} start-ups each and {rounds * 6} fires each, in turns")
    for label, key, unit in [
        *COMMAND_ROWS,
        ("start-up to READY=1, 50 habits", "startup_50_to_ready_s", "s"),
        ("start-up to READY=1, 1,000 habits", "startup_1000_to_ready_s", "s"),
        ("  ... held past their period by quiet hours", "startup_1000_quiet_lost_to_ready_s", "s"),
        ("SIGTERM to exit, 1,000 habits", "stop_1000_s", "s"),
        ("  ... held past their period by quiet hours", "stop_1000_quiet_lost_s", "s"),
        ("fire delay at 1,000 habits, median", "fire_delay_median_ms", "ms"),
        ("fire delay at 1,000 habits, max", "fire_delay_max_ms", "ms"),
        ("CPU per partner write, 10 years (13 habits)", "partner_write_cpu_ms", "ms"),
    ]:
        pair = " / ".join(str(results.get(f"{name}:{key}", "-")) for name in versions)
        print(f"  {label:<50}  {pair} {unit}")
    out = ROOT / "bench" / "results" / "against.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures written to {out}")
    return 0


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"
    )


ROWS = [
    ("floor: python -c 'import click, tomllib, tomli_w'", "floor_ms", "ms"),
    ("done, example config (13 habits)", "done_ms", "ms"),
    ("status, example config", "status_ms", "ms"),
    ("done / floor (goal <= 1.3)", "done_ratio_to_floor", "x"),
    ("status / floor (goal <= 1.3)", "status_ratio_to_floor", "x"),
    ("done, 50 habits: empty / 10 years", ("done_50_empty_ms", "done_50_10y_ms"), "ms"),
    ("status, 50 habits: empty / 10 years", ("status_50_empty_ms", "status_50_10y_ms"), "ms"),
    ("done, 10 years / empty (goal <= 1.2)", "done_ratio_10y_to_empty", "x"),
    ("status, 10 years / empty (goal <= 1.2)", "status_ratio_10y_to_empty", "x"),
    ("daemon idle CPU per minute (goal <= 0.05 s)", "idle_cpu_s_per_min", "s"),
    ("daemon idle wake-ups per minute (goal <= 2)", "idle_wakeups_per_min", ""),
    ("daemon RSS, 50 habits (goal <= 40 MiB)", "rss_50_habits_mib", "MiB"),
    ("daemon RSS, 1,000 habits", "rss_1000_habits_mib", "MiB"),
    ("start-up to READY=1, 50 habits (goal <= 0.5 s)", "startup_to_ready_s", "s"),
    ("start-up to READY=1, 1,000 habits", "startup_1000_to_ready_s", "s"),
    (
        "  ... reminders off / held by / held past their period by quiet hours (goal <= 1 s)",
        ("startup_1000_quiet_outside_s", "startup_1000_quiet_held_s", "startup_1000_quiet_lost_s"),
        "s",
    ),
    (
        "SIGTERM to exit after READY, 1,000 habits, same three (goal <= 1 s)",
        ("stop_1000_quiet_outside_s", "stop_1000_quiet_held_s", "stop_1000_quiet_lost_s"),
        "s",
    ),
    (
        "  ... the same two figures without a notification server",
        ("no_server_startup_1000_quiet_lost_s", "no_server_stop_1000_quiet_lost_s"),
        "s",
    ),
    ("fire delay at 1,000 habits, median (goal <= 100 ms)", "fire_delay_median_ms", "ms"),
    ("fire delay at 1,000 habits, max (goal <= 500 ms)", "fire_delay_max_ms", "ms"),
    ("status / stats / grid, 13 habits x 10 years", ("status_13_10y_ms", "stats_13_10y_ms", "grid_13_10y_ms"), "ms"),
    ("stats / floor, 13 habits x 10 years", "stats_ratio_to_floor", "x"),
    ("grid / floor, 13 habits x 10 years", "grid_ratio_to_floor", "x"),
    ("check, 1,000 habits", "check_1000_habits_ms", "ms"),
    ("status, 1,000 habits", "status_1000_habits_ms", "ms"),
    ("event log, 13 habits: done, empty / 10 years + notes", ("log_done_empty_ms", "log_done_full_ms"), "ms"),
    ("event log: done, 10 years + notes / empty (goal <= 1.2)", "log_done_ratio", "x"),
    ("event log: status, empty / 10 years + notes", ("log_status_empty_ms", "log_status_full_ms"), "ms"),
    ("event log: status, 10 years + notes / empty (goal <= 1.2)", "log_status_ratio", "x"),
    ("event log: first move of the state file", "log_move_s", "s"),
    ("event log: status after deleting both caches (cold)", "log_cold_rebuild_s", "s"),
    ("event log: status after deleting the history cache", "log_rebuild_from_events_cache_s", "s"),
    ("event log: status after a partner's done", "log_catch_up_ms", "ms"),
    ("event log: status after a partner's undo", "log_catch_up_undo_ms", "ms"),
    ("daemon on that log, CPU per minute: idle", "partner_idle_cpu_s_per_min", "s"),
    ("  ... a partner writing every 5 s (Syncthing-like)", "partner_writing_cpu_s_per_min", "s"),
    ("  ... CPU per partner write", "partner_cpu_ms_per_write", "ms"),
    ("  ... a sync engine's temporary files, 20 a second", "sync_temp_churn_cpu_s_per_min", "s"),
    ("CPU per partner write, 10 years, paced writes (goal <= 10 ms)", "partner_write_cpu_ms", "ms"),
    ("export JSON / CSV, 13 habits x 10 years", ("export_json_13x10y_ms", "export_csv_13x10y_ms"), "ms"),
    ("import of that JSON into an empty state", "import_json_13x10y_ms", "ms"),
    ("ical, 13 habits", "ical_13_habits_ms", "ms"),
]


def cell(results: dict[str, object], key: str | tuple[str, ...], unit: str) -> str:
    if isinstance(key, tuple):
        return " / ".join(str(results.get(k, "-")) for k in key) + f" {unit}"
    if key in results:
        return f"{results[key]} {unit}".rstrip()
    return str(results.get("fire", "-")) if key.startswith("fire") else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tiny run that only checks the suite works")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument("--against", metavar="REV", help="the commands and the daemon: REV's code beside this")
    parser.add_argument("--log", action="store_true", help="only the event log's figures (about five minutes)")
    args = parser.parse_args()
    if args.against:
        with tempfile.TemporaryDirectory() as tmp:
            return against(Path(tmp), args.against, 3 if args.quick else 11, 1 if args.quick else 3)
    repeats, idle, rounds = (1, 1.0, 0) if args.quick else (21, 60.0, 2)  # quick: that it works, not figures
    results: dict[str, object] = {"machine": machine(), "when": datetime.now(UTC).isoformat(timespec="seconds")}
    # Installed packages come with compiled bytecode; give the source tree the same (pipx does too).
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "daemon")], check=True)
    from partner import CostlyWrite, check_write_cost, write_cost

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        years, writes = (1, 5) if args.quick else (10, 40)
        if args.log:
            results.update(event_log(folder, repeats, 1 if args.quick else 10, idle))
            results.update(write_cost(folder, {"": installed()}, years, writes))
            mine = [r for r in ROWS if str(r[1]).startswith(("('log", "log", "partner", "sync"))]
            try:
                check_write_cost(results)
            except CostlyWrite as e:
                report(results, args.out, mine)
                print(f"benchmark failed: {e}", file=sys.stderr)
                return 1
            return report(results, args.out, mine)
        results.update(latency(folder, repeats, 1 if args.quick else 10))
        results["load_average"] = " ".join(f"{x:.1f}" for x in os.getloadavg())  # after the commands' timings
        results.update(event_log(folder, repeats, 1 if args.quick else 10, idle))
        results.update(write_cost(folder, {"": installed()}, years, writes))
        results.update(overview(folder, repeats))
        results.update(daemon_costs(folder, idle, 1 if args.quick else 5))
        results.update(scale(folder, 1 if args.quick else 5))
        results.update(data_commands(folder, 1 if args.quick else 5))
        try:
            check_daemon_figures(results)
            if not args.quick:  # one year of history says nothing of ten
                check_write_cost(results)
            results.update(fire_accuracy(folder, rounds, 6) if rounds else {"fire": "skipped in --quick"})
        except (LostNotifications, SlowDaemon, CostlyWrite) as e:
            report(results, args.out, ROWS)
            print(f"benchmark failed: {e}", file=sys.stderr)
            return 1
    return report(results, args.out, ROWS)


def report(results: dict[str, object], out: Path, rows: list[tuple[str, str | tuple[str, ...], str]]) -> int:
    width = max(len(r[0]) for r in rows)
    print(f"habitd benchmarks on {results['machine']}")
    if "history" in results:
        print(f"history: {results['history']}; latency medians of {results['runs_each']} runs each,"
              f" load average {results['load_average']} after them")  # fmt: skip
    print(f"event log: {results['log_history']}")
    for label, key, unit in rows:
        print(f"  {label:<{width}}  {cell(results, key, unit)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
