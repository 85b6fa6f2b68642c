"""habitd: reminders and streaks for the habits that keep a couple close."""

__version__ = "0.1.0"
