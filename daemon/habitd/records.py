"""Records: named tuples that cost nothing to define.

``typing.NamedTuple`` builds each class by compiling a ``__new__`` from source, about 0.12 ms a
class; a command defines some forty of them before it does anything, which was a tenth of
``habitd done``. ``Record`` builds the same kind of class from the class body without compiling:
a tuple with named read-only fields, defaults, ``_replace``, ``_asdict``, ``_make``, ``_fields``,
``__match_args__`` and the same repr. Type checkers are told it is ``typing.NamedTuple`` and check
every record exactly as one. ``tests/test_records.py`` holds the two to the same behaviour.

    class Slot(Record):
        at: datetime
        name: str = ""
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    try:
        from _collections import _tuplegetter
    except ImportError:  # another Python: what collections.namedtuple falls back to
        from operator import itemgetter

        def _tuplegetter(index: int, doc: str) -> property:
            return property(itemgetter(index), doc=doc)

    class _RecordType(type):
        def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> type:
            if bases == (tuple,):  # Record itself
                return super().__new__(mcls, name, bases, ns)
            if bases != (Record,):
                raise TypeError(f"{name}: a record extends Record only, as a NamedTuple does")
            fields = tuple(ns.get("__annotations__", {}))
            for field in fields:
                if field.startswith("_"):
                    raise ValueError(f"{name}: field names cannot start with an underscore: {field!r}")
            defaults = {f: ns.pop(f) for f in fields if f in ns}
            required = len(fields) - len(defaults)
            if list(defaults) != list(fields[required:]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            ns.update(
                __slots__=(),
                _fields=fields,
                _field_defaults=defaults,
                __match_args__=fields,
            )
            ns.setdefault("__doc__", f"{name}({', '.join(fields)})")
            for i, field in enumerate(fields):
                ns[field] = _tuplegetter(i, f"Alias for field number {i}")
            return super().__new__(mcls, name, (Record,), ns)

    class Record(tuple, metaclass=_RecordType):
        __slots__ = ()
        _fields: ClassVar[tuple[str, ...]] = ()
        _field_defaults: ClassVar[dict[str, Any]] = {}

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            fields = cls._fields
            if not kwargs and len(args) == len(fields):
                return tuple.__new__(cls, args)
            if len(args) > len(fields):
                raise TypeError(f"{cls.__name__}() takes {len(fields)} arguments but {len(args)} were given")
            values = list(args)
            for field in fields[len(args) :]:
                if field in kwargs:
                    values.append(kwargs.pop(field))
                elif field in cls._field_defaults:
                    values.append(cls._field_defaults[field])
                else:
                    raise TypeError(f"{cls.__name__}() missing required argument: {field!r}")
            if kwargs:
                twice = [k for k in kwargs if k in fields]
                what = "got multiple values for argument" if twice else "got an unexpected keyword argument"
                raise TypeError(f"{cls.__name__}() {what} {(twice or list(kwargs))[0]!r}")
            return tuple.__new__(cls, values)

        @classmethod
        def _make(cls, iterable: Any) -> Any:
            made = tuple.__new__(cls, iterable)
            if len(made) != len(cls._fields):
                raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(made)}")
            return made

        def _replace(self, **changes: Any) -> Any:
            made = self._make(map(changes.pop, self._fields, self))
            if changes:
                raise ValueError(f"Got unexpected field names: {list(changes)!r}")
            return made

        def _asdict(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

        def __repr__(self) -> str:
            inside = ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
            return f"{type(self).__name__}({inside})"

        def __getnewargs__(self) -> tuple[Any, ...]:
            return tuple(self)

__all__ = ["Record"]
