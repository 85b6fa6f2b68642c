"""The Plyer notifier, habitd's path where there is no session bus to talk to (systems other than Linux)."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import plyer
import pytest

from habitd.errors import UsageError
from habitd.service.notifiers import backend_from_env, make_notifier
from habitd.service.notify import DeliveryError, Note, PlyerNotifier

NOTE = Note("thanks", "Say thank you", 'For "the" <b>soup</b> & more', date(2026, 11, 27), (("done", "Done"),))


class FakeNotification:
    """Plyer's notification facade, as the platform's backend behaves: shows, or raises ``error``."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def notify(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error


def test_it_hands_the_text_to_plyer_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNotification()
    monkeypatch.setattr(plyer, "notification", fake)
    notifier = PlyerNotifier(timeout=12)
    notifier.open()
    notifier.send(NOTE)
    assert fake.calls == [
        {"title": "Say thank you", "message": 'For "the" <b>soup</b> & more', "app_name": "habitd", "app_icon": "",
         "timeout": 12},
    ]  # fmt: skip
    assert notifier.backend == "plyer"


def test_a_backend_error_is_a_failed_delivery_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plyer, "notification", FakeNotification(OSError("no notification daemon\ndetails")))
    with pytest.raises(DeliveryError) as err:
        PlyerNotifier().send(NOTE)
    assert str(err.value) == "the notification could not be shown: no notification daemon"
    monkeypatch.setattr(plyer, "notification", FakeNotification(NotImplementedError()))
    with pytest.raises(DeliveryError, match=r"could not be shown: NotImplementedError$"):
        PlyerNotifier().send(NOTE)


def test_it_has_no_bubbles_buttons_or_events_to_keep() -> None:
    notifier = PlyerNotifier()
    notifier.close("thanks")
    assert notifier.showing() == {}
    assert notifier.bubble_ids() == {}
    assert notifier.adopt(NOTE, "bus server 1") is False
    assert notifier.events() == []
    notifier.wake()
    assert notifier.interrupted() is False
    notifier.stop()


def test_auto_and_plyer_pick_plyer_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert isinstance(make_notifier("auto", 5), PlyerNotifier)
    assert isinstance(make_notifier("plyer", 5), PlyerNotifier)
    assert make_notifier("plyer", 5).timeout == 5  # type: ignore[attr-defined]


def test_on_linux_plyer_is_refused_and_auto_is_the_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(UsageError, match="HABITD_NOTIFIER=plyer is for other systems"):
        make_notifier("plyer", 5)
    assert make_notifier("auto", 5).backend == "dbus"
    assert make_notifier("notify-send", 5).backend == "dbus"  # the old name of the Linux path
    with pytest.raises(UsageError, match="HABITD_NOTIFIER='growl' is not a notifier: use auto, dbus or plyer"):
        make_notifier("growl", 5)


def test_the_environment_names_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HABITD_NOTIFIER", raising=False)
    assert backend_from_env() == "auto"
    monkeypatch.setenv("HABITD_NOTIFIER", "plyer")
    assert backend_from_env() == "plyer"
