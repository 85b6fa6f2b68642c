"""The command line, the only room that knows Click: it parses, calls the rooms below, and prints.

``app`` holds the group (global options, the lazily loaded families, ``main``
and its one error handler); ``context`` what every command is handed (``App``);
``output`` how every command writes. One module a family of commands:
``recording`` (done, undo, skip, note, pause, resume; loaded with the group),
``setup`` (init, check), ``show``, ``overview``, ``data``, ``habits``,
``devices``, ``service`` and ``trying`` (try, demo).

May import: every other room. Nothing imports this room but ``habitd.__main__``.
"""
