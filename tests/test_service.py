"""The systemd user unit: what we ship and what `habitd service install` writes both verify."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from habitd.cli.app import cli
from habitd.cli.context import App
from tests.conftest import ROOT
from tests.desktop import require


def verify(unit: Path, home: Path) -> str:
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(home)}
    out = subprocess.run(["systemd-analyze", "verify", "--user", str(unit)], env=env, capture_output=True, text=True)
    return (out.stdout + out.stderr).strip()


def test_the_shipped_unit_verifies(tmp_path: Path) -> None:
    require("systemd-analyze")
    pipx_bin = tmp_path / ".local" / "bin"
    pipx_bin.mkdir(parents=True)
    (pipx_bin / "habitd").write_text("#!/bin/sh\n")
    (pipx_bin / "habitd").chmod(0o755)
    unit = tmp_path / "habitd.service"
    unit.write_text((ROOT / "systemd" / "habitd.service").read_text())
    assert verify(unit, tmp_path) == ""
    text = unit.read_text()
    for line in ("Type=notify", "ExecReload=kill -HUP $MAINPID", "Restart=on-failure", "WantedBy=default.target"):
        assert line in text.splitlines()


def test_service_install_writes_a_unit_that_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require("systemd-analyze")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    app = App(tmp_path / "my config.toml", tmp_path / "state")
    args = ["--config", str(tmp_path / "my config.toml"), "service", "install"]
    result = CliRunner().invoke(cli, args, obj=app, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "systemctl --user daemon-reload && systemctl --user enable --now habitd" in result.stdout
    unit = tmp_path / "cfg" / "systemd" / "user" / "habitd.service"
    exec_start = next(line for line in unit.read_text().splitlines() if line.startswith("ExecStart="))
    assert "-m habitd --config" in exec_start and '"' + str(tmp_path / "my config.toml") + '"' in exec_start
    assert verify(unit, tmp_path) == ""
    # The desktop entry the notifications name (hint desktop-entry = habitd): a name and an icon.
    entry = (tmp_path / "data" / "applications" / "habitd.desktop").read_text().splitlines()
    assert entry[0] == "[Desktop Entry]" and "Name=habitd" in entry and "NoDisplay=true" in entry
    assert next(line for line in entry if line.startswith("Exec=")).endswith("-m habitd today")
    printed = CliRunner().invoke(cli, ["service", "install", "--print"], obj=app).stdout
    assert printed.startswith("# habitd")
    removed = CliRunner().invoke(cli, ["service", "uninstall"], obj=app)
    assert removed.exit_code == 0 and not unit.exists()
    assert not (tmp_path / "data" / "applications" / "habitd.desktop").exists()
    assert CliRunner().invoke(cli, ["service", "uninstall"], obj=app).exit_code == 2
