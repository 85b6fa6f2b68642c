"""Limits on what another program or person wrote: how deep, how large a number, which characters.

A partner's log file, a shared config, a device file or an import is foreign input: it is parsed
here, with limits, so that a small hostile file is refused with a message (and left out) instead of
exhausting the stack or the integer parser. The limits are far above anything habitd writes: its
own files nest four levels deep and hold no number longer than 13 digits.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

MAX_DEPTH = 32  # tables and arrays inside each other
MAX_NAME = 40  # a person's name (``[settings] name``, an event's ``by``): one line of at most this
MAX_DIGITS = 19  # any integer habitd reads fits in 64 bits


class LimitError(ValueError):
    """Foreign input outside the limits; the message says what and where."""


def _where(path: list[str]) -> str:
    return "".join(p if p.startswith("[") or i == 0 else f".{p}" for i, p in enumerate(path)) or "the top level"


def check_tree(value: object) -> None:
    """Raise LimitError for nesting deeper than MAX_DEPTH, a huge integer or a lone surrogate."""
    if not _within(value):
        _explain(value)


def toml_within(value: object) -> bool:
    """Whether ``value`` is a document tomllib could have made, within the limits (one kept in a cache)."""
    return _within(value, _TOML_VALUES)


_TOML_VALUES = (str, int, float, date, time)  # besides tables and arrays; a bool is an int, a datetime a date


def _within(value: object, leaves: tuple[type, ...] | None = None) -> bool:
    """Whether ``value`` is within the limits: the fast walk, without paths (most documents are).
    With ``leaves``, every value that is not a table or an array is one of them."""
    big = 10**MAX_DIGITS
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not _encodable(item):
                return False
        elif isinstance(item, dict):
            if depth >= MAX_DEPTH:
                return False
            for key, sub in item.items():
                if not (isinstance(key, str) and (key.isascii() or _encodable(key))):
                    return False
                stack.append((sub, depth + 1))
        elif isinstance(item, list):
            if depth >= MAX_DEPTH:
                return False
            stack.extend((sub, depth + 1) for sub in item)
        elif isinstance(item, int):
            if not -big < item < big:
                return False
        elif leaves is not None and not isinstance(item, leaves):
            return False
    return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # only a lone surrogate cannot be
        return False
    return True


def _explain(value: object) -> None:
    """Raise the LimitError that says what is outside the limits, and where (the slow walk, with paths)."""
    stack: list[tuple[object, list[str]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, (dict, list)) and len(path) >= MAX_DEPTH:
            raise LimitError(f"{_where(path[:MAX_DEPTH])}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key, sub in item.items():
                _check_text(str(key), path)
                stack.append((sub, [*path, str(key)]))
        elif isinstance(item, list):
            stack.extend((sub, [*path, f"[{i}]"]) for i, sub in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 10**MAX_DIGITS:
            raise LimitError(f"{_where(path)}: a number of more than {MAX_DIGITS} digits")


def _check_text(text: str, path: list[str]) -> None:
    if not _encodable(text):  # only JSON can spell one ("\ud800"); no file can hold it
        raise LimitError(f"{_where(path)}: a lone surrogate (\\ud800-\\udfff), which is not a character")


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a person's name as habitd writes one (None: it is): one line of at most
    MAX_NAME characters, no spaces around it, no control or text-direction characters."""
    if len(name) > MAX_NAME or name != name.strip():
        return f"is not one line of at most {MAX_NAME} characters without spaces around it"
    if not name.isprintable() and re.search(_NOT_IN_NAMES, name):  # the config's own rule for a name
        return "holds a line break, a control or a text-direction character"
    return None


# what a name may not hold: controls, line and paragraph breaks, tabs, text-direction embeddings,
# overrides and isolates (a no-break space, say, is unprintable to Python but fine in a name)
_NOT_IN_NAMES = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


class TomlError(ValueError):
    """Text that is not TOML, or TOML outside the limits; tomllib's message, or the limit's."""


def toml_loads(text: str) -> dict[str, Any]:
    """tomllib.loads within the limits; every failure is a TomlError.

    A short document of comments and ``key = "text"`` lines only (a device file) is read
    without tomllib, which then need not be loaded at all.
    """
    doc: dict[str, Any] | None = _flat_strings(text)
    if doc is not None and _within(doc):
        return doc
    import tomllib

    try:
        doc = tomllib.loads(text)
        check_tree(doc)
    except RecursionError:
        raise TomlError(f"nested deeper than habitd reads (more than {MAX_DEPTH} levels)") from None
    except tomllib.TOMLDecodeError as e:
        raise TomlError(str(e)) from None
    except ValueError as e:  # an integer too long for int(), or a LimitError
        raise TomlError(str(e) if isinstance(e, LimitError) else "a number too long to read") from None
    return doc


# Characters that a TOML basic string or comment cannot hold as they are, or that would need a
# closer look (tab, carriage return): a text with one of them is left to tomllib.
_NOT_PLAIN = frozenset(map(chr, [*range(0x20), 0x7F])) - {"\n"}
_FLAT_MAX = 4096  # a device file is a few hundred characters; any other file is left to tomllib at once


def _flat_strings(text: str) -> dict[str, str] | None:
    """The keys and values of a TOML text made only of comment lines, empty lines and
    ``key = "value"`` lines (a bare key, a value with nothing escaped), as tomllib reads them;
    None for any other text (tomllib then reads it, or says what is wrong) and a long one."""
    if len(text) > _FLAT_MAX or not _NOT_PLAIN.isdisjoint(text):
        return None
    doc: dict[str, str] = {}
    for line in text.split("\n"):
        if not line or line[0] == "#":
            continue
        key, equals, value = line.partition(' = "')
        bare = key.isascii() and key.replace("_", "").replace("-", "").isalnum()
        if not (equals and bare and value.endswith('"') and key not in doc):
            return None
        value = value[:-1]
        if '"' in value or "\\" in value:
            return None
        doc[key] = value
    return doc


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise LimitError(f"a number of more than {MAX_DIGITS} digits ({digits[:12]}...)")
    return int(digits)


def json_loads(text: str) -> Any:
    """json.loads within the limits. Raises json.JSONDecodeError or LimitError."""
    import json

    try:
        doc = json.loads(text, parse_int=_integer)
    except RecursionError:
        raise LimitError(f"nested deeper than habitd reads (more than {MAX_DEPTH} levels)") from None
    check_tree(doc)
    return doc
