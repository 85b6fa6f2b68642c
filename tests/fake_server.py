"""A small notification server that misbehaves on purpose, for the end-to-end tests.

    python tests/fake_server.py RECORD MODE

owns ``org.freedesktop.Notifications`` on the session bus and appends every
call it gets to RECORD, one JSON object a line. MODE:

- ``plain``: a server without the ``actions`` capability;
- ``mute``: answers GetCapabilities, takes Notify and never answers it;
- ``late``: answers Notify 4 seconds late (habitd waits 3).

A line ``ID KEY`` written to RECORD + ".invoke" makes it emit ``ActionInvoked(ID, KEY)``
to the program that showed notification ID.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def main(record: str, mode: str) -> None:
    conn = open_dbus_connection("SESSION")
    # Not send_and_get_reply: it drops what comes before the reply, and a bus that started this
    # server for a call hands that call over as soon as the name is taken.
    conn.send(message_bus.RequestName(NAME, 4), serial=1000)  # 4: do not queue
    invoke = record + ".invoke"
    owners: dict[int, str] = {}
    late: list[tuple[float, object]] = []
    next_id = 1
    with open(record, "a") as out:
        while True:
            for when, reply in list(late):
                if time.monotonic() >= when:
                    conn.send(reply)
                    late.remove((when, reply))
            if os.path.exists(invoke):
                with open(invoke) as f:
                    lines = f.read().split("\n")
                os.unlink(invoke)
                for line in filter(None, lines):
                    nid, key = line.split(" ", 1)
                    emitter = DBusAddress(PATH, interface=NAME)
                    signal = new_signal(emitter, "ActionInvoked", "us", (int(nid), key))
                    signal.header.fields[HeaderFields.destination] = owners[int(nid)]
                    conn.send(signal)
            try:
                msg = conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            fields = msg.header.fields
            if fields.get(HeaderFields.reply_serial) == 1000:
                print(json.dumps({"ready": True}), file=out, flush=True)
                continue
            if msg.header.message_type is not MessageType.method_call or fields.get(HeaderFields.interface) != NAME:
                continue
            member = fields.get(HeaderFields.member)
            entry: dict[str, object] = {"call": member}
            if member == "GetCapabilities":
                caps = ["body", "body-markup"] if mode == "plain" else ["body", "actions"]
                conn.send(new_method_return(msg, "as", (caps,)))
            elif member == "GetServerInformation":
                conn.send(new_method_return(msg, "ssss", ("fake", "habitd tests", "1", "1.2")))
            elif member == "Notify":
                app, replaces, _icon, summary, body, actions, hints, timeout = msg.body
                nid = replaces or next_id
                next_id += 0 if replaces else 1
                owners[nid] = fields[HeaderFields.sender]
                entry.update(
                    app=app, replaces=replaces, summary=summary, body=body, actions=list(actions), id=nid,
                    hints={k: v[1] for k, v in hints.items()}, timeout=timeout,
                )  # fmt: skip
                if mode == "late":
                    late.append((time.monotonic() + 4, new_method_return(msg, "u", (nid,))))
                elif mode != "mute":
                    conn.send(new_method_return(msg, "u", (nid,)))
            elif member == "CloseNotification":
                entry["id"] = msg.body[0]
                conn.send(new_method_return(msg))
            print(json.dumps(entry), file=out, flush=True)


if __name__ == "__main__":
    with contextlib.suppress(ConnectionError, KeyboardInterrupt):  # the bus went away: the test is over
        main(sys.argv[1], sys.argv[2])
