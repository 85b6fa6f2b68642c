"""History: every change as an event, the logs on disk, and the state derived from them.

Owns the event ids (``hlc``), events and their merge, the changes a command appends, the pure
derivation of the state from the events, the local cache, the recording API (``record``), who
did what (``people``), renames, merges and the migration of an old state file. Its file module
is the only place in habitd that reads or writes files.

May import: ``habitd.errors``, ``habitd.paths``, ``habitd.habits`` and modules of this room.
"""
