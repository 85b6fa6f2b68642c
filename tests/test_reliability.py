"""Reliability: crashes, concurrent writers, hostile files, full disks and odd permissions.

Every command here is a real process on real files. The figures (trials, lost
updates) are printed with -s and quoted in the project's notes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import IO

import pytest

from habitd.habits.state import State
from habitd.habits.state_toml import from_doc, to_doc
from habitd.history.statefile import StateFile
from habitd.history.store import Store
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}


def habitd(config: Path, state_dir: Path, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "habitd", "--config", str(config), "--state-dir", str(state_dir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, **kw)  # type: ignore[call-overload,no-any-return]


def big_history(store: StateFile, habits: int, years: int) -> None:
    rng = random.Random(7)
    with store.update() as state:
        for h in range(habits):
            log = state.log(f"old-{h}")
            for y in range(2026 - years, 2026):
                log.done[y] = rng.getrandbits(365)


def history(config: Path, state_dir: Path) -> State:
    """The state as the commands see it: the event log's history and this machine's bookkeeping."""
    from habitd.cli.context import App

    return App(config, state_dir).store.read()


# --- 1. crash safety -----------------------------------------------------------------


def test_sigkill_at_random_moments_never_loses_a_completed_done(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[habits.walk]\nat = "08:00"\n')
    store = StateFile(tmp_path / "state")
    big_history(store, 50, 10)  # a real-sized file, so kills land while it is written too
    rng = random.Random(2026)
    cmd = [sys.executable, "-m", "habitd", "--config", str(config), "--state-dir", str(Path(store.dir))]
    # How long a `done` takes here and now, kept up to date from the runs that finish: on a
    # loaded machine it changes, and kills aimed by a stale figure would all land too late.
    took: list[float] = []
    committed: set[date] = set()
    for n in range(1, 4):
        start = time.monotonic()
        assert habitd(config, Path(store.dir), "done", "walk", "--date", f"2001-01-0{n}").returncode == 0
        took.append(time.monotonic() - start)
        committed.add(date(2001, 1, n))
    trials, killed = 220, 0
    for i in range(trials):
        day = date(2002, 1, 1) + timedelta(days=i)
        start = time.monotonic()
        proc = subprocess.Popen(
            [*cmd, "done", "walk", "--date", day.isoformat()],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            code = proc.wait(timeout=rng.uniform(0.3, 1.3) * statistics.median(took[-9:]))
            took.append(time.monotonic() - start)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            code = proc.wait()
        if code == 0:
            committed.add(day)
        else:
            killed += 1
        state = history(config, Path(store.dir))  # must parse after every kill
        walked = set(state.habits["walk"].days())
        assert committed <= walked, f"trial {i}: lost {sorted(committed - walked)}"
        assert len(state.habits) == 51
    leftovers = [p.name for p in Path(store.dir).iterdir() if p.name.endswith(".tmp")]
    print(f"\ncrash safety: {trials} trials, {killed} killed mid-command, {len(committed) - 3} completed, lost 0")
    assert killed >= 50, "the kills should land inside the command often"
    assert len(leftovers) <= killed  # a killed save may leave its temporary file, never a broken state


# --- 2. concurrent writers ---------------------------------------------------------------

WORKER = r"""
import json, random, sys
from click.testing import CliRunner
from habitd.cli.app import cli
config, state_dir, k, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(k)
effects = []
for i in range(n):
    habit = rng.choice(["shared", f"own-{k}"])
    day = f"2020-01-0{rng.randint(1, 3)}"
    cmd = rng.choice(["done", "done", "undo"])
    r = CliRunner().invoke(cli, ["--config", config, "--state-dir", state_dir, cmd, habit, "--date", day])
    if r.exit_code == 0:
        effects.append([habit, day, 1 if cmd == "done" else -1])
    elif not (cmd == "undo" and r.exit_code == 2):
        effects.append(["error", r.exit_code, r.output])
