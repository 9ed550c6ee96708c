"""keras.tree: Keras 3 (torch backend) semantics on nested structures."""

from __future__ import annotations

import collections
import warnings

import pytest

from kerasish import tree

Point = collections.namedtuple("Point", ["y", "x"])


def test_flatten_sorts_dicts_down_to_the_first_dict():
    # As Keras 3.15 on torch: dicts are sorted until the walk meets a dict; below that dict,
    # dicts keep their insertion order. None is a leaf.
    structure = {"b": {"d": 1, "c": 2}, "a": [{"z": 3, "y": 4}, None]}
    assert tree.flatten(structure) == [3, 4, None, 1, 2]
    assert tree.flatten([{"z": 3, "y": 4}, ({"b": 1, "a": 2},)]) == [4, 3, 2, 1]
    assert tree.flatten({"b": 1, "a": 2}) == [2, 1]
    assert tree.flatten(5) == [5]


def test_pack_sequence_as_round_trip_and_sorted_dicts():
    structure = {"b": 0, "a": (0, [0, 0])}
    packed = tree.pack_sequence_as(structure, [1, 2, 3, 4])
    assert packed == {"a": (1, [2, 3]), "b": 4}
    assert list(packed) == ["a", "b"]
    point = tree.pack_sequence_as(Point(0, 0), [7, 8])
    assert isinstance(point, Point) and point == Point(7, 8)
    with pytest.raises(ValueError):
        tree.pack_sequence_as([0, 0], [1, 2, 3])


def test_flatten_with_path_uses_keys_indices_and_field_ranks():
    assert tree.flatten_with_path({"b": [5, 6], "a": 1}) == [(("a",), 1), (("b", 0), 5), (("b", 1), 6)]
    # namedtuple fields are numbered by their sorted names: x -> 0, y -> 1
    assert tree.flatten_with_path(Point(1, 2)) == [((1,), 1), ((0,), 2)]


def test_map_structure_and_none_handling():
    assert tree.map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)]) == [11, (22, 33)]
    assert tree.map_structure(lambda a: a, [1, None]) == [1, None]
    assert tree.map_structure(lambda a: a * 2, [1, None], none_is_leaf=False) == [2, None]
    with pytest.raises(ValueError, match="some arguments are None"):
        tree.map_structure(lambda a, b: a, [None], [1], none_is_leaf=False)
    with pytest.raises(ValueError, match="at least one structure"):
        tree.map_structure(lambda a: a)
    with pytest.raises(ValueError):
        tree.map_structure(lambda a, b: a, [1, 2], [1])


def test_map_structure_up_to():
    result = tree.map_structure_up_to([0, 0], lambda a: len(a), [[1, 2], (3,)])
    assert result == [2, 1]
    with pytest.raises(ValueError, match="Node type mismatch"):
        tree.map_structure_up_to([[0], 0], lambda a: a, [1, 2])


def test_assert_same_structure_and_paths():
    tree.assert_same_structure([(0, 1)], [(2, 3)])
    tree.assert_same_structure({"a": 1, "b": 2}, collections.OrderedDict(b=1, a=2))
    with pytest.raises(ValueError):
        tree.assert_same_structure([0, 1], (0, 1))
    with pytest.raises(ValueError):
        tree.assert_same_structure([0, [1]], [0, 1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree.assert_same_structure([0], [1], check_types=True)
    assert caught and issubclass(caught[0].category, DeprecationWarning)
    tree.assert_same_paths([0, 1], (0, 1))
    with pytest.raises(ValueError, match="don't have the same paths"):
        tree.assert_same_paths([0, 1], [0])


def test_is_nested():
    assert tree.is_nested([1]) and tree.is_nested({}) and tree.is_nested(Point(1, 2))
    assert not tree.is_nested(1) and not tree.is_nested("ab") and not tree.is_nested(None)


def test_traverse_top_down_bottom_up_and_map_to_none():
    structure = [1, [2, 3]]
    # Top-down: a non-None result replaces the sub-structure without visiting it.
    assert tree.traverse(lambda x: "list" if isinstance(x, list) and len(x) == 2 and x[0] == 2 else None, structure) == [1, "list"]
    # Bottom-up: children are traversed first.
    seen = []
    tree.traverse(lambda x: seen.append(x), structure, top_down=False)
    assert seen[-1] == [1, [2, 3]] and seen[0] == 1
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if x == 2 else None, structure) == [1, [None, 3]]


def test_lists_to_tuples_and_map_shape_structure():
    assert tree.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))
    shapes = {"b": (None, 3), "a": [(2, 4), (5,)]}
    assert tree.map_shape_structure(lambda s: len(s), shapes) == {"a": [2, 1], "b": 2}
