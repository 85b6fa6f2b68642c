"""The one exception base of habitd and the exit code each kind of failure gets.

Only the command line translates these into messages (see ``cli.py``); the
core raises them and never prints.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_STATE = 3


class HabitdError(Exception):
    """Base of every error habitd reports to a user."""

    exit_code = EXIT_RUNTIME


class UsageError(HabitdError):
    """The user asked for something that cannot be: unknown habit, bad date."""

    exit_code = EXIT_USAGE


class ConfigError(HabitdError):
    """The config file is invalid; ``problems`` lists every problem found."""

    exit_code = EXIT_USAGE

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"{path}: {count} in the config:\n{lines}")


class ConfigUnreadable(ConfigError):
    """The config file exists but cannot be read (permissions, I/O): a runtime failure."""

    exit_code = EXIT_RUNTIME


class StateError(HabitdError):
    """The state file cannot be read: corrupt, wrong schema, not a file."""

    exit_code = EXIT_STATE


class LockTimeout(HabitdError):
    """Another habitd process held the state lock for too long."""


class StoreWriteError(HabitdError):
    """Writing a file failed; the previous version is still in place."""


class NotPrivateError(HabitdError):
    """The state folder or file could have been written by another user: refused, as ssh does."""


def describe_toml_error(error: Exception, text: str) -> str:
    """tomllib's message, with a line number also when the file ends too early."""
    message = str(error)
    if "(at end of document)" in message:
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        message = message.replace("(at end of document)", f"(at line {lines}, the end of the file)")
    return message
