"""The benchmark suite keeps working: a tiny run of it (the real one is `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_quick_benchmark_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    figures = json.loads(out.read_text())
    for key in (
        "floor_ms",
        "done_ratio_to_floor",
        "status_ratio_to_floor",
        "done_ratio_10y_to_empty",
        "status_ratio_10y_to_empty",
        "idle_cpu_s_per_min",
        "idle_wakeups_per_min",
        "rss_50_habits_mib",
        "rss_1000_habits_mib",
        "startup_to_ready_s",
        "startup_1000_to_ready_s",
        "startup_1000_quiet_held_s",
        "startup_1000_quiet_lost_s",
        "stop_1000_quiet_lost_max_s",
        "check_1000_habits_ms",
        "status_1000_habits_ms",
        "log_done_ratio",
        "log_status_ratio",
        "log_cold_rebuild_s",
        "log_catch_up_ms",
        "log_catch_up_undo_ms",
        "partner_cpu_ms_per_write",
        "partner_write_cpu_ms",
        "stats_13_10y_ms",
        "grid_13_10y_ms",
        "export_json_13x10y_ms",
        "import_json_13x10y_ms",
        "ical_13_habits_ms",
    ):
        assert isinstance(figures[key], (int, float)), key
    assert "done / floor" in r.stdout


def test_a_costly_partner_write_fails_the_benchmark() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from partner import CostlyWrite, check_write_cost
    finally:
        sys.path.remove(str(ROOT / "bench"))
    check_write_cost({"partner_write_cpu_ms": 9.5})
    check_write_cost({"partner_write_cpu_ms": "skipped"})
    with pytest.raises(CostlyWrite, match=r"49\.8 ms of CPU"):
        check_write_cost({"partner_write_cpu_ms": 49.8})
