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


def test_help_imports_the_command_line_only() -> None:
    """`habitd --help` lists every command without loading what records, reads the history or shows it."""
    code = (
        "import sys\n"
        "from daemon.cli import main\n"
        "sys.argv = ['habitd', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('daemon'))), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = set(out.stderr.split())
    assert "daemon.cli_show" in loaded and "Mark HABIT done" in out.stdout  # it did list the commands
    heavy = {
        "daemon.record", "daemon.store", "daemon.state", "daemon.events", "daemon.cache", "daemon.derive",
        "daemon.changes", "daemon.people", "daemon.streaks", "daemon.periods", "daemon.config", "daemon.views",
        "daemon.render", "daemon.schedule", "daemon.merge", "daemon.rename", "daemon.exchange",
    }  # fmt: skip
    assert sorted(loaded & heavy) == []
