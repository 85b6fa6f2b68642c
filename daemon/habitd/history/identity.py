"""Which device this machine is in the event log: its ``device.toml`` in the state folder.

The device id names the folder of the shared log this machine alone writes. The file
also keeps the latest event written under that id (so another machine writing as this
one is noticed), this machine's person when the config is shared, and where the id was
made (the machine id and the state folder), so a copied home folder is refused instead
of making two writers of one device's files.
"""

from __future__ import annotations

import os

from habitd.errors import HabitdError, StateError
from habitd.history import files
from habitd.history.files import CONFIG_MAX_BYTES
from habitd.history.hlc import DEVICE_RULE, Stamp, is_device_id, parse_id
from habitd.history.statefile import StateFile
from habitd.limits import toml_loads
from habitd.records import Record

DEVICE_FILE = "device.toml"


class LocalDevice(Record):
    id: str
    last: Stamp | None  # the latest event this machine wrote under that id
    name: str = ""  # this machine's person, when the config is shared (``habitd init --join --name``)
    made_on: str = ""  # the machine id (/etc/machine-id) where the id was made; "": not known
    made_in: str = ""  # the state folder it was made for (its real path); "": not known (an older habitd)


class DeviceFile:
    """``device.toml`` in the state folder ``local_dir``, changed under that folder's lock."""

    def __init__(self, local_dir: str, lock_timeout: float = 5.0) -> None:
        self.path = os.path.join(local_dir, DEVICE_FILE)
        self.state_file = StateFile(local_dir, lock_timeout)  # its lock

    def read(self) -> LocalDevice | None:
        """This machine's device id and the last event it wrote, or None before its first write."""
        try:
            data = files.read_bytes(self.path, CONFIG_MAX_BYTES, follow_symlink=False)
            if data is None:
                return None
            doc = toml_loads(files.decode(data))
        except OSError as e:
            raise StateError(f"{self.path}: cannot read: {e.strerror}") from None
        except ValueError as e:
            raise StateError(f"{self.path}: {e}. Move it away and habitd gives this machine a new id.") from None
        device, last = doc.get("id"), doc.get("last")
        if not isinstance(device, str) or not is_device_id(device):
            raise StateError(f"{self.path}: id: {device!r} is not a device id ({DEVICE_RULE})")
        stamp = parse_id(last) if isinstance(last, str) else None
        if last is not None and (stamp is None or stamp.device != device):
            raise StateError(f"{self.path}: last: {last!r} is not an event id of device {device}")
        name, made_on, made_in = (v if isinstance(v := doc.get(k), str) else "" for k in ("name", "made_on", "made_in"))
        return LocalDevice(device, stamp, name, made_on, made_in)

    def save(self, device: LocalDevice) -> None:
        import tomli_w  # a command that only reads never loads it

        text = (
            "# This machine's device id in the shared habitd folder. Keep it on this machine only:\n"
            "# a copy on another machine makes two writers of one device's files.\n"
            + tomli_w.dumps(
                {"id": device.id}
                | ({"last": str(device.last)} if device.last else {})
                | ({"name": device.name} if device.name else {})
                | ({"made_on": device.made_on} if device.made_on else {})
                | ({"made_in": device.made_in} if device.made_in else {})
            )
        )
        files.write_text(self.path, text)

    def _here(self) -> tuple[str, str]:
        return files.machine_id(), os.path.realpath(os.path.dirname(self.path))

    def own(self) -> LocalDevice:
        """This machine's device, made (with a new id) on its first write; refused when its
        device file was made on another machine or for another state folder (a copied home)."""
        me = self.read()
        if me is None:
            me = LocalDevice(os.urandom(5).hex(), None, "", *self._here())
            self.save(me)
        self.check_home(me, "Nothing was recorded")
        if not me.made_in:  # written by an older habitd: where it is now is where it was made
            me = me._replace(made_on=self._here()[0], made_in=self._here()[1])
            self.save(me)
        return me

    def check_home(self, me: LocalDevice, outcome: str) -> None:
        """Refuse a device file made on another machine or for another state folder: a copied home."""
        made_on, made_in = self._here()
        if (me.made_in and me.made_in != made_in) or (me.made_on and made_on and me.made_on != made_on):
            where = f"for {me.made_in}" + (" on another machine" if me.made_on and me.made_on != made_on else "")
            raise StateError(
                f"another machine writes as this one, or may: {self.path} was made {where}, not here"
                f" (was this home folder copied, or the state folder moved?). {outcome}. {self.way_out()}"
            )

    def way_out(self) -> str:
        return (
            f"On one of the two machines, run `habitd devices --new-id` (or move {self.path} away):"
            " that machine then writes under a new device id, keeping its name, and nothing is lost."
        )

    def set_name(self, name: str) -> LocalDevice:
        """Keep ``name`` as this machine's person in its device file (made if need be), under the lock."""
        with self.state_file.lock():
            me = self.own()._replace(name=name)
            self.save(me)
            return me

    def new_id(self) -> tuple[LocalDevice | None, LocalDevice]:
        """Give this machine a new device id, keeping its name (under the lock): (the old, the new)."""
        with self.state_file.lock():
            try:
                old = self.read()
            except StateError:
                old = None  # an unreadable device file: a new one replaces it
            new = LocalDevice(os.urandom(5).hex(), None, old.name if old else "", *self._here())
            self.save(new)
            return old, new


def device_name(local_dir: str) -> str:
    """The name this machine's device file gives its person ("" when none, or when it cannot be read)."""
    try:
        me = DeviceFile(local_dir).read()
    except HabitdError:
        return ""  # a command that writes says what is wrong with it
    return me.name if me else ""
