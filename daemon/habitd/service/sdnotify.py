"""The systemd notify protocol: one datagram to the socket named by $NOTIFY_SOCKET."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def sd_notify(message: str, env: Mapping[str, str] = os.environ) -> bool:
    """Send READY=1, WATCHDOG=1, STATUS=... to systemd; False when not run by systemd."""
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # the abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(address)
            s.sendall(message.encode("utf-8"))
    except OSError:
        return False
    return True
