"""What a partner's write costs the running daemon: its CPU time per write, at years of shared history.

``write_cost`` starts one daemon per version given (``--against`` gives two: the
code of a revision and this one), each on its own copy of this device's state
folder and all on the same shared folder, so that every write reaches every
daemon at the same moment under the same load. A partner's device then writes
(a completion or its undo, in turn) ``writes`` times, paced, and each daemon's
CPU time (user and system, from ``/proc/PID/stat``) over the writes, less what
it spends idle over as long, is divided by their number.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from run import NotifySocket, far_settings, make_config, make_shared_history, proc_stats, run_time, sharing_config

PARTNER_WRITE_LIMIT_MS = 10.0  # the goal, CPU per write at 10 years; the benchmark fails past twice it
PARTNER_WRITE_FAIL_MS = 2 * PARTNER_WRITE_LIMIT_MS  # a busy machine's noise aside, a regression


class CostlyWrite(Exception):
    pass


def _cpu(pid: int) -> float:
    return proc_stats(pid)[0]


def write_cost(
    folder: Path, versions: dict[str, list[str]], years: int = 10, writes: int = 40, pace: float = 0.4
) -> dict[str, object]:
    """The CPU milliseconds of each version's daemon per partner write; keys prefixed by the version's name."""
    from habitd.habits.config import parse_config
    from habitd.history.store import Store

    here = folder / "partner-cost"
    here.mkdir()
    far, away = far_settings()  # no reminder due while measuring
    plain = make_config(here, 13, reminders_at=far, settings=away)
    shared = here / "shared"
    config = sharing_config(plain, shared, "Sam")
    sam, alex_dir = here / "sam", here / "alex"
    today = datetime.now(UTC).date()
    completions = make_shared_history(config, sam, alex_dir, years, today)
    env = {**os.environ, "NO_COLOR": "1"}
    parsed = parse_config(config.read_text(), str(config), "UTC")
    alex = Store(alex_dir, str(shared), clock=lambda: datetime.now(UTC), today=parsed.today, by="Alex")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for i, (name, base) in enumerate(versions.items()):
            state = here / f"state-{i}"
            shutil.copytree(sam, state)
            run_time([*base, "--config", str(config), "--state-dir", str(state), "status"], env)  # its caches
            sock_path = here / f"notify-{i}"
            sock = NotifySocket(sock_path)
            cmd = [*base, "--config", str(config), "--state-dir", str(state), "run", "-q"]
            procs[name] = subprocess.Popen(cmd, env={**env, "NOTIFY_SOCKET": str(sock_path)})
            sock.wait_for("READY=1", 120)
            sock.sock.close()
        time.sleep(2)  # after READY: the status-bar files

        def cpu_over(act: Callable[[], None]) -> tuple[dict[str, float], float]:
            before = {name: _cpu(p.pid) for name, p in procs.items()}
            start = time.monotonic()
            act()
            time.sleep(1.0)  # the last change handled
            return {name: _cpu(p.pid) - before[name] for name, p in procs.items()}, time.monotonic() - start

        def partner() -> None:
            habit = parsed.habits[0].id
            for _ in range(writes):
                with alex.update() as st:
                    log = st.log(habit)
                    if log.count(today):
                        log.remove(today)
                    else:
                        log.add(today)
                time.sleep(pace)

        busy, took = cpu_over(partner)
        idle, idle_took = cpu_over(lambda: time.sleep(took - 1.0))
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            proc.wait(10)
    out: dict[str, object] = {
        "partner_cost_history": f"13 habits x {years} years, {completions} completions by Sam or Alex",
        "partner_cost_writes": writes,
    }
    for name in versions:
        extra = busy[name] - idle[name] * took / max(idle_took, 1e-9)
        out[f"{name}partner_write_cpu_ms"] = round(max(0.0, extra) / writes * 1000, 1)
    return out


def check_write_cost(results: dict[str, object]) -> None:
    """A regression fails the benchmark: a partner's write costing the daemon past the limit."""
    cost = results.get("partner_write_cpu_ms")
    if isinstance(cost, float) and cost > PARTNER_WRITE_FAIL_MS:
        raise CostlyWrite(
            f"a partner's write cost the daemon {cost} ms of CPU at 10 years of history"
            f" (goal {PARTNER_WRITE_LIMIT_MS:g} ms, the benchmark fails past {PARTNER_WRITE_FAIL_MS:g})"
        )
