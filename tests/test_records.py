"""habitd's records behave as ``typing.NamedTuple`` does, which is what the type checker assumes."""

from __future__ import annotations

import copy
import pickle
from typing import NamedTuple

import pytest

from habitd.records import Record


class Slot(Record):
    at: int
    name: str = ""
    tags: tuple[str, ...] = ()

    def later(self, by: int) -> Slot:
        return self._replace(at=self.at + by)


class Typed(NamedTuple):
    at: int
    name: str = ""
    tags: tuple[str, ...] = ()


CALLS: list[tuple[tuple[object, ...], dict[str, object]]] = [
    ((1,), {}),
    ((1, "a"), {}),
    ((1, "a", ("x",)), {}),
    ((), {"at": 2}),
    ((2,), {"tags": ("y",)}),
    ((), {"name": "b", "at": 3}),
]
BAD_CALLS: list[tuple[tuple[object, ...], dict[str, object]]] = [
    ((), {}),
    ((1, "a", (), 4), {}),
    ((1,), {"at": 2}),
    ((1,), {"colour": "red"}),
    ((), {"name": "b"}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_made_as_a_named_tuple_is(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    ours, theirs = Slot(*args, **kwargs), Typed(*args, **kwargs)  # type: ignore[arg-type]
    assert tuple(ours) == tuple(theirs) and ours == theirs and hash(ours) == hash(theirs)
    assert repr(ours) == repr(theirs).replace("Typed", "Slot")
    assert ours._asdict() == theirs._asdict()
    assert (ours.at, ours.name, ours.tags) == (theirs.at, theirs.name, theirs.tags)


@pytest.mark.parametrize(("args", "kwargs"), BAD_CALLS)
def test_a_wrong_call_fails_as_it_does_for_a_named_tuple(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        Typed(*args, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Slot(*args, **kwargs)  # type: ignore[arg-type]


def test_the_class_looks_like_a_named_tuple() -> None:
    assert Slot._fields == Typed._fields == ("at", "name", "tags")
    assert Slot._field_defaults == Typed._field_defaults
    assert Slot.__match_args__ == Typed.__match_args__
    assert Slot._make([1, "a", ()]) == (1, "a", ())
    with pytest.raises(TypeError):
        Slot._make([1])


def test_a_record_is_a_read_only_tuple() -> None:
    slot = Slot(1, "a")
    assert type(Slot) is type(Typed) is type and Slot.__mro__ == (Slot, tuple, object)  # nothing between
    at, name, tags = slot
    assert (at, name, tags) == (1, "a", ()) and slot[1] == "a" and isinstance(slot, tuple)
    with pytest.raises(AttributeError):
        slot.at = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        slot.colour = "red"  # type: ignore[attr-defined]
    assert not hasattr(slot, "__dict__")


def test_replace_methods_match_copy_and_pickle() -> None:
    slot = Slot(1, "a")
    assert slot.later(2) == Slot(3, "a") and type(slot.later(2)) is Slot
    assert slot._replace(name="b", tags=("t",)) == Slot(1, "b", ("t",))
    with pytest.raises(ValueError, match="colour"):
        slot._replace(colour="red")  # type: ignore[call-arg]
    assert pickle.loads(pickle.dumps(slot)) == slot and copy.deepcopy(slot) == slot
    match slot:
        case Slot(at, name):
            assert (at, name) == (1, "a")
        case _:
            pytest.fail("a record matches by position")


def test_what_a_named_tuple_refuses_a_record_refuses() -> None:
    with pytest.raises(TypeError, match="default"):

        class Gap(Record):
            first: int = 0
            second: int

    with pytest.raises(ValueError, match="underscore"):

        class Private(Record):
            _hidden: int

    with pytest.raises(TypeError, match="extends Record only"):

        class Both(Record, Exception):  # type: ignore[misc]
            more: int = 0


def test_made_with_the_signature_of_a_named_tuple_at_any_number_of_fields() -> None:
    import inspect

    def params(cls: type) -> list[tuple[str, object, object]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]

    assert params(Slot) == params(Typed) and [p[0] for p in params(Slot)] == ["at", "name", "tags"]
    many = {f"f{i}": int for i in range(25)}  # more fields than the ready-made functions cover
    wide = type(Record)("Wide", (Record,), {"__annotations__": many, "f24": -1})
    made = wide(*range(24))
    assert made == (*range(24), -1) and made.f23 == 23 and made._replace(f0=9)[0] == 9
    with pytest.raises(TypeError):

        class Empty(Record):
            pass
