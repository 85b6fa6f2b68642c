"""This machine's own TOML files parsed once: a document kept beside the text it came from.

The config's document is kept in ``config.bin`` and the state file's in ``state.bin``, both in
the state folder, with the text each was parsed from: a command that finds the same text there
takes the document instead of parsing the text again, and then loads no TOML parser at all
(parsing and loading it are about a tenth of a command's time). A kept document is checked as
its text would be: it must be something tomllib makes, within the limits.
"""

from __future__ import annotations

import contextlib
import marshal
import sys
from typing import Any

from habitd.errors import HabitdError
from habitd.history import files
from habitd.history.cache import plain, unplain
from habitd.limits import toml_loads, toml_within

KEPT_MAX = 4 * files.CONFIG_MAX_BYTES  # a document with more dates and times than that is parsed each time


def loads(text: str, kept: str | None, kind: str, keep: bool = True) -> dict[str, Any]:
    """``toml_loads(text)``, taken from the file ``kept`` when it holds the document of this very
    text (``kind`` names the format of its file), and kept there when parsed anew (``keep``;
    never by a reader that must not write, like shell completion). Raises TomlError."""
    of = (kind, sys.version)  # another Python may parse otherwise
    doc = _kept(kept, of, text) if kept else None
    if doc is not None:
        return doc
    doc = toml_loads(text)
    if kept and keep:
        data = marshal.dumps((of, text, plain(doc)))  # dates and times as the history cache keeps them
        with contextlib.suppress(HabitdError):  # not kept: parsed again next time
            if len(data) <= KEPT_MAX:
                files.atomic_write(kept, data, durable=False)
    return doc


def _kept(path: str, of: tuple[str, str], text: str) -> dict[str, Any] | None:
    """The document ``path`` holds for ``text``; None when it holds another text or format, cannot
    be read, or holds what tomllib does not make or the limits refuse."""
    try:
        data = files.read_bytes(path, KEPT_MAX, follow_symlink=False)
        if not data:
            return None
        found, kept, doc = marshal.loads(data)
        if found != of or kept != text or not isinstance(doc, dict):
            return None
        doc = unplain(doc)
    except (OSError, ValueError, EOFError, TypeError, LookupError):
        return None
    return doc if toml_within(doc) else None
