"""Records: named tuples that cost next to nothing to define.

``typing.NamedTuple`` builds each class by compiling a ``__new__`` from source, about 0.12 ms a
class; a command defines some forty of them before it does anything, which was a tenth of
``habitd done``. ``Record`` makes the same kind of class, a tuple with named read-only fields,
defaults, ``_replace``, ``_asdict``, ``_make``, ``_fields``, ``__match_args__`` and the same repr,
without compiling: its ``__new__`` is one of the ready-made functions below (byte-compiled with
this module), renamed to the class's fields, so a record is made exactly as fast as a named
tuple and takes the same arguments, by position or by name. Type checkers are told it is
``typing.NamedTuple`` and check every record as one. ``tests/test_records.py`` holds the two to
the same behaviour.

    class Slot(Record):
        at: datetime
        name: str = ""
"""

# ruff: noqa: E501  (the table of ready-made functions below, one a line)
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    from types import FunctionType

    try:
        from _collections import _tuplegetter
    except ImportError:  # another Python: what collections.namedtuple falls back to
        from operator import itemgetter

        def _tuplegetter(index: int, doc: str) -> property:
            return property(itemgetter(index), doc=doc)

    _tuple_new = tuple.__new__
    _NEW = (  # __new__ of 1, 2, ... fields; their names are the class's
        lambda _cls, _0: _tuple_new(_cls, (_0,)),
        lambda _cls, _0, _1: _tuple_new(_cls, (_0, _1)),
        lambda _cls, _0, _1, _2: _tuple_new(_cls, (_0, _1, _2)),
        lambda _cls, _0, _1, _2, _3: _tuple_new(_cls, (_0, _1, _2, _3)),
        lambda _cls, _0, _1, _2, _3, _4: _tuple_new(_cls, (_0, _1, _2, _3, _4)),
        lambda _cls, _0, _1, _2, _3, _4, _5: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18)),
        lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19)),
    )

    def _new(name: str, fields: tuple[str, ...], defaults: tuple[Any, ...]) -> FunctionType:
        if len(fields) <= len(_NEW):
            template = _NEW[len(fields) - 1]
        else:  # more fields than the table has: compiled, as namedtuple does
            names = ", ".join(f"_{i}" for i in range(len(fields)))
            template = eval(f"lambda _cls, {names}: _tuple_new(_cls, ({names}))", {"_tuple_new": _tuple_new})
        code = template.__code__.replace(
            co_varnames=("_cls", *fields), co_name="__new__", co_qualname=f"{name}.__new__"
        )
        return FunctionType(code, {"_tuple_new": _tuple_new}, "__new__", defaults or None)

    def _make(cls: type, iterable: Any) -> Any:
        made = _tuple_new(cls, iterable)
        if len(made) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(made)}")
        return made

    def _replace(self: Any, **changes: Any) -> Any:
        made = self._make(map(changes.pop, self._fields, self))
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return made

    def _asdict(self: Any) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def __getnewargs__(self: Any) -> tuple[Any, ...]:
        return tuple(self)

    def _repr(fields: tuple[str, ...]) -> Any:
        shape = f"({', '.join(f'{f}=%r' for f in fields)})"

        def __repr__(self: Any) -> str:  # as namedtuple's: state digests repr many records
            return self.__class__.__name__ + shape % self

        return __repr__

    _METHODS = {
        "_make": classmethod(_make),
        "_replace": _replace,
        "_asdict": _asdict,
        "__getnewargs__": __getnewargs__,
    }

    class _RecordType(type):
        """Makes a class written as ``class X(Record)`` a plain tuple class, as NamedTuple does:
        neither this type nor ``Record`` stays behind it, so ``isinstance`` is as quick as ever."""

        def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> type:
            if bases == (tuple,):  # Record itself
                return super().__new__(mcls, name, bases, ns)
            if bases != (Record,):
                raise TypeError(f"{name}: a record extends Record only, as a NamedTuple does")
            fields = tuple(ns.get("__annotations__", {}))
            if not fields:
                raise TypeError(f"{name}: a record has fields")
            for field in fields:
                if field.startswith("_"):
                    raise ValueError(f"{name}: field names cannot start with an underscore: {field!r}")
            defaults = {f: ns.pop(f) for f in fields if f in ns}
            if list(defaults) != list(fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            made = {**_METHODS, **ns}  # the class's own methods win, as they do in a NamedTuple
            made.update(
                __new__=_new(name, fields, tuple(defaults.values())),
                __slots__=(),
                _fields=fields,
                _field_defaults=defaults,
                __match_args__=fields,
            )
            made.setdefault("__doc__", f"{name}({', '.join(fields)})")
            made.setdefault("__repr__", _repr(fields))
            for i, field in enumerate(fields):
                made[field] = _tuplegetter(i, f"Alias for field number {i}")
            return type.__new__(type, name, (tuple,), made)

    class Record(tuple, metaclass=_RecordType):
        """Write ``class X(Record)`` with annotated fields, as a ``typing.NamedTuple``."""

        __slots__ = ()

__all__ = ["Record"]
