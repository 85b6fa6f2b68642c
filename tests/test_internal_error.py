"""The console script's last line of defence: a bug is one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest

from habitd.cli.app import cli, main
from habitd.errors import EXIT_RUNTIME


def _boom(*args: Any, **kwargs: Any) -> NoReturn:
    raise KeyError("habits")


def test_an_unexpected_exception_is_an_internal_error_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HABITD_DEBUG", raising=False)
    monkeypatch.setattr(cli, "main", _boom)
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == EXIT_RUNTIME != 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("habitd: internal error (KeyError: 'habits'); please report it with `habitd --version`")
    assert "HABITD_DEBUG=1" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_habitd_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HABITD_DEBUG", "1")
    monkeypatch.setattr(cli, "main", _boom)
    with pytest.raises(KeyError, match="habits"):
        main()
