"""The commands' start-up, two versions side by side: ``bench/run.py --against REV``.

``done`` and ``status`` on the example config (with the state file a running daemon
leaves: ``run.with_bookkeeping``) and ``export`` of ten years of history (13 habits),
each version's run right after the floor's and the other version's, round after
round, so that a busy machine slows all of them alike.
Both versions start the same way (the console script pip writes, on a venv like
the one pipx makes: ``run.installed``), so the figures differ only by their
code. Each figure is given as wall time and as CPU time (user and system): on a machine
busy with other work, waiting for a core adds to the first only.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from run import ROOT, floor_cmd, make_config, make_history, run_time, with_bookkeeping

RUNS = 21  # whatever --quick says: fewer runs of a command say nothing on a busy machine


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd``."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start, _children_cpu() - cpu


def command_times(folder: Path, versions: dict[str, list[str]], runs: int = RUNS) -> dict[str, object]:
    """Medians of ``runs`` runs of each command for each version (name: command), and the floor's,
    with each version's ratios to the floor."""
    env = {**os.environ, "NO_COLOR": "1"}
    example = str(ROOT / "config.example.toml")
    config = make_config(folder, 13)
    history = folder / "commands-10y"
    make_history(config, history, 10, datetime.now(UTC).date())
    first = next(iter(versions.values()))
    run_time([*first, "--config", str(config), "--state-dir", str(history), "status"], env)  # into the event log
    cases: dict[str, list[str]] = {}
    for v, (name, base) in enumerate(versions.items()):
        mine = folder / f"commands-example-{v}"
        full = folder / f"commands-10y-{v}"
        shutil.copytree(history, full)
        on_example = [*base, "--config", example, "--state-dir", str(mine)]
        cases[f"{name}done"] = [*on_example, "done", "thanks"]
        cases[f"{name}status"] = [*on_example, "status"]
        out = folder / f"export-{v}.json"
        exporting = [*base, "--config", str(config), "--state-dir", str(full), "export", "--notes"]
        cases[f"{name}export"] = [*exporting, "-o", str(out)]
        with_bookkeeping(mine)  # as beside a running daemon
        run_time(cases[f"{name}status"], env)  # each version's own state folder, made before timing
        run_time(cases[f"{name}export"], env)
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in ["floor", *cases]}
    floor_run = floor_cmd()
    for _ in range(runs):
        for key, cmd in cases.items():
            samples["floor"].append(timed(floor_run, env))
            samples[key].append(timed(cmd, env))
            if key.endswith("done"):  # the next run records a completion again
                subprocess.run([*cmd[: cmd.index("done")], "undo", "thanks"], env=env, capture_output=True)
    floor = [statistics.median(s[i] for s in samples["floor"]) for i in (0, 1)]
    results: dict[str, object] = {
        "commands_floor_ms": round(floor[0] * 1000, 1),
        "commands_floor_cpu_ms": round(floor[1] * 1000, 1),
        "commands_runs_each": runs,
    }
    for key, values in samples.items():
        if key == "floor":
            continue
        name, _, command = key.rpartition(":")
        prefix = f"{name}:" if name else ""
        wall, cpu = (statistics.median(s[i] for s in values) for i in (0, 1))
        results[f"{prefix}{command}_ms"] = round(wall * 1000, 1)
        results[f"{prefix}{command}_ratio_to_floor"] = round(wall / floor[0], 2)
        results[f"{prefix}{command}_cpu_ms"] = round(cpu * 1000, 1)
        results[f"{prefix}{command}_cpu_ratio_to_floor"] = round(cpu / floor[1], 2)
    return results


ROWS = [
    ("done / floor, example config (goal <= 1.3)", "done_ratio_to_floor", "x"),
    ("status / floor, example config (goal <= 1.3)", "status_ratio_to_floor", "x"),
    ("export / floor, 13 habits x 10 years (goal <= 2)", "export_ratio_to_floor", "x"),
    ("  ... done's CPU time / the floor's", "done_cpu_ratio_to_floor", "x"),
    ("  ... status's CPU time / the floor's", "status_cpu_ratio_to_floor", "x"),
    ("  ... export's CPU time / the floor's", "export_cpu_ratio_to_floor", "x"),
    ("done, example config", "done_ms", "ms"),
    ("status, example config", "status_ms", "ms"),
    ("export JSON, 13 habits x 10 years", "export_ms", "ms"),
]
