"""Views: what the commands show, as plain data first and plain text second.

Owns the status rows, history periods and upcoming reminders (``rows``), statistics, the grid,
and their text (``render``, ``overview``). No Click, no files: the command line prints what
these return, the daemon's status-bar files write it.

May import: ``habitd.errors``, ``habitd.limits``, ``habitd.records``, ``habitd.habits``, ``habitd.history`` and
modules of this room.
"""
