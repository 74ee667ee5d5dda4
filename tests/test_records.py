"""pywaz._records: the IR's record classes behave as frozen, slotted dataclasses did."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from pywaz import ir
from pywaz._records import FrozenInstanceError, factory, fields, record, replace


@record
class Point:
    """A sample record."""

    x: int
    y: int = 0
    tags: list = factory(list)

    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)


@dataclasses.dataclass(frozen=True, slots=True)
class DataPoint:
    x: int
    y: int = 0
    tags: list = dataclasses.field(default_factory=list)


def test_construction_defaults_and_fresh_factory_values():
    p = Point(1)
    assert (p.x, p.y, p.tags) == (1, 0, [])
    assert Point(1).tags is not p.tags
    assert Point(1, 2, ["a"]).tags == ["a"] and Point(x=3, y=4).norm1() == 7
    with pytest.raises(TypeError):
        Point()
    with pytest.raises(TypeError):
        Point(1, 2, [], 4)


def test_repr_eq_hash_match_those_of_the_equivalent_dataclass():
    for args in [(1,), (1, 2), (-5, 7, ["t"])]:
        ours, theirs = Point(*args), DataPoint(*args)
        assert repr(ours).replace("Point", "DataPoint", 1) == repr(theirs)
        assert ours == Point(*args)
        assert not ours != Point(*args)  # noqa: SIM202 (__ne__ falls back on __eq__)
    assert Point(1, 2) != Point(1, 3) and Point(1) != DataPoint(1)
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ())) == hash(DataPoint(1, 2, ()))
    assert {Point(1, 2, ()), Point(1, 2, ())} == {Point(1, 2, ())}


def test_fields_are_frozen_and_slotted():
    p = Point(1)
    with pytest.raises(FrozenInstanceError):
        p.x = 2
    with pytest.raises(FrozenInstanceError):
        del p.y
    with pytest.raises(AttributeError):
        object.__getattribute__(p, "__dict__")
    assert Point.__slots__ == ("x", "y", "tags") and Point.__match_args__ == ("x", "y", "tags")
    assert Point.__doc__ == "A sample record." and Point.__qualname__ == "Point"


def test_pickle_fields_and_replace():
    p = Point(1, 2, ["z"])
    assert pickle.loads(pickle.dumps(p)) == p
    assert fields(p) == fields(Point) == ("x", "y", "tags")
    q = replace(p, y=5)
    assert (q.x, q.y, q.tags) == (1, 5, ["z"]) and p.y == 2
    with pytest.raises(TypeError, match="no field 'w'"):
        replace(p, w=1)
    with pytest.raises(TypeError):
        fields(object())


def test_a_required_field_after_a_default_is_refused():
    with pytest.raises(TypeError, match="without a default"):

        @record
        class Bad:
            a: int = 1
            b: int


def test_an_eq_of_the_class_own_is_kept_and_hash_still_generated():
    @record
    class Loose:
        a: int

        def __eq__(self, other):
            return isinstance(other, Loose)

    assert Loose(1) == Loose(2) and hash(Loose(3)) == hash((3,))


def test_every_ir_record_round_trips_through_pickle_and_compares_by_value():
    t = ir.func_type((ir.I32,), (ir.I64,))
    samples = [
        ir.Limits(1, 2),
        ir.MemoryType(ir.Limits(1, None)),
        ir.BlockInfo(t, -1, 4, 0),
        ir.NameSection("m", {0: "f"}, {}),
        ir.Module(types=(t,), functions=(0,)),
    ]
    for sample in samples:
        again = pickle.loads(pickle.dumps(sample))
        assert again == sample and again is not sample and repr(again) == repr(sample)
    assert ir.Module().names == ir.NameSection() and ir.Module().names is not ir.Module().names


def test_post_init_runs_after_the_fields_are_set_and_on_replace():
    seen = []

    @record
    class Normalised:
        items: tuple = ()

        def __post_init__(self):
            seen.append(self.items)
            object.__setattr__(self, "items", tuple(sorted(self.items)))

    assert Normalised([3, 1, 2]).items == (1, 2, 3)
    assert replace(Normalised(), items=[9, 8]).items == (8, 9)
    assert seen == [[3, 1, 2], (), [9, 8]]
