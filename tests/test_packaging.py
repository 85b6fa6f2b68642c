"""What an installation gets: the wheel pipx would install, beside python-daemon in one environment."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out)]
    subprocess.run([*build, str(ROOT)], check=True, capture_output=True)
    (found,) = out.glob("habitd-*.whl")
    return found


def test_the_wheel_holds_the_habitd_package_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert packages == {"habitd"}  # never a top-level `daemon`, python-daemon's import name
    assert {"habitd/__main__.py", "habitd/config.example.toml", "habitd/habitd.service"} <= set(names)
    assert "habitd/history/store.py" in names and not any(n.startswith("habitd/tests") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "habitd = habitd.cli.app:script" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_habitd_and_python_daemon_work_side_by_side(wheel: Path, tmp_path: Path) -> None:
    """python-daemon (installed with the test tools) imports as `daemon`; habitd keeps its own name."""
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    # the installed copy is not this checkout: `make coverage` leaves it unmeasured
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}, "PYTHONPATH": str(target)}
    code = (
        "import daemon, habitd\n"
        "from daemon import DaemonContext\n"  # python-daemon's own API
        "from importlib.resources import files\n"
        "print(habitd.__file__)\n"
        "print(files('habitd').joinpath('config.example.toml').is_file())\n"
    )
    out = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True, check=True)
    installed, example_packaged = out.stdout.split()
    assert installed.startswith(str(target)) and example_packaged == "True"
    state = tmp_path / "state"
    run = [sys.executable, "-P", "-m", "habitd", "--state-dir", str(state), "--config", str(tmp_path / "config.toml")]
    version = subprocess.run([*run, "--version"], env=env, capture_output=True, text=True, check=True)
    assert version.stdout.startswith("habitd, version ")
    # The example config and the unit come from the installed package, not from this checkout.
    subprocess.run([*run, "init"], env=env, capture_output=True, text=True, check=True)
    assert (tmp_path / "config.toml").read_text() == (ROOT / "config.example.toml").read_text()
    unit = subprocess.run([*run, "service", "install", "--print"], env=env, capture_output=True, text=True, check=True)
    exec_start = next(line for line in unit.stdout.splitlines() if line.startswith("ExecStart="))
    assert "-m habitd" in exec_start and exec_start.endswith(" run")