print(json.dumps(effects))
"""


def test_four_writers_and_the_daemon_lose_no_update(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    habits = "".join(f"[habits.own-{k}]\ntimes = 100\n" for k in range(4))
    # The daemon writes too: a reminder every minute on a clock running 60 times fast, no server to show it.
    config.write_text(
        '[settings]\ntimezone = "UTC"\nmax_per_day = 1000\n[habits.shared]\ntimes = 100\ncron = "* * * * *"\n' + habits
    )
    state_dir = tmp_path / "state"
    from tests.desktop import LIBFAKETIME, require, wait_for

    require("libfaketime")
    clock = tmp_path / "clock"
    clock.write_text("@2026-11-27 10:00:00 x60\n")
    daemon_env = {
        **ENV,
        "LD_PRELOAD": LIBFAKETIME,
        "FAKETIME_TIMESTAMP_FILE": str(clock),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "HABITD_NOTIFIER": "dbus",
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus",
    }
    cmd = [sys.executable, "-m", "habitd", "--config", str(config), "--state-dir", str(state_dir)]
    daemon = subprocess.Popen([*cmd, "run", "-v", "--tick", "0.2"], env=daemon_env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []  # its log, read as it comes

    def read(stream: IO[str]) -> None:
        for line in stream:
            lines.append(line)

    reader = threading.Thread(target=read, args=(daemon.stderr,), daemon=True)
    reader.start()
    try:
        assert wait_for(lambda: any("running:" in line for line in lines), 30)  # the writers start once it runs
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(config), str(state_dir), str(k), "100"],
                env=ENV,
                stdout=subprocess.PIPE,
                text=True,
            )
            for k in range(4)
        ]
        outputs = [json.loads(w.communicate(timeout=300)[0]) for w in workers]
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=10)
        reader.join(5)
        log = "".join(lines)
    assert daemon.returncode == 0
    errors = [e for out in outputs for e in out if e[0] == "error"]
    assert errors == []
    expected: dict[tuple[str, str], int] = {}
    for out in outputs:
        for habit, day, delta in out:
            expected[(habit, day)] = expected.get((habit, day), 0) + delta
    state = history(config, state_dir)
    actual = {(hid, d.isoformat()): log.count(d) for hid, log in state.habits.items() for d in log.days()}
    expected = {k: v for k, v in expected.items() if v}
    lost = sum(abs(expected.get(k, 0) - actual.get(k, 0)) for k in expected.keys() | actual.keys())
    daemon_writes = log.count("not shown yet")
    print(
        f"\nconcurrency: 4 writers x 100 commands, {sum(map(len, outputs))} succeeded, "
        f"daemon wrote {daemon_writes} times meanwhile, lost updates: {lost}"
    )
    assert lost == 0
    assert daemon_writes >= 2, "the daemon should have been writing the state meanwhile"


def test_a_lock_held_too_long_is_a_clear_error_not_a_hang(tmp_path: Path) -> None:
    import fcntl

    config = tmp_path / "config.toml"
    config.write_text("[habits.walk]\n")
    (tmp_path / "state").mkdir()
    fd = os.open(tmp_path / "state" / "state.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        start = time.monotonic()
        r = habitd(config, tmp_path / "state", "done", "walk", timeout=30)
        took = time.monotonic() - start
    finally:
        os.close(fd)
    assert r.returncode == 1 and "another habitd process" in r.stderr and took < 15
    assert "Traceback" not in r.stderr


# --- 3. corrupt and hostile files ---------------------------------------------------------

CONFIG_CASES = {
    "empty": (b"", "no habits"),
    "truncated": (b'[habits.walk]\nat = "08:0', "line 2"),
    "garbage": (bytes(random.Random(1).getrandbits(8) for _ in range(4000)), "config"),
    "not utf-8": (b'[habits.walk]\ntitle = "caf\xe9"\n', "line 2: not UTF-8"),
    "wrong types": (b"[habits.walk]\ntimes = [1]\n", "habits.walk.times"),
    "unknown keys": (b"[habits.walk]\nreminder = 1\n", "habits.walk.reminder: unknown key"),
    "settings not a table": (b'settings = "x"\n[habits.walk]\n', "settings: must be a table"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_hostile_config_files(tmp_path: Path, case: str) -> None:
    content, expect = CONFIG_CASES[case]
    config = tmp_path / "config.toml"
    config.write_bytes(content)
    for args in (["check"], ["done", "walk"], ["status"]):
        r = habitd(config, tmp_path / "state", *args)
        assert r.returncode == 2, (case, args, r.stderr)
        assert str(config) in r.stderr and expect in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert config.read_bytes() == content
    assert not (tmp_path / "state" / "state.toml").exists()


def test_huge_and_symlinked_configs(tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    with open(huge, "wb") as f:
        f.truncate(50 << 20)
    r = habitd(huge, tmp_path / "state", "check")
    assert r.returncode == 2 and "more than" in r.stderr and str(huge) in r.stderr
    to_device = tmp_path / "device.toml"
    to_device.symlink_to("/dev/zero")
    r = habitd(to_device, tmp_path / "state", "check", timeout=20)
    assert r.returncode == 2 and "not a regular file" in r.stderr
    # A symlink to a real config is how dotfile managers work: it is followed.
    real = tmp_path / "dotfiles.toml"
    real.write_text("[habits.walk]\n")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    assert habitd(link, tmp_path / "state", "check").returncode == 0


STATE_CASES = {
    "truncated": None,  # filled in from a real file
    "garbage": bytes(random.Random(2).getrandbits(8) for _ in range(4000)),
    "not utf-8": b"version = 1\n[habits.walk]\n# caf\xe9\n",
    "wrong version": b"version = 7\n",
    "wrong types": b'version = 1\n[habits.walk]\ndone = "yes"\n',
    "unknown keys": b"version = 1\nfavourite = 3\n",
    "bad mask": b'version = 1\n[habits.walk]\nsince = 2026\ndone = "not base64!"\n',
}


@pytest.mark.parametrize("case", list(STATE_CASES))
def test_hostile_state_files_are_refused_and_left_exactly_as_they_were(tmp_path: Path, case: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[habits.walk]\n")
    state_dir = tmp_path / "state"
    content = STATE_CASES[case]
    if content is None:
        habitd(config, state_dir, "done", "walk")
        big_history(StateFile(state_dir), 10, 3)
        whole = (state_dir / "state.toml").read_bytes()
        content = whole[: len(whole) // 2]
    state_dir.mkdir(exist_ok=True)
    (state_dir / "state.toml").write_bytes(content)
    before = os.stat(state_dir / "state.toml")
    for args in (["done", "walk"], ["undo", "walk"], ["skip", "walk"], ["status"], ["pause", "--until", "tomorrow"]):
        r = habitd(config, state_dir, *args)
        assert r.returncode == 3, (args, r.stderr)
        assert str(state_dir / "state.toml") in r.stderr and "left as it is" in r.stderr
        assert "Traceback" not in r.stderr
    after = os.stat(state_dir / "state.toml")
    assert (state_dir / "state.toml").read_bytes() == content
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_huge_and_symlinked_state_files(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[habits.walk]\n")
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    with open(state_dir / "state.toml", "wb") as f:
        f.truncate(50 << 20)
    r = habitd(config, state_dir, "done", "walk")
    assert r.returncode == 3 and "more than" in r.stderr
    assert (state_dir / "state.toml").stat().st_size == 50 << 20
    (state_dir / "state.toml").unlink()
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text("version = 1\n")
    (state_dir / "state.toml").symlink_to(elsewhere)
    r = habitd(config, state_dir, "done", "walk")
    assert r.returncode == 3 and "symbolic link" in r.stderr
    assert elsewhere.read_text() == "version = 1\n" and (state_dir / "state.toml").is_symlink()


def test_a_missing_state_is_a_fresh_start(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[habits.walk]\n")
    r = habitd(config, tmp_path / "new" / "state", "status", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["habits"][0]["streak"] == 0


# --- 5. full disk and permissions ----------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    mount = tmp_path / "disk"
    mount.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128k,mode=0700", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if r.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs to fill: {r.stderr}")
        pytest.skip(f"cannot mount a tmpfs (needs root): {r.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_keeps_the_previous_state(tiny_disk: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[habits.walk]\n[habits.talk]\n")
    state_dir = tiny_disk / "state"
    assert habitd(config, state_dir, "done", "walk", "--date", "2026-01-01").returncode == 0
    (month,) = state_dir.glob("devices/*/2026-01.toml")  # where the next change goes
    before = month.read_bytes()
    filler = tiny_disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    r = habitd(config, state_dir, "done", "talk", "--date", "2026-01-02", "--note", "x" * 20000)
    assert r.returncode == 1, r.stderr
    assert "No space left on device" in r.stderr and "previous version is untouched" in r.stderr
    assert "Traceback" not in r.stderr
    assert month.read_bytes() == before
    assert [p.name for p in [*state_dir.iterdir(), *month.parent.iterdir()] if p.name.endswith(".tmp")] == []
    filler.unlink()
    assert habitd(config, state_dir, "done", "talk", "--date", "2026-01-02").returncode == 0


def without_root_powers(config: Path, state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run habitd as root but without the capabilities that override file permissions."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop capabilities")
    cmd = [
        "setpriv",
        "--bounding-set=-dac_override,-dac_read_search",
        sys.executable,
        "-m",
        "habitd",
        "--config",
        str(config),
        "--state-dir",
        str(state_dir),
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV)


def test_permission_denied_is_clear_and_changes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[habits.walk]\n")
    state_dir = tmp_path / "state"
    assert habitd(config, state_dir, "done", "walk", "--date", "2026-01-01").returncode == 0
    (month,) = state_dir.glob("devices/*/2026-01.toml")
    before = month.read_bytes()
    # A folder its owner cannot read or write (another user's is refused before that: test_state_safety).
    state_dir.chmod(0o000)
    r = without_root_powers(config, state_dir, "done", "walk", "--date", "2026-01-02")
    assert r.returncode in (1, 3) and "Permission denied" in r.stderr and "Traceback" not in r.stderr, r.stderr
    # Readable but not writable: reading works, a write fails with a clear error.
    state_dir.chmod(0o555)
    for f in (month, state_dir / "state.lock", state_dir / "device.toml"):
        f.chmod(0o444)
    assert without_root_powers(config, state_dir, "status").returncode == 0
    r = without_root_powers(config, state_dir, "done", "walk", "--date", "2026-01-02")
    assert r.returncode == 1 and "Permission denied" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert month.read_bytes() == before


# --- 9. permissions of what habitd creates -------------------------------------------------


def test_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if not k.startswith(("HABITD_", "XDG_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_STATE_HOME=str(tmp_path / "st"))
    run = [
        sys.executable,
        "-c",
        "import os, sys; os.umask(0); from habitd.cli.app import main; sys.argv[0] = 'habitd'; main()",
    ]
    assert subprocess.run([*run, "init"], env=env).returncode == 0
    for i in range(1, 11):  # ten saves on ten different days: backups rotate
        assert subprocess.run([*run, "done", "thanks", "--date", f"2026-01-{i:02d}"], env=env).returncode == 0
        state = tmp_path / "st" / "habitd" / "state.toml"
        with Store(str(state.parent)).update() as s:  # this machine's bookkeeping, saved on day i
            s.sent_day, s.sent_count = date(2026, 1, i), i
        stamp = time.mktime((2026, 1, i, 12, 0, 0, 0, 0, -1))
        os.utime(state, (stamp, stamp))
    made = [tmp_path / "cfg", tmp_path / "cfg" / "habitd", tmp_path / "st", tmp_path / "st" / "habitd"]
    made.append(tmp_path / "st" / "habitd" / "backups")
    made += [tmp_path / "st" / "habitd" / "devices", *(tmp_path / "st" / "habitd" / "devices").iterdir()]
    for folder in made:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        for f in folder.iterdir():
            if f.is_file():
                assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert len(list((tmp_path / "st" / "habitd" / "backups").iterdir())) == 7


# --- 4. properties -----------------------------------------------------------------------------


def test_state_round_trip_keeps_hostile_notes_exactly(tmp_path: Path) -> None:
    store = Store(tmp_path)
    text = "quote \" apostrophe ' $(rm -rf ~) `id` <b>x</b>\nנשיקה 💞 \\ \t tab \u202e rtl"
    from datetime import datetime

    from habitd.habits.state import Note

    with store.update() as state:
        state.log("walk").add(date(2026, 1, 1))
        state.log("walk").notes.append(Note(date(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC), text))
    assert store.read().habits["walk"].notes[0].text == text
    assert from_doc(to_doc(store.read()), "x") == store.read()
    assert State() == from_doc(to_doc(State()), "x")
