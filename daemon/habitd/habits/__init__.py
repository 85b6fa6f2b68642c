"""Habits: what a habit is and when, and its record in memory. Pure: no files, no clock read.

Owns the config's schema, parsing and recurrences (``schema``, ``config``, ``recurrence``; ``shared``:
this machine's settings with the habits a shared folder holds), time
(``clock``: the logical day apart from the wall-clock moment), periods, cron expressions,
reminder times (``schedule``), the state in memory (``state``) and its TOML encoding
(``state_toml``), streaks and the conversation prompts.

May import: ``habitd.errors``, ``habitd.limits``, ``habitd.records`` and modules of this room. Nothing here
knows files, Click or the notification server; time always comes in as a parameter.
"""
