"""Habits: what a habit is and when, and its record in memory. Pure: no files, no clock read.

Owns the config's schema and parsing (``config``), time (``clock``: the logical day apart from
the wall-clock moment), periods, cron expressions, reminder times (``schedule``), the state in
memory and its TOML encoding (``state``), streaks and the conversation prompts.

May import: ``habitd.errors`` and modules of this room. Nothing here knows files, Click or the
notification server; time always comes in as a parameter.
"""
