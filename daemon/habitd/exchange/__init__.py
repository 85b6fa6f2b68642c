"""Exchange: your history in and out of habitd in other programs' formats.

Owns the export format (``document``: versioned JSON and CSV), the import of Loop Habit
Tracker's backup (``loop``), the iCalendar feed (``ical``), the year report (``report``) and a
partner's phone task list (``tasks``: each open period as a VTODO, and the phone's ticks read back).

May import: ``habitd`` (its version), ``habitd.errors``, ``habitd.limits``, ``habitd.records``, ``habitd.habits``,
``habitd.history``, ``habitd.views`` and modules of this room.
"""
