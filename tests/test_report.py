"""`habitd report`: the year picture, checked as data, as a file, and as a browser shows it."""

from __future__ import annotations

import contextlib
import os
import pty
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import Habitd
from tests.desktop import require
from tests.png import read_png

HOSTILE = 'Us & <script>alert("hi")</script>\\n ünï\\t'
TOML_TITLE = HOSTILE.replace('"', '\\"')
SHOWN = 'Us & <script>alert("hi")</script>\n ünï\t'
CONFIG = f"""
[settings]
timezone = "Europe/Berlin"

[habits.thanks]
title = "{TOML_TITLE}"
every = "day"

[habits.date-night]
title = "Date night"
every = "week"
"""
SVG = "{http://www.w3.org/2000/svg}"
DONE_FILL = "#2f9e5b"


@pytest.fixture
def year(habitd: Habitd) -> Habitd:
    """thanks: once on 2025-12-30 with a note, then every day 2026-01-05..20 (a note on the 6th); today 11-25."""
    habitd.write_config(CONFIG)
    assert habitd("done", "thanks", "--date", "2025-12-30", "--note", "last year").exit_code == 0
    for d in range(5, 21):
        note = ["--note", "soup"] if d == 6 else []
        assert habitd("done", "thanks", "--date", f"2026-01-{d:02}", *note).exit_code == 0
    assert habitd("done", "date-night", "--date", "2026-11-20").exit_code == 0
    return habitd


def test_report_json_has_the_year_calendar_streaks_and_notes_count(year: Habitd) -> None:
    data = year.json("report")
    assert data["year"] == 2026
    thanks = next(h for h in data["habits"] if h["id"] == "thanks")
    assert (thanks["done"], thanks["notes"], thanks["streak"]) == (16, 1, 0)
    assert thanks["best_streak"] == {"length": 16, "first": "2026-01-05", "last": "2026-01-20"}
    assert thanks["days"]["2026-01-01"] == "missed" and thanks["days"]["2026-01-05"] == "done"
    assert thanks["days"]["2026-11-25"] == "quiet" and "2026-11-26" not in thanks["days"]
    old = next(h for h in year.json("report", "--year", "2025")["habits"] if h["id"] == "thanks")
    assert (old["done"], old["notes"], old["streak"], old["best_streak"]["length"]) == (1, 1, None, 1)
    assert list(old["days"]) == ["2025-12-30", "2025-12-31"]  # nothing before the first completion


def test_report_refuses_a_year_to_come_and_an_unknown_file_kind(year: Habitd, tmp_path: Path) -> None:
    result = year("report", "--year", "2027")
    assert result.exit_code == 2 and "--year 2027" in result.stderr and "Traceback" not in result.output
    result = year("report", "-o", str(tmp_path / "year.png"))
    assert result.exit_code == 2 and "must end in .svg or .html" in result.stderr
    assert not (tmp_path / "year.png").exists()
    result = year("report", "--json", "-o", str(tmp_path / "year.svg"))
    assert result.exit_code == 2 and "--json" in result.stderr and not (tmp_path / "year.svg").exists()
    (tmp_path / "a-file").write_text("")
    result = year("report", "-o", str(tmp_path / "a-file" / "year.svg"))
    assert result.exit_code == 2 and "there is no folder" in result.stderr and "Traceback" not in result.output


def test_report_svg_is_well_formed_self_contained_and_escapes_titles(year: Habitd, tmp_path: Path) -> None:
    out = tmp_path / "year.svg"
    result = year("report", "-o", str(out))
    assert result.exit_code == 0 and "Wrote" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text()
    assert year("report").stdout == text  # without -o: on stdout
    assert "<script" not in text and "&lt;script&gt;" in text
    root = ET.fromstring(text)  # well-formed XML, despite what the title holds
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "title", "rect", "text", "g"}  # no script, image, link, foreignObject, use
    assert not [a for el in root.iter() for a in el.attrib if "href" in a or a == "src"]
    texts = ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]
    assert SHOWN in texts and "Date night" in texts
    assert "2 habits · done 17 times · 1 note" in texts  # the year's totals
    assert any("done 16 times" in t and "best streak 16 days (05 Jan – 20 Jan)" in t and "1 note" in t for t in texts)
    block = root.find(f"{SVG}g[@id='habit-thanks']")
    assert block is not None
    assert sum(1 for r in block.iter(f"{SVG}rect") if r.get("fill") == DONE_FILL) == 16
    page = tmp_path / "year.html"
    assert year("report", "-o", str(page)).exit_code == 0
    html = page.read_text()
    assert "default-src 'none'" in html and text in html and "<script" not in html


def test_report_on_a_terminal_asks_for_a_file_instead_of_printing_svg(year: Habitd) -> None:
    main, other = pty.openpty()
    cmd = [sys.executable, "-m", "habitd", "--config", str(year.config), "--state-dir", str(year.state_dir), "report"]
    proc = subprocess.Popen(cmd, stdout=other, stderr=subprocess.PIPE, text=True)
    os.close(other)
    shown = b""
    with contextlib.suppress(OSError):  # EIO: the command closed the terminal and all was read
        while chunk := os.read(main, 65536):
            shown += chunk
    os.close(main)
    assert proc.stderr is not None
    assert proc.wait(60) == 2 and "give -o FILE.svg" in proc.stderr.read()
    assert shown == b""


NARROW = [{"PYTHONIOENCODING": "latin-1"}, {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}]


@pytest.mark.parametrize("env", NARROW, ids=["latin-1", "C-locale"])
def test_report_on_stdout_is_utf_8_whatever_the_locale(year: Habitd, env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "habitd", "--config", str(year.config), "--state-dir", str(year.state_dir)]
    r = subprocess.run([*cmd, "report"], capture_output=True, env={**os.environ, **env}, timeout=60)
    assert r.returncode == 0, r.stderr
    root = ET.fromstring(r.stdout)  # XML without a declaration is UTF-8
    assert SHOWN in ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]
    for view in (["grid"], ["stats"], ["stats", "thanks"]):  # the rest never fails
        shown = subprocess.run([*cmd, *view], capture_output=True, env={**os.environ, **env}, timeout=60)
        assert shown.returncode == 0 and shown.stderr == b"", (view, shown.stderr)
        if view != ["stats", "thanks"]:  # ids only: every mark has a plain form, no '?' for a sparkline
            assert b"?" not in shown.stdout, shown.stdout


def chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    cmd = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}", *args,
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(tmp)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env, check=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["year.svg", "year.html"])
def test_report_renders_in_a_browser_as_a_person_sees_it(year: Habitd, tmp_path: Path, name: str) -> None:
    require("chromium")
    out = tmp_path / name
    assert year("report", "-o", str(out)).exit_code == 0
    root = ET.fromstring(year("report").stdout)
    width, height = int(root.get("width", "0")), int(root.get("height", "0"))
    png = tmp_path / "shot.png"
    chromium([f"--screenshot={png}", f"--window-size={width},{height}", out.as_uri()], tmp_path)
    image = read_png(png)
    assert (image.width, image.height) == (width, height)
    white = image.colors[(255, 255, 255)]
    assert white < 0.95 * width * height  # not blank
    assert image.colors[(0x2F, 0x9E, 0x5B)] >= 17 * 9 * 9  # the 17 done days, drawn in their colour
    dom = chromium(["--dump-dom", out.as_uri()], tmp_path).stdout
    assert "Date night" in dom
    assert "Us &amp; &lt;script&gt;alert(\"hi\")&lt;/script&gt;" in dom  # shown as text, not run
    assert "<script" not in dom and "parsererror" not in dom
