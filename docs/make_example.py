"""Draw docs/report-example.png, the README's example of `habitd report`, from a made-up year.

    python docs/make_example.py     # needs chromium (Debian: apt-get install chromium)

Four habits of config.example.toml, a year of history drawn from a fixed seed
(so the picture only changes when the report does), a two-week holiday in
August, and the clock stopped on 2026-11-27.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

from habitd.exchange import report  # noqa: E402
from habitd.habits.config import parse_config  # noqa: E402
from habitd.habits.state import Note, Pause, Skip, State  # noqa: E402

CONFIG = """
[settings]
timezone = "Europe/Berlin"
week_starts = "mon"

[habits.date-night]
title = "Date night"
every = "week"
on = ["fri"]
at = "18:00"

[habits.checkin]
title = "Weekly check-in"
every = "week"
on = ["sun"]
at = "19:00"

[habits.thanks]
title = "Say thank you"
every = "day"

[habits.me-time]
title = "Time for yourself"
every = "day"
on = ["tue", "thu", "sat"]
"""
NOW = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
HOLIDAY = (date(2026, 8, 3), date(2026, 8, 16))  # paused: no reminders, the streaks wait


def demo_state(config_text: str) -> State:
    config = parse_config(config_text, "example", "Europe/Berlin")
    rng = random.Random(2026)
    state = State()
    today = config.today(NOW)
    for habit in config.habits:
        log = state.log(habit.id)
        day = date(2025, 12, 1)
        while day <= today:
            weekly = habit.every.unit == "week"
            wanted = (day.weekday() == (4 if habit.id == "date-night" else 6)) if weekly else True
            if habit.on is not None and not habit.on.matches(day):
                wanted = False
            if HOLIDAY[0] <= day <= HOLIDAY[1]:
                wanted = False
            if wanted and rng.random() < (0.85 if day.month > 3 else 0.7):
                log.add(day)
                if rng.random() < 0.08:
                    log.notes.append(Note(day, NOW, "a note"))
            elif wanted and rng.random() < 0.1:
                log.skips.append(Skip(day, "a busy day"))
            day += timedelta(days=1)
    state.pauses.append(Pause("*", *HOLIDAY))
    return state


def main() -> int:
    config = parse_config(CONFIG, "example", "Europe/Berlin")
    data = report.year_report(config, demo_state(CONFIG), 2026, NOW)
    width, height = report.size(data)
    out = ROOT / "docs" / "report-example.png"
    with tempfile.TemporaryDirectory() as tmp:
        svg = Path(tmp) / "report.svg"
        svg.write_text(report.svg(data), encoding="utf-8")
        subprocess.run(
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp}/profile", f"--screenshot={out}", f"--window-size={width},{height}",
                svg.as_uri(),
            ],
            check=True, capture_output=True,
        )  # fmt: skip
    print(f"wrote {out} ({width} x {height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
