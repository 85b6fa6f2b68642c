from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tomli_w
from click.testing import CliRunner, Result

from habitd.cli.app import cli
from habitd.cli.context import App
from tests.desktop import Daemon, Desktop

ROOT = Path(__file__).resolve().parent.parent

BASIC = """
[settings]
timezone = "Europe/Berlin"
day_starts = "04:00"

[habits.date-night]
title = "Date night"
message = "Plan something for the two of you."
every = "week"
on = ["fri"]
at = "18:00"

[habits.thanks]
every = "day"
at = "20:30"

[habits.listen]
every = "week"
times = 3
on = ["mon", "wed", "fri"]
at = "19:00"
"""

# state.toml as the daemon leaves it: its reminder bookkeeping, no history
BOOKKEEPING = "version = 1\n\n[habits]\n\n[sent]\nday = 2026-12-03\ncount = 2\n"


@dataclass
class Habitd:
    """Runs the command line against a tmp config and state with a fixed clock."""

    config: Path
    state_dir: Path
    now: datetime

    def write_config(self, text: str) -> None:
        self.config.write_text(text)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        app = App(self.config, self.state_dir, now=lambda: self.now)
        runner = CliRunner()
        return runner.invoke(cli, list(args), obj=app, input=input, catch_exceptions=False)

    def json(self, *args: str) -> dict:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def history_files(self) -> dict[str, bytes]:
        """What holds the history: the event log's files and the state file (caches aside)."""
        files = [*self.state_dir.glob("devices/*/*.toml"), self.state_dir / "state.toml"]
        return {str(p.relative_to(self.state_dir)): p.read_bytes() for p in files if p.exists()}

    def at(self, text: str, tz: str = "Europe/Berlin") -> None:
        self.now = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


@pytest.fixture
def habitd(tmp_path: Path) -> Habitd:
    config = tmp_path / "config.toml"
    config.write_text(BASIC)
    h = Habitd(config, tmp_path / "state", datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    return h


# --- two machines on one shared folder (as a sync engine leaves them once it copied the files) ---


def shared_settings(shared: Path | None, name: str | None = "", text: str = BASIC) -> str:
    """``text`` with ``[settings] shared_dir`` naming ``shared`` (None: none) and ``name`` (when given)."""
    lines = (f'shared_dir = "{shared}"\n' if shared else "") + (
        f"name = {json.dumps(name, ensure_ascii=False)}\n" if name else ""
    )
    return text.replace("[settings]\n", f"[settings]\n{lines}", 1)


def share_habits(folder: Path, text: str) -> str:
    """Put the habits of config ``text`` in the shared ``folder`` as a partner's habitd would (a file
    each in ``habits/``, unless there; ``week_starts`` in ``settings.toml``); the config's other part."""
    doc = tomllib.loads(text)
    habits = folder / "habits"
    habits.mkdir(parents=True, exist_ok=True)
    for habit_id, table in doc.pop("habits", {}).items():
        if not (habits / f"{habit_id}.toml").exists():
            (habits / f"{habit_id}.toml").write_text(tomli_w.dumps(table))
    week = doc.get("settings", {}).get("week_starts")
    if week and not (folder / "settings.toml").exists():
        (folder / "settings.toml").write_text(tomli_w.dumps({"week_starts": week}))
    return tomli_w.dumps(doc if "settings" in doc else {"settings": {}} | doc)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A shared folder that has seen habitd before (it has ``devices/``)."""
    folder = tmp_path / "Sync" / "habitd"
    (folder / "devices").mkdir(parents=True)
    return folder


def machine(folder: Path, config_text: str, now: datetime) -> Habitd:
    """A machine of its own in ``folder``: its config and its state folder."""
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text(config_text)
    return Habitd(config, folder / "state", now)


def ok(h: Habitd, *args: str) -> str:
    """The command's output; it must succeed."""
    result = h(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Makes ``habitd run`` subprocesses in ``tmp_path``: tests/desktop.py's ``Daemon`` without the
    folder (``env``: a desktop's bus, say; ``config``; a faked wall clock from ``start``, in ``tz``).
    One that a failing test leaves running is stopped."""
    made: list[Daemon] = []

    def make(env: dict[str, str], config: str, start: str, tz: str = "Europe/Berlin") -> Daemon:
        daemon = Daemon(tmp_path, env, config, start, tz)
        made.append(daemon)
        return daemon

    yield make
    for daemon in made:
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.stop()


# --- two partners, each on a machine of their own, sharing one folder ---


@pytest.fixture
def partner_config() -> str:
    """The config both partners' machines start from; a test module overrides this fixture with its own."""
    return BASIC


@pytest.fixture
def partners(tmp_path: Path, partner_config: str) -> Callable[..., Habitd]:
    """Makes ``who``'s machine, in ``tmp_path / who``: named ``name`` (None: no name), sharing
    ``tmp_path / "shared"`` (``shared=False``: sharing nothing), its clock at Wednesday 2026-11-25 12:00."""
    folder = tmp_path / "shared"
    now = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))

    def make(who: str, name: str | None, shared: bool = True) -> Habitd:
        folder.mkdir(exist_ok=True)
        if not shared:
            return machine(tmp_path / who, shared_settings(None, name, partner_config), now)
        return machine(tmp_path / who, shared_settings(folder, name, share_habits(folder, partner_config)), now)

    return make


@pytest.fixture
def sam(partners: Callable[..., Habitd]) -> Habitd:
    return partners("sam", "Sam")


@pytest.fixture
def alex(partners: Callable[..., Habitd]) -> Habitd:
    return partners("alex", "Alex")


@pytest.fixture
def berlin() -> Callable[[str], datetime]:
    return lambda text: datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    """One private session bus, Xvfb and dunst for all the end-to-end tests."""
    d = Desktop(tmp_path_factory.mktemp("desktop"))
    yield d
    d.close()


def ready(desktop: Desktop) -> Desktop:
    """``desktop`` with its notification server (dunst) running, what earlier tests showed forgotten."""
    if desktop.dunst is None:
        desktop.start_dunst()
    desktop.clear()
    return desktop


@pytest.fixture
def screen(desktop: Desktop) -> Desktop:
    """The notification server, running, with what earlier tests showed forgotten."""
    return ready(desktop)


@pytest.fixture
def bare(screen: Desktop) -> Iterator[Desktop]:
    """The shared desktop with no notification server on its bus: the test starts one (dunst, or
    tests/fake_server.py) when it wants one. Dunst is back for the next test."""
    screen.stop_dunst()
    yield screen
    if screen.dunst is None:
        screen.start_dunst()
