"""Notifications with buttons over one long-lived session-bus connection (jeepney).

One connection both calls ``Notify`` and hears ``ActionInvoked`` and
``NotificationClosed``: GNOME sends those signals only to the connection that
showed the notification, and drops its notifications when it closes. A thread
reads the connection: a reply goes to the call waiting for it, a signal goes
on a queue and ``wake()`` pokes the daemon's main loop, which drains it with
``events()``. Everything else happens on the main thread.

The main thread never waits for the server longer than ``REPLY_TIMEOUT``. A
server that takes ``Notify`` and never answers makes that reminder a failed
delivery (it stays pending and is retried later); for ``STALLED`` seconds
after that (or until the server restarts), sends fail at once rather than
wait again. If the answer comes late after all, the bubble is remembered:
the retry counts it as shown instead of showing it a second time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, new_method_call
from jeepney.bus import get_connectable_addresses
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import prep_socket
from jeepney.io.threading import DBusConnection, ReceiveStopped

from habitd.service.notify import APP_NAME, DeliveryError, Note, Pressed, escape

log = logging.getLogger("habitd")

_NAME = "org.freedesktop.Notifications"
SERVER = DBusAddress("/org/freedesktop/Notifications", bus_name=_NAME, interface=_NAME)
REPLY_TIMEOUT = 3.0  # seconds the main thread waits for the bus or the server
STALLED = 30.0  # after a call went unanswered, sends fail at once for this long
BACKOFF_FIRST, BACKOFF_MAX = 2.0, 300.0  # seconds between attempts to connect to the bus
HINTS = {
    "urgency": ("y", 1),  # normal
    "category": ("s", "x-habitd.reminder"),
    "desktop-entry": ("s", APP_NAME),
}
CLOSED_KEPT = 64  # closed bubbles remembered, should their server keep them on screen
_LOST = "lost"  # what the reader puts on the queue when the connection ends


def session_bus_address(env: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The session bus: $DBUS_SESSION_BUS_ADDRESS, or systemd's socket in $XDG_RUNTIME_DIR."""
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "")
    if address:
        try:
            return str(next(get_connectable_addresses(address)))
        except (RuntimeError, ValueError, StopIteration):
            raise DeliveryError(f"the session bus address {address!r} is not one habitd can use") from None
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return os.path.join(runtime, "bus")
    raise DeliveryError("no session bus (DBUS_SESSION_BUS_ADDRESS is not set and $XDG_RUNTIME_DIR/bus is missing)")


class _Link:
    """One connection to the session bus and the thread that reads it."""

    def __init__(self, events: queue.SimpleQueue[Any], wake: Callable[[], None]) -> None:
        address = session_bus_address()
        try:
            sock = prep_socket(address, False, timeout=REPLY_TIMEOUT)
        except (OSError, ValueError) as e:  # TimeoutError is an OSError
            raise DeliveryError(f"cannot connect to the session bus: {e}") from None
        self.conn = DBusConnection(sock)
        self._events, self._wake = events, wake
        self._calls: dict[int, Future[Any]] = {}
        # A reply wakes a waiting main thread through this pipe: select() keeps its timeout on a
        # loaded machine (and under libfaketime), where a condition variable's timed wait did not.
        self._answered_r, self._answered_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._lock = threading.Lock()
        self.alive, self.closing = True, False
        self._thread = threading.Thread(target=self._read, name="habitd-dbus", daemon=True)
        self._thread.start()
        try:
            deadline = time.monotonic() + REPLY_TIMEOUT
            self.conn.unique_name = self.wait(self.call(message_bus.Hello()), deadline)[0]
            self.bus_id = str(self.wait(self.call(message_bus.GetId()), deadline)[0])  # new at each login
        except DeliveryError:
            self.close()
            raise

    def call(self, message: Any) -> Future[Any]:
        """Send a method call; its reply (or error) arrives in the future."""
        future: Future[Any] = Future()
        with self._lock:
            if not self.alive:
                raise DeliveryError("the connection to the session bus was lost")
            serial = next(self.conn.outgoing_serial)
            self._calls[serial] = future
        try:
            self.conn.send(message, serial=serial)
        except OSError as e:
            with self._lock:
                self._calls.pop(serial, None)
            raise DeliveryError(f"the connection to the session bus failed: {e}") from None
        return future

    def _read(self) -> None:
        try:
            while True:
                msg = self.conn.receive()
                serial = msg.header.fields.get(HeaderFields.reply_serial)
                if serial is not None:
                    with self._lock:
                        future = self._calls.pop(serial, None)
                    if future is not None:
                        future.set_result(msg)
                        self._answered()
                elif msg.header.message_type is MessageType.signal:
                    self._events.put(msg)
                    self._wake()
        except ReceiveStopped:
            pass
        except Exception as e:  # the bus went away (end of file), or bytes that are not D-Bus
            if not self.closing:
                log.warning("the connection to the session bus was lost: %s", e)
        finally:
            with self._lock:
                self.alive = False
                calls, self._calls = self._calls, {}
            for future in calls.values():
                future.set_exception(DeliveryError("the connection to the session bus was lost"))
            self._answered()
            if not self.closing:
                self._events.put(_LOST)
                self._wake()

    def _answered(self) -> None:
        with contextlib.suppress(OSError):  # full (nobody waits) or closed
            os.write(self._answered_w, b"!")

    def wait(self, future: Future[Any], deadline: float, interrupted: Callable[[], bool] = lambda: False) -> Any:
        """The body of a call's reply; DeliveryError for an error, no answer by ``deadline``, or a stop."""
        while not future.done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise _NoAnswer
            if interrupted():
                raise DeliveryError("habitd is stopping")
            select.select([self._answered_r], [], [], min(left, 0.1))
            with contextlib.suppress(BlockingIOError):
                os.read(self._answered_r, 4096)
        msg = future.result()  # done: no wait
        if msg.header.message_type is MessageType.error:
            name = msg.header.fields.get(HeaderFields.error_name, "an error")
            text = msg.body[0] if msg.body and isinstance(msg.body[0], str) else ""
            raise DeliveryError(f"{name}{': ' + text if text else ''}")
        return msg.body

    def close(self) -> None:
        self.closing = True
        self.conn.close()
        self._thread.join(2)
        os.close(self._answered_r)
        os.close(self._answered_w)


