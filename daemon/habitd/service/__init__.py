"""Service: the reminder daemon (``habitd run``) and what it talks to.

The loop (``runner``) waits and dispatches; the ``timer`` waits for the soonest reminder;
``delivery`` decides and records what is shown (``reminders`` plans it) and the notifiers
show it (``notify``, ``notify_dbus``, chosen by ``notifiers``); ``bubbles`` and ``buttons``
answer what is pressed; ``watch`` follows the history's folders; ``feeds`` keeps files for
status bars and calendars; ``logs`` formats the daemon's log; ``instance``, ``sdnotify`` and
``unit`` are its place among the system's services; ``phone`` keeps a partner's phone task
list (a vdir) and records its ticks, ``lastsync`` tells when vdirsyncer last synced it;
``trial`` asks the notification server what it can do and writes the demo's config
(``habitd try``, ``habitd demo``).

May import: ``habitd.errors``, ``habitd.paths``, ``habitd.limits``, ``habitd.records``, ``habitd.habits``,
``habitd.history``, ``habitd.views``, ``habitd.exchange`` and modules of this room; never
``habitd.cli`` or Click.
"""
