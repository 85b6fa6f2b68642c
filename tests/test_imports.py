"""The command line path stays light: no scheduler, no notification library, no D-Bus."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_cli_commands_do_not_import_the_scheduler_or_a_notification_library(tmp_path: object) -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from daemon.cli import cli\n"
        f"args = ['--config', {str(ROOT / 'config.example.toml')!r}, '--state-dir', {str(tmp_path)!r}]\n"
        "for cmd in (['done', 'thanks'], ['status'], ['next'], ['check'], ['history', 'thanks'],\n"
        "            ['grid'], ['stats'], ['report']):\n"
        "    r = CliRunner().invoke(cli, args + cmd)\n"
        "    assert r.exit_code == 0, r.output\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('apscheduler', 'plyer', 'jeepney'))\n"
        "heavy += sorted(m for m in sys.modules if m in ('daemon.notify_dbus', 'daemon.buttons', 'daemon.bubbles'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