class _NoAnswer(DeliveryError):
    def __init__(self) -> None:
        super().__init__(f"the notification server did not answer within {REPLY_TIMEOUT:g} s")


class DBusNotifier:
    """Shows, replaces and closes one bubble per habit; hears its buttons."""

    backend = "dbus"

    def __init__(self, timeout: int = 30) -> None:
        self.timeout = timeout  # seconds on screen, 0: until dismissed
        self.wake: Callable[[], None] = lambda: None
        self.interrupted: Callable[[], bool] = lambda: False  # a stop was asked for: give up waiting
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._link: _Link | None = None
        self._next_attempt = 0.0
        self._backoff = BACKOFF_FIRST
        self._stalled_until = 0.0
        self._caps: frozenset[str] | None = None  # asked again after each (re)connection or server restart
        self._owner = ""  # the server's unique name on the bus, as it answered GetCapabilities
        self._shown: dict[str, tuple[int, Note]] = {}  # habit -> its bubble's id and what it shows
        self._late: set[str] = set()  # habits whose reminder the server showed after all, answering late
        # bubbles habitd closed, by id: a server that keeps one on screen (notification-daemon 3.20)
        # still sends its buttons, and a press there is answered (and logged) as on any other
        self._closed: dict[int, Note] = {}

    # --- the connection ---------------------------------------------------------

    def _connect(self) -> _Link:
        if self._link is not None and self._link.alive:
            return self._link
        now = time.monotonic()
        if now < self._next_attempt:
            raise DeliveryError(f"no connection to the session bus; trying again in {self._next_attempt - now:.0f} s")
        try:
            link = _Link(self._events, lambda: self.wake())
        except DeliveryError:
            self._next_attempt = now + self._backoff
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)
            raise
        self._backoff, self._next_attempt = BACKOFF_FIRST, 0.0
        for rule in (
            MatchRule(type="signal", interface=SERVER.interface, path=SERVER.object_path),
            _owner_rule(),
        ):
            link.call(message_bus.AddMatch(rule))  # the answer does not matter: signals sent to us arrive anyway
        self._link, self._caps = link, None
        self._shown.clear()
        log.debug("connected to the session bus as %s", link.conn.unique_name)
        return link

    def _capabilities(self, link: _Link, deadline: float) -> frozenset[str]:
        if self._caps is None:
            asked = link.call(new_method_call(SERVER, "GetCapabilities"))
            caps = frozenset(link.wait(asked, deadline, self.interrupted)[0])
            self._owner = asked.result().header.fields.get(HeaderFields.sender, "")
            how = "with buttons" if "actions" in caps else "without buttons (this server shows none)"
            log.info("notifications over the session bus, %s", how)
            self._caps = caps
        return self._caps

    # --- the Notifier interface ----------------------------------------------------

    def open(self) -> None:
        """Connect at start, so the log says at once whether the server shows buttons."""
        try:
            self._capabilities(self._connect(), time.monotonic() + REPLY_TIMEOUT)
        except DeliveryError as e:
            log.info("no notification server to talk to yet (%s); reminders wait for one", e)

    def send(self, note: Note) -> None:
        if self.interrupted():
            raise DeliveryError("habitd is stopping")
        now = time.monotonic()
        if now < self._stalled_until:
            raise DeliveryError("the notification server has not been answering; trying again later")
        if note.habit in self._late and note.habit in self._shown and self._shown[note.habit][1].day == note.day:
            self._late.discard(note.habit)  # the retry of a reminder that is on screen already
            return
        link = self._connect()
        deadline = now + REPLY_TIMEOUT
        future: Future[Any] | None = None
        try:
            caps = self._capabilities(link, deadline)
            actions = [part for key, label in note.buttons for part in (key, label)] if "actions" in caps else []
            body = escape(note.body) if "body-markup" in caps else note.body
            replaces = self._shown[note.habit][0] if note.habit in self._shown else 0
            message = new_method_call(
                SERVER,
                "Notify",
                "susssasa{sv}i",
                (APP_NAME, replaces, "", note.title, body, actions, HINTS, self.timeout * 1000),
            )
            future = link.call(message)
            (notification_id,) = link.wait(future, deadline, self.interrupted)
        except _NoAnswer:
            self._stalled_until = time.monotonic() + STALLED
            if future is not None:  # it may still show it: remember the bubble if the answer comes
                future.add_done_callback(lambda f: self._answered_late(f, note))
            raise
        except DeliveryError as e:
            raise DeliveryError(f"the notification server did not take it: {e}") from None
        self._shown[note.habit] = (notification_id, note)

    def _answered_late(self, future: Future[Any], note: Note) -> None:
        """On the reader thread: a Notify answered after its wait gave up."""
        self._events.put((note, future))
        self.wake()

    def close(self, habit: str) -> None:
        if habit not in self._shown:
            return
        notification_id, note = self._shown.pop(habit)
        self._closed[notification_id] = note
        while len(self._closed) > CLOSED_KEPT:
            del self._closed[next(iter(self._closed))]  # the oldest
        if self._link is not None and self._link.alive:
            try:
                self._link.call(new_method_call(SERVER, "CloseNotification", "u", (notification_id,)))
            except DeliveryError as e:
                log.debug("could not close %s's notification: %s", habit, e)

    def showing(self) -> dict[str, Note]:
        return {habit: note for habit, (_, note) in self._shown.items()}

    def _server(self) -> str:
        """Which server on which bus: ids mean something only to it."""
        return f"{self._link.bus_id} {self._owner}" if self._link is not None and self._owner else ""

    def bubble_ids(self) -> dict[str, str]:
        server = self._server()
        return {habit: f"{server} {i}" for habit, (i, _) in self._shown.items()} if server else {}

    def adopt(self, note: Note, bubble: str) -> bool:
        server, _, notification_id = bubble.rpartition(" ")
        if not server or server != self._server() or not notification_id.isdigit():
            return False
        self._shown[note.habit] = (int(notification_id), note)
        return True

    def events(self) -> list[Pressed]:
        out: list[Pressed] = []
        while True:
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return out
            if item == _LOST:
                self._link, self._caps = None, None
                self._shown.clear()
                self._closed.clear()
            elif isinstance(item, tuple):  # a late answer to Notify
                note, future = item
                if future.exception() is None and future.result().header.message_type is MessageType.method_return:
                    self._shown[note.habit] = (future.result().body[0], note)
                    self._late.add(note.habit)
                    self._stalled_until = 0.0
                    log.info("%s: the notification server answered late; its bubble is on screen", note.habit)
            else:
                pressed = self._signal(item)
                if pressed is not None:
                    out.append(pressed)

    def _signal(self, msg: Any) -> Pressed | None:
        member = msg.header.fields.get(HeaderFields.member)
        if member == "NameOwnerChanged":  # the server (re)started or left: its ids are void, try it afresh
            if len(msg.body) == 3 and msg.body[2] and msg.body[2] == self._owner:
                return None  # the server we talk to already (started for our first call)
            self._owner = ""
            self._caps = None
            self._shown.clear()
            self._closed.clear()
            self._stalled_until = 0.0
            return None
        if member not in ("ActionInvoked", "NotificationClosed") or not msg.body:
            return None
        notification_id = msg.body[0]
        habit = next((h for h, (i, _) in self._shown.items() if i == notification_id), None)
        if habit is None:
            closed = self._closed.get(notification_id) if member == "ActionInvoked" and len(msg.body) > 1 else None
            return Pressed(closed, str(msg.body[1])) if closed else None  # else not ours, or from before a restart
        if member == "NotificationClosed":
            del self._shown[habit]
            return None
        return Pressed(self._shown[habit][1], str(msg.body[1]))

    def stop(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None


def _owner_rule() -> MatchRule:
    rule = MatchRule(
        type="signal", sender="org.freedesktop.DBus", interface="org.freedesktop.DBus", member="NameOwnerChanged"
    )
    rule.add_arg_condition(0, SERVER.bus_name)
    return rule
