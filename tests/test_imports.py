"""The command line path stays light: no scheduler, no notification library, no D-Bus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import BOOKKEEPING, ROOT

RUN = (
    "import json, sys\n"
    "from click.testing import CliRunner\n"
    "from habitd.cli.app import cli\n"
    "where = ['--config', sys.argv[1], '--state-dir', sys.argv[2]]\n"
    "for cmd in json.loads(sys.argv[3]):\n"
    "    r = CliRunner().invoke(cli, where + cmd)\n"
    "    assert r.exit_code == 0, r.output\n"
    "print(' '.join(sorted(sys.modules)))\n"
)


def modules_after(state: Path, *commands: list[str]) -> set[str]:
    """Every module a fresh Python has loaded once it ran ``commands`` on the example config."""
    run = [sys.executable, "-c", RUN, str(ROOT / "config.example.toml"), str(state), json.dumps(commands)]
    return set(subprocess.run(run, capture_output=True, text=True, cwd=ROOT, check=True).stdout.split())


def test_cli_commands_do_not_import_the_scheduler_or_a_notification_library(tmp_path: Path) -> None:
    loaded = modules_after(
        tmp_path, ["done", "thanks"], ["status"], ["next"], ["check"], ["history", "thanks"], ["grid"], ["stats"],
        ["report"],
    )  # fmt: skip
    heavy = sorted(m for m in loaded if m.split(".")[0] in ("apscheduler", "plyer", "jeepney"))
    daemon_side = ("habitd.service.notify_dbus", "habitd.service.buttons", "habitd.service.bubbles")
    heavy += sorted(m for m in loaded if m in daemon_side)
    assert heavy == []


def test_help_imports_the_command_line_only() -> None:
    """`habitd --help` lists every command without loading what records, reads the history or shows it."""
    code = (
        "import sys\n"
        "from habitd.cli.app import main\n"
        "sys.argv = ['habitd', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('habitd'))), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = set(out.stderr.split())
    assert "habitd.cli.show" in loaded and "Mark HABIT done" in out.stdout  # it did list the commands
    heavy = {
        "habitd.history.record",
        "habitd.history.store",
        "habitd.habits.state",
        "habitd.history.events",
        "habitd.history.cache",
        "habitd.history.derive",
        "habitd.history.changes",
        "habitd.history.people",
        "habitd.habits.streaks",
        "habitd.habits.periods",
        "habitd.habits.config",
        "habitd.views.rows",
        "habitd.views.render",
        "habitd.habits.schedule",
        "habitd.history.merge",
        "habitd.history.rename",
        "habitd.exchange.document",
    }
    assert sorted(loaded & heavy) == []


def test_a_config_that_shares_no_folder_reads_without_the_sharing_modules(tmp_path: Path) -> None:
    """`done` and `status` on a config of this machine alone load nothing of a shared folder's:
    no moving of a layout of before, no shared habit files, and none of their patterns."""
    loaded = modules_after(tmp_path, ["done", "thanks"], ["status"])
    assert "habitd.history.store" in loaded  # it did read the history
    assert sorted(loaded & {"habitd.history.configmove", "habitd.history.habitfiles", "habitd.habits.shared"}) == []


def test_a_command_runs_without_the_cycle_collector_and_the_daemon_with_it(tmp_path: Path) -> None:
    """A command lives for a fraction of a second: no pauses to collect reference cycles. The
    daemon lives for days: `habitd run` collects them (here it stops at once: no config)."""
    code = (
        "import gc, sys\n"
        "from habitd.cli.app import main\n"
        "def after(args):\n"
        "    sys.argv = ['habitd', '--config', sys.argv[1], '--state-dir', sys.argv[2], *args]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    return gc.isenabled()\n"
        "print(after(['status']), after(['run']))\n"
    )
    config, state = str(tmp_path / "none.toml"), str(tmp_path / "state")
    out = subprocess.run([sys.executable, "-c", code, config, state], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_done_and_status_make_no_translation_lookups(tmp_path: Path) -> None:
    """Click looks up a translation of its own help texts (importing `locale`, searching for
    catalogues) when it makes them: habitd's commands give theirs, so no lookup is ever made."""
    code = (
        "import gettext, sys\n"
        "looked = []\n"
        "gettext.dgettext = lambda domain, message: looked.append(message) or message\n"
        "from habitd.cli.app import main\n"
        "where = ['--config', sys.argv[1], '--state-dir', sys.argv[2]]\n"
        "for cmd in (['done', 'thanks'], ['status'], ['undo', 'thanks']):\n"
        "    sys.argv = ['habitd', *where, *cmd]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as e:\n"
        "        assert not e.code, (cmd, e.code)\n"
        "print(looked, 'locale' in sys.modules)\n"
    )
    config, state = str(ROOT / "config.example.toml"), str(tmp_path / "state")
    out = subprocess.run([sys.executable, "-c", code, config, state], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[] False", out.stdout + out.stderr


def test_status_reads_the_history_without_loading_what_writes_it(tmp_path: Path) -> None:
    """`status` after `done` (the cache is written) loads none of the modules that record a change."""
    state = tmp_path / "state"
    assert "habitd.history.writer" in modules_after(state, ["done", "thanks"])  # it did record
    loaded = modules_after(state, ["status"])
    assert "habitd.history.store" in loaded  # it did read the history
    writing = {"habitd.history.writer", "habitd.history.changes", "habitd.history.derive", "habitd.history.record"}
    assert sorted(loaded & writing) == []


def test_commands_on_unchanged_files_parse_no_toml(tmp_path: Path) -> None:
    """Once the config's parse is kept (config.bin) and the history cache is written, `status`
    loads no TOML library at all, and `done` only the writer: the device file is read by the
    short cut for plain lines, this device's month file is trusted from the cache."""
    state = tmp_path / "state"
    assert "tomllib" in modules_after(state, ["done", "thanks"], ["undo", "thanks"])  # the config parsed, once
    loaded = modules_after(state, ["status"])
    assert "habitd.history.store" in loaded  # it did read the history
    assert sorted(loaded & {"tomllib", "tomli_w"}) == []
    loaded = modules_after(state, ["done", "thanks"])
    assert "tomli_w" in loaded and "tomllib" not in loaded


def test_status_beside_the_daemons_bookkeeping_parses_no_toml_once_it_is_kept(tmp_path: Path) -> None:
    """The daemon keeps its reminders in state.toml, which every command reads: its document is
    kept too (state.bin), so `status` loads no TOML library while the daemon runs either."""
    state = tmp_path / "state"
    modules_after(state, ["status"])
    (state / "state.toml").write_text(BOOKKEEPING)
    (state / "state.toml").chmod(0o600)
    assert "tomllib" in modules_after(state, ["status"])  # read anew once
    assert "tomllib" not in modules_after(state, ["status"])


def test_commands_leave_nothing_for_pythons_exit_so_the_script_ends_them_at_once(tmp_path: Path) -> None:
    """The console script skips Python's teardown only when nothing waits for the end: a command
    that registered an ``atexit`` function (logging does, on import) or left a thread running
    would still be correct, but pay the teardown again (``cli.output.leave``)."""
    code = (
        "import atexit, sys\n"
        "before = atexit._ncallbacks()\n"  # `make coverage` registers one of its own
        "from habitd.cli.app import main\n"
        "where = ['--config', sys.argv[1], '--state-dir', sys.argv[2]]\n"
        "for cmd in (['done', 'thanks'], ['status'], ['next'], ['history', 'thanks'], ['today'], ['check'],\n"
        "            ['grid'], ['stats'], ['report'], ['export', '-o', sys.argv[3]], ['undo', 'thanks']):\n"
        "    sys.argv = ['habitd', *where, *cmd]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as e:\n"
        "        assert not e.code, (cmd, e.code)\n"
        "threads = sys.modules.get('threading')\n"
        "print(atexit._ncallbacks() - before, threads.active_count() if threads else 1)\n"
    )
    config, state, export = str(ROOT / "config.example.toml"), str(tmp_path / "state"), str(tmp_path / "out.json")
    out = subprocess.run([sys.executable, "-c", code, config, state, export], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split()[-2:] == ["0", "1"], out.stdout[-2000:] + out.stderr
