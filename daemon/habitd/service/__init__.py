"""Service: the daemon behind ``habitd run`` and what it talks to.

Owns the loop (``runner``), the decisions of which reminders to show (``reminders``), the
notifications and their buttons and bubbles, noticing changed files (``watch``), one daemon per
state folder (``instance``), the systemd notify protocol and the user unit (``unit``), and the
files kept for other programs (``feeds``).

May import: every room below it (``habits``, ``history``, ``views``, ``exchange``) and modules
of this room. Never ``habitd.cli``.
"""
